// The admin area in a real browser, forms only: an owner accepts the invitation an
// operator made (`seed invite`, passed as E2E_ADMIN_INVITE), lands on the dashboard,
// filters the orders, opens one, invites a fulfilment member who (in a browser of their
// own) joins, packs and ships it with a tracking number (the shopper's mailbox has it)
// and is refused a refund; the owner refunds part, and the ledger and the audit log
// show both. Then roles, a new draft product (and a taken handle), stock (a restock, a
// refused count, an alert, the locations), a purchase order of that variant (a draft, a
// refused line, placed, incoming on the stock page, more received than ordered after
// asking), API keys, sessions, sign-out, a refused password and signing in again, back
// to the page asked for. axe-core runs on every page.
//
//   E2E_BASE_URL=http://127.0.0.1:8787 E2E_ADMIN_INVITE=http://.../admin/invite/... \
//     node --test tests/browser/admin.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch, openPage, goto, submit, assertNoProblems, axe, screenshot } from "./lib/harness.mjs";

const DEMO_IMAGES = new URL("../../r2-assets/demo/products/", import.meta.url).pathname;

const invite = process.env.E2E_ADMIN_INVITE;
const PASSWORD = "browser owner passphrase";

let browser;
before(async () => {
  browser = await launch();
}, { timeout: 45_000 });
after(async () => {
  await browser?.close();
}, { timeout: 30_000 });

test("an owner joins, works the orders list, signs out and in again", { timeout: 120_000, skip: !invite && "E2E_ADMIN_INVITE is not set" }, async (t) => {
  const refusedCount = ["POST", /^\/admin\/stock\/variant_[^/]+\/sloc_[^/]+$/, 400];
  const takenHandle = ["POST", /^\/admin\/products\/prod_[0-9A-Z]+$/, 409];
  const refusedVariant = ["POST", /^\/admin\/products\/prod_[0-9A-Z]+\/variants\/variant_[0-9A-Z]+$/, 400];
  const valueAsksFirst = ["POST", /^\/admin\/products\/prod_[0-9A-Z]+\/options\/opt_[0-9A-Z]+$/, 409];
  const refusedSettings = [
    ["POST", /^\/admin\/stock-locations\/sloc_[0-9A-Za-z]+$/, 400],
    ["POST", "/admin/settings/hosts", 400],
    ["POST", "/admin/settings/synonyms", 400],
    ["POST", "/admin/regions", 409],
    ["POST", "/admin/shipping-options", 400],
  ];
  const backwardsRange = ["GET", "/admin/analytics", 400];
  const refusedWebhook = ["POST", "/admin/webhooks", 400];
  const purchaseOrder = [
    ["POST", /^\/admin\/purchase-orders\/po_[0-9A-Z]+\/lines$/, 400],
    ["POST", /^\/admin\/purchase-orders\/po_[0-9A-Z]+\/receive$/, 409],
  ];
  const expected = [["POST", "/admin/sign-in", 401], refusedCount, takenHandle, refusedVariant, valueAsksFirst, backwardsRange, refusedWebhook, ...refusedSettings, ...purchaseOrder];
  const { context, page, problems } = await openPage(browser, { expected });
  const found = [];
  try {
    const path = new URL(invite).pathname;
    await goto(page, path);
    await axe(page, "invitation", found, t);
    const email = (await page.locator(".lead").innerText()).match(/address (\S+)\./)[1];
    await page.getByLabel("Your name").fill("Browser Owner");
    await page.getByLabel("Choose a password").fill(PASSWORD);
    await submit(page, page.getByRole("button", { name: "Accept invitation" }), "/admin");
    await assert.doesNotReject(page.getByRole("heading", { name: "Dashboard" }).waitFor());
    await axe(page, "dashboard", found, t);
    await screenshot(page, "admin-dashboard.png");

    await Promise.all([page.waitForNavigation(), page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Orders", exact: true }).click()]);
    assert.equal(new URL(page.url()).pathname, "/admin/orders");
    await axe(page, "orders", found, t);
    await page.getByLabel("Status").selectOption("confirmed");
    await submit(page, page.getByRole("button", { name: "Filter" }), (u) => u.pathname === "/admin/orders" && u.searchParams.get("status") === "confirmed");
    assert.equal(await page.getByLabel("Status").inputValue(), "confirmed");
    await screenshot(page, "admin-orders.png");
    // One order, as staff see it (scripts/test has placed orders by now).
    const first = page.locator("table.admin-table tbody th a").first();
    assert.ok(await first.count(), "no confirmed order to open: place one first (scripts/test does)");
    const number = await first.innerText();
    await submit(page, first, (u) => u.pathname.startsWith("/admin/orders/order_"));
    await assert.doesNotReject(page.getByRole("heading", { name: `Order ${number}` }).waitFor());
    await axe(page, "order", found, t);
    await screenshot(page, "admin-order.png");
    const orderPath = new URL(page.url()).pathname;

    // The staff page: invite a fulfilment member; the link is shown to hand on.
    const nav = page.getByRole("navigation", { name: "Admin" });
    await Promise.all([page.waitForNavigation(), nav.getByRole("link", { name: "Staff" }).click()]);
    await axe(page, "staff", found, t);
    await page.getByLabel("E-mail address").fill(`packer-${Date.now()}@harbor-pine.test`);
    await page.getByLabel("Role", { exact: true }).selectOption("fulfilment");
    await submit(page, page.getByRole("button", { name: "Invite" }), "/admin/invites");
    await assert.doesNotReject(page.locator(".invite-link").waitFor());
    const packerLink = await page.locator(".invite-link").innerText();
    assert.match(packerLink, /\/admin\/invite\/[0-9A-Z]{52}$/);
    await axe(page, "staff, invitation made", found, t);
    await screenshot(page, "admin-staff.png");

    // The packer, in a browser of their own: joins, packs and ships the order with a
    // tracking number; the shopper is e-mailed; a refund is refused to them.
    const packer = await openPage(browser);
    try {
      const p = packer.page;
      await goto(p, new URL(packerLink).pathname);
      await p.getByLabel("Your name").fill("Browser Packer");
      await p.getByLabel("Choose a password").fill(PASSWORD);
      await submit(p, p.getByRole("button", { name: "Accept invitation" }), "/admin");
      await goto(p, orderPath);
      assert.equal(await p.locator("#refund-amount").count(), 0, "no refund form for fulfilment");
      await submit(p, p.getByRole("button", { name: "Pack", exact: true }), orderPath);
      await assert.doesNotReject(p.getByText("Waiting for the carrier").first().waitFor());
      await axe(p, "order, packed", found, t);
      await screenshot(p, "admin-order-packed.png");
      const tracking = `JD${Date.now() % 10_000_000_000}`;
      await p.getByLabel("Carrier").first().fill("DHL");
      await p.getByLabel("Tracking number").first().fill(tracking);
      await submit(p, p.getByRole("button", { name: "Mark shipped" }).first(), orderPath);
      await assert.doesNotReject(p.getByRole("link", { name: tracking }).first().waitFor());
      await axe(p, "order, shipped", found, t);
      const refused = await p.request.post(`${orderPath}/refund`, { form: { amount: "1.00", reason: "x", confirm: "yes" } });
      assert.equal(refused.status(), 403, "fulfilment cannot refund");
      if (process.env.E2E_ORIGIN_URL) {
        let mail = "";
        for (let i = 0; i < 50 && !mail.includes(tracking); i += 1) {
          mail = await (await fetch(`${process.env.E2E_ORIGIN_URL}/dev/mail`)).text();
          if (!mail.includes(tracking)) await new Promise((r) => setTimeout(r, 200));
        }
        assert.ok(mail.includes(tracking), "the shopper's shipping e-mail carries the tracking number");
      }
      assertNoProblems(packer.problems, "packer flow");
    } finally {
      await packer.context.close();
    }

    // The owner refunds part of it; the ledger and the audit log show both.
    await goto(page, orderPath);
    await page.getByLabel("Refund amount").fill("1.00");
    await page.getByLabel("Reason", { exact: true }).fill("Box arrived dented");
    await page.getByLabel("Yes, send this money back to the customer").check();
    await submit(page, page.getByRole("button", { name: "Refund" }), orderPath);
    await assert.doesNotReject(page.getByRole("cell", { name: "refund" }).first().waitFor());
    await axe(page, "order, refunded", found, t);
    await goto(page, `/admin/audit?target=${orderPath.split("/").pop()}`);
    for (const action of ["order.fulfill", "order.ship", "order.refund"]) {
      await assert.doesNotReject(page.getByRole("rowheader", { name: action }).first().waitFor(), action);
    }

    // Roles: define the store's own, then open it.
    await Promise.all([page.waitForNavigation(), nav.getByRole("link", { name: "Roles" }).click()]);
    await axe(page, "roles", found, t);
    const roleName = `Returns desk ${Date.now() % 100000}`;
    await page.getByLabel("Name").fill(roleName);
    await page.getByLabel("order:read", { exact: true }).check();
    await page.getByLabel("refund:write", { exact: true }).check();
    await submit(page, page.getByRole("button", { name: "Define role" }), "/admin/roles");
    await submit(page, page.getByRole("link", { name: roleName }), (u) => u.pathname.startsWith("/admin/roles/role_"));
    assert.ok(await page.getByLabel("refund:write", { exact: true }).isChecked());
    await axe(page, "role", found, t);
    await Promise.all([page.waitForNavigation(), nav.getByRole("link", { name: "Audit log" }).click()]);
    await assert.doesNotReject(page.getByRole("rowheader", { name: "staff.invite" }).first().waitFor());
    await axe(page, "audit log", found, t);
    // Products: a new draft, then a taken handle refused beside its field.
    await Promise.all([page.waitForNavigation(), nav.getByRole("link", { name: "Products" }).click()]);
    await axe(page, "products", found, t);
    await submit(page, page.getByRole("link", { name: "New product" }), "/admin/products/new");
    await axe(page, "new product", found, t);
    await page.getByLabel("Title", { exact: true }).fill(`Browser Blanket ${Date.now() % 1_000_000}`);
    await page.getByLabel("Description", { exact: true }).fill("Made in the browser test.");
    await submit(page, page.getByRole("button", { name: "Create the product" }), (u) => u.pathname.startsWith("/admin/products/prod_") && u.searchParams.get("saved") === "created");
    await assert.doesNotReject(page.getByText("Created as a draft.").waitFor());
    await axe(page, "product", found, t);
    await page.getByLabel(/^Handle/).fill("linen-camp-shirt");
    const taken = await submit(page, page.getByRole("button", { name: "Save the product" }), (u) => u.pathname.startsWith("/admin/products/prod_"));
    assert.equal(taken, 409);
    await assert.doesNotReject(page.getByText("is taken by another product").waitFor());
    assert.equal(await page.getByLabel(/^Handle/).inputValue(), "linen-camp-shirt", "the form keeps what was typed");
    await axe(page, "product, handle taken", found, t);
    // A variant, priced in every currency of the store's regions (one left empty first).
    await page.getByLabel("Variant title").fill("Oat");
    const priceFields = page.locator('input[name^="price."]');
    const currencies = await priceFields.count();
    assert.ok(currencies >= 1, "a price field per currency");
    for (let i = 1; i < currencies; i += 1) await priceFields.nth(i).fill("64.00");
    const productPath = new URL(page.url()).pathname;
    const addVariant = page.getByRole("button", { name: "Add the variant" });
    if (currencies > 1) {
      // The browser's own check stops an empty required field; the server's answer is
      // the same when the form is sent without one (tested over HTTP).
      assert.equal(await priceFields.first().evaluate((el) => el.validity.valueMissing), true);
    }
    await priceFields.first().fill("64.00");
    await submit(page, addVariant, (u) => u.pathname === productPath.replace(/\/variants$/, "") && u.searchParams.get("saved") === "variant");
    await assert.doesNotReject(page.getByRole("rowheader", { name: "Oat" }).waitFor());
    await axe(page, "product with a variant", found, t);
    // An option: the variant there takes its first value; the other one is made.
    await page.getByLabel("Option name").fill("Size");
    await page.getByLabel("Values", { exact: true }).fill("S, M");
    await submit(page, page.getByRole("button", { name: "Add the option" }), (u) => u.searchParams.get("saved") === "option");
    const generatePrices = page.locator('form[action$="/generate-variants"] input[name^="price."]');
    for (let i = 0; i < (await generatePrices.count()); i += 1) await generatePrices.nth(i).fill("66.00");
    await submit(page, page.getByRole("button", { name: "Make 1 variant" }), (u) => u.searchParams.get("saved") === "generated");
    await assert.doesNotReject(page.getByRole("rowheader", { name: "M" }).waitFor());
    await axe(page, "product with options", found, t);
    await screenshot(page, "admin-product.png");
    // The variant's own page keeps a refused weight beside its reason.
    await submit(page, page.getByRole("link", { name: "M", exact: true }), (u) => u.pathname.includes("/variants/variant_"));
    await axe(page, "variant", found, t);
    await page.getByLabel(/^Weight/).fill("heavy");
    const weighed = await submit(page, page.getByRole("button", { name: "Save the variant" }), (u) => u.pathname.includes("/variants/variant_"));
    assert.equal(weighed, 400);
    await assert.doesNotReject(page.getByText("whole grams").waitFor());
    assert.equal(await page.getByLabel(/^Weight/).inputValue(), "heavy");
    await axe(page, "variant, refused", found, t);
    // Emptying the value M asks first and names the variant that would go.
    await submit(page, page.getByRole("link", { name: /^Browser Blanket/ }), (u) => u.pathname.startsWith("/admin/products/prod_"));
    await page.getByLabel("Value 2").fill("");
    const asked = await submit(page, page.getByRole("button", { name: "Save Size" }), (u) => u.pathname.includes("/options/opt_"));
    assert.equal(asked, 409);
    await assert.doesNotReject(page.getByText("Saving removes these variants").waitFor());
    await axe(page, "option, asks first", found, t);
    // An image, uploaded from the page: shown with its alt text, first, so the list image.
    const pngs = readdirSync(DEMO_IMAGES).filter((f) => f.endsWith(".png")).sort();
    await page.getByLabel("Image file").setInputFiles(join(DEMO_IMAGES, pngs[0]));
    await page.getByLabel("Alt text", { exact: true }).fill("Blanket, folded");
    await submit(page, page.getByRole("button", { name: "Upload the image" }), (u) => u.searchParams.get("saved") === "image");
    // Below the product's fields: brought into view, as a reader would, so that the
    // lazily loaded image loads.
    await page.getByRole("img", { name: "Blanket, folded" }).evaluate((img) => img.scrollIntoView());
    await assert.doesNotReject(page.getByRole("img", { name: "Blanket, folded" }).waitFor());
    assert.ok(await page.getByRole("img", { name: "Blanket, folded" }).evaluate((img) => img.complete && img.naturalWidth > 0), "the image is served");
    await axe(page, "product with an image", found, t);
    await screenshot(page, "admin-product-image.png");
    // An import: a Shopify CSV checked (one broken row shown by row and column), then
    // confirmed and written in the background.
    await goto(page, "/admin/products/import");
    await axe(page, "import", found, t);
    const stamp = Date.now() % 1_000_000;
    const csvPath = join(tmpdir(), `browser-import-${stamp}.csv`);
    writeFileSync(csvPath, [
      "Handle,Title,Published,Variant SKU,Variant Price",
      `browser-csv-${stamp},Browser CSV ${stamp},FALSE,BCSV-${stamp},12.00`,
      `browser-csv-${stamp}-b,Browser CSV ${stamp} B,FALSE,BCSV-${stamp}-B,twelve`,
    ].join("\n") + "\n");
    await page.getByLabel("Product CSV").setInputFiles(csvPath);
    await submit(page, page.getByRole("button", { name: "Check the file" }), (u) => u.pathname.startsWith("/admin/products/imports/cimp_"));
    await assert.doesNotReject(page.getByRole("cell", { name: "Variant Price" }).first().waitFor());
    await axe(page, "import, checked", found, t);
    await submit(page, page.getByRole("button", { name: /^Import \d+ products$/ }), (u) => u.pathname.startsWith("/admin/products/imports/cimp_"));
    await axe(page, "import, confirmed", found, t);
    // Attributes: one defined from its page, its value set on the product's page, then
    // deleted with the box that names the value it takes along.
    await goto(page, "/admin/product-attributes");
    await page.getByLabel(/^Name/).fill(`Browser Weave ${stamp}`);
    await page.getByLabel("Kind of value").selectOption("choice");
    await page.getByLabel(/^Choices/).fill("Plain\nTwill");
    await page.getByLabel(/^Shoppers can filter/).check();
    await submit(page, page.getByRole("button", { name: "Add the attribute" }), (u) => u.searchParams.get("saved") === "created");
    await axe(page, "attributes", found, t);
    await submit(page, page.getByRole("link", { name: `Browser Weave ${stamp}` }), (u) => u.pathname.startsWith("/admin/product-attributes/pattr_"));
    await axe(page, "attribute", found, t);
    const attributePath = new URL(page.url()).pathname;
    await goto(page, productPath);
    await page.getByLabel(`Browser Weave ${stamp}`).selectOption("Twill");
    await submit(page, page.getByRole("button", { name: "Save attributes" }), (u) => u.searchParams.get("saved") === "attributes");
    assert.equal(await page.getByLabel(`Browser Weave ${stamp}`).inputValue(), "Twill");
    await axe(page, "product with attributes", found, t);
    await goto(page, attributePath);
    await page.getByLabel(/and its value on 1 product$/).check();
    await submit(page, page.getByRole("button", { name: "Delete" }), (u) => u.searchParams.get("saved") === "deleted");
    // Categories and collections: one of each added from their pages, then removed.
    await goto(page, "/admin/product-categories");
    await page.getByLabel("Name", { exact: true }).fill(`Browser Shelf ${stamp}`);
    await submit(page, page.getByRole("button", { name: "Add the category" }), (u) => u.searchParams.get("saved") === "created");
    await axe(page, "categories", found, t);
    await submit(page, page.getByRole("link", { name: `Browser Shelf ${stamp}` }), (u) => u.pathname.startsWith("/admin/product-categories/pcat_"));
    await axe(page, "category", found, t);
    await page.getByLabel(/^Delete Browser Shelf/).check();
    await submit(page, page.getByRole("button", { name: "Delete" }), (u) => u.searchParams.get("saved") === "deleted");
    await goto(page, "/admin/collections");
    await page.getByLabel("Title", { exact: true }).fill(`Browser Edit ${stamp}`);
    await submit(page, page.getByRole("button", { name: "Add the collection" }), (u) => u.searchParams.get("saved") === "created");
    await axe(page, "collections", found, t);
    await submit(page, page.getByRole("link", { name: `Browser Edit ${stamp}` }), (u) => u.pathname.startsWith("/admin/collections/pcol_"));
    await axe(page, "collection", found, t);
    await page.getByLabel(/^Delete Browser Edit/).check();
    await submit(page, page.getByRole("button", { name: "Delete" }), (u) => u.searchParams.get("saved") === "deleted");

    // Analytics: the last 30 days as charts, each with its description and figures.
    await Promise.all([page.waitForNavigation(), nav.getByRole("link", { name: "Analytics" }).click()]);
    await assert.doesNotReject(page.getByRole("img", { name: /^Orders per day/ }).waitFor());
    await axe(page, "analytics", found, t);
    await page.getByLabel("From", { exact: true }).fill("2030-01-02");
    await page.getByLabel(/^To \(included/).fill("2030-01-01");
    const backwards = await submit(page, page.getByRole("button", { name: "Show" }), (u) => u.pathname === "/admin/analytics");
    assert.equal(backwards, 400);
    await assert.doesNotReject(page.getByText("the range ends before it begins").waitFor());
    await axe(page, "analytics, refused range", found, t);
    await screenshot(page, "admin-analytics.png");
    // Stock: find a variant, restock it by three, and see a refused count kept beside
    // its reason.
    await Promise.all([page.waitForNavigation(), nav.getByRole("link", { name: "Stock" }).click()]);
    await axe(page, "stock", found, t);
    await page.getByLabel("SKU or title").fill("linen camp");
    await submit(page, page.getByRole("button", { name: "Find" }), (u) => u.pathname === "/admin/stock" && u.searchParams.get("q") === "linen camp");
    const stockLink = page.locator("table.admin-table tbody th a").first();
    assert.ok(await stockLink.count(), "the demo store has a linen camp shirt");
    await submit(page, stockLink, (u) => u.pathname.startsWith("/admin/stock/variant_"));
    await axe(page, "stock of a variant", found, t);
    const variantPath = new URL(page.url()).pathname;
    const sku = await page.locator("main p code").first().innerText();
    const save = page.getByRole("button", { name: /^Save the count at/ }).first();
    await page.getByLabel("Add the quantity (a negative one takes away)").first().check();
    await page.getByLabel("Quantity", { exact: true }).first().fill("3");
    await page.getByLabel("Reason", { exact: true }).first().selectOption("received");
    await page.getByLabel("Note (optional)").first().fill("Browser restock");
    await submit(page, save, (u) => u.pathname === variantPath && u.searchParams.has("saved"));
    await assert.doesNotReject(page.getByText(/^Saved: the count at/).waitFor());
    await assert.doesNotReject(page.getByRole("cell", { name: "Browser restock" }).first().waitFor());
    await axe(page, "stock, saved", found, t);
    await screenshot(page, "admin-stock.png");
    await page.getByLabel("Quantity", { exact: true }).first().fill("-1");
    const refused = await submit(page, save, (u) => u.pathname.startsWith(`${variantPath}/sloc_`));
    assert.equal(refused, 400);
    await assert.doesNotReject(page.getByText("must be 0 or more").waitFor());
    assert.equal(await page.getByLabel("Quantity", { exact: true }).first().inputValue(), "-1");
    await axe(page, "stock, refused", found, t);
    await page.getByLabel("Alert at or under this many available").fill("2");
    await submit(page, page.getByRole("button", { name: "Save the alert" }), (u) => u.pathname === variantPath && u.searchParams.get("saved") === "alert");
    await assert.doesNotReject(page.getByText("Saved: the alert is at or under 2 available.").waitFor());
    await axe(page, "stock, alert saved", found, t);
    await submit(page, page.getByRole("link", { name: "All stock" }), "/admin/stock");
    await submit(page, page.getByRole("link", { name: "Stock locations" }), "/admin/stock-locations");
    await assert.doesNotReject(page.getByRole("heading", { name: "Stock locations" }).waitFor());
    await axe(page, "stock locations", found, t);
    // A location's page: half an address is refused beside its fields, kept as typed.
    await submit(page, page.locator("table.admin-table tbody th a").first(), (u) => u.pathname.startsWith("/admin/stock-locations/sloc_"));
    await axe(page, "stock location", found, t);
    await page.getByLabel("Street and number").fill("Browser Street 1");
    await page.getByLabel("City").fill("");
    await page.getByLabel("Country").fill("");
    assert.equal(await submit(page, page.getByRole("button", { name: "Save the location" }), (u) => u.pathname.startsWith("/admin/stock-locations/sloc_")), 400);
    await assert.doesNotReject(page.getByText("Type the city.").waitFor());
    assert.equal(await page.getByLabel("Street and number").inputValue(), "Browser Street 1");
    await axe(page, "stock location, refused", found, t);
    // A purchase order of the restocked variant: a draft, a line by its SKU (an unknown
    // one refused beside its field), placed after ticking the box, incoming on the
    // stock page, then a delivery of more than was ordered, received after asking.
    await Promise.all([page.waitForNavigation(), nav.getByRole("link", { name: "Purchase orders" }).click()]);
    await assert.doesNotReject(page.getByRole("heading", { name: "Purchase orders" }).waitFor());
    await axe(page, "purchase orders", found, t);
    await page.getByLabel("Supplier", { exact: true }).fill("Browser Linen Mill");
    await page.getByLabel("Expected on (optional)").fill("2027-03-31");
    await submit(page, page.getByRole("button", { name: "Start the draft" }), (u) => u.pathname.startsWith("/admin/purchase-orders/po_") && u.searchParams.get("saved") === "created");
    const poPath = new URL(page.url()).pathname;
    await axe(page, "purchase order, draft", found, t);
    await page.getByLabel("SKU", { exact: true }).fill("NO-SUCH-SKU");
    await page.getByLabel("Quantity", { exact: true }).fill("2");
    await page.getByLabel(/^Unit cost/).fill("4.50");
    assert.equal(await submit(page, page.getByRole("button", { name: "Add the line" }), `${poPath}/lines`), 400);
    await assert.doesNotReject(page.getByText("no variant with the SKU NO-SUCH-SKU").waitFor());
    assert.equal(await page.getByLabel("Unit cost", { exact: false }).inputValue(), "4.50");
    await axe(page, "purchase order, line refused", found, t);
    await page.getByLabel("SKU", { exact: true }).fill(sku);
    await submit(page, page.getByRole("button", { name: "Add the line" }), (u) => u.pathname === poPath && u.searchParams.get("saved") === "line");
    await page.getByLabel(/^Yes, place PO-/).check();
    await submit(page, page.getByRole("button", { name: "Place the order" }), (u) => u.searchParams.get("saved") === "placed");
    await assert.doesNotReject(page.getByText("Status: Placed").waitFor());
    await axe(page, "purchase order, placed", found, t);
    await screenshot(page, "admin-purchase-order.png");
    await goto(page, variantPath);
    await assert.doesNotReject(page.getByText(/^Incoming: \d+ on placed purchase orders/).waitFor());
    await axe(page, "stock of a variant, incoming", found, t);
    await goto(page, poPath);
    await page.getByLabel(new RegExp(`\\(${sku}\\)`)).fill("5");
    assert.equal(await submit(page, page.getByRole("button", { name: "Receive the delivery" }), `${poPath}/receive`), 409);
    await assert.doesNotReject(page.getByText(/Confirm to receive them anyway/).waitFor());
    assert.equal(await page.getByLabel(new RegExp(`\\(${sku}\\)`)).inputValue(), "5");
    await axe(page, "purchase order, over-receipt asked", found, t);
    await page.getByLabel("Yes, receive more than was ordered").check();
    await submit(page, page.getByRole("button", { name: "Receive the delivery" }), (u) => u.pathname === poPath && u.searchParams.get("saved") === "received");
    await assert.doesNotReject(page.getByText("Status: Received").waitFor());
    await assert.doesNotReject(page.getByRole("cell", { name: `5 × ${sku}` }).waitFor());
    await axe(page, "purchase order, received", found, t);
    // Settings, regions and a region's shipping options: refusals only, the demo shop
    // stays as it is for the other tests.
    await Promise.all([page.waitForNavigation(), nav.getByRole("link", { name: "Settings" }).click()]);
    await assert.doesNotReject(page.getByRole("heading", { name: "Store settings" }).waitFor());
    await axe(page, "settings", found, t);
    await page.getByLabel("Hostname", { exact: true }).fill("shop.example.com:8443");
    assert.equal(await submit(page, page.getByRole("button", { name: "Add the hostname" }), "/admin/settings/hosts"), 400);
    await assert.doesNotReject(page.getByText("without a port").waitFor());
    await axe(page, "settings, hostname refused", found, t);
    await page.getByLabel("Groups, one per line, terms separated by commas").fill("hoodie");
    assert.equal(await submit(page, page.getByRole("button", { name: "Save the synonyms" }), "/admin/settings/synonyms"), 400);
    await assert.doesNotReject(page.getByText("Line 1: a group needs at least two different terms").waitFor());
    await axe(page, "settings, synonyms refused", found, t);
    await submit(page, page.getByRole("link", { name: "Regions, tax rates and shipping" }), "/admin/regions");
    await axe(page, "regions", found, t);
    await page.getByLabel("Name", { exact: true }).fill("Browser Region");
    await page.getByLabel("Currency", { exact: true }).fill("eur");
    await page.getByLabel("Countries", { exact: true }).fill("de");
    assert.equal(await submit(page, page.getByRole("button", { name: "Add the region" }), "/admin/regions"), 409);
    await assert.doesNotReject(page.getByText(/Germany \(de\) is served by the region/).waitFor());
    await axe(page, "regions, country taken", found, t);
    await submit(page, page.getByRole("link", { name: "United Kingdom" }), (u) => u.pathname.startsWith("/admin/regions/reg_"));
    await axe(page, "region", found, t);
    const addOption = page.getByRole("form", { name: "Add a shipping option" });
    await addOption.getByLabel("Free once the items reach a threshold").check();
    await addOption.getByLabel("Amount", { exact: true }).fill("3.95");
    assert.equal(await submit(page, page.getByRole("button", { name: "Add the shipping option" }), "/admin/shipping-options"), 400);
    await assert.doesNotReject(page.getByText("Give the shipping option a name").waitFor());
    assert.equal(await addOption.getByLabel("Amount", { exact: true }).inputValue(), "3.95");
    await axe(page, "region, shipping option refused", found, t);
    // API keys: make one (shown once), then revoke it after ticking the box.
    await Promise.all([page.waitForNavigation(), nav.getByRole("link", { name: "API keys" }).click()]);
    await axe(page, "API keys", found, t);
    await page.getByLabel("Title").fill("Browser test export");
    await page.getByLabel("Role", { exact: true }).selectOption("analyst");
    await submit(page, page.getByRole("button", { name: "Make key" }), "/admin/api-keys");
    assert.match(await page.locator(".invite-link").innerText(), /^sk_[0-9A-Za-z]{52}$/);
    await axe(page, "API keys, key made", found, t);
    await page.getByLabel(/Revoke “Browser test export”/).first().check();
    await submit(page, page.getByRole("button", { name: "Revoke" }).first(), "/admin/api-keys");
    const revoked = page.getByRole("row").filter({ hasText: "Browser test export" }).first();
    assert.match(await revoked.innerText(), /Revoked \d{4}-\d\d-\d\d/);
    // Webhooks: a refused endpoint (no topic) comes back as typed; one added shows its
    // secret once; paused, its secret rotated (ticked first), then deleted.
    await Promise.all([page.waitForNavigation(), nav.getByRole("link", { name: "Webhooks" }).click()]);
    await axe(page, "webhooks", found, t);
    const hookUrl = `http://127.0.0.1:9/browser-hook-${stamp}`;
    await page.getByLabel(/^URL/).fill(hookUrl);
    assert.equal(await submit(page, page.getByRole("button", { name: "Add endpoint" }), "/admin/webhooks"), 400);
    await assert.doesNotReject(page.getByText("Choose at least one topic to deliver.").waitFor());
    assert.equal(await page.getByLabel(/^URL/).inputValue(), hookUrl);
    await axe(page, "webhooks, refused", found, t);
    await page.getByLabel("order.created", { exact: true }).check();
    await submit(page, page.getByRole("button", { name: "Add endpoint" }), "/admin/webhooks");
    assert.match(await page.locator(".invite-link").innerText(), /^whsec_[A-Za-z0-9+/]{43}=$/);
    await axe(page, "webhooks, endpoint added", found, t);
    await submit(page, page.getByRole("link", { name: hookUrl }), (u) => u.pathname.startsWith("/admin/webhooks/whep_"));
    await axe(page, "webhook", found, t);
    const hookPath = new URL(page.url()).pathname;
    await submit(page, page.getByRole("button", { name: /^Pause deliveries/ }), hookPath);
    await assert.doesNotReject(page.getByText("Paused", { exact: true }).waitFor());
    await page.getByLabel(/^Make a new secret/).check();
    await submit(page, page.getByRole("button", { name: "Rotate secret" }), `${hookPath}/rotate-secret`);
    assert.match(await page.locator(".invite-link").innerText(), /^whsec_/);
    await axe(page, "webhook, secret rotated", found, t);
    await page.getByLabel(/^Delete this endpoint/).check();
    await submit(page, page.getByRole("button", { name: "Delete" }), "/admin/webhooks");
    assert.equal(await page.getByRole("link", { name: hookUrl }).count(), 0);
    await Promise.all([page.waitForNavigation(), nav.getByRole("link", { name: "Your sessions" }).click()]);
    await assert.doesNotReject(page.getByText("(this one)").waitFor());
    await axe(page, "sessions", found, t);

    await submit(page, page.getByRole("button", { name: "Sign out" }), "/admin/sign-in");
    await assert.doesNotReject(page.getByText("You are signed out.").waitFor());
    await axe(page, "sign-in", found, t);
    await submit(page, page.getByRole("link", { name: "Forgot your password?" }), "/admin/forgot");
    await axe(page, "forgotten password", found, t);
    await page.getByLabel("E-mail address").fill(email);
    await submit(page, page.getByRole("button", { name: "Send the link" }), "/admin/forgot");
    await assert.doesNotReject(page.getByText("If an account uses that address").waitFor());
    await axe(page, "forgotten password, sent", found, t);
    // Signed out means signed out: the orders page asks to sign in, and comes back.
    await page.goto("/admin/orders?status=confirmed");
    assert.equal(new URL(page.url()).pathname, "/admin/sign-in");

    await page.getByLabel("E-mail address").fill(email);
    await page.getByLabel("Password").fill("not the passphrase");
    const status = await submit(page, page.getByRole("button", { name: "Sign in" }), "/admin/sign-in");
    assert.equal(status, 401);
    await assert.doesNotReject(page.getByRole("alert").waitFor());
    assert.equal(await page.getByLabel("E-mail address").inputValue(), email, "the address is kept");
    await axe(page, "sign-in refused", found, t);

    await page.getByLabel("Password").fill(PASSWORD);
    await submit(page, page.getByRole("button", { name: "Sign in" }), (u) => u.pathname === "/admin/orders" && u.searchParams.get("status") === "confirmed");
    assertNoProblems(problems, "admin flow");
  } finally {
    await context.close();
  }
  assert.deepEqual(found, [], found.join("\n"));
});
