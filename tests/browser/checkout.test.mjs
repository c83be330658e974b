// Checkout in a real browser: headless Debian Chromium driven by playwright-core against
// the wrangler dev stack (E2E_BASE_URL), forms only (the pages need no script). From a
// product page to the cart, the three checkout steps, a declined card (the message in
// place, the cart intact), a card that asks the bank, the bank's approval, the order
// confirmation, and the order found again with /orders/lookup. axe-core runs on every
// step and on the order and lookup pages; no console errors or failed requests.
// Full-page screenshots go to SCREENSHOT_DIR (default .local/screenshots).
//
//   E2E_BASE_URL=http://127.0.0.1:8787 node --test tests/browser/checkout.test.mjs
//
// With E2E_ORIGIN_URL (scripts/test sets it) the confirmation e-mail is looked for in
// the origin's local mailbox too. Places one real order (one unit of stock).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const baseUrl = process.env.E2E_BASE_URL?.replace(/\/+$/, "");
assert.ok(baseUrl, "E2E_BASE_URL is not set (e.g. http://127.0.0.1:8787): run scripts/test, or export it");
const originUrl = process.env.E2E_ORIGIN_URL?.replace(/\/+$/, "");

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SCREENSHOT_DIR = resolve(process.env.SCREENSHOT_DIR || join(ROOT, ".local/screenshots"));
const AXE_PATH = join(ROOT, "node_modules/axe-core/axe.min.js");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

const CATALOG = "/products";
const REGION_LABEL = "Europe (EUR)";
const COUNTRY = "de";
const CARD_DECLINED = "4000 0000 0000 0002";
const CARD_BANK = "4000 0025 0000 3155";
const FLOW_TIMEOUT_MS = 180_000;

// Keeps Chromium off the network: no component, sync, field-trial or QUIC traffic.
const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let browser;

before(async () => {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}, { timeout: 45_000 });

after(async () => {
  await browser?.close();
}, { timeout: 30_000 });

// ------------------------------------------------------------------ helpers

// A fresh context and a page whose console errors, uncaught errors, failed requests and
// HTTP error responses are collected. `expected` lists the error answers the flow asks
// for on purpose ([method, path, status]: a declined card is a 402, an order not found
// a 404); those, and Chromium's console line about them, are not problems.
async function openPage({ expected = [] } = {}) {
  // bypassCSP only so that axe can be injected; the flow itself runs no script.
  const context = await browser.newContext({
    baseURL: baseUrl,
    bypassCSP: true,
    viewport: { width: 1280, height: 900 },
    serviceWorkers: "block",
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const page = await context.newPage();
  const problems = [];
  // Chromium logs every error answer of a document as a console error too.
  const isExpected = (method, url, status) => {
    const path = URL.canParse(url) ? new URL(url).pathname : url;
    return expected.some(([m, p, s]) => (method === null || m === method) && p === path && s === status);
  };
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const status = Number(/^Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text())?.[1]);
    if (status && isExpected(null, msg.location()?.url ?? "", status)) return;
    problems.push(`console error on ${page.url()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`uncaught error on ${page.url()}: ${err.message}`));
  page.on("requestfailed", (req) =>
    problems.push(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`),
  );
  page.on("response", (res) => {
    if (res.status() < 400) return;
    const method = res.request().method();
    if (isExpected(method, res.url(), res.status())) return;
    problems.push(`HTTP ${res.status()} for ${method} ${res.url()}`);
  });
  return { context, page, problems };
}

async function goto(page, path) {
  const res = await page.goto(path, { waitUntil: "load" });
  assert.ok(res, `no response for ${path}`);
  assert.equal(res.status(), 200, `GET ${path} answered ${res.status()}`);
  return res;
}

// Clicks `button`, which submits a form, waits for the page it leads to (after any
// redirect) and checks where that is: `where` is a path, or a test of the URL. Returns
// the status of that page's document.
let cartLifetimeNote = "";
async function submit(page, button, where) {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), button.click()]);
  assert.ok(res, `no response after clicking ${button}`);
  const url = new URL(page.url());
  const ok = typeof where === "string" ? url.pathname === where : where(url);
  if (!ok) {
    const lost = url.pathname === "/cart" ? ` The checkout sent the shopper back to the cart: the cart (or its cookie) is gone.${cartLifetimeNote}` : "";
    assert.fail(`after clicking ${button} the browser is at ${url.pathname}${url.search} (HTTP ${res.status()}), not where expected (${where}).${lost}`);
  }
  return res.status();
}

async function settle(page) {
  await page.waitForLoadState("networkidle", { timeout: 10_000 }).catch(() => {});
}

function assertNoProblems(problems, where) {
  assert.deepEqual(problems, [], `${where}: console errors or failed requests:\n  ${problems.join("\n  ")}`);
}

// "€1.234,50", "$74.50", "1 234,50 €" -> the number.
function parsePrice(text) {
  const m = text.replace(/\u00a0|\u202f/g, " ").match(/\d[\d.,' ]*/);
  assert.ok(m, `no number in price ${JSON.stringify(text)}`);
  let s = m[0].trim().replace(/[' ]/g, "");
  const lastSep = Math.max(s.lastIndexOf("."), s.lastIndexOf(","));
  if (lastSep >= 0 && s.length - lastSep - 1 !== 3) {
    s = s.slice(0, lastSep).replace(/[.,]/g, "") + "." + s.slice(lastSep + 1);
  } else {
    s = s.replace(/[.,]/g, "");
  }
  const n = Number(s);
  assert.ok(Number.isFinite(n), `cannot parse price ${JSON.stringify(text)}`);
  return n;
}

// Loads every (lazy) image, fails on a broken one, and takes a full-page screenshot.
async function screenshot(page, name) {
  const broken = await page.evaluate(async () => {
    const imgs = [...document.images];
    for (const img of imgs) {
      img.scrollIntoView({ block: "center" });
      if (!img.complete) {
        await Promise.race([
          new Promise((ok) => {
            img.addEventListener("load", ok, { once: true });
            img.addEventListener("error", ok, { once: true });
          }),
          new Promise((ok) => setTimeout(ok, 5000)),
        ]);
      }
    }
    await Promise.all(imgs.map((i) => i.decode().catch(() => {})));
    window.scrollTo(0, 0);
    await new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)));
    return imgs.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.currentSrc || i.src);
  });
  assert.deepEqual(broken, [], `images that did not load on ${page.url()}`);
  await settle(page);
  await page.screenshot({ path: join(SCREENSHOT_DIR, name), fullPage: true });
}

function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes.slice(0, 3).map((n) => `      ${n.target.join(" ")}${n.failureSummary ? `\n        ${n.failureSummary.replace(/:\n\s*/g, ": ").replace(/\n\s*/g, "; ")}` : ""}`);
      const more = v.nodes.length > 3 ? `\n      … and ${v.nodes.length - 3} more` : "";
      return `  - ${v.id} (${v.impact}): ${v.help}\n    ${v.helpUrl}\n${nodes.join("\n")}${more}`;
    })
    .join("\n");
}

// Runs axe-core on the page as it is; violations are collected in `found` (reported
// at once, failed at the end, so that one violation does not hide the later steps).
async function axe(page, where, found, t) {
  await settle(page);
  await page.addScriptTag({ path: AXE_PATH });
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations", "incomplete"] }));
  if (results.incomplete.length) {
    t.diagnostic(`axe needs review on ${where} (not failures): ${results.incomplete.map((r) => `${r.id} (${r.nodes.length})`).join(", ")}`);
  }
  t.diagnostic(`axe on ${where}: ${results.violations.length} violation(s), ${results.passes.length} rules passed`);
  if (results.violations.length) {
    const report = `axe-core: ${results.violations.length} violation(s) on ${where} (${page.url()}):\n${formatViolations(results.violations)}`;
    console.log(report);
    found.push(report);
  }
}

// The first product of the catalogue whose default variant can be bought and has
// plenty in stock ("In stock", not "only N left"), with its title.
async function pickProduct(page) {
  await goto(page, CATALOG);
  const hrefs = [
    ...new Set(
      await page.locator("main .grid .card a[href^='/products/']").evaluateAll((as) => as.map((a) => a.getAttribute("href"))),
    ),
  ];
  assert.ok(hrefs.length > 0, `product links on ${CATALOG}`);
  for (const href of hrefs.slice(0, 12)) {
    await goto(page, href);
    const product = page.locator("article.product");
    const stock = (await product.locator(".stock").first().innerText().catch(() => "")).trim();
    const add = page.getByRole("button", { name: "Add to cart" });
    if (stock === "In stock" && (await add.count()) === 1 && (await add.isEnabled())) {
      const title = (await page.getByRole("heading", { level: 1 }).innerText()).trim();
      const price = (await product.locator(".price").first().innerText()).trim();
      return { href, title, price };
    }
  }
  assert.fail(`none of ${hrefs.slice(0, 12).join(", ")} has an "In stock" variant to add to the cart`);
}

// The checkout step sections: "open", "done" or "later".
async function stepStates(page) {
  return page.locator("section.step").evaluateAll((ss) =>
    ss.map((s) => (s.classList.contains("open") ? "open" : s.classList.contains("done") ? "done" : "later")),
  );
}

async function orderNumber(page) {
  const dd = page.locator("dl.order-facts dt", { hasText: /^Order number$/ }).locator("xpath=following-sibling::dd[1]");
  const number = (await dd.innerText()).trim();
  assert.match(number, /^#?\d+$/, `an order number: ${JSON.stringify(number)}`);
  return number;
}

// ------------------------------------------------------------------ the flow

test("checkout in the browser: cart, contact, delivery, declined card, bank check, order, lookup, axe-core", { timeout: FLOW_TIMEOUT_MS }, async (t) => {
  const { context, page, problems } = await openPage({
    expected: [
      ["POST", "/checkout/pay", 402],
      ["POST", "/orders/lookup", 404],
    ],
  });
  const violations = [];
  const started = Date.now();
  const lap = (what) => t.diagnostic(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const email = `browser-checkout-${Date.now()}@example.com`;
  try {
    // ---------------------------------------------------------------- region, product, cart
    await goto(page, CATALOG);
    await page.locator("header").getByLabel("Region").selectOption({ label: REGION_LABEL });
    await submit(page, page.locator("header").getByRole("button", { name: "Change" }), (u) => u.pathname === CATALOG);
    const region = await page.locator("header").getByLabel("Region").evaluate((s) => s.selectedOptions[0]?.textContent.trim());
    assert.equal(region, REGION_LABEL);

    const product = await pickProduct(page);
    assert.match(product.price, /€/, `the product price is in euros: ${product.price}`);
    t.diagnostic(`product: ${product.title} (${product.href}), ${product.price}`);
    await settle(page);
    assert.equal(await submit(page, page.getByRole("button", { name: "Add to cart" }), "/cart"), 200);
    assert.ok(await page.getByRole("link", { name: product.title }).first().isVisible(), `the cart line "${product.title}"`);
    assert.match(await page.locator(".cart-link").innerText(), /Cart \(1/, "the header counts 1 item");
    // The cart (and its cookie) lives CART_LIFETIME_SECONDS from its last change; each
    // checkout step renews both. A lifetime shorter than a pause between steps loses it.
    const cartCookie = (await context.cookies()).find((c) => c.name === "cart_id");
    assert.ok(cartCookie?.value, "a cart_id cookie");
    const cookieLife = Math.round(cartCookie.expires - Date.now() / 1000);
    cartLifetimeNote = ` The cart cookie was set for ${cookieLife} s (CART_LIFETIME_SECONDS) when the cart page was shown; each checkout step renews it.`;
    if (cookieLife < 15) t.diagnostic(`warning: the cart cookie lives ${cookieLife} s only; a slow step may lose the cart`);
    await settle(page);
    assert.equal(await submit(page, page.getByRole("button", { name: "Checkout" }), "/checkout"), 200);
    lap("in the cart and at checkout");

    // ---------------------------------------------------------------- step 1: contact
    assert.equal((await page.getByRole("heading", { level: 1 }).innerText()).trim(), "Checkout");
    assert.deepEqual(await stepStates(page), ["open", "later", "later"], "step 1 is open");
    const summary = page.getByRole("region", { name: "Order summary" });
    assert.ok(await summary.getByText(product.title).first().isVisible(), "the cart line in the order summary");
    await axe(page, "checkout step 1 (contact)", violations, t);
    await screenshot(page, "checkout-1-contact.png");

    const contact = page.locator("form[action='/checkout/contact']");
    await contact.getByLabel("E-mail address").fill(email);
    await contact.getByLabel("First name").fill("Ada");
    await contact.getByLabel("Last name").fill("Lovelace");
    await contact.getByLabel("Address", { exact: true }).fill("Hafenstraße 12");
    await contact.getByLabel(/^Apartment/).fill("3. Stock");
    await contact.getByLabel("City").fill("Hamburg");
    await contact.getByLabel("Postal code").fill("20457");
    const countries = await contact.getByLabel("Country").evaluate((s) => [...s.options].map((o) => o.value));
    assert.ok(countries.includes(COUNTRY), `"${COUNTRY}" among the countries of ${REGION_LABEL}: ${countries.join(", ")}`);
    await contact.getByLabel("Country").selectOption(COUNTRY);
    await contact.getByLabel(/^Phone/).fill("+49 40 1234567");
    await settle(page);
    assert.equal(await submit(page, contact.getByRole("button", { name: "Continue to delivery" }), "/checkout"), 200);
    lap("contact saved");

    // ---------------------------------------------------------------- step 2: delivery
    assert.deepEqual(await stepStates(page), ["done", "open", "later"], "step 2 is open");
    const contactSummary = await page.locator("section.step").nth(0).locator(".step-summary").innerText();
    for (const part of [email, "Ada Lovelace", "Hafenstraße 12", "Hamburg", "Germany"]) {
      assert.ok(contactSummary.includes(part), `the contact summary shows "${part}": ${JSON.stringify(contactSummary)}`);
    }
    await axe(page, "checkout step 2 (delivery)", violations, t);
    await screenshot(page, "checkout-2-delivery.png");
    const options = page.getByRole("group", { name: "Delivery method" }).getByRole("radio");
    assert.ok((await options.count()) >= 1, "delivery options");
    const optionLabel = (await page.locator("label.option").first().locator(".option-name").innerText()).trim();
    await options.first().check();
    await settle(page);
    assert.equal(await submit(page, page.getByRole("button", { name: "Continue to payment" }), "/checkout"), 200);
    lap("delivery chosen");

    // ---------------------------------------------------------------- step 3: payment
    assert.deepEqual(await stepStates(page), ["done", "done", "open"], "step 3 is open");
    const deliverySummary = await page.locator("section.step").nth(1).locator(".step-summary").innerText();
    assert.ok(deliverySummary.includes(optionLabel), `the delivery summary names "${optionLabel}": ${deliverySummary}`);
    const review = page.locator("dl.review");
    assert.ok((await review.innerText()).includes(email), "the review names the e-mail address");
    const total = (await summary.locator(".totals .grand").innerText()).trim();
    assert.ok(parsePrice(total) > 0, `a total: ${total}`);
    const payButton = page.getByRole("button", { name: /^Place order/ });
    assert.ok((await payButton.innerText()).includes(total), `the pay button shows the total ${total}`);
    await axe(page, "checkout step 3 (payment)", violations, t);
    await screenshot(page, "checkout-3-payment.png");

    // A declined card: the message in place (role=alert), the cart as it was.
    await page.getByLabel("Card number").fill(CARD_DECLINED);
    await page.getByLabel("Name on card").fill("Ada Lovelace");
    await settle(page);
    assert.equal(await submit(page, payButton, "/checkout/pay"), 402, "a declined card answers 402 with the page");
    const alert = page.getByRole("alert");
    assert.equal(await alert.count(), 1, "one alert");
    assert.ok(await alert.isVisible(), "the alert is visible");
    assert.match(await alert.innerText(), /declined/i, "the alert says the card was declined");
    assert.deepEqual(await stepStates(page), ["done", "done", "open"], "still on the payment step");
    assert.ok(await summary.getByText(product.title).first().isVisible(), "the cart line is still shown");
    assert.equal((await summary.locator(".totals .grand").innerText()).trim(), total, "the total is unchanged");
    assert.match(await page.locator(".cart-link").innerText(), /Cart \(1/, "the header still counts 1 item");
    assert.equal(await page.getByLabel("Card number").inputValue(), "", "the card number is not kept in the page");
    await axe(page, "checkout after a declined card", violations, t);
    await screenshot(page, "checkout-4-declined.png");
    lap("declined card shown");

    // A card that asks the bank: the bank step, then Approve.
    await page.getByLabel("Card number").fill(CARD_BANK);
    await page.getByLabel("Name on card").fill("Ada Lovelace");
    await settle(page);
    assert.equal(
      await submit(page, page.getByRole("button", { name: /^Place order/ }), (u) => u.pathname === "/checkout" && u.searchParams.has("authenticate")),
      200,
    );
    assert.match(new URL(page.url()).searchParams.get("authenticate"), /^payses_/);
    assert.ok(await page.getByRole("heading", { name: "Confirm this payment with your bank" }).isVisible(), "the bank step");
    assert.ok((await page.locator(".bank-check").innerText()).includes(total), `the bank asks for ${total}`);
    assert.ok(await summary.getByText(product.title).first().isVisible(), "the cart line beside the bank step");
    await axe(page, "checkout bank step", violations, t);
    await screenshot(page, "checkout-5-bank.png");
    await settle(page);
    assert.equal(
      await submit(page, page.getByRole("button", { name: "Approve" }), (u) => /^\/orders\/order_/.test(u.pathname)),
      200,
    );
    lap("approved at the bank");

    // ---------------------------------------------------------------- the order
    const orderUrl = new URL(page.url());
    assert.equal(orderUrl.searchParams.get("placed"), "1", `?placed=1: ${orderUrl}`);
    assert.equal((await page.getByRole("heading", { level: 1 }).innerText()).trim(), "Thank you!");
    const number = await orderNumber(page);
    assert.ok(await page.getByText(number, { exact: true }).first().isVisible(), `the order number ${number} is visible`);
    const lead = await page.locator(".lead").innerText();
    assert.ok(lead.includes(number) && lead.includes(email), `the lead names the order and the e-mail: ${lead}`);
    assert.ok(await page.getByRole("link", { name: product.title }).first().isVisible(), `the order line "${product.title}"`);
    assert.equal((await page.locator(".order-page .totals .grand").innerText()).trim(), total, "the order total is the one paid");
    assert.doesNotMatch(await page.locator(".cart-link").innerText(), /\(\d/, "the header no longer counts the ordered cart");
    await axe(page, `the order page ${number}`, violations, t);
    await screenshot(page, "order-placed.png");
    t.diagnostic(`order ${number} (${orderUrl.pathname}), ${total}, ${email}`);

    // The cart cookie is gone: checkout has nothing left to pay.
    await goto(page, "/checkout");
    assert.equal(new URL(page.url()).pathname, "/cart", `GET /checkout after the order goes to the cart: ${page.url()}`);
    assert.ok(await page.getByText("Your cart is empty.").isVisible(), "the cart is empty");
    lap("order page shown");

    // ---------------------------------------------------------------- lookup
    await goto(page, "/orders/lookup");
    assert.equal((await page.getByRole("heading", { level: 1 }).innerText()).trim(), "Find your order");
    await axe(page, "the order lookup page", violations, t);
    await screenshot(page, "order-lookup.png");

    // The right number with another e-mail is not found (404, the message in place).
    await page.getByLabel("E-mail address").fill(`someone-else-${Date.now()}@example.com`);
    await page.getByLabel("Order number").fill(number);
    await settle(page);
    assert.equal(await submit(page, page.getByRole("button", { name: "Find order" }), "/orders/lookup"), 404);
    assert.match(await page.getByRole("alert").innerText(), /could not find/i, "not found, said in place");
    assert.equal(await page.getByLabel("Order number").inputValue(), number, "the number is kept");
    await axe(page, "the order lookup page (not found)", violations, t);
    await screenshot(page, "order-lookup-not-found.png");

    await page.getByLabel("E-mail address").fill(email);
    await page.getByLabel("Order number").fill(number);
    await settle(page);
    assert.equal(await submit(page, page.getByRole("button", { name: "Find order" }), "/orders/lookup"), 200);
    assert.equal((await page.getByRole("heading", { level: 1 }).innerText()).trim(), `Order ${number.startsWith("#") ? number : `#${number}`}`);
    assert.equal(await orderNumber(page), number);
    assert.ok(await page.getByRole("link", { name: product.title }).first().isVisible(), "the order line");
    assert.equal((await page.locator(".order-page .totals .grand").innerText()).trim(), total);
    await axe(page, `the order found by lookup ${number}`, violations, t);
    await screenshot(page, "order-lookup-found.png");
    lap("order found by lookup");

    // The confirmation e-mail, when the origin's local mailbox is known.
    if (originUrl) {
      const subject = `Your order ${number}`;
      let mail = "";
      for (let i = 0; i < 20 && !(mail.includes(subject) && mail.includes(email)); i++) {
        if (i) await new Promise((ok) => setTimeout(ok, 500));
        const res = await fetch(`${originUrl}/dev/mail`, { signal: AbortSignal.timeout(5_000) });
        mail = res.ok ? await res.text() : "";
      }
      assert.ok(mail.includes(subject) && mail.includes(email), `a mail "${subject}" to ${email} in ${originUrl}/dev/mail`);
    } else {
      t.diagnostic("E2E_ORIGIN_URL is not set: the confirmation e-mail is not checked");
    }

    await settle(page);
    assertNoProblems(problems, "checkout flow");
    assert.deepEqual(violations, [], `axe-core violations:\n${violations.join("\n")}`);
  } finally {
    await context.close();
  }
});
