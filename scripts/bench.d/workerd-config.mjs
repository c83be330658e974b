// Turns the workerd config Miniflare generates for `wrangler dev` (dumped as JSON when
// MINIFLARE_WORKERD_CONFIG_DEBUG=<file> is set) into a binary config that
// `workerd serve --binary --experimental` runs on its own, without wrangler or Node:
//
//   * one socket, `bench`, at LISTEN (host:port; `workerd serve --socket-addr=bench=...`
//     overrides it), straight to the user Worker. Miniflare's entry Worker (core:entry:
//     routing, pretty errors, request logging through Node) is dropped;
//   * the Workers' streaming tails to Miniflare's observability collector (the local
//     stand-in for Workers Logs, enabled by [observability]) are dropped;
//   * only services the Worker can reach are kept (its bindings: Hyperdrive as a plain
//     TCP service, R2 and the queue with their Miniflare storage Workers, the cache);
//   * Hyperdrive's TCP service points at HYPERDRIVE (host:port of PgBouncer or PostgreSQL);
//   * the `loopback` service (Miniflare's Node server, absent here) points at LOOPBACK,
//     an address nobody listens on: nothing on the measured routes calls it;
//   * what JSON.stringify lost is restored: Buffers (the wasm module) become bytes again,
//     and capnp Void members (kVoid, a Symbol) come back where Miniflare puts them.
//
// Usage: node workerd-config.mjs DUMP.json OUT.bin LISTEN LOOPBACK HYPERDRIVE WORKER_NAME ROOT
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const [dumpPath, outPath, listen, loopback, hyperdrive, workerName, root] = process.argv.slice(2);
if (!root) {
  console.error("usage: workerd-config.mjs DUMP.json OUT.bin LISTEN LOOPBACK HYPERDRIVE WORKER_NAME ROOT");
  process.exit(2);
}
delete process.env.MINIFLARE_WORKERD_CONFIG_DEBUG; // serializeConfig would rewrite the dump
const { serializeConfig, kVoid } = createRequire(`${root}/package.json`)("miniflare");

const config = JSON.parse(readFileSync(dumpPath, "utf8"), (_key, value) =>
  value && value.type === "Buffer" && Array.isArray(value.data) ? Uint8Array.from(value.data) : value,
);

const byName = new Map(config.services.map((s) => [s.name, s]));
const userName = `core:user:${workerName}`;
const user = byName.get(userName)?.worker;
if (!user) throw new Error(`no service ${userName} in ${dumpPath}`);
// The user Worker and the Workers it binds (the GraphQL Worker, by its service binding).
for (const { worker } of config.services) {
  if (!worker) continue;
  delete worker.tails;
  delete worker.streamingTails;
  delete worker.containerEngine;
}

// Services reachable from the user Worker: any string in a Worker's config (module
// sources aside) that names a service is a reference to it.
const keep = new Set();
const visit = (name) => {
  if (keep.has(name) || !byName.has(name)) return;
  keep.add(name);
  const walk = (value) => {
    if (typeof value === "string") visit(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object" && !(value instanceof Uint8Array)) {
      for (const [k, v] of Object.entries(value)) if (k !== "modules") walk(v);
    }
  };
  walk(byName.get(name));
};
visit(userName);
config.services = config.services.filter((s) => keep.has(s.name));

for (const { name, worker, external } of config.services) {
  if (name === "loopback" && external) external.address = loopback;
  if (name.startsWith("hyperdrive:") && external?.tcp) external.address = hyperdrive;
  if (!worker) continue;
  // { inMemory: kVoid } and ephemeralLocal: kVoid serialise to nothing in JSON.
  if (worker.durableObjectStorage && Object.keys(worker.durableObjectStorage).length === 0) {
    worker.durableObjectStorage = { inMemory: kVoid };
  }
  for (const ns of worker.durableObjectNamespaces ?? []) {
    if (ns.uniqueKey === undefined && ns.ephemeralLocal === undefined) ns.ephemeralLocal = kVoid;
  }
  for (const binding of worker.bindings ?? []) {
    if (binding.name === "DEV_REGISTRY_DEBUG_PORT" && Object.keys(binding).length === 1) {
      binding.workerdDebugPort = kVoid; // the queue broker's proxy Worker holds one
    }
    if (Object.keys(binding).length === 1) {
      throw new Error(`binding ${binding.name} of ${name} lost its (Void) type in the JSON dump`);
    }
  }
}

config.sockets = [{ name: "bench", address: listen, http: {}, service: { name: userName } }];
writeFileSync(outPath, serializeConfig(config));
console.log(`services kept: ${[...keep].join(", ")}`);
