// The namespace page: plain JS, no build step, no external assets (plants have no internet).
// Read-only: it only GETs /api/* and listens to /api/events (server-sent events).
// Only what is expanded is in the page; live updates touch only rows on screen.
"use strict";

const shown = new Map(); // governed path -> Set of tag rows on screen
const expanded = new Set(); // level paths the user opened (kept across a resync)
let staleRule = { factor: 3, min_s: 5 };
let modelVersion = null; // the model revision the page shows

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

async function getJSON(url) {
  const reply = await fetch(url, { cache: "no-store" });
  if (!reply.ok) throw new Error(`${url}: ${reply.status}`);
  return reply.json();
}

function formatValue(v) {
  if (v === null || v === undefined) return "\u2014";
  if (typeof v === "number" && !Number.isInteger(v)) return String(Number(v.toPrecision(6)));
  return String(v);
}

function formatAge(ms) {
  const s = Math.max(ms, 0) / 1000;
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${(s / 60).toFixed(0)}m`;
  if (s < 86400) return `${(s / 3600).toFixed(1)}h`;
  return `${(s / 86400).toFixed(1)}d`;
}

function isStale(t, now) {
  if (t.quality === "stale") return true;
  if (!t.last_ms || !t.period_s) return false;
  return (now - t.last_ms) / 1000 > Math.max(staleRule.factor * t.period_s, staleRule.min_s);
}

// -- tag rows --------------------------------------------------------------------------

function tagRow(t, label) {
  const row = el("div", "row tag");
  row.dataset.path = t.path;
  const name = el("span", "name", label);
  name.title = t.path;
  const value = el("span", "value");
  row.append(name, value, el("span", "quality"), el("span", "ts"), el("span", "age"),
    el("span", "ctx"));
  fillTag(row, t, false);
  if (!shown.has(t.path)) shown.set(t.path, new Set());
  shown.get(t.path).add(row);
  return row;
}

function fillTag(row, t, flash) {
  row.tag = t;
  const [, value, quality, ts, , ctx] = row.children;
  value.textContent = formatValue(t.value);
  if (t.unit && t.value !== null && t.value !== undefined) value.append(" ", el("span", "unit", t.unit));
  quality.textContent = t.quality || "";
  quality.className = `quality q-${t.quality || "none"}`;
  ts.textContent = t.timestamp ? t.timestamp.replace("T", " ").replace("Z", "") : "";
  const c = t.context || {};
  ctx.textContent = ["shift", "batch", "product", "order"]
    .filter((k) => c[k]).map((k) => `${k} ${c[k]}`).join(" \u00b7 ");
  ctx.title = JSON.stringify({ context: c, source: t.source }, null, 1);
  row.classList.toggle("nodata", !t.last_ms);
  tickRow(row, Date.now());
  if (flash) {
    row.classList.remove("flash");
    void row.offsetWidth; // restart the animation
    row.classList.add("flash");
  }
}

function tickRow(row, now) {
  const t = row.tag;
  row.children[4].textContent = t.last_ms ? formatAge(now - t.last_ms) : "no data";
  row.classList.toggle("stale", isStale(t, now));
}

function forget(container) {
  for (const row of container.querySelectorAll(".row.tag")) {
    const set = shown.get(row.dataset.path);
    if (set) {
      set.delete(row);
      if (set.size === 0) shown.delete(row.dataset.path);
    }
  }
}

// -- the tree (lazy: one level per click) ---------------------------------------------

function levelNode(r) {
  const node = el("div", "node");
  const row = el("div", "row level");
  row.dataset.path = r.path;
  row.append(el("span", "toggle", "\u25b8"), el("span", "name", r.name),
    el("span", "count", `${r.tags} tag${r.tags === 1 ? "" : "s"}`));
  const kids = el("div", "kids");
  kids.hidden = true;
  row.addEventListener("click", () => toggle(r.path, row, kids));
  node.append(row, kids);
  return node;
}

async function fillLevel(path, container) {
  const generation = (container.generation = (container.generation || 0) + 1);
  const doc = await getJSON(`/api/tree?path=${encodeURIComponent(path)}`);
  if (container.generation !== generation) return; // a newer fill of this level won
  forget(container);
  container.replaceChildren(...doc.rows.map((r) => (r.kind === "level"
    ? levelNode(r) : tagRow(r, r.name))));
  for (const node of container.querySelectorAll(":scope > .node")) {
    const row = node.firstChild;
    if (expanded.has(row.dataset.path)) await open(row.dataset.path, row, node.lastChild);
  }
}

async function open(path, row, kids) {
  expanded.add(path);
  row.firstChild.textContent = "\u25be";
  kids.hidden = false;
  await fillLevel(path, kids);
}

async function toggle(path, row, kids) {
  if (!kids.hidden) {
    expanded.delete(path);
    row.firstChild.textContent = "\u25b8";
    kids.hidden = true;
    forget(kids);
    kids.replaceChildren();
    return;
  }
  await open(path, row, kids);
}

// -- filter ---------------------------------------------------------------------------

let filterTimer = null;
async function applyFilter() {
  const q = document.getElementById("filter").value.trim();
  const results = document.getElementById("results");
  const tree = document.getElementById("tree");
  forget(results);
  if (!q) {
    results.hidden = true;
    results.replaceChildren();
    tree.hidden = false;
    return;
  }
  const doc = await getJSON(`/api/search?q=${encodeURIComponent(q)}`);
  const head = el("div", "muted",
    `${doc.total} tag${doc.total === 1 ? "" : "s"} match` +
    (doc.total > doc.rows.length ? ` (first ${doc.rows.length} shown)` : ""));
  results.replaceChildren(head, ...doc.rows.map((t) => tagRow(t, t.path)));
  results.hidden = false;
  tree.hidden = true;
}

// -- panels ---------------------------------------------------------------------------

function renderDeadLetters(doc) {
  document.getElementById("dl-total").textContent = doc.total;
  const body = document.getElementById("dl-body");
  if (!doc.total) {
    body.replaceChildren(el("span", "muted", "none yet"));
    return;
  }
  const parts = [];
  if (doc.topic) parts.push(el("div", "muted", `published under ${doc.topic}`));
  for (const r of doc.by_reason) {
    const box = el("details", "reason");
    box.dataset.reason = r.reason;
    const summary = el("summary");
    summary.append(el("strong", null, r.reason), " ", el("span", "count", r.count));
    box.append(summary);
    for (const s of r.samples) {
      box.append(el("div", null, `${s.received}  ${s.topic}`), el("div", "muted", s.detail),
        el("pre", null, s.payload));
    }
    box.append(el("div", "muted", "replay after fixing the model:"), el("pre", "replay", r.replay));
    parts.push(box);
  }
  const table = el("table");
  table.append(el("caption", "muted", "by raw topic prefix"));
  for (const p of doc.by_prefix) {
    const tr = el("tr");
    tr.append(el("td", null, p.prefix || "(empty)"), el("td", "n", p.count));
    table.append(tr);
  }
  parts.push(table);
  const open = new Set([...body.querySelectorAll("details[open]")].map((d) => d.dataset.reason));
  body.replaceChildren(...parts);
  for (const d of body.querySelectorAll("details")) d.open = open.has(d.dataset.reason);
}

function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleString() : "";
}

async function loadModel() {
  const m = await getJSON("/api/model");
  staleRule = m.stale_rule;
  modelVersion = m.version;
  document.getElementById("enterprise").textContent = m.enterprise;
  document.getElementById("summary").textContent =
    `${m.tags} tags \u00b7 ${m.stale} stale \u00b7 model ${m.version}`;
  const body = document.getElementById("model-body");
  const rows = [["revision", m.version], ["loaded at", when(m.loaded_at)], ["tags", m.tags]];
  const table = el("table");
  for (const [k, v] of rows) {
    const tr = el("tr");
    tr.append(el("th", null, k), el("td", null, v));
    table.append(tr);
  }
  const parts = [table];
  const r = m.last_reload;
  if (r) {
    parts.push(el("div", r.ok ? "ok" : "failed",
      `last reload ${r.ok ? "applied" : "refused"}: ${r.version} at ${when(r.at)}`));
    if (r.problems.length) parts.push(el("pre", null, r.problems.join("\n")));
  } else {
    parts.push(el("div", "muted", "no reload since start"));
  }
  const f = m.findings;
  if (!f) {
    parts.push(el("div", "muted", "lint findings: running"));
    setTimeout(loadModel, 2000);
  } else {
    const levels = Object.entries(f.by_level).map(([k, n]) => `${n} ${k}`).join(", ");
    parts.push(el("div", null, `lint findings: ${f.count ? levels : "none"}`));
    if (f.shown.length) parts.push(el("pre", "findings", f.shown.join("\n")));
  }
  body.replaceChildren(...parts);
}

// -- live updates ---------------------------------------------------------------------

function connect() {
  const status = document.getElementById("status");
  const events = new EventSource("/api/events");
  events.onopen = () => {
    status.textContent = "live";
    status.className = "status live";
  };
  events.onerror = () => {
    status.textContent = "reconnecting";
    status.className = "status down";
  };
  events.addEventListener("tags", (e) => {
    for (const t of JSON.parse(e.data).rows) {
      for (const row of shown.get(t.path) || []) fillTag(row, t, true);
    }
  });
  events.addEventListener("deadletters", (e) => renderDeadLetters(JSON.parse(e.data)));
  events.addEventListener("model", (e) => {
    if (JSON.parse(e.data).version === modelVersion) loadModel();
    else loadModel().then(resync); // a reload: the tree may have changed
  });
  events.addEventListener("resync", resync);
}

async function resync() {
  await fillLevel("", document.getElementById("tree"));
  await applyFilter();
  renderDeadLetters(await getJSON("/api/deadletters"));
}

async function start() {
  document.getElementById("filter").addEventListener("input", () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(applyFilter, 250);
  });
  setInterval(() => {
    const now = Date.now();
    for (const rows of shown.values()) for (const row of rows) tickRow(row, now);
  }, 1000);
  setInterval(loadModel, 10000);
  await loadModel();
  await resync();
  connect();
}

start();
