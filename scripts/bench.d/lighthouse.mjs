// Lighthouse scores of the storefront, offline: starts Debian's Chromium with a DevTools
// port and a throwaway profile, runs Lighthouse (the npm package) on the home page and a
// product page with its default mobile config and its desktop config, and prints a
// Markdown table, then the audits that cost points in any category below 100.
//
//   node scripts/bench.d/lighthouse.mjs http://127.0.0.1:8787
//
// Exits non-zero only when Lighthouse could not run at all (no Chromium, or every run
// failed); low scores are reported, not fatal. CHROMIUM_PATH overrides /usr/bin/chromium.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const CATEGORIES = ["performance", "accessibility", "best-practices", "seo"];
const PAGES = [
  ["home", "/"],
  ["product", "/products/linen-camp-shirt"],
];
const FORM_FACTORS = [
  ["mobile", undefined], // Lighthouse's default config: a mid-range phone, simulated slow 4G
  ["desktop", desktopConfig],
];

const baseArg = process.argv[2];
if (!baseArg || !/^https?:\/\//.test(baseArg)) {
  console.error("usage: node scripts/bench.d/lighthouse.mjs <baseUrl>   (e.g. http://127.0.0.1:8787)");
  process.exit(2);
}
const baseUrl = baseArg.replace(/\/+$/, "");

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ------------------------------------------------------------------ Chromium

let chrome; // the spawned process (leader of its own process group)
let profileDir;

function stopChromium() {
  if (chrome && chrome.exitCode === null && chrome.signalCode === null) {
    // Chromium runs zygote, GPU and renderer processes: end the whole group we started.
    try {
      process.kill(-chrome.pid, "SIGKILL");
    } catch {
      try {
        chrome.kill("SIGKILL");
      } catch {}
    }
  }
  chrome = undefined;
  if (profileDir) {
    try {
      rmSync(profileDir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
    } catch {}
    profileDir = undefined;
  }
}

// Politely first: SIGTERM lets Chromium reap its own helpers; SIGKILL on the group after 5 s.
async function shutdownChromium() {
  const proc = chrome;
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    const gone = new Promise((resolve) => proc.once("exit", resolve));
    try {
      proc.kill("SIGTERM");
    } catch {}
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
  }
  stopChromium();
}

process.on("exit", stopChromium);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    stopChromium();
    process.exit(130);
  });
}

async function startChromium() {
  const port = await freePort();
  profileDir = mkdtempSync(join(tmpdir(), "edgeshop-lighthouse-"));
  const args = [
    // Off the network: no component, sync, field-trial or QUIC traffic.
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-default-browser-check",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--remote-debugging-address=127.0.0.1",
    `--remote-debugging-port=${port}`,
    `--user-data-dir=${profileDir}`,
    "about:blank",
  ];
  let stderr = "";
  chrome = spawn(CHROMIUM, args, { detached: true, stdio: ["ignore", "ignore", "pipe"] });
  chrome.stderr.on("data", (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const exited = new Promise((resolve) => {
    chrome.once("error", (e) => resolve(`cannot start ${CHROMIUM}: ${e.message}`));
    chrome.once("exit", (code, sig) => resolve(`${CHROMIUM} exited (${sig ?? code}) before its DevTools port answered`));
  });

  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const early = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 200))]);
    if (early) throw new Error(`${early}\n${stderr.trim()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/json/version`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) {
        const info = await res.json();
        return { port, version: info.Browser };
      }
    } catch {}
  }
  throw new Error(`the DevTools endpoint on port ${port} did not answer within 30 s\n${stderr.trim()}`);
}

// ------------------------------------------------------------------ Lighthouse

const pct = (score) => (score == null ? "n/a" : String(Math.round(score * 100)));

// The audits of a category that cost points (score below 1), heaviest first; audits
// that could not run are listed too, as errors.
function failingAudits(lhr, categoryId) {
  const category = lhr.categories[categoryId];
  const out = [];
  for (const ref of category.auditRefs) {
    const audit = lhr.audits[ref.id];
    if (!audit) continue;
    if (audit.scoreDisplayMode === "error") {
      out.push({ id: ref.id, title: audit.title, score: "error", weight: ref.weight, detail: audit.errorMessage });
    } else if (["binary", "numeric", "metricSavings"].includes(audit.scoreDisplayMode) && audit.score !== null && audit.score < 1) {
      const detail = [audit.displayValue, audit.explanation].filter(Boolean).join("; ");
      out.push({ id: ref.id, title: audit.title, score: audit.score, weight: ref.weight, detail });
    }
  }
  return out.sort((a, b) => b.weight - a.weight || String(a.score).localeCompare(String(b.score)));
}

async function runOne(port, page, path, formFactor, config) {
  const url = baseUrl + path;
  const started = Date.now();
  const result = await lighthouse(
    url,
    { port, output: "json", logLevel: "error", onlyCategories: CATEGORIES },
    config,
  );
  if (!result?.lhr) throw new Error("Lighthouse returned no result");
  return { page, path, url, formFactor, lhr: result.lhr, seconds: (Date.now() - started) / 1000 };
}

async function main() {
  const t0 = Date.now();
  let chromeInfo;
  try {
    chromeInfo = await startChromium();
  } catch (e) {
    console.error(`error: ${e.message}`);
    return 1;
  }
  console.error(`Lighthouse ${(await import("lighthouse/package.json", { with: { type: "json" } })).default.version} on ${chromeInfo.version}, DevTools port ${chromeInfo.port}`);

  const runs = [];
  const errors = [];
  for (const [page, path] of PAGES) {
    for (const [formFactor, config] of FORM_FACTORS) {
      try {
        const run = await runOne(chromeInfo.port, page, path, formFactor, config);
        console.error(`  ${page} ${formFactor}: ${run.seconds.toFixed(1)} s`);
        runs.push(run);
      } catch (e) {
        console.error(`  ${page} ${formFactor}: Lighthouse failed: ${e.message}`);
        errors.push({ page, path, formFactor, message: e.message });
      }
    }
  }
  await shutdownChromium();

  const out = [];
  out.push(`Lighthouse ${baseUrl} (${chromeInfo.version})`, "");
  out.push("| page | form factor | performance | accessibility | best practices | seo |");
  out.push("|---|---|---:|---:|---:|---:|");
  for (const r of runs) {
    const c = r.lhr.categories;
    out.push(`| ${r.path} | ${r.formFactor} | ${CATEGORIES.map((id) => pct(c[id]?.score)).join(" | ")} |`);
  }
  for (const e of errors) out.push(`| ${e.path} | ${e.formFactor} | error | error | error | error |`);

  const notes = [];
  for (const r of runs) {
    if (r.lhr.runtimeError) notes.push(`- ${r.path} (${r.formFactor}): runtime error ${r.lhr.runtimeError.code}: ${r.lhr.runtimeError.message}`);
    for (const w of r.lhr.runWarnings ?? []) notes.push(`- ${r.path} (${r.formFactor}): warning: ${w}`);
  }
  for (const e of errors) notes.push(`- ${e.path} (${e.formFactor}): Lighthouse failed: ${e.message}`);
  // Offline check: every request the pages made stays on the storefront's origin.
  const origin = new URL(baseUrl).origin;
  const foreign = new Set();
  for (const r of runs) {
    for (const item of r.lhr.audits["network-requests"]?.details?.items ?? []) {
      if (/^https?:/.test(item.url) && new URL(item.url).origin !== origin) foreign.add(item.url);
    }
  }
  for (const url of foreign) notes.push(`- request outside ${origin}: ${url}`);

  // Chromium applies the page's CSP to the DevTools Network.loadNetworkResource command
  // that Lighthouse reads robots.txt with (GoogleChrome/lighthouse#16597): under a
  // `default-src 'none'` policy without `connect-src 'self'`, the robots-txt audit fails
  // although the file is fine. Say so, with the file as the server gives it.
  const cspBlocked = runs.filter((r) => /CSP violation/.test(r.lhr.audits["robots-txt"]?.explanation ?? ""));
  if (cspBlocked.length) {
    let direct;
    try {
      const res = await fetch(`${baseUrl}/robots.txt`, { signal: AbortSignal.timeout(5000) });
      const body = await res.text();
      const lines = body.split("\n").filter((l) => /^\s*(user-agent|allow|disallow|sitemap)\s*:/i.test(l)).length;
      direct = `fetched directly it answers ${res.status} ${res.headers.get("content-type")}, ${lines} directive lines`;
    } catch (e) {
      direct = `fetched directly it fails too: ${e.message}`;
    }
    notes.push(
      `- robots-txt (${cspBlocked.length} of ${runs.length} runs): Lighthouse could not read /robots.txt because the page's ` +
        `Content-Security-Policy (no connect-src) blocks its DevTools fetch, not because the file is invalid; ${direct}. ` +
        "Adding `connect-src 'self'` to the policy lets Lighthouse read it (GoogleChrome/lighthouse#16597).",
    );
  }

  const below = [];
  for (const r of runs) {
    for (const id of CATEGORIES) {
      const cat = r.lhr.categories[id];
      if (!cat || cat.score === 1) continue;
      const audits = failingAudits(r.lhr, id);
      below.push(`### ${r.path}, ${r.formFactor}: ${cat.title} ${pct(cat.score)}`);
      if (!audits.length) below.push("- (no failing weighted audit: the score comes from metric values)");
      for (const a of audits) {
        const score = a.score === "error" ? "error" : a.score.toFixed(2);
        const weight = a.weight ? `, weight ${a.weight}` : ", weight 0 (informative)";
        below.push(`- \`${a.id}\`: ${a.title}: score ${score}${weight}${a.detail ? ` (${a.detail})` : ""}`);
      }
      below.push("");
    }
  }

  if (notes.length) out.push("", "Notes:", ...notes);
  if (below.length) out.push("", "## Audits below 100", "", ...below);
  else if (runs.length) out.push("", "Every category scores 100 on every page.");
  out.push("", `(${runs.length} Lighthouse runs in ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  console.log(out.join("\n"));

  // A run whose page could not be loaded (runtimeError) has no scores: if no run has
  // any, Lighthouse could not measure anything.
  return runs.some((r) => !r.lhr.runtimeError) ? 0 : 1;
}

main()
  .then(async (code) => {
    await shutdownChromium();
    process.exit(code);
  })
  .catch(async (e) => {
    console.error(`error: ${e?.stack || e}`);
    await shutdownChromium();
    process.exit(1);
  });
