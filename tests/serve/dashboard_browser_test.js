// The dashboard of `tandem serve` in Debian's chromium-headless-shell, driven by puppeteer-core:
// everything real — PostgreSQL with an active migration whose backfill runs in a `tandem start`
// process, a `tandem gateway` in front of the tests' backend with a deprecated version a client
// still calls, and `tandem serve` with actions and a token. Asserts what a person would look for:
// the progress bar moves, Pause/Resume work through their confirmation dialog, the verify state
// turns red when a mismatch is planted, the deprecated version's client is named; the page
// loads nothing from elsewhere and logs no error. Screenshots go to --shots.
// Run by dashboard_browser_test.sh.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const puppeteer = require(path.join(args.modules, 'puppeteer-core'));
const TOKEN = 'browser-test-token';
const GATEWAY_TOKEN = 'gateway-admin-token';
const children = [];

function log(...a) { console.error('[dashboard_browser]', ...a); }
function tandem(argv, opts = {}) {
  return execFileSync(args.tandem, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}
function psql(sql) {
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', args.db, '-c', sql], { stdio: ['ignore', 'pipe', 'pipe'] });
}
function background(program, argv, logName, env = {}) {
  const out = fs.openSync(path.join(args.work, logName), 'w');
  const child = spawn(program, argv, { stdio: ['ignore', out, out], env: { ...process.env, ...env } });
  children.push(child);
  return child;
}
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}
async function waitFor(what, fn, ms = 20000) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < ms) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}
async function waitPort(port) {
  await waitFor(`port ${port}`, () => new Promise(resolve => {
    const c = net.connect(port, '127.0.0.1', () => { c.end(); resolve(true); });
    c.on('error', () => resolve(false));
  }));
}
function check(cond, message) { if (!cond) throw new Error(message); }

async function main() {
  const work = args.work;
  fs.mkdirSync(args.shots, { recursive: true });
  const dir = path.join(work, 'migrations');
  fs.mkdirSync(dir);
  const examples = path.join(args.source, 'examples/expand-contract/orders');
  fs.copyFileSync(path.join(examples, '0001_create_orders.sql'), path.join(dir, '0001_create_orders.sql'));
  const db = ['--db', args.db, '--dir', dir];
  tandem([...db, 'up']);
  psql("INSERT INTO orders (customer, total_amount) SELECT 'c' || g, g % 1000 FROM generate_series(1, 24000) g");
  fs.copyFileSync(path.join(examples, '0002_orders_minor_units.yaml'), path.join(dir, '0002_orders_minor_units.yaml'));
  tandem([...db, 'flag', 'set', 'orders.read_new', 'false', '--reason', 'dual-write first']);

  // The gateway: the example config on free ports, in front of the tests' backend.
  const backend = background(args.backend, ['--port', '0'], 'backend.log');
  const backendPort = await waitFor('the backend', () => {
    const m = /listening (\d+)/.exec(fs.readFileSync(path.join(work, 'backend.log'), 'utf8'));
    return m && Number(m[1]);
  });
  const [gwPort, adminPort, servePort] = [await freePort(), await freePort(), await freePort()];
  const config = fs.readFileSync(path.join(args.source, 'examples/gateway/api.yaml'), 'utf8')
    .replace(/^listen: .*$/m, `listen: 127.0.0.1:${gwPort}`)
    .replace(/^admin: .*$/m, `admin: 127.0.0.1:${adminPort}`)
    .replace(/^state: .*$/m, `state: "sqlite:${path.join(work, 'gateway.db')}"`)
    .replace(/http:\/\/127\.0\.0\.1:7001/, `http://127.0.0.1:${backendPort}`);
  fs.writeFileSync(path.join(work, 'api.yaml'), config);
  background(args.tandem, ['gateway', '--config', path.join(work, 'api.yaml')], 'gateway.log',
             { TANDEM_GATEWAY_ADMIN_TOKEN: GATEWAY_TOKEN });
  await waitPort(gwPort);
  // A partner still on the deprecated version, and a client on head.
  for (let i = 0; i < 6; ++i) {
    const old = await fetch(`http://127.0.0.1:${gwPort}/orders`, { headers: { 'X-Client-Id': 'acme-legacy', 'Api-Version': '2024-01-01' } });
    check(old.status === 200, `the gateway answered ${old.status} to the old client`);
    await old.text();
    const head = await fetch(`http://127.0.0.1:${gwPort}/orders`, { headers: { 'X-Client-Id': 'beta-app', 'Api-Version': '2026-01-01' } });
    await head.text();
  }

  fs.writeFileSync(path.join(work, 'token'), TOKEN + '\n');
  background(args.tandem, [...db, 'serve', '--listen', `127.0.0.1:${servePort}`, '--refresh', '300ms',
                           '--allow-actions', '--token-file', path.join(work, 'token'),
                           '--gateway-admin', `http://127.0.0.1:${adminPort}`],
             'serve.log', { TANDEM_GATEWAY_ADMIN_TOKEN: GATEWAY_TOKEN });
  await waitPort(servePort);

  const browser = await puppeteer.launch({
    executablePath: args.browser, headless: 'shell',
    args: ['--no-sandbox', '--disable-gpu', '--window-size=1280,1800'],
    defaultViewport: { width: 1280, height: 1800 },
  });
  let page;
  let start;
  try {
    page = await browser.newPage();
    const problems = [];
    let authed = false;
    page.on('console', m => {
      if (m.type() !== 'error') return;
      // Before the token is typed, the API's 401s are what ask for it.
      if (!authed && /status of 401/.test(m.text())) return;
      problems.push('console: ' + m.text());
    });
    page.on('pageerror', e => problems.push('page error: ' + e.message));
    page.on('request', r => {
      if (!r.url().startsWith(`http://127.0.0.1:${servePort}/`)) problems.push('request elsewhere: ' + r.url());
    });
    const base = `http://127.0.0.1:${servePort}/`;
    await page.goto(base, { waitUntil: 'load' });

    // The token form (the API answered 401), filled in as a person would.
    const tokenInput = await page.waitForSelector('input[type=password]', { timeout: 10000 });
    const labelled = await page.evaluate(el => !!(el.labels && el.labels.length) || !!el.getAttribute('aria-label'), tokenInput);
    check(labelled, 'the token field has no label');
    await tokenInput.type(TOKEN);
    authed = true;
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="live-state"][data-state="live"]', { timeout: 15000 });

    // Now the migration starts, its backfill held to 1,500 rows/s: about 16 s for 24,000 rows.
    start = background(args.tandem, [...db, 'start', '--max-rows-per-second', '1500'], 'start.log');
    // The active migration and the backfill's bar moving.
    await page.waitForSelector('[data-testid="active-migration"]', { timeout: 15000 });
    const active = await page.$eval('[data-testid="active-migration"]', e => e.textContent);
    check(/orders_minor_units/.test(active) && /public_2/.test(active), `the active migration panel says: ${active}`);
    const bar = '[data-testid="backfill-row"][data-job="2/orders"] [data-testid="backfill-progress"]';
    await page.waitForSelector(bar, { timeout: 15000 });
    const value = () => page.$eval(bar, e => Number(e.value));
    const first = await waitFor('rows done > 0', async () => { const v = await value(); return v > 0 && v; });
    await waitFor('the progress bar to move', async () => (await value()) > first);
    const max = await page.$eval(bar, e => Number(e.max));
    check(max === 24000, `the bar's max is ${max}, not the 24,000 rows`);
    await page.screenshot({ path: path.join(args.shots, 'dashboard-backfill.png'), fullPage: true });

    // Pause, through its confirmation dialog; the bar stops; Resume.
    const row = '[data-testid="backfill-row"][data-job="2/orders"]';
    await page.click(`${row} [data-action="pause"]`);
    const dialog = await page.waitForSelector('dialog[open]', { timeout: 5000 });
    const question = await page.evaluate(d => d.textContent, dialog);
    check(question.includes('2/orders'), `the confirmation does not name the job: ${question}`);
    await page.click('dialog[open] [data-testid="confirm-ok"]');
    await page.waitForFunction(r => document.querySelector(r)?.textContent.includes('paused'), { timeout: 10000 }, row);
    // The runner stops after the batch in flight (a rows/s cap sleeps inside it): the bar
    // settles, then stays.
    let held = await value();
    await waitFor('the bar to settle', async () => {
      await new Promise(r => setTimeout(r, 1000));
      const now = await value();
      const same = now === held;
      held = now;
      return same;
    });
    await new Promise(r => setTimeout(r, 1500));
    check((await value()) === held, 'the bar moved while paused');
    await page.click(`${row} [data-action="resume"]`);
    await page.waitForSelector('dialog[open]', { timeout: 5000 });
    await page.click('dialog[open] [data-testid="confirm-ok"]');
    await waitFor('the bar to move again', async () => (await value()) > held);

    // The API panel: the deprecated version and the client still on it.
    const oldRow = '[data-testid="api-version-row"][data-version="2024-01-01"]';
    await page.waitForSelector(oldRow, { timeout: 20000 });
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="deprecated-clients"]')]
      .some(e => e.textContent.includes('acme-legacy')), { timeout: 20000 });
    const oldText = await page.$eval(oldRow, e => e.textContent.toLowerCase());
    check(oldText.includes('deprecated'), `the 2024-01-01 row does not say deprecated: ${oldText}`);
    const apiPanel = await page.$('[data-testid="deprecated-clients"]');
    await apiPanel.scrollIntoView();
    await page.screenshot({ path: path.join(args.shots, 'dashboard-api.png'), fullPage: true });

    // The backfill ends; verify is clean, then a planted mismatch turns it red.
    await waitFor('tandem start to finish', () => start.exitCode !== null, 60000);
    check(start.exitCode === 0, `tandem start failed: ${fs.readFileSync(path.join(work, 'start.log'), 'utf8')}`);
    tandem([...db, 'verify']);
    await page.waitForSelector('[data-testid="verify-state"][data-state="clean"]', { timeout: 15000 });
    psql("SET session_replication_role = replica; UPDATE orders SET _tandem_new_total_amount = 999999 WHERE id IN (7, 11, 13)");
    let verifyFailed = false;
    try { tandem([...db, 'verify']); } catch (e) { verifyFailed = e.status === 1; }
    check(verifyFailed, 'tandem verify did not exit 1 on the planted mismatches');
    const red = await page.waitForSelector('[data-testid="verify-state"][data-state="mismatches"]', { timeout: 15000 });
    const redText = await page.evaluate(e => e.closest('section').textContent, red);
    const api = await (await fetch(`${base}api/overview`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json();
    const count = api.verify[0].mismatches;
    check(count >= 3 && redText.includes(String(count)) && redText.includes('(7)'),
          `the red verify panel does not show the ${count} mismatches and a key: ${redText.slice(0, 400)}`);
    const alert = await page.$('[role="alert"]');
    check(alert !== null, 'no role=alert for the mismatches');
    await red.scrollIntoView();
    await page.screenshot({ path: path.join(args.shots, 'dashboard-verify-red.png'), fullPage: true });

    // Flags.
    await page.waitForSelector('[data-testid="flag-row"][data-key="orders.read_new"]', { timeout: 10000 });

    // Keyboard: every button and field can be reached and is named.
    const unnamed = await page.evaluate(() => [...document.querySelectorAll('button, input, select, textarea')]
      .filter(e => !(e.textContent.trim() || e.getAttribute('aria-label') || (e.labels && e.labels.length) || e.title))
      .map(e => e.outerHTML.slice(0, 80)));
    check(unnamed.length === 0, `controls without a name: ${unnamed.join(' | ')}`);

    check(problems.length === 0, `the page had problems:\n${problems.join('\n')}`);
    log('ok: progress moved, pause/resume, verify red, deprecated client shown');
  } catch (e) {
    // What the page showed when it failed.
    if (page) {
      await page.screenshot({ path: path.join(args.shots, 'failure.png'), fullPage: true }).catch(() => {});
      const state = await page.evaluate(() => ({
        live: document.querySelector('[data-testid="live-state"]')?.outerHTML,
        rows: [...document.querySelectorAll('[data-testid="backfill-row"]')].map(r => r.outerHTML.slice(0, 600)),
      })).catch(() => ({}));
      console.error('page at failure:', JSON.stringify(state, null, 1));
    }
    throw e;
  } finally {
    await browser.close();
  }
}

main().then(() => { for (const c of children) c.kill('SIGTERM'); process.exit(0); }, e => {
  console.error(e.stack || String(e));
  for (const name of ['serve.log', 'start.log', 'gateway.log']) {
    try { console.error(`--- ${name}\n` + fs.readFileSync(path.join(args.work, name), 'utf8').slice(-3000)); } catch (_) { /* none */ }
  }
  for (const c of children) c.kill('SIGTERM');
  process.exit(1);
});
