// Reads one Sparkplug B payload on stdin, decodes it with Eclipse Tahu's JavaScript codec and
// prints the result as JSON: Long values as decimal strings, byte values as {"hex": ...}.
// tests/unit/test_sparkplug_peer_decode.py feeds it what uns encodes.
"use strict";

const Long = require("long");
const tahu = require("sparkplug-payload").get("spBv1.0");

function plain(value) {
  if (value === null || value === undefined) return value === undefined ? null : value;
  if (Long.isLong(value)) return value.toString();
  if (value instanceof Uint8Array) return { hex: Buffer.from(value).toString("hex") };
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object") {
    const out = {};
    for (const [key, v] of Object.entries(value)) out[key] = plain(v);
    return out;
  }
  return value;
}

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  process.stdout.write(JSON.stringify(plain(tahu.decodePayload(Buffer.concat(chunks)))));
});
