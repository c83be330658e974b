// The Worker's entry runtime (edge/js/runtime.mjs) against a fake glue module, in Node:
// handlers get (event, env, ctx); Durable Object methods reach the Rust object; after a
// trap, the next call resets the wasm instance and rebuilds the objects on it.
//
//   node --test tests/shim/*.test.mjs
//
// `cloudflare:workers` exists only in workerd: a module hook stands in for it here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { register } from "node:module";

register(
  "data:text/javascript," +
    encodeURIComponent(`
      export async function resolve(specifier, context, next) {
        if (specifier === "cloudflare:workers") {
          return {
            shortCircuit: true,
            url: "data:text/javascript,export class WorkerEntrypoint { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }",
          };
        }
        return next(specifier, context);
      }`),
);
globalThis.addEventListener ??= () => {};
const { entrypoint, durableObject } = await import("../../edge/js/runtime.mjs");

// A glue module as wasm-bindgen writes it, reduced to what the runtime uses.
const state = { criticalError: false, instanceId: 1 };
const calls = [];
let resets = 0;
class Cart {
  constructor(storage, env) {
    this.storage = storage;
    this.env = env;
    this.instance = state.instanceId;
  }
  free() {}
  async fetch(request) {
    if (request === "trap") {
      state.criticalError = true; // what the worker crate's panic hook does
      throw new WebAssembly.RuntimeError("unreachable");
    }
    return `${request} on instance ${this.instance}`;
  }
  alarm() {
    return "alarm";
  }
}
const glue = {
  __worker_init_state: () => state,
  __wbg_reset_state: () => {
    resets++;
    state.instanceId++; // the new instance's start function counts itself too
  },
  fetch(request, env, ctx) {
    calls.push({ request, env, ctx, self: this });
    return Promise.resolve(`fetched ${request}`);
  },
  scheduled(controller, env, ctx) {
    calls.push({ controller, env, ctx });
  },
  Cart,
};

test("handlers are methods of a WorkerEntrypoint taking (event, env, ctx)", async () => {
  const Entrypoint = entrypoint(glue, ["fetch", "scheduled"]);
  const worker = new Entrypoint("ctx", "env");
  assert.equal(await worker.fetch("req"), "fetched req");
  assert.deepEqual(calls.at(-1), { request: "req", env: "env", ctx: "ctx", self: worker });
  worker.scheduled("ctrl");
  assert.deepEqual(calls.at(-1), { controller: "ctrl", env: "env", ctx: "ctx" });
  assert.throws(() => entrypoint(glue, ["queue"]), /no function queue/);
});

test("a Durable Object forwards the Rust class's methods, not free()", async () => {
  const CartObject = durableObject(glue, "Cart");
  assert.equal(CartObject.name, "Cart");
  const cart = new CartObject("storage", "env");
  assert.equal(await cart.fetch("get"), "get on instance 1");
  assert.equal(cart.alarm(), "alarm");
  assert.equal(cart.free, undefined);
  assert.throws(() => durableObject(glue, "Missing"), /no class Missing/);
});

test("after a trap the next call resets the instance and rebuilds the object", async () => {
  const CartObject = durableObject(glue, "Cart");
  const cart = new CartObject("storage", "env");
  const before = state.instanceId;
  await assert.rejects(cart.fetch("trap"), WebAssembly.RuntimeError);
  assert.equal(state.criticalError, true);
  assert.equal(resets, 0);
  const answer = await cart.fetch("again");
  assert.equal(resets, 1);
  assert.equal(state.criticalError, false);
  assert.ok(state.instanceId > before);
  assert.equal(answer, `again on instance ${state.instanceId}`);
});
