// Stock through the Medusa JS SDK's admin client (@medusajs/js-sdk, unchanged): an
// inventory member, invited as an operator invites (`seed invite`, passed by
// scripts/test as E2E_SDK_ADMIN_INVITE and E2E_SDK_ADMIN_EMAIL), joins, signs in with
// `sdk.auth.login`, manages a stock location and restocks a variant with
// `sdk.admin.stockLocation` and `sdk.admin.inventoryItem`, then leaves both as found.
import { test } from "node:test";
import assert from "node:assert/strict";
import Medusa from "@medusajs/js-sdk";

const baseUrl = process.env.E2E_BASE_URL;
const invite = process.env.E2E_SDK_ADMIN_INVITE;
const email = process.env.E2E_SDK_ADMIN_EMAIL;
const PASSWORD = "sdk inventory passphrase";

test("an inventory member manages a location and restocks through the admin SDK", { skip: !(baseUrl && invite && email) && "E2E_SDK_ADMIN_INVITE is not set: run scripts/test" }, async () => {
  // Joining is the invitation page's form, as a person submits it.
  const joined = await fetch(`${baseUrl}${new URL(invite).pathname}`, {
    method: "POST",
    body: new URLSearchParams({ name: "SDK Member", password: PASSWORD }),
    redirect: "manual",
  });
  assert.equal(joined.status, 303);

  const sdk = new Medusa({ baseUrl, auth: { type: "jwt", jwtTokenStorageMethod: "memory" } });
  const token = await sdk.auth.login("user", "emailpass", { email, password: PASSWORD });
  assert.equal(typeof token, "string");

  // A location: made, renamed, read, listed, deleted.
  const name = `SDK back room ${Date.now() % 1_000_000}`;
  const { stock_location: made } = await sdk.admin.stockLocation.create({ name });
  assert.match(made.id, /^sloc_/);
  assert.equal(made.name, name);
  const { stock_location: renamed } = await sdk.admin.stockLocation.update(made.id, { name: `${name} B` });
  assert.equal(renamed.name, `${name} B`);
  const { stock_location: read } = await sdk.admin.stockLocation.retrieve(made.id);
  assert.equal(read.name, `${name} B`);
  const { stock_locations } = await sdk.admin.stockLocation.list();
  assert.equal(stock_locations.at(-1).id, made.id, "a new location is held from last");
  const deleted = await sdk.admin.stockLocation.delete(made.id);
  assert.deepEqual([deleted.id, deleted.object, deleted.deleted], [made.id, "stock_location", true]);

  // A variant from the Store API, restocked by two and set back.
  const store = new Medusa({ baseUrl, publishableKey: "pk_harborpine_demo_3f9a6c2e51b84d07" });
  const { products } = await store.store.product.list({ region_id: "reg_HPEU", limit: 1, order: "title" });
  const variant = products[0].variants[0].id;
  const { inventory_levels } = await sdk.admin.inventoryItem.listLevels(variant);
  const level = inventory_levels.find((l) => l.stocked_quantity > 0) ?? inventory_levels[0];
  const before = level.stocked_quantity;
  const { inventory_item } = await sdk.admin.inventoryItem.updateLevel(variant, level.location_id, {
    stocked_quantity: before + 2,
  });
  assert.equal(inventory_item.id, variant);
  const after = inventory_item.location_levels.find((l) => l.location_id === level.location_id);
  assert.equal(after.stocked_quantity, before + 2);
  assert.equal(after.available_quantity, after.stocked_quantity - after.reserved_quantity);
  // From the version read before the restock: refused, and the SDK says why.
  await assert.rejects(
    sdk.admin.inventoryItem.updateLevel(variant, level.location_id, { stocked_quantity: before, version: level.version }),
    (err) => err.status === 409 && /changed since this count was read/.test(err.message),
  );
  const { inventory_item: back } = await sdk.admin.inventoryItem.updateLevel(variant, level.location_id, {
    stocked_quantity: before,
  });
  assert.equal(back.location_levels.find((l) => l.location_id === level.location_id).stocked_quantity, before);
  const { inventory_item: item } = await sdk.admin.inventoryItem.retrieve(variant);
  assert.equal(item.id, variant);
});
