// A CPU profile of the Worker while a route is under load (scripts/bench with
// BENCH_PROFILE=1): connects to workerd's inspector (DevTools protocol), samples for the
// given seconds, writes the profile (open it in Chrome DevTools' Performance panel or
// speedscope) and prints where the isolate's time went, by function.
//
//   node cpu-profile.mjs INSPECTOR_HOST:PORT SECONDS OUT.cpuprofile [TOP]
//
// workerd runs one isolate per Worker; the profile is that isolate's, so it shows the
// Worker's own work (wasm and JavaScript, garbage collection) and not the runtime's I/O,
// which shows as "(idle)" or "(program)". Wasm functions carry their Rust names (the
// release build keeps the name section), demangled here for reading.

import { writeFileSync } from "node:fs";

const [addr, secondsArg, out, topArg] = process.argv.slice(2);
if (!addr || !secondsArg || !out) {
  console.error("usage: cpu-profile.mjs HOST:PORT SECONDS OUT.cpuprofile [TOP]");
  process.exit(2);
}
const seconds = Number(secondsArg);
const top = Number(topArg ?? 20);

const targets = await (await fetch(`http://${addr}/json/list`)).json();
// The bench's Worker is the service named after it; Miniflare's own services are not.
const target =
  targets.find((t) => /edgeshop/.test(t.title ?? "") || /edgeshop/.test(t.url ?? "")) ?? targets[0];
if (!target) throw new Error(`no inspectable isolate at ${addr}`);
const url = target.webSocketDebuggerUrl ?? `ws://${addr}/${target.id}`;

const socket = new WebSocket(url);
let next = 0;
const waiting = new Map();
socket.addEventListener("message", (event) => {
  const message = JSON.parse(event.data);
  const settle = waiting.get(message.id);
  if (!settle) return;
  waiting.delete(message.id);
  message.error ? settle.reject(new Error(JSON.stringify(message.error))) : settle.resolve(message.result);
});
await new Promise((resolve, reject) => {
  socket.addEventListener("open", resolve, { once: true });
  socket.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)), { once: true });
});
const call = (method, params = {}) =>
  new Promise((resolve, reject) => {
    const id = ++next;
    waiting.set(id, { resolve, reject });
    socket.send(JSON.stringify({ id, method, params }));
  });

await call("Profiler.enable");
await call("Profiler.setSamplingInterval", { interval: 200 }); // microseconds
await call("Profiler.start");
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
const { profile } = await call("Profiler.stop");
socket.close();
writeFileSync(out, JSON.stringify(profile));

// Self time per node: the samples that landed in it, weighted by the time to the next.
const self = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const deltas = profile.timeDeltas ?? [];
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = deltas[i + 1] ?? 0;
  total += dt;
  self.set(id, (self.get(id) ?? 0) + dt);
});

// Demangles a Rust v0/legacy symbol roughly: enough to read, not a full demangler.
const demangle = (name) => {
  const legacy = /^_ZN(.*)E$/.exec(name);
  if (!legacy) return name;
  const parts = [];
  let rest = legacy[1];
  while (rest.length) {
    const m = /^(\d+)/.exec(rest);
    if (!m) break;
    const len = Number(m[1]);
    parts.push(rest.slice(m[1].length, m[1].length + len));
    rest = rest.slice(m[1].length + len);
  }
  return parts
    .filter((p) => !/^h[0-9a-f]{16}$/.test(p))
    .join("::")
    .replace(/\$LT\$/g, "<").replace(/\$GT\$/g, ">").replace(/\$u20\$/g, " ")
    .replace(/\$RF\$/g, "&").replace(/\$C\$/g, ",").replace(/\.\./g, "::").replace(/\$u7b\$/g, "{")
    .replace(/\$u7d\$/g, "}");
};
const label = (node) => {
  const f = node.callFrame;
  const name = demangle(f.functionName || "(anonymous)");
  const where = f.url ? ` ${f.url.split("/").pop()}` : "";
  return name.startsWith("(") ? name : `${name}${where}`;
};

const perFunction = new Map();
for (const [id, time] of self) {
  const key = label(byId.get(id));
  perFunction.set(key, (perFunction.get(key) ?? 0) + time);
}
const rows = [...perFunction].sort((a, b) => b[1] - a[1]);
const busy = rows.filter(([k]) => k !== "(idle)").reduce((s, [, t]) => s + t, 0);
const pct = (t, of) => ((100 * t) / (of || 1)).toFixed(1).padStart(5);
console.log(
  `  isolate busy ${pct(busy, total)}% of ${(total / 1e6).toFixed(1)} s sampled; self time by function (share of busy):`,
);
for (const [name, time] of rows.filter(([k]) => k !== "(idle)").slice(0, top)) {
  console.log(`  ${pct(time, busy)}%  ${name.slice(0, 140)}`);
}
