#!/usr/bin/env node
// A Sparkplug B edge node built on the Eclipse Tahu JavaScript client (npm `sparkplug-client`),
// used by tests/integration/test_sparkplug_tahu.py as a third-party peer for uns's host.
//
//   node edge_node.js <broker-url> [group] [edge-node] [device] [interval-ms]
//
// On every connect it publishes an NBIRTH (node metrics plus the bdSeq the client adds) and a
// DBIRTH for one device, then a DDATA every interval carrying aliases only. A rebirth NCMD
// (`Node Control/Rebirth` = true) republishes both births. SIGTERM publishes an NDEATH and
// disconnects; SIGKILL leaves the broker to publish the client's Will NDEATH.
//
// stdout, one line per event, for the test to wait on: "BIRTH", "REBIRTH", "DDATA <n>",
// "NDEATH". Nothing else is printed there (debug output goes to stderr via DEBUG=...).
"use strict";

const sparkplug = require("sparkplug-client");

const [url, group = "uns-test", edgeNode = "tahu-node", device = "press-1", every = "200"] =
  process.argv.slice(2);
if (!url) {
  process.stderr.write("usage: edge_node.js <broker-url> [group] [edge-node] [device] [ms]\n");
  process.exit(2);
}
const intervalMs = Number(every);

// Aliases are unique across the node and its device, as Sparkplug requires.
const ALIAS = { rebirth: 1, uptime: 2, temp: 10, count: 11, running: 12, recipe: 13 };
const started = Date.now();
let tick = 0;

function say(line) {
  process.stdout.write(line + "\n");
}

function deviceValues() {
  // Count stays negative so that a signed Int32 that comes back unsigned shows up.
  return {
    temp: 20.5 + (tick % 10) * 0.25,
    count: -12 - tick,
    running: tick % 2 === 0,
    recipe: tick % 2 === 0 ? "A-100" : "B-200",
  };
}

function nodeBirth() {
  const now = Date.now();
  return {
    timestamp: now,
    metrics: [
      { name: "Node Control/Rebirth", alias: ALIAS.rebirth, type: "Boolean", value: false, timestamp: now },
      { name: "Uptime", alias: ALIAS.uptime, type: "Int64", value: now - started, timestamp: now },
    ],
  };
}

function deviceBirth() {
  const now = Date.now();
  const v = deviceValues();
  return {
    timestamp: now,
    metrics: [
      { name: "Line/Temperature", alias: ALIAS.temp, type: "Float", value: v.temp, timestamp: now },
      { name: "Count", alias: ALIAS.count, type: "Int32", value: v.count, timestamp: now },
      { name: "Running", alias: ALIAS.running, type: "Boolean", value: v.running, timestamp: now },
      { name: "Recipe", alias: ALIAS.recipe, type: "String", value: v.recipe, timestamp: now },
    ],
  };
}

function deviceData() {
  const now = Date.now();
  const v = deviceValues();
  // Alias only: no names. The client writes each metric's datatype anyway.
  return {
    timestamp: now,
    metrics: [
      { alias: ALIAS.temp, type: "Float", value: v.temp, timestamp: now },
      { alias: ALIAS.count, type: "Int32", value: v.count, timestamp: now },
      { alias: ALIAS.running, type: "Boolean", value: v.running, timestamp: now },
      { alias: ALIAS.recipe, type: "String", value: v.recipe, timestamp: now },
    ],
  };
}

const client = sparkplug.newClient({
  serverUrl: url,
  username: null, // anonymous: the client insists on the keys, null leaves them out
  password: null,
  groupId: group,
  edgeNode: edgeNode,
  clientId: `tahu-${edgeNode}-${process.pid}`,
  publishDeath: true, // stop() publishes an NDEATH; a crash leaves it to the Will
  version: "spBv1.0",
});

function publishBirths() {
  client.publishNodeBirth(nodeBirth());
  client.publishDeviceBirth(device, deviceBirth());
}

client.on("birth", () => {
  publishBirths();
  say("BIRTH");
});

client.on("ncmd", (payload) => {
  for (const metric of payload.metrics || []) {
    if (metric.name === "Node Control/Rebirth" && metric.value === true) {
      publishBirths();
      say("REBIRTH");
    }
  }
});

client.on("error", (error) => {
  process.stderr.write(`sparkplug client error: ${error}\n`);
  process.exit(1);
});

const timer = setInterval(() => {
  if (!client.connected) {
    return;
  }
  tick += 1;
  client.publishDeviceData(device, deviceData());
  say(`DDATA ${tick}`);
}, intervalMs);

function shutdown() {
  clearInterval(timer);
  client.stop(); // publishes the NDEATH, then ends the MQTT connection cleanly
  say("NDEATH");
  setTimeout(() => process.exit(0), 200).unref();
}

process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
