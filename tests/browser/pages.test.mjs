// The storefront in a real browser: headless Debian Chromium driven by playwright-core
// against the wrangler dev stack (E2E_BASE_URL). What a shopper sees on the home page,
// a filtered listing and a product page; forms that work without JavaScript; the region
// switch; axe-core accessibility checks; no console errors or failed requests.
// Full-page screenshots go to SCREENSHOT_DIR (default .local/screenshots).
//
//   E2E_BASE_URL=http://127.0.0.1:8787 node --test "tests/browser/*.test.mjs"
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const baseUrl = process.env.E2E_BASE_URL?.replace(/\/+$/, "");
assert.ok(baseUrl, "E2E_BASE_URL is not set (e.g. http://127.0.0.1:8787): run scripts/test, or export it");

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SCREENSHOT_DIR = resolve(process.env.SCREENSHOT_DIR || join(ROOT, ".local/screenshots"));
const AXE_PATH = join(ROOT, "node_modules/axe-core/axe.min.js");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

const STORE_NAME = "Harbor & Pine";
const HOME = "/";
const LISTING = "/categories/shirts?opt_size=M&in_stock=1&sort=price_asc";
const PRODUCT = "/products/linen-camp-shirt";
// The Steady Path store, on its own host name (Chromium sends *.localhost to loopback):
// a product with its guide (educational content), a listing filtered by journey stage.
const STEADY = `http://steady.localhost:${new URL(baseUrl).port}`;

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
  // playwright-core gives the browser a fresh temporary --user-data-dir of its own
  // (playwright_chromiumdev_profile-*) and deletes it on close; it refuses the flag.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
});

after(async () => {
  await browser?.close();
});

// ------------------------------------------------------------------ helpers

// A fresh context per test (so the region cookie cannot leak) and a page whose console
// errors, uncaught errors, failed requests and HTTP error responses are collected.
async function openPage({ bypassCSP = false } = {}) {
  const context = await browser.newContext({
    baseURL: baseUrl,
    bypassCSP,
    viewport: { width: 1280, height: 900 },
    serviceWorkers: "block",
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const page = await context.newPage();
  const problems = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error on ${page.url()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`uncaught error on ${page.url()}: ${err.message}`));
  page.on("requestfailed", (req) =>
    problems.push(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`),
  );
  page.on("response", (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
  });
  return { context, page, problems };
}

async function goto(page, path) {
  const res = await page.goto(path, { waitUntil: "load" });
  assert.ok(res, `no response for ${path}`);
  assert.equal(res.status(), 200, `GET ${path} answered ${res.status()}`);
  return res;
}

// Waits until the page's requests are done, so a following navigation cannot abort a
// late (lazy) image and report it as a failed request.
async function settle(page) {
  await page.waitForLoadState("networkidle", { timeout: 10_000 }).catch(() => {});
}

function assertNoProblems(problems, where) {
  assert.deepEqual(problems, [], `${where}: console errors or failed requests:\n  ${problems.join("\n  ")}`);
}

// "$74.50", "From $59.00", "€1.234,50", "1 234,50 €", "£80" -> the number.
function parsePrice(text) {
  const m = text.replace(/\u00a0|\u202f/g, " ").match(/\d[\d.,' ]*/);
  assert.ok(m, `no number in price ${JSON.stringify(text)}`);
  let s = m[0].trim().replace(/[' ]/g, "");
  const lastSep = Math.max(s.lastIndexOf("."), s.lastIndexOf(","));
  if (lastSep >= 0 && s.length - lastSep - 1 !== 3) {
    // The last separator is the decimal point; any others group thousands.
    s = s.slice(0, lastSep).replace(/[.,]/g, "") + "." + s.slice(lastSep + 1);
  } else {
    s = s.replace(/[.,]/g, "");
  }
  const n = Number(s);
  assert.ok(Number.isFinite(n), `cannot parse price ${JSON.stringify(text)}`);
  return n;
}

const PRICE_RE = /^(From )?\D{0,4}\s?\d[\d.,' \u00a0\u202f]*\s?\D{0,4}$/;

// Every card of a grid is visible, has a title, a loaded image and a price.
async function checkCards(cards, where) {
  const n = await cards.count();
  assert.ok(n > 0, `${where}: no product cards`);
  const prices = [];
  for (let i = 0; i < n; i++) {
    const card = cards.nth(i);
    await card.scrollIntoViewIfNeeded();
    assert.ok(await card.isVisible(), `${where}: card ${i + 1} is not visible`);
    const title = (await card.locator(".card-title").innerText()).trim();
    assert.ok(title, `${where}: card ${i + 1} has no title`);
    const img = card.locator("img");
    assert.equal(await img.count(), 1, `${where}: card "${title}" has no image`);
    assert.ok(await img.isVisible(), `${where}: the image of "${title}" is not visible`);
    // Lazy images start loading once scrolled into view; wait for them to decode.
    await img.evaluate((el) => (el.complete ? null : new Promise((ok) => el.addEventListener("load", ok, { once: true }))));
    const loaded = await img.evaluate((el) => el.complete && el.naturalWidth > 0);
    assert.ok(loaded, `${where}: the image of "${title}" did not load`);
    const alt = await img.getAttribute("alt");
    assert.ok(alt && alt.trim(), `${where}: the image of "${title}" has no alt text`);
    const price = (await card.locator(".card-price").innerText()).trim();
    assert.match(price, PRICE_RE, `${where}: card "${title}" shows no price`);
    prices.push({ title, text: price, value: parsePrice(price) });
  }
  await cards.first().scrollIntoViewIfNeeded();
  await cards.page().evaluate(() => window.scrollTo(0, 0));
  return prices;
}

// Lazy images below the fold only load once scrolled to: load them all before a
// full-page screenshot, and fail if one does not load.
async function loadAllImages(page) {
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
    // decoding="async" images may not be painted yet: decode them, then let two
    // frames pass, or the full-page capture shows their grey placeholder.
    await Promise.all(imgs.map((i) => i.decode().catch(() => {})));
    window.scrollTo(0, 0);
    await new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)));
    return imgs.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.currentSrc || i.src);
  });
  assert.deepEqual(broken, [], `images that did not load on ${page.url()}`);
}

async function screenshot(page, name) {
  await loadAllImages(page);
  await settle(page);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOT_DIR, name), fullPage: true });
}

// ------------------------------------------------------------------ pages

test("home page: store name, heading, new arrivals with images and prices", async () => {
  const { context, page, problems } = await openPage();
  try {
    await goto(page, HOME);
    const brand = page.locator("header").getByRole("link", { name: STORE_NAME, exact: true });
    assert.ok(await brand.isVisible(), `header link "${STORE_NAME}" is not visible`);
    assert.equal(await brand.getAttribute("href"), "/");

    const h1 = page.getByRole("heading", { level: 1 });
    assert.equal(await h1.count(), 1, "exactly one h1");
    assert.ok(await h1.isVisible(), "the h1 is not visible");
    assert.ok((await h1.innerText()).trim().length > 0, "the h1 is empty");

    const arrivals = page.getByRole("region", { name: "New arrivals" });
    assert.equal(await arrivals.count(), 1, 'a section labelled "New arrivals"');
    assert.ok(await arrivals.getByRole("heading", { name: "New arrivals" }).isVisible());
    await checkCards(arrivals.locator(".card"), "home, New arrivals");

    await settle(page);
    await screenshot(page, "home.png");
    assertNoProblems(problems, "home page");
  } finally {
    await context.close();
  }
});

test("search: the header's form, typos forgiven, best match first; nothing found offers a spelling and popular products", async () => {
  const { context, page, problems } = await openPage();
  try {
    await goto(page, HOME);
    const box = page.getByRole("searchbox");
    await box.fill("linnen camp shrt");
    await Promise.all([page.waitForURL((u) => u.pathname === "/search"), box.press("Enter")]);
    assert.equal(new URL(page.url()).searchParams.get("q"), "linnen camp shrt");
    assert.equal((await page.getByRole("heading", { level: 1 }).innerText()).trim(), "Results for “linnen camp shrt”");
    const first = (await page.locator("main .grid .card .card-title").first().innerText()).trim();
    assert.equal(first, "Linen Camp Shirt");
    const sortLabel = await page.getByLabel("Sort by").evaluate((s) => s.selectedOptions[0]?.textContent.trim());
    assert.equal(sortLabel, "Best match");

    await goto(page, "/search?q=bost");
    assert.ok(await page.getByText(/Nothing matches “bost”/).isVisible());
    const suggestion = page.getByRole("link", { name: "boat" });
    assert.ok(await suggestion.isVisible(), "a spelling is offered");
    assert.ok(await page.getByRole("heading", { name: "Popular products" }).isVisible());
    assert.ok((await page.locator("main .grid .card").count()) > 0, "popular products are shown");
    await Promise.all([page.waitForURL((u) => u.searchParams.get("q") === "boat"), suggestion.click()]);
    assert.equal((await page.locator("main .grid .card .card-title").first().innerText()).trim(), "Boat Shoe");
    assertNoProblems(problems, "search");
  } finally {
    await context.close();
  }
});

test("filtered listing: heading, chips, filters, sort, ascending prices, forms without JavaScript", async (t) => {
  const { context, page, problems } = await openPage();
  try {
    await goto(page, LISTING);
    assert.equal((await page.getByRole("heading", { level: 1 }).innerText()).trim(), "Shirts & Tops");

    // Active filters: one "Remove filter …" link per filter.
    const chips = page.getByRole("link", { name: /^Remove filter/ });
    const chipNames = (await chips.allInnerTexts()).map((t) => t.replace(/\s*×\s*$/, "").trim());
    assert.ok(chipNames.includes("Remove filter Size: M"), `chips: ${JSON.stringify(chipNames)}`);
    assert.ok(chipNames.length >= 2, `a chip for the size and for in-stock: ${JSON.stringify(chipNames)}`);
    for (const name of chipNames) assert.ok(await chips.filter({ hasText: name }).first().isVisible(), `chip "${name}" is hidden`);

    const inStock = page.getByRole("checkbox", { name: "In stock only" });
    assert.ok(await inStock.isChecked(), '"In stock only" is not checked');
    const sizeM = page.getByRole("group", { name: "Size" }).getByRole("checkbox", { name: /^M\b/ });
    assert.ok(await sizeM.isChecked(), 'size "M" is not checked');

    const sort = page.getByLabel("Sort by");
    const sortLabel = await sort.evaluate((s) => s.selectedOptions[0]?.textContent.trim());
    assert.equal(sortLabel, "Price: low to high");

    const cards = page.locator("main .grid .card");
    const prices = await checkCards(cards, "listing");
    for (let i = 1; i < prices.length; i++) {
      assert.ok(
        prices[i].value >= prices[i - 1].value,
        `prices are not ascending: "${prices[i - 1].title}" ${prices[i - 1].text} before "${prices[i].title}" ${prices[i].text}`,
      );
    }

    // Known style problem, reported without failing: the product page's `.price` rule
    // (1.5rem, bold) also matches the filter form's <div class="price">, so the
    // price filter's "From"/"To" labels render as large as a heading.
    const priceLabel = await page
      .getByRole("form", { name: "Filter products" })
      .locator("label", { hasText: /^From/ })
      .evaluate((el) => {
        const body = parseFloat(getComputedStyle(document.body).fontSize);
        const cs = getComputedStyle(el);
        return { ratio: parseFloat(cs.fontSize) / body, weight: Number(cs.fontWeight) };
      })
      .catch(() => null);
    if (priceLabel && (priceLabel.ratio > 1.2 || priceLabel.weight >= 700)) {
      t.diagnostic(
        `style problem: the price filter's From/To labels are ${priceLabel.ratio.toFixed(2)}× body size, weight ${priceLabel.weight} ` +
          `(style.css ".price" also matches ".filters .price"; scope it to ".product .price")`,
      );
    }

    await settle(page);
    await screenshot(page, "listing.png");

    // Removing a filter is a plain link.
    await Promise.all([page.waitForURL((u) => !u.searchParams.has("opt_size")), chips.filter({ hasText: "Remove filter Size: M" }).first().click()]);
    let url = new URL(page.url());
    assert.equal(url.searchParams.has("opt_size"), false, `opt_size still in ${url}`);
    assert.equal(url.searchParams.get("in_stock"), "1", `the other filters are kept: ${url}`);
    assert.equal(url.searchParams.get("sort"), "price_asc", `the sort order is kept: ${url}`);
    assert.equal(await page.getByRole("link", { name: /^Remove filter Size: M/ }).count(), 0, "the size chip is gone");
    await settle(page);

    // The filter form is a plain GET form: tick a box, press "Apply filters".
    const form = page.getByRole("form", { name: "Filter products" });
    const box = form.locator('input[type=checkbox][name^="opt_"]:not(:checked)').first();
    const param = await box.getAttribute("name");
    const value = await box.getAttribute("value");
    await box.check();
    await Promise.all([
      page.waitForURL((u) => u.searchParams.getAll(param).includes(value)),
      form.getByRole("button", { name: "Apply filters" }).click(),
    ]);
    url = new URL(page.url());
    assert.ok(url.searchParams.getAll(param).includes(value), `${param}=${value} not in ${url}`);
    assert.equal(url.searchParams.get("in_stock"), "1", `in_stock kept by the form: ${url}`);
    assert.equal(url.searchParams.get("sort"), "price_asc", `sort kept by the form: ${url}`);
    const ticked = page.getByRole("form", { name: "Filter products" }).locator(`input[name="${param}"][value="${value}"]`);
    assert.ok(await ticked.isChecked(), `${param}=${value} is not checked after applying`);
    await settle(page);

    assertNoProblems(problems, "listing");
  } finally {
    await context.close();
  }
});

test("product page: title, price, stock, options, variant links, add to cart, JSON-LD", async () => {
  const { context, page, problems } = await openPage();
  try {
    await goto(page, PRODUCT);
    assert.equal((await page.getByRole("heading", { level: 1 }).innerText()).trim(), "Linen Camp Shirt");

    const product = page.locator("article.product");
    const price = (await product.locator(".price").first().innerText()).trim();
    assert.match(price, PRICE_RE, "a price");
    assert.ok(parsePrice(price) > 0, `price ${price}`);
    const stock = product.getByText(/In stock|backorder|Sold out/);
    assert.ok(await stock.first().isVisible(), "a stock line (In stock, backorder or Sold out)");

    const img = product.locator(".gallery img").first();
    assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0), "the main image did not load");

    const sizes = page.getByRole("list", { name: "Size" }).getByRole("link");
    const colours = page.getByRole("list", { name: "Colour" }).getByRole("link");
    assert.ok(await page.getByRole("heading", { name: "Size", exact: true }).isVisible(), 'a "Size" heading');
    assert.ok(await page.getByRole("heading", { name: "Colour", exact: true }).isVisible(), 'a "Colour" heading');
    const sizeLabels = (await sizes.allInnerTexts()).map((s) => s.trim());
    assert.ok(sizeLabels.length >= 2, `several sizes: ${JSON.stringify(sizeLabels)}`);
    assert.ok((await colours.count()) >= 1, "at least one colour link");
    for (const link of await sizes.all()) assert.match(await link.getAttribute("href"), /[?&]variant=/);

    const current = await sizes.evaluateAll((as) => as.findIndex((a) => a.getAttribute("aria-current") === "true"));
    assert.ok(current >= 0, "one size is marked aria-current");
    const other = current === 0 ? 1 : 0;
    const otherLabel = sizeLabels[other];
    await Promise.all([page.waitForURL(/[?&]variant=/), sizes.nth(other).click()]);
    assert.match(page.url(), /\?variant=/, `the URL has ?variant=: ${page.url()}`);
    const chosen = page.getByRole("list", { name: "Size" }).getByRole("link", { name: otherLabel, exact: true });
    assert.equal(await chosen.getAttribute("aria-current"), "true", `size ${otherLabel} is aria-current after clicking it`);
    const variant = new URL(page.url()).searchParams.get("variant");
    assert.equal(await page.locator('form.buy input[name="variant_id"]').inputValue(), variant, "the cart form adds the chosen variant");

    const addToCart = page.getByRole("button", { name: "Add to cart" });
    assert.equal(await addToCart.count(), 1, 'an "Add to cart" button');
    assert.ok(await addToCart.isVisible());

    const blocks = await page.locator('script[type="application/ld+json"]').allTextContents();
    assert.ok(blocks.length > 0, "JSON-LD script blocks");
    const parsed = blocks.map((b, i) => {
      try {
        return JSON.parse(b);
      } catch (e) {
        assert.fail(`JSON-LD block ${i + 1} is not JSON: ${e.message}`);
      }
    });
    const ld = parsed.flatMap((d) => (Array.isArray(d) ? d : d["@graph"] ?? [d])).find((d) => d["@type"] === "Product");
    assert.ok(ld, `a JSON-LD Product among ${JSON.stringify(parsed.map((d) => d["@type"]))}`);
    assert.equal(ld.name, "Linen Camp Shirt");
    const offers = [ld.offers].flat().filter(Boolean);
    assert.ok(offers.length > 0, "the Product has offers");
    for (const o of offers) {
      assert.ok(o.price != null && Number(o.price) > 0, `offer price: ${JSON.stringify(o)}`);
      assert.match(o.priceCurrency ?? "", /^[A-Z]{3}$/, `offer currency: ${JSON.stringify(o)}`);
    }

    await settle(page);
    await screenshot(page, "product.png");
    assertNoProblems(problems, "product page");
  } finally {
    await context.close();
  }
});

test('region switch: "Europe (EUR)" from the header form shows prices in €', async () => {
  const { context, page, problems } = await openPage();
  try {
    await goto(page, LISTING);
    const region = page.locator("header").getByLabel("Region");
    await region.selectOption({ label: "Europe (EUR)" });
    await Promise.all([
      page.waitForNavigation({ waitUntil: "load" }),
      page.locator("header").getByRole("button", { name: "Change" }).click(),
    ]);
    // return_to brings the shopper back to the same listing.
    const url = new URL(page.url());
    assert.equal(url.pathname, "/categories/shirts", `back on the listing: ${url}`);
    assert.equal(url.searchParams.get("opt_size"), "M", `filters kept: ${url}`);
    const selected = await page.locator("header").getByLabel("Region").evaluate((s) => s.selectedOptions[0]?.textContent.trim());
    assert.equal(selected, "Europe (EUR)");
    const prices = await page.locator("main .grid .card .card-price").allInnerTexts();
    assert.ok(prices.length > 0, "prices on the listing");
    for (const p of prices) assert.match(p, /€/, `listing price in euros: ${p}`);

    // The cookie holds for the next page.
    await goto(page, PRODUCT);
    assert.match(await page.locator("article.product .price").first().innerText(), /€/, "product price in euros");
    await settle(page);
    assertNoProblems(problems, "region switch");
  } finally {
    await context.close();
  }
});

// ------------------------------------------------------------------ accessibility

function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes.slice(0, 3).map((n) => `      ${n.target.join(" ")}${n.failureSummary ? `\n        ${n.failureSummary.replace(/:\n\s*/g, ": ").replace(/\n\s*/g, "; ")}` : ""}`);
      const more = v.nodes.length > 3 ? `\n      … and ${v.nodes.length - 3} more` : "";
      return `  - ${v.id} (${v.impact}): ${v.help}\n    ${v.helpUrl}\n${nodes.join("\n")}${more}`;
    })
    .join("\n");
}

for (const [name, path] of [
  ["home", HOME],
  ["filtered listing", LISTING],
  ["product", PRODUCT],
  ["search results", "/search?q=linnen+shirt"],
  ["empty search", "/search?q=bost"],
  ["Steady Path product with its guide", `${STEADY}/products/whey-protein-isolate`],
  ["Steady Path listing by journey stage", `${STEADY}/categories/supplements?attr_glp1_stage=active`],
]) {
  test(`accessibility (axe-core): ${name} page ${path}`, async (t) => {
    // The pages' Content-Security-Policy forbids scripts, axe included.
    const { context, page, problems } = await openPage({ bypassCSP: true });
    try {
      await goto(page, path);
      await settle(page);
      await page.addScriptTag({ path: AXE_PATH });
      const results = await page.evaluate(() =>
        window.axe.run(document, { resultTypes: ["violations", "incomplete"] }),
      );
      if (results.incomplete.length) {
        t.diagnostic(`axe needs review (not failures): ${results.incomplete.map((r) => `${r.id} (${r.nodes.length})`).join(", ")}`);
      }
      if (results.violations.length) {
        const report = `axe-core found ${results.violations.length} violation(s) on the ${name} page ${path}:\n${formatViolations(results.violations)}`;
        console.log(report);
        assert.fail(report);
      }
      assertNoProblems(problems, `${name} page (axe run)`);
    } finally {
      await context.close();
    }
  });
}

test("cart: add from the product page, change quantity, choose shipping, remove (forms only), axe-core", async (t) => {
  // bypassCSP only so that axe can run at the end; the flow itself uses no script.
  const { context, page, problems } = await openPage({ bypassCSP: true });
  try {
    await goto(page, PRODUCT);
    const title = (await page.getByRole("heading", { level: 1 }).innerText()).trim();
    await Promise.all([page.waitForURL(/\/cart$/), page.getByRole("button", { name: "Add to cart" }).click()]);
    assert.equal((await page.getByRole("heading", { level: 1 }).innerText()).trim(), "Your cart");
    assert.ok(await page.getByRole("link", { name: title }).isVisible(), `the line "${title}"`);
    assert.match(await page.locator(".cart-link").innerText(), /Cart \(1/, "the header counts 1 item");

    const qty = page.getByLabel(`Quantity of ${title}`);
    await qty.fill("2");
    await Promise.all([page.waitForURL(/\/cart$/), page.getByRole("button", { name: "Update" }).click()]);
    assert.equal(await page.getByLabel(`Quantity of ${title}`).inputValue(), "2");

    const options = page.getByRole("group", { name: "Shipping" }).getByRole("radio");
    assert.ok((await options.count()) >= 1, "shipping options");
    await options.first().check();
    await Promise.all([page.waitForURL(/\/cart$/), page.getByRole("button", { name: "Choose shipping" }).click()]);
    assert.ok(await page.getByRole("group", { name: "Shipping" }).getByRole("radio").first().isChecked());
    const total = await page.locator(".totals .grand").innerText();
    assert.ok(parsePrice(total) > 0, `a total: ${total}`);
    await screenshot(page, "cart.png");

    await page.addScriptTag({ path: AXE_PATH });
    const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    if (results.violations.length) assert.fail(`axe-core on the cart page:\n${formatViolations(results.violations)}`);

    await Promise.all([page.waitForURL(/\/cart$/), page.getByRole("button", { name: `Remove ${title}` }).click()]);
    assert.ok(await page.getByText("Your cart is empty.").isVisible());
    await settle(page);
    assertNoProblems(problems, "cart flow");
  } finally {
    await context.close();
  }
  t.diagnostic("cart flow done");
});
