// The Node-RED side of the end-to-end benchmark (bench/nodered.py): what a plant's hand-built
// flow does for the same bench model as `uns run`: look the raw topic up, parse the JSON, add
// the asset path and context, normalise time and quality, build the governed topic, stringify.
// The bindings are built once by the node's On Start code (bench/nodered.py).
const binding = context.get("bindings")[msg.topic];
if (binding === undefined) {
    return null;
}
const raw = JSON.parse(msg.payload);
const ts = typeof raw.ts === "number" && raw.ts > 946684800000 ? raw.ts : Date.now();
const q = raw.q;
const quality = q === undefined || q >= 192 ? "good" : q >= 64 ? "uncertain" : "bad";
msg.topic = binding.out;
msg.payload = JSON.stringify({
    value: raw.v,
    timestamp: new Date(ts).toISOString(),
    timestamp_source: ts === raw.ts ? "source" : "arrival",
    quality: quality,
    unit: null,
    asset: binding.asset,
    context: { shift: null, crew: null, batch: null, product: null, order: null },
    source: { topic: binding.raw, received: new Date().toISOString() },
});
return msg;
