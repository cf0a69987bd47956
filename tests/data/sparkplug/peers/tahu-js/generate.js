// Writes the Sparkplug B vectors listed in manifest.json with Eclipse Tahu's JavaScript
// payload codec (npm `sparkplug-payload`, locked in tests/peers/tahu-payload).
//
//   npm ci --prefix tests/peers/tahu-payload
//   node tests/data/sparkplug/peers/tahu-js/generate.js [output dir]
//
// The manifest is the input: the values Tahu is asked to encode. Our decoder is checked
// against it (tests/unit/test_sparkplug_peer_vectors.py), never against its own output.
"use strict";

const fs = require("fs");
const path = require("path");

const peerDir = path.resolve(__dirname, "../../../../peers/tahu-payload/node_modules");
const tahu = require(path.join(peerDir, "sparkplug-payload")).get("spBv1.0");
const Long = require(path.join(peerDir, "long"));
const installed = require(path.join(peerDir, "sparkplug-payload/package.json")).version;

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "manifest.json"), "utf8"));
if (installed !== manifest.peer_version) {
  throw new Error(`sparkplug-payload ${installed} installed, manifest wants ${manifest.peer_version}`);
}
const outDir = process.argv[2] || __dirname;

// The manifest's JSON stand-ins -> the JavaScript values Tahu takes (see "conventions").
function value(type, v) {
  if (v === null || v === undefined) return v;
  switch (type) {
    case "Int64":
    case "DateTime":
      return Long.fromString(v, false);
    case "UInt64":
      return Long.fromString(v, true);
    case "Bytes":
    case "File":
      return Buffer.from(v.hex, "hex");
    case "DataSet":
      return { ...v, rows: v.rows.map((row) => row.map((cell, i) => value(v.types[i], cell))) };
    case "Template":
      return {
        ...v,
        metrics: v.metrics.map(metric),
        parameters: v.parameters.map((p) => ({ ...p, value: value(p.type, p.value) })),
      };
    case "PropertySet":
      return propertySet(v);
    case "PropertySetList":
      return v.map(propertySet);
    default:
      return v;
  }
}

function propertySet(set) {
  const out = {};
  for (const [key, pv] of Object.entries(set)) out[key] = { type: pv.type, value: value(pv.type, pv.value) };
  return out;
}

function metric(m) {
  const out = { ...m, value: value(m.type, m.value) };
  if (m.timestamp !== undefined) out.timestamp = Long.fromString(m.timestamp, true);
  if (m.properties !== undefined) out.properties = propertySet(m.properties);
  return out;
}

for (const vector of manifest.vectors) {
  const p = vector.payload;
  const payload = { ...p, timestamp: Long.fromString(p.timestamp, true), metrics: p.metrics.map(metric) };
  if (p.body !== undefined) payload.body = Buffer.from(p.body.hex, "hex");
  fs.writeFileSync(path.join(outDir, vector.file), tahu.encodePayload(payload));
}
