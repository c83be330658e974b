// The origin's local mailbox (`/dev/mail`, development only), read by the SDK and the
// browser tests: the page lists every mail sent, each in an <article> with its HTML
// escaped inside, so entities are decoded (twice) before a mail is searched.
import assert from "node:assert/strict";

// The mails of a mailbox page, their text with HTML entities decoded.
export const mails = (page) => page.split(/<article\b/i).slice(1).map((m) => decodeEntities(decodeEntities(m)));

function decodeEntities(s) {
  const named = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#([0-9]+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&(amp|lt|gt|quot|apos);/g, (_, k) => named[k]);
}

// The mailbox page of the origin at `originUrl`.
export async function mailbox(originUrl) {
  assert.ok(originUrl, "E2E_ORIGIN_URL is not set: run scripts/test");
  const res = await fetch(`${originUrl}/dev/mail`, { signal: AbortSignal.timeout(5_000) });
  return res.ok ? await res.text() : `${res.status}`;
}

// Polls the mailbox for up to ~10 s until a mail to `to` matches `pattern`; answers
// that mail's text.
export async function mailTo(originUrl, to, pattern) {
  let seen = "";
  for (let i = 0; i < 20; i++) {
    if (i) await new Promise((ok) => setTimeout(ok, 500));
    seen = await mailbox(originUrl);
    const found = mails(seen).find((m) => m.includes(to) && pattern.test(m));
    if (found) return found;
  }
  assert.fail(`no mail to ${to} matching ${pattern} in ${originUrl}/dev/mail:\n${seen.slice(0, 2000)}`);
}
