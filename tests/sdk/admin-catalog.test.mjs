// A product through the Medusa JS SDK's admin client (@medusajs/js-sdk, unchanged): a
// catalog member, invited as an operator invites (`seed invite`, passed by scripts/test
// as E2E_SDK_CATALOG_INVITE and E2E_SDK_CATALOG_EMAIL), creates a product with two
// options and four variants priced in every currency of the store with
// `sdk.admin.product.create`, publishes it, finds it through the store client, changes
// and removes a variant, then leaves it as a draft.
import { test } from "node:test";
import assert from "node:assert/strict";
import Medusa from "@medusajs/js-sdk";

const baseUrl = process.env.E2E_BASE_URL;
const invite = process.env.E2E_SDK_CATALOG_INVITE;
const email = process.env.E2E_SDK_CATALOG_EMAIL;
const PASSWORD = "sdk catalog passphrase";
const KEY = "pk_harborpine_demo_3f9a6c2e51b84d07";

test("a catalog member makes a product with options and variants through the admin SDK", { skip: !(baseUrl && invite && email) && "E2E_SDK_CATALOG_INVITE is not set: run scripts/test" }, async () => {
  const joined = await fetch(`${baseUrl}${new URL(invite).pathname}`, {
    method: "POST",
    body: new URLSearchParams({ name: "SDK Catalog", password: PASSWORD }),
    redirect: "manual",
  });
  assert.equal(joined.status, 303);
  const sdk = new Medusa({ baseUrl, auth: { type: "jwt", jwtTokenStorageMethod: "memory" } });
  await sdk.auth.login("user", "emailpass", { email, password: PASSWORD });

  // Every currency the store's regions sell in, from the store client.
  const store = new Medusa({ baseUrl, publishableKey: KEY });
  const { regions } = await store.store.region.list();
  const currencies = [...new Set(regions.map((r) => r.currency_code))];
  assert.ok(currencies.length >= 2, "the demo store sells in two currencies or more");
  const prices = (amount) => currencies.map((currency_code) => ({ currency_code, amount }));

  const n = Date.now() % 1_000_000;
  const variants = [];
  for (const size of ["S", "M"]) {
    for (const colour of ["Sand", "Slate"]) {
      variants.push({
        title: `${size} / ${colour}`,
        sku: `SDK${n}-${size}-${colour}`.toUpperCase(),
        options: { Size: size, Colour: colour },
        prices: prices(35),
      });
    }
  }
  const { product } = await sdk.admin.product.create({
    title: `SDK Deck Tee ${n}`,
    status: "published",
    options: [{ title: "Size", values: ["S", "M"] }, { title: "Colour", values: ["Sand", "Slate"] }],
    variants,
  });
  assert.match(product.id, /^prod_/);
  assert.equal(product.status, "published");
  assert.equal(product.options.length, 2);
  assert.equal(product.variants.length, 4);
  assert.equal(product.variants[3].options.map((o) => o.value).join(" / "), "M / Slate");
  assert.equal(product.variants[0].prices.length, currencies.length);

  // Two variants with the same values are refused, and the SDK says why.
  await assert.rejects(
    sdk.admin.product.createVariant(product.id, { title: "Twin", options: { Size: "S", Colour: "Sand" }, prices: prices(1) }),
    (err) => err.status === 409 && /already has those option values/.test(err.message),
  );

  // Shoppers' client finds it with its options and prices.
  const { products } = await store.store.product.list({ handle: product.handle, region_id: regions[0].id, fields: `s${n}` });
  assert.equal(products.length, 1);
  assert.equal(products[0].options.length, 2);
  assert.equal(products[0].variants.length, 4);
  assert.equal(products[0].variants[0].calculated_price.calculated_amount, 35);

  // A variant changed and one removed.
  const first = product.variants[0];
  const { product: changed } = await sdk.admin.product.updateVariant(product.id, first.id, { prices: prices(32.5), weight: 210 });
  const now = changed.variants.find((v) => v.id === first.id);
  assert.equal(now.weight, 210);
  assert.ok(now.prices.every((p) => p.amount === 32.5));
  const { variant } = await sdk.admin.product.retrieveVariant(product.id, first.id);
  assert.equal(variant.title, "S / Sand");
  const removed = await sdk.admin.product.deleteVariant(product.id, product.variants[3].id);
  assert.deepEqual([removed.object, removed.deleted, removed.parent.variants.length], ["variant", true, 3]);

  // Left as a draft, so the shared demo catalog stays as the other tests know it.
  const { product: draft } = await sdk.admin.product.update(product.id, { status: "draft" });
  assert.equal(draft.status, "draft");

  // A Shopify CSV through the SDK's import and confirmImport: checked first, then
  // written by the origin in the background (drafts, so shoppers do not see them).
  // Variant Price is in the store's currency (euros); each other currency has a column.
  const otherCurrencies = [...new Map(regions.filter((r) => r.currency_code !== "eur").map((r) => [r.currency_code, r.name])).values()];
  const header = ["Handle", "Title", "Published", "Variant SKU", "Variant Price", ...otherCurrencies.map((name) => `Price / ${name}`)];
  const line = (i) => [`sdk-csv-${n}-${i}`, `SDK CSV ${n} ${i}`, "FALSE", `SDKCSV${n}-${i}`, "12.00", ...otherCurrencies.map(() => "13.00")];
  const csv = [header, line(1), line(2)].map((r) => r.join(",")).join("\n") + "\n";
  const checked = await sdk.admin.product.import({ file: new File([csv], "sdk.csv", { type: "text/csv" }) });
  assert.deepEqual(checked.summary, { toCreate: 2, toUpdate: 0 }, JSON.stringify(checked));
  await sdk.admin.product.confirmImport(checked.transaction_id);
  let status;
  for (let i = 0; i < 100 && status !== "done"; i += 1) {
    ({ import: { status } } = await sdk.client.fetch(`/admin/products/imports/${checked.transaction_id}`));
    if (status !== "done") await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(status, "done");
  const { products: imported } = await sdk.admin.product.list({ q: `sdk-csv-${n}` });
  assert.equal(imported.length, 2);
});
