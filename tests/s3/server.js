#!/usr/bin/env node
// The S3 server pgark's integration tests talk to: s3rver (a real S3 implementation on the
// local filesystem) behind a small loopback proxy that adds what s3rver lacks:
//   - Signature V4 verification (s3rver 3.7 accepts any V4 signature): a wrong secret gets
//     403 SignatureDoesNotMatch, as on AWS;
//   - Content-MD5 verification (400 BadDigest);
//   - fault injection for retry tests: POST /__pgark/faults with a JSON list of
//     {"match": "<substring of METHOD URL>", "status": 503, "code": "SlowDown", "times": 1}
//     or {"match": ..., "reset": true, "times": 1} (the connection is destroyed);
//   - a request log: GET /__pgark/log?match=<substring> returns ["METHOD URL STATUS", ...];
//   - holding requests unanswered, for interrupt tests: POST /__pgark/hold with a JSON list of
//     {"match": "<substring of METHOD URL>", "range_start": 4096, "times": 1} holds the next
//     `times` matching (and signed) requests, with "range_start" only those whose Range header
//     is "bytes=<range_start>-..."; GET /__pgark/held?match=<substring> returns
//     ["METHOD URL bytes=A-B", ...] for every request held so far (a test polls it to know
//     that its request is waiting); POST /__pgark/release forwards the held requests (one
//     whose client has gone is dropped and logged "METHOD URL CLOSED").
// Usage: node --openssl-legacy-provider server.js DIR   (s3rver's list tokens use DES; prints the proxy's port on stdout, then serves until killed)
'use strict';
const crypto = require('crypto');
const http = require('http');
const S3rver = require('s3rver');

const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';
const BUCKETS = ['pgark-test'];

const dir = process.argv[2];
if (!dir) {
  console.error('usage: server.js DIR');
  process.exit(2);
}

const faults = [];
const log = [];
const holds = [];
const held = [];  // {line, range, req, res, body}, in arrival order; kept after release

function hmac(key, data) { return crypto.createHmac('sha256', key).update(data).digest(); }
function sha256hex(data) { return crypto.createHash('sha256').update(data).digest('hex'); }
function rfc3986(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function errorXml(code, message) {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

// Returns null if the request's SigV4 Authorization header is valid, else an error code.
function verifySignature(req) {
  const auth = req.headers['authorization'] || '';
  const m = auth.match(/^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/);
  if (!m) return 'AccessDenied';
  const [, accessKey, date, region, signedHeaders, signature] = m;
  if (accessKey !== ACCESS_KEY) return 'InvalidAccessKeyId';
  const [rawPath, rawQuery = ''] = req.url.split(/\?(.*)/s);
  const query = rawQuery === '' ? [] : rawQuery.split('&').map(p => {
    const [k, v = ''] = p.split(/=(.*)/s);
    return [rfc3986(decodeURIComponent(k)), rfc3986(decodeURIComponent(v))];
  });
  query.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const headers = signedHeaders.split(';').map(h =>
    `${h}:${String(req.headers[h] || '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [req.method, rawPath, query.map(([k, v]) => `${k}=${v}`).join('&'), headers,
                     signedHeaders, req.headers['x-amz-content-sha256'] || ''].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', req.headers['x-amz-date'], scope, sha256hex(canonical)].join('\n');
  let key = hmac('AWS4' + SECRET_KEY, date);
  key = hmac(hmac(hmac(key, region), 's3'), 'aws4_request');
  return hmac(key, toSign).toString('hex') === signature ? null : 'SignatureDoesNotMatch';
}

async function main() {
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: true,
                          configureBuckets: BUCKETS.map(name => ({ name })) });
  const inner = await s3.run();

  const proxy = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });

  function reply(req, res, status, code, message) {
    log.push(`${req.method} ${req.url} ${status}`);
    const body = req.method === 'HEAD' ? '' : errorXml(code, message);
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  // The control requests: a list to add to (POST), or the lines of a list that contain the
  // query's match=<substring> (GET).
  const addTo = { '/__pgark/faults': faults, '/__pgark/hold': holds };
  const lines = { '/__pgark/log': () => log, '/__pgark/held': () => held.map(h => `${h.line} ${h.range}`) };

  function handle(req, res, body) {
    const path = req.url.split('?')[0];
    if (addTo[path] && req.method === 'POST') {
      addTo[path].push(...JSON.parse(body.toString()));
      res.end('ok');
      return;
    }
    if (lines[path]) {
      const match = decodeURIComponent((req.url.split('match=')[1] || ''));
      res.end(JSON.stringify(lines[path]().filter(l => l.includes(match))));
      return;
    }
    if (req.url.startsWith('/__pgark/release') && req.method === 'POST') {
      for (const h of held) {
        if (h.released) continue;
        h.released = true;
        if (h.req.socket.destroyed) {
          log.push(`${h.line} CLOSED`);
        } else {
          forward(h.req, h.res, h.line, h.body);
        }
      }
      res.end('ok');
      return;
    }
    const sigError = verifySignature(req);
    if (sigError) {
      reply(req, res, 403, sigError, 'The request signature we calculated does not match the signature you provided.');
      return;
    }
    const md5 = req.headers['content-md5'];
    if (md5 && crypto.createHash('md5').update(body).digest('base64') !== md5) {
      reply(req, res, 400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
      return;
    }
    const line = `${req.method} ${req.url}`;
    const range = String(req.headers['range'] || '');
    const hold = holds.find(h => h.times > 0 && line.includes(h.match) &&
                                 (h.range_start === undefined || range.startsWith(`bytes=${h.range_start}-`)));
    if (hold) {
      hold.times -= 1;
      held.push({ line, range, req, res, body, released: false });
      return;
    }
    const fault = faults.find(f => f.times > 0 && line.includes(f.match));
    if (fault) {
      fault.times -= 1;
      if (fault.reset) {
        log.push(`${line} RESET`);
        req.socket.destroy();
        return;
      }
      reply(req, res, fault.status, fault.code || 'InternalError', 'injected by the pgark test server');
      return;
    }
    forward(req, res, line, body);
  }

  function forward(req, res, line, body) {
    const upstream = http.request({ host: '127.0.0.1', port: inner.port, method: req.method,
                                    path: req.url, headers: req.headers }, up => {
      log.push(`${line} ${up.statusCode}`);
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    upstream.on('error', err => reply(req, res, 502, 'InternalError', String(err)));
    upstream.end(body);
  }

  proxy.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${proxy.address().port}\n`);
  });
  const stop = () => { proxy.close(); s3.close(() => process.exit(0)); setTimeout(() => process.exit(0), 500); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch(err => { console.error(err); process.exit(1); });
