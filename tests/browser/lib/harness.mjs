// What the browser tests share: headless Debian Chromium off the network, pages that
// collect console errors and failed requests, navigation and form helpers, and axe-core
// with its violations reported in full.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const baseUrl = process.env.E2E_BASE_URL?.replace(/\/+$/, "");
assert.ok(baseUrl, "E2E_BASE_URL is not set (e.g. http://127.0.0.1:8787): run scripts/test, or export it");

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const SCREENSHOT_DIR = resolve(process.env.SCREENSHOT_DIR || join(ROOT, ".local/screenshots"));
const AXE_PATH = join(ROOT, "node_modules/axe-core/axe.min.js");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

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

export async function launch() {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}

// A fresh context and a page whose console errors, uncaught errors, failed requests and
// HTTP error responses are collected. `expected` lists the error answers a flow asks
// for on purpose ([method, path or RegExp of paths, status]); those are not problems.
export async function openPage(browser, { expected = [] } = {}) {
  // bypassCSP only so that axe can be injected; the pages themselves run no script.
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
  const isExpected = (method, url, status) => {
    const path = URL.canParse(url) ? new URL(url).pathname : url;
    const matches = (p) => (p instanceof RegExp ? p.test(path) : p === path);
    return expected.some(([m, p, s]) => (method === null || m === method) && matches(p) && s === status);
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

export async function goto(page, path) {
  const res = await page.goto(path, { waitUntil: "load" });
  assert.ok(res, `no response for ${path}`);
  assert.equal(res.status(), 200, `GET ${path} answered ${res.status()}`);
  return res;
}

// Clicks `button`, which submits a form, waits for the page it leads to (after any
// redirect) and checks where that is: a path, or a test of the URL. Answers the status
// of that page's document.
export async function submit(page, button, where) {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), button.click()]);
  assert.ok(res, `no response after clicking ${button}`);
  const url = new URL(page.url());
  const ok = typeof where === "string" ? url.pathname === where : where(url);
  assert.ok(ok, `after clicking ${button} the browser is at ${url.pathname}${url.search} (HTTP ${res.status()}), not where expected (${where})`);
  return res.status();
}

export async function settle(page) {
  await page.waitForLoadState("networkidle", { timeout: 10_000 }).catch(() => {});
}

export function assertNoProblems(problems, where) {
  assert.deepEqual(problems, [], `${where}: console errors or failed requests:\n  ${problems.join("\n  ")}`);
}

export async function screenshot(page, name) {
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

// Runs axe-core on the page as it is; violations are collected in `found` (reported at
// once, failed at the end, so that one violation does not hide the later steps).
export async function axe(page, where, found, t) {
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
