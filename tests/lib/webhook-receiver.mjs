// A webhook receiver for the end-to-end tests: verifies every delivery with the
// `standardwebhooks` package (an implementation of the Standard Webhooks
// specification independent of ours), records it, and answers as its path's first
// word says:
//   /ok-NAME      204
//   /flaky-NAME   500 for the first two attempts of each webhook-id, then 200
//   /slow-NAME    answers after 3 s (longer than the origin's attempt timeout in the tests)
//   /gone-NAME    410
//   /down-NAME    500 with `Retry-After: 1`
// Control: PUT /_secret/NAME with the endpoint's whsec_ secret as the body (until then
// deliveries to NAME are recorded as unverified); GET /_log/NAME: what NAME received.
// Prints `listening PORT` once it listens on 127.0.0.1 (port 0: any free one).
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

const secrets = new Map();
const logs = new Map();
const attempts = new Map();

function record(name, entry) {
  if (!logs.has(name)) logs.set(name, []);
  logs.get(name).push(entry);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const [, first, name] = req.url.split('?')[0].split('/');
    if (req.method === 'PUT' && first === '_secret') {
      secrets.set(name, body.trim());
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET' && first === '_log') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(logs.get(name) ?? []));
      return;
    }
    const mode = first.split('-')[0];
    const id = req.headers['webhook-id'];
    let verified = false;
    let error = null;
    let payload = null;
    try {
      const secret = secrets.get(first);
      if (!secret) throw new Error('no secret for this endpoint yet');
      payload = new Webhook(secret).verify(body, req.headers);
      verified = true;
    } catch (e) {
      error = String(e.message ?? e);
    }
    const key = `${first} ${id}`;
    const seen = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, seen);
    let status = 204;
    let headers = {};
    if (mode === 'flaky' && seen <= 2) status = 500;
    if (mode === 'gone') status = 410;
    if (mode === 'down') { status = 500; headers = { 'retry-after': '1' }; }
    record(first, {
      id, attempt: seen, verified, error, status,
      signatures: (req.headers['webhook-signature'] ?? '').split(' ').length,
      type: payload?.type ?? null, sequence: payload?.sequence ?? null, data: payload?.data ?? null,
    });
    const answer = () => { res.writeHead(status, headers); res.end(status === 204 ? undefined : 'no'); };
    if (mode === 'slow') setTimeout(answer, 3000); else answer();
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
// Bounded: the receiver stops by itself after ten minutes.
setTimeout(() => process.exit(0), 10 * 60 * 1000).unref();
