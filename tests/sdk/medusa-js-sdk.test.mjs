// The Store API through the Medusa JS SDK (@medusajs/js-sdk), unchanged: proof that a
// client written for Medusa v2 works against this store. Run by scripts/test with
// `node --test` against the wrangler dev stack (E2E_BASE_URL).
import { test } from "node:test";
import assert from "node:assert/strict";
import Medusa from "@medusajs/js-sdk";

const baseUrl = process.env.E2E_BASE_URL;
assert.ok(baseUrl, "E2E_BASE_URL is not set: run scripts/test");

const harbor = new Medusa({ baseUrl, publishableKey: "pk_harborpine_demo_3f9a6c2e51b84d07" });
const lumen = new Medusa({ baseUrl, publishableKey: "pk_lumenhome_demo_8b1e47d2c0a95f36" });

test("regions list and retrieve", async () => {
  const { regions, count } = await harbor.store.region.list();
  assert.equal(count, 3);
  const gb = regions.find((r) => r.currency_code === "gbp");
  assert.ok(gb, "a gbp region");
  const { region } = await harbor.store.region.retrieve(gb.id);
  assert.equal(region.name, "United Kingdom");
  assert.ok(region.countries.some((c) => c.iso_2 === "gb"));
});

test("products list with calculated prices, as a Medusa storefront asks", async () => {
  const { products, count, limit, offset } = await harbor.store.product.list({
    region_id: "reg_HPEU",
    limit: 12,
    offset: 0,
    fields: "*variants.calculated_price,+variants.inventory_quantity",
  });
  assert.ok(count >= 60);
  assert.equal(limit, 12);
  assert.equal(offset, 0);
  assert.equal(products.length, 12);
  for (const p of products) {
    assert.match(p.id, /^prod_/);
    assert.ok(p.thumbnail.includes("/images/"));
    for (const v of p.variants) {
      assert.equal(v.calculated_price.currency_code, "eur");
      assert.equal(typeof v.calculated_price.calculated_amount, "number");
      assert.ok(v.calculated_price.calculated_amount > 1, "major units");
      assert.equal(typeof v.inventory_quantity, "number");
    }
  }
});

test("product retrieve, filters and array parameters", async () => {
  const { products } = await harbor.store.product.list({ handle: "linen-camp-shirt" });
  assert.equal(products.length, 1);
  const { product } = await harbor.store.product.retrieve(products[0].id, { region_id: "reg_HPUS" });
  assert.equal(product.title, "Linen Camp Shirt");
  assert.ok(product.options.length >= 1);
  assert.equal(product.variants[0].calculated_price.currency_code, "usd");

  const ids = (await harbor.store.product.list({ limit: 3 })).products.map((p) => p.id);
  const byIds = await harbor.store.product.list({ id: ids });
  assert.deepEqual(byIds.products.map((p) => p.id).sort(), [...ids].sort());

  const shirts = await harbor.store.product.list({ category_id: ["pcat_HPSHIRTS"], limit: 50 });
  assert.ok(shirts.products.every((p) => p.categories.some((c) => c.id === "pcat_HPSHIRTS")));
});

test("categories and collections", async () => {
  const { product_categories } = await harbor.store.category.list({ parent_category_id: "null" });
  assert.deepEqual(product_categories.map((c) => c.handle), ["clothing", "accessories", "footwear"]);
  const { product_category } = await harbor.store.category.retrieve("pcat_HPCLOTHING");
  assert.equal(product_category.category_children.length, 4);
  const { collections } = await harbor.store.collection.list({ handle: ["the-linen-edit"] });
  assert.equal(collections[0].title, "The Linen Edit");
});

test("errors reach the SDK as FetchError with Medusa's status and message", async () => {
  await assert.rejects(harbor.store.product.retrieve("prod_DOESNOTEXIST"), (err) => {
    assert.equal(err.status, 404);
    assert.match(err.message, /prod_DOESNOTEXIST/);
    return true;
  });
  await assert.rejects(lumen.store.product.retrieve("prod_HP0001"), (err) => err.status === 404);
  await assert.rejects(harbor.store.product.list({ limit: -1 }), (err) => {
    assert.equal(err.status, 400);
    assert.match(err.message, /limit/);
    return true;
  });
});

test("a cart through the SDK: create, add, update, ship, remove", async () => {
  const { products } = await harbor.store.product.list({ region_id: "reg_HPEU", limit: 50 });
  const variant = products
    .flatMap((p) => p.variants)
    .find((v) => v.manage_inventory && !v.allow_backorder && v.inventory_quantity >= 5);
  assert.ok(variant, "a variant with stock");

  const { cart } = await harbor.store.cart.create({ region_id: "reg_HPEU" });
  assert.equal(cart.currency_code, "eur");
  const added = await harbor.store.cart.createLineItem(cart.id, { variant_id: variant.id, quantity: 2 });
  assert.equal(added.cart.items.length, 1);
  assert.equal(added.cart.items[0].quantity, 2);
  assert.equal(added.cart.items[0].unit_price, variant.calculated_price.calculated_amount);
  const line = added.cart.items[0];

  const updated = await harbor.store.cart.updateLineItem(cart.id, line.id, { quantity: 3 });
  assert.equal(updated.cart.items[0].quantity, 3);

  const { shipping_options } = await harbor.store.fulfillment.listCartOptions({ cart_id: cart.id });
  assert.ok(shipping_options.length >= 2);
  const shipped = await harbor.store.cart.addShippingMethod(cart.id, { option_id: shipping_options[0].id });
  assert.equal(shipped.cart.shipping_methods.length, 1);
  assert.ok(Math.abs(shipped.cart.total - (shipped.cart.item_total + shipped.cart.shipping_total)) < 1e-9);

  const withEmail = await harbor.store.cart.update(cart.id, { email: "sdk@example.com" });
  assert.equal(withEmail.cart.email, "sdk@example.com");

  const removed = await harbor.store.cart.deleteLineItem(cart.id, line.id);
  assert.equal(removed.deleted, true);
  assert.equal(removed.parent.items.length, 0);

  await assert.rejects(lumen.store.cart.retrieve(cart.id), (err) => err.status === 404);
});
