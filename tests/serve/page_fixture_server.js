#!/usr/bin/env node
// A fake `tandem serve` for developing and smoke-checking the dashboard page (src/serve/assets/)
// without a database: it serves the three assets and made-up but realistic /api/overview,
// /api/series, an /api/events SSE stream whose numbers move, and the POST actions. It is NOT what
// the browser tests run against (they use the real server and a real PostgreSQL).
//
//   node tests/serve/page_fixture_server.js [--port 8765] [--token T] [--actions] [--big]
//        [--drop-after S] [--split]
//
// --token T     every /api/ request needs "Authorization: Bearer T" (401 problem+json otherwise)
// --actions     "actions": true, the POST endpoints work
// --big         10,000 migrations in history (recent still bounded), 50 backfill jobs, 200 flags
// --drop-after  end the event stream after S seconds (the page must show "reconnecting")
// --split       write each SSE event in small chunks, splitting lines (tests the page's parser)
// --proxy URL   serve the assets from this worktree but forward every /api/ request (the event stream
//               included) to a real `tandem serve` at URL: the page against real data without
//               rebuilding the binary that embeds it
'use strict';

const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const has = (name) => args.includes(name);
const PORT = Number(opt('--port', '8765'));
const TOKEN = opt('--token', '');
const ACTIONS = has('--actions');
const BIG = has('--big');
const DROP_AFTER = Number(opt('--drop-after', '0'));
const SPLIT = has('--split');
const PROXY = opt('--proxy', '');
const ASSETS = path.join(__dirname, '..', '..', 'src', 'serve', 'assets');

const started = Date.now();
const iso = (t) => new Date(t).toISOString();
const ago = (ms) => iso(Date.now() - ms);

// ------------------------------------------------------------------ the simulated world

const jobs = [
  { id: '3/users', version: '3', table: 'users', command: 'start', state: 'running', waiting: '', rows_done: 12000,
    rows_updated: 11940, rows_total: 200000, batch_size: 500, rate: 40, error: '', runner: 'tandem start (pid 4121@db-worker-1)',
    started_at: ago(60000) },
  { id: '3/orders', version: '3', table: 'orders', command: 'start', state: 'running', waiting: '', rows_done: 200000,
    rows_updated: 200000, rows_total: 5000000, batch_size: 1000, rate: 2400, error: '', runner: 'tandem backfill (pid 4188@db-worker-2)',
    started_at: ago(120000), lagging: true },
  { id: '3/<b>evil</b>', version: '3', table: '<img src=x onerror=alert(1)>', command: 'start', state: 'paused', waiting: '',
    rows_done: 4000, rows_updated: 4000, rows_total: 10000, batch_size: 250, rate: 0, error: '', runner: 'tandem start (pid 11@host)',
    started_at: ago(400000) },
  { id: '2/accounts', version: '2', table: 'accounts', command: 'start', state: 'done', waiting: '', rows_done: 8000,
    rows_updated: 8000, rows_total: 8000, batch_size: 500, rate: 0, error: '', runner: '', started_at: ago(86400000),
    finished_at: ago(86000000) },
  { id: '1/legacy', version: '1', table: 'legacy', command: 'start', state: 'failed', waiting: '', rows_done: 100,
    rows_updated: 100, rows_total: null, batch_size: 100, rate: 0, error: 'deadlock detected (SQLSTATE 40P01); resume with tandem backfill resume 1/legacy',
    runner: '', started_at: ago(3 * 86400000), finished_at: ago(3 * 86400000 - 5000) },
];
if (BIG) {
  for (let i = 0; i < 45; i++) {
    jobs.push({ id: `${100 + i}/table_${i}`, version: String(100 + i), table: `table_${i}`, command: 'start',
      state: i < 5 ? 'running' : 'done', waiting: '', rows_done: i < 5 ? 1000 * i : 5000, rows_updated: 0, rows_total: 5000,
      batch_size: 500, rate: i < 5 ? 100 + i * 10 : 0, error: '', runner: '', started_at: ago(1000000 + i) });
  }
}

const rollouts = [
  { name: 'checkout-2025', state: 'running', step: 1, steps: [1, 5, 25, 50, 100], baseline: '2024-01-01', canary: '2025-01-01',
    why: 'error rate within 1 % of the baseline', baseline_requests: 98000, canary_requests: 5100, baseline_errors: 120, canary_errors: 9 },
  { name: 'search-v2', state: 'aborted', step: 0, steps: [1, 10, 100], baseline: '2024-01-01', canary: '2025-01-01',
    why: 'aborted by alice: latency p99 doubled', baseline_requests: 40000, canary_requests: 400, baseline_errors: 10, canary_errors: 40 },
];

let verifyMismatches = 3;
const seriesBack = {};
const seriesApi = { a: [], b: [], c: [] };
const verifyHistory = {
  3: Array.from({ length: 12 }, (_, i) => [started - (12 - i) * 60000, i < 9 ? 0 : 0.00002 * (i - 8), i < 9 ? 0 : i - 8]),
  2: Array.from({ length: 6 }, (_, i) => [started - 86400000 + i * 3600000, 0, 0]),
};

function step() {
  const now = Date.now();
  for (const j of jobs) {
    if (j.state !== 'running') continue;
    const wobble = 0.7 + 0.6 * Math.random();
    const lag = j.lagging ? Math.max(0, 0.4 + 2.2 * Math.sin((now - started) / 20000)) : null;
    j.waiting = lag !== null && lag > 1 ? `replication lag ${lag.toFixed(1)} s > 1 s` : '';
    const rate = j.waiting ? 0 : j.rate * wobble;
    j.rows_per_second = rate;
    j.rows_done = Math.min(j.rows_total, Math.round(j.rows_done + rate));
    j.rows_updated = Math.round(j.rows_done * 0.995);
    if (j.rows_done >= j.rows_total) { j.state = 'done'; j.finished_at = iso(now); }
    j.updated_at = iso(now);
    const s = (seriesBack[j.id] = seriesBack[j.id] || []);
    s.push([now, Math.round(rate * 10) / 10, lag === null ? null : Math.round(lag * 100) / 100]);
    if (s.length > 600) s.shift();
  }
  seriesApi.a.push([now, 40 + 10 * Math.random()]);
  seriesApi.b.push([now, 120 + 30 * Math.random()]);
  seriesApi.c.push([now, 8 + 4 * Math.random()]);
  for (const k of Object.keys(seriesApi)) if (seriesApi[k].length > 600) seriesApi[k].shift();
  for (const r of rollouts) {
    if (r.state !== 'running') continue;
    r.baseline_requests += Math.round(90 + 20 * Math.random());
    r.canary_requests += Math.round(5 + 2 * Math.random());
  }
}
// Ten minutes of history so that the charts have something from the start.
{
  const realNow = Date.now;
  for (let i = 120; i > 0; i--) {
    Date.now = () => realNow() - i * 5000;
    step();
  }
  Date.now = realNow;
}
setInterval(step, 1000);

function recentMigrations() {
  const rows = [{ version: '3', name: 'split_name', state: 'running', applied_at: ago(120000), duration_ms: null, applied_by: 'alice', error: '' },
    { version: '4', name: 'add_orders_index', state: 'pending', applied_at: null, duration_ms: null, applied_by: '', error: '' }];
  const n = 20;
  for (let i = 0; i < n; i++) {
    const v = 2 - i + (BIG ? 10000 : 0);
    rows.push({ version: String(BIG ? v : Math.max(1, 2 - i)), name: i === 1 ? 'add <script>alert(1)</script> column' : `migration_${i}`,
      state: i === 3 ? 'failed' : 'applied', applied_at: ago(86400000 * (i + 1)), duration_ms: 1200 + i * 337, applied_by: 'ci',
      error: i === 3 ? 'relation "foo" does not exist' : '' });
    if (!BIG && 2 - i <= 1) break;
  }
  return rows;
}

const flags = [
  { key: 'checkout.new_flow', type: 'boolean', value: true, default: false, allow: ['acme', 'globex'], deny: [], percent: 25,
    description: 'New checkout', version: 7, updated_at: ago(300000), updated_by: 'alice' },
  { key: 'search.backend', type: 'string', value: 'opensearch', default: 'pg', allow: [], deny: ['initech'], percent: null,
    description: '', version: 2, updated_at: ago(86400000 * 2), updated_by: 'bob' },
  { key: '<i>html-key</i>', type: 'object', value: { limit: 10 }, default: { limit: 5 }, allow: [], deny: [], percent: null,
    description: 'a key with markup in it', version: 1, updated_at: ago(86400000 * 40), updated_by: 'ci' },
];
if (BIG) for (let i = 0; i < 200; i++) flags.push({ key: `bulk.flag_${i}`, type: 'boolean', value: i % 2 === 0, default: false, allow: [], deny: [], percent: null, description: '', version: 1, updated_at: ago(i * 1000), updated_by: 'ci' });

function overview() {
  const now = Date.now();
  const backfills = jobs.map((j) => {
    const progress = j.rows_total ? Math.min(1, j.rows_done / j.rows_total) : (j.state === 'done' ? 1 : null);
    const rps = j.state === 'running' ? (j.rows_per_second || 0) : 0;
    const eta = j.state === 'running' && rps > 0 && j.rows_total ? Math.round(((j.rows_total - j.rows_done) / rps) * 1000) : null;
    return { id: j.id, version: j.version, table: j.table, command: j.command, state: j.state, waiting: j.state === 'running' ? j.waiting : '',
      rows_done: j.rows_done, rows_updated: j.rows_updated, rows_total: j.rows_total, progress, batch_size: j.batch_size,
      rows_per_second: Math.round(rps * 10) / 10, eta_ms: eta, error: j.error, runner: j.runner, started_at: j.started_at,
      updated_at: j.updated_at || j.started_at, finished_at: j.finished_at || null };
  });
  backfills.sort((a, b) => (['running', 'paused'].includes(b.state) ? 1 : 0) - (['running', 'paused'].includes(a.state) ? 1 : 0));
  const verifyRows = 50000;
  return {
    generated_at: iso(now),
    database: 'postgres://app:****@127.0.0.1:5432/app',
    backend: 'postgres',
    actions: ACTIONS,
    refresh_ms: 1000,
    errors: Math.floor((now - started) / 30000) % 4 === 3 ? ['cannot read flags: relation "tandem.flags" does not exist'] : [],
    migrations: {
      current_version: '2', applied: BIG ? 10000 : 2, pending: 1, failed: 1, lock_holder: 'tandem start (pid 4121@db-worker-1)',
      active: { version: '3', name: 'split_name', phase: 'started', old_schema: 'public_2', new_schema: 'public_3',
        next_step: 'tandem complete (or tandem rollback)' },
      recent: recentMigrations(),
      total: BIG ? 10002 : 4, folder: 'migrations',
      problems: [{ kind: 'failed', file: 'migrations/0001_legacy.sql', line: 3, message: 'migration 1 failed: relation "foo" does not exist',
        hint: 'fix the file, then run tandem up again' }],
    },
    backfills,
    verify: [
      { version: '3', at: ago(20000), status: verifyMismatches ? 'mismatches' : 'clean', rows: verifyRows, mismatches: verifyMismatches,
        mismatch_rate: verifyMismatches / verifyRows,
        checks: [{ table: 'users', column: 'full_name', direction: 'up', rows: verifyRows, mismatches: verifyMismatches,
          sample_keys: verifyMismatches ? ['(17)', '(4242)', '(<b>9</b>)'] : [] },
        { table: 'users', column: 'first_name', direction: 'down', rows: verifyRows, mismatches: 0, sample_keys: [] }] },
      { version: '2', at: ago(86400000), status: 'clean', rows: 8000, mismatches: 0, mismatch_rate: 0,
        checks: [{ table: 'accounts', column: 'email_lower', direction: 'up', rows: 8000, mismatches: 0, sample_keys: [] }] },
    ],
    flags,
    flag_changes: [
      { key: 'checkout.new_flow', at: ago(300000), actor: 'alice', action: 'set', reason: 'widen to 25 %', before: false, after: true },
      { key: 'search.backend', at: ago(86400000 * 2), actor: 'bob', action: 'set', reason: '', before: 'pg', after: 'opensearch' },
    ],
    apis: [
      { gateway: 'http://127.0.0.1:9090', ok: true, error: '',
        versions: [
          { version: '2023-01-01', head: false, deprecated: '2024-01-01', sunset: iso(now - 5 * 86400000).slice(0, 10), requests: 312,
            clients: [{ client: 'old-mobile-app', requests: 300, last_seen: ago(4000) }, { client: '<script>x</script>', requests: 12, last_seen: ago(3600000) }] },
          { version: '2024-01-01', head: false, deprecated: '2025-06-01', sunset: iso(now + 20 * 86400000).slice(0, 10), requests: 98012,
            clients: [{ client: 'acme', requests: 90000, last_seen: ago(1000) }, { client: 'globex', requests: 8012, last_seen: ago(60000) }] },
          { version: '2025-01-01', head: true, deprecated: null, sunset: null, requests: 25100,
            clients: [{ client: 'web', requests: 25100, last_seen: ago(500) }] },
        ],
        rollouts,
        shadows: [{ name: 'orders-v2', compared: 10000, mismatches: 7, mismatch_ratio: 0.0007 },
          { name: 'users-v2', compared: 5000, mismatches: 0, mismatch_ratio: 0 }] },
      { gateway: 'http://10.0.0.7:9090', ok: false, error: 'connect: connection refused', versions: [], rollouts: [], shadows: [] },
    ],
  };
}

function seriesDoc() {
  const back = {};
  for (const [id, pts] of Object.entries(seriesBack)) back[id] = pts;
  return { backfills: back,
    apis: { 'http://127.0.0.1:9090': { '2023-01-01': seriesApi.c, '2024-01-01': seriesApi.b, '2025-01-01': seriesApi.a } },
    verify: verifyHistory };
}

// ------------------------------------------------------------------ HTTP

const CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

function problem(res, status, title, detail) {
  res.writeHead(status, { 'Content-Type': 'application/problem+json', 'Content-Security-Policy': CSP });
  res.end(JSON.stringify({ type: 'about:blank', title, status, detail }));
}

function json(res, body) {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Security-Policy': CSP });
  res.end(JSON.stringify(body));
}

function authorized(req) {
  if (!TOKEN) return true;
  return req.headers.authorization === `Bearer ${TOKEN}` || req.headers['x-api-key'] === TOKEN;
}

function events(req, res) {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'Content-Security-Policy': CSP });
  const send = (text) => {
    if (!SPLIT) { res.write(text); return; }
    for (let i = 0; i < text.length; i += 7) res.write(text.slice(i, i + 7)); // Node may still coalesce; good enough
  };
  const push = () => send(`event: overview\r\ndata: ${JSON.stringify(overview())}\r\n\r\n`);
  send('retry: 2000\n\n: hello\n\n');
  push();
  const t1 = setInterval(push, 1000);
  const t2 = setInterval(() => send(': ping\n\n'), 5000);
  const t3 = DROP_AFTER ? setTimeout(() => res.end(), DROP_AFTER * 1000) : null;
  req.on('close', () => { clearInterval(t1); clearInterval(t2); if (t3) clearTimeout(t3); });
}

function readBody(req) {
  return new Promise((resolve) => {
    let b = '';
    req.on('data', (c) => { b += c; });
    req.on('end', () => resolve(b));
  });
}

async function action(req, res, parts) {
  if (!ACTIONS) return problem(res, 403, 'actions-disabled', 'start tandem serve with --allow-actions to use the buttons');
  const body = await readBody(req);
  if (parts[1] === 'backfills' && parts.length === 4) {
    const id = decodeURIComponent(parts[2]);
    const job = jobs.find((j) => j.id === id);
    if (!job) return problem(res, 404, 'not-found', `no backfill job ${id}`);
    const prev = job.state;
    const allowed = { pause: ['running'], resume: ['paused'], cancel: ['running', 'paused'] }[parts[3]];
    if (!allowed) return problem(res, 404, 'not-found', `unknown action ${parts[3]}`);
    if (!allowed.includes(prev)) return problem(res, 409, 'invalid-state', `job ${id} is ${prev}: cannot ${parts[3]} it`);
    job.state = { pause: 'paused', resume: 'running', cancel: 'cancelled' }[parts[3]];
    return json(res, { job: overview().backfills.find((j) => j.id === id), previous_state: prev });
  }
  if (parts[1] === 'rollouts' && parts.length === 5) {
    if (parts[2] !== '0') return problem(res, 502, 'gateway-unreachable', 'gateway 1 (http://10.0.0.7:9090): connection refused');
    const name = decodeURIComponent(parts[3]);
    const r = rollouts.find((x) => x.name === name);
    if (!r) return problem(res, 404, 'not-found', `no rollout ${name}`);
    let reason = '';
    try { reason = JSON.parse(body || '{}').reason || ''; } catch (_) { return problem(res, 400, 'bad-request', 'body is not JSON'); }
    if (parts[4] === 'promote') {
      if (r.step + 1 >= r.steps.length) r.state = 'complete'; else r.step++;
    } else if (parts[4] === 'abort') {
      r.state = 'aborted';
      r.why = `aborted from the dashboard${reason ? `: ${reason}` : ''}`;
    } else return problem(res, 404, 'not-found', `unknown action ${parts[4]}`);
    r.share = r.steps[r.step] / 100;
    return json(res, r);
  }
  return problem(res, 404, 'not-found', req.url);
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  if (req.method === 'GET' && (p === '/' || p.startsWith('/assets/'))) {
    const file = p === '/' ? 'index.html' : p.slice('/assets/'.length);
    if (!/^[a-z0-9_.-]+$/i.test(file)) return problem(res, 404, 'not-found', p);
    fs.readFile(path.join(ASSETS, file), (err, data) => {
      if (err) return problem(res, 404, 'not-found', p);
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Content-Security-Policy': CSP,
        'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
      res.end(data);
    });
    return;
  }
  if (!p.startsWith('/api/')) return problem(res, 404, 'not-found', p);
  if (PROXY) {
    const target = new URL(req.url, PROXY);
    const headers = Object.assign({}, req.headers, { host: target.host });
    const up = http.request(target, { method: req.method, headers }, (ur) => {
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
    });
    up.on('error', (e) => problem(res, 502, 'proxy', `${PROXY}: ${e.message}`));
    res.on('close', () => up.destroy()); // the browser went away (or the answer is complete)
    req.pipe(up);
    return;
  }
  if (!authorized(req)) return problem(res, 401, 'unauthorized', 'send Authorization: Bearer TOKEN (tandem serve --token-file)');
  const parts = p.split('/').filter(Boolean); // ['api', ...], still percent-encoded
  if (req.method === 'POST') return action(req, res, parts);
  if (p === '/api/overview') return json(res, overview());
  if (p === '/api/series') return json(res, seriesDoc());
  if (p === '/api/events') return events(req, res);
  if (p === '/api/migrations') {
    const limit = Math.min(1000, Number(url.searchParams.get('limit') || '100'));
    const before = Number(url.searchParams.get('before') || String((BIG ? 10000 : 2) + 1));
    if (!Number.isFinite(before)) return problem(res, 400, 'bad-request', 'before must be a version');
    const rows = [];
    for (let v = before - 1; v >= 1 && rows.length < limit; v--) {
      rows.push({ version: String(v), name: `migration_${v}`, state: 'applied', applied_at: ago(86400000 * (BIG ? 10002 - v : 3 - v)),
        duration_ms: 800 + (v % 7) * 100, applied_by: 'ci', error: '' });
    }
    const last = rows.length ? Number(rows[rows.length - 1].version) : 1;
    return json(res, { migrations: rows, next: last > 1 ? String(last) : null });
  }
  // Test hooks for the fixture only: plant or clear the verify mismatch.
  if (p === '/api/_fixture/mismatch') { verifyMismatches = Number(url.searchParams.get('n') || '0'); return json(res, { mismatches: verifyMismatches }); }
  return problem(res, 404, 'not-found', p);
});

server.listen(PORT, '127.0.0.1', () => {
  process.stdout.write(`page fixture server on http://127.0.0.1:${PORT}/${PROXY ? ` (api from ${PROXY})` : ''}`
    + `${TOKEN ? ' (token required)' : ''}${ACTIONS ? ' (actions on)' : ''}\n`);
});
