// OpenFeature's own SDKs against `tandem serve`, with no tandem-specific code: the server SDK
// with the OFREP provider (one remote evaluation per call) and the web SDK with the OFREP web
// provider (bulk evaluation polled with If-None-Match). Flags are changed with the tandem CLI.
// Usage: node ofrep_openfeature.js NODE_MODULES TANDEM DB_URL
'use strict';
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const [modules, tandem, dbUrl] = process.argv.slice(2);
const need = (name) => require(path.resolve(modules, name));
const server = need('@openfeature/server-sdk');
const { OFREPProvider } = need('@openfeature/ofrep-provider');
const web = need('@openfeature/web-sdk');
const { OFREPWebProvider } = need('@openfeature/ofrep-web-provider');

const REFRESH_MS = 200;
const POLL_MS = 500;
let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const flag = (...args) => execFileSync(tandem, ['--db', dbUrl, 'flag', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });

function startServe() {
  return new Promise((resolve, reject) => {
    const p = spawn(tandem, ['--db', dbUrl, 'serve', '--listen', '127.0.0.1:0', '--refresh', `${REFRESH_MS}ms`],
                    { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
      const m = /serving (http:\/\/[^ ]+)/.exec(err);
      if (m) resolve({ proc: p, url: m[1] });
    });
    p.on('exit', (code) => reject(new Error(`tandem serve exited (${code}): ${err}`)));
    // A startup line that changed must fail here, not hang until ctest's timeout.
    setTimeout(() => { p.kill(); reject(new Error(`no "serving http://…" line from tandem serve in 20 s: ${err}`)); }, 20000).unref();
  });
}

// Waits until `probe()` returns true; the milliseconds it took, or -1 after `limit`.
async function until(probe, limit) {
  const started = Date.now();
  while (Date.now() - started < limit) {
    if (await probe()) return Date.now() - started;
    await sleep(25);
  }
  return -1;
}

(async () => {
  flag('set', 'orders.read_new', 'true', '--percent', '30', '--deny', 'tenant-denied', '--reason', 'canary');
  flag('set', 'checkout.theme', 'blue', '--type', 'string');
  flag('set', 'limits', '{"max": 10, "burst": [1, 2]}');
  flag('set', 'ratio', '0.25');
  const { proc, url } = await startServe();
  try {
    // --- the server SDK: every evaluation is a POST /ofrep/v1/evaluate/flags/{key}
    await server.OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: url }));
    const client = server.OpenFeature.getClient();
    let on = 0;
    const firstValues = new Map();
    for (let i = 0; i < 2000; i++) {
      const d = await client.getBooleanDetails('orders.read_new', false, { targetingKey: `tenant-${i}` });
      if (d.value) on++;
      firstValues.set(i, d.value);
      if (i === 0) check(d.reason === 'SPLIT' && (d.variant === "value" || d.variant === "default"), `reason SPLIT and a variant (${d.reason}, ${d.variant})`);
    }
    check(on >= 540 && on <= 660, `30% of 2000 targeting keys get true (${on})`);
    let sticky = true;
    for (let i = 0; i < 200; i++) {
      const v = await client.getBooleanValue('orders.read_new', false, { targetingKey: `tenant-${i}` });
      if (v !== firstValues.get(i)) sticky = false;
    }
    check(sticky, 'a tenant gets the same answer every time');
    const denied = await client.getBooleanDetails('orders.read_new', true, { targetingKey: 'tenant-denied' });
    check(denied.value === false && denied.reason === 'TARGETING_MATCH', `a denied tenant gets false (${denied.value}, ${denied.reason})`);
    check((await client.getStringValue('checkout.theme', 'x')) === 'blue', 'a string flag');
    const limits = await client.getObjectValue('limits', {});
    check(JSON.stringify(limits) === '{"burst":[1,2],"max":10}', `a JSON flag (${JSON.stringify(limits)})`);
    check((await client.getNumberValue('ratio', 0)) === 0.25, 'a number flag');
    const missing = await client.getBooleanDetails('no.such.flag', true);
    check(missing.value === true && missing.errorCode === 'FLAG_NOT_FOUND', `a missing flag falls back to the code default (${missing.errorCode})`);
    const mismatch = await client.getNumberDetails('checkout.theme', 7);
    check(mismatch.value === 7 && mismatch.errorCode === 'TYPE_MISMATCH', `a type mismatch falls back (${mismatch.errorCode})`);

    // The kill switch: a change is seen by the next evaluations, within the refresh interval.
    const wasOn = [...firstValues.entries()].find(([, v]) => v)[0];
    const changedAt = Date.now();
    flag('set', 'orders.read_new', 'false', '--reason', 'verify found mismatches');
    const seen = await until(async () => (await client.getBooleanValue('orders.read_new', true, { targetingKey: `tenant-${wasOn}` })) === false, 5000);
    check(seen >= 0, `the server SDK sees the kill switch ${Date.now() - changedAt} ms after \`flag set\` returned (refresh ${REFRESH_MS} ms)`);

    // --- the web SDK: bulk evaluation, polled with If-None-Match
    await web.OpenFeature.setContext({ targetingKey: 'tenant-1' });
    await web.OpenFeature.setProviderAndWait(new OFREPWebProvider({ baseUrl: url, pollInterval: POLL_MS, cacheMode: 'disabled' }));
    const wclient = web.OpenFeature.getClient();
    check(wclient.getStringValue('checkout.theme', 'x') === 'blue', 'the web SDK reads a string flag');
    check(wclient.getBooleanValue('orders.read_new', true) === false, 'the web SDK reads the bool flag');
    await sleep(3 * POLL_MS);  // unchanged polls: 304 Not Modified
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const notModified = /tandem_serve_requests_total\{[^}]*route="ofrep_bulk"[^}]*status="304"[^}]*\} (\d+)/.exec(metrics) ||
                        /tandem_serve_requests_total\{[^}]*status="304"[^}]*route="ofrep_bulk"[^}]*\} (\d+)/.exec(metrics);
    check(notModified && Number(notModified[1]) >= 1, `unchanged polls are answered 304 (${notModified ? notModified[1] : 0})`);
    let changedEvent = false;
    wclient.addHandler(web.ProviderEvents.ConfigurationChanged, () => { changedEvent = true; });
    const webChangedAt = Date.now();
    flag('set', 'checkout.theme', 'green');
    const webSeen = await until(() => wclient.getStringValue('checkout.theme', 'x') === 'green', 10000);
    const webTook = Date.now() - webChangedAt;
    check(webSeen >= 0 && webTook <= POLL_MS + REFRESH_MS + 1500, `the web SDK sees a change within one poll interval (${webTook} ms; poll ${POLL_MS} ms + refresh ${REFRESH_MS} ms)`);
    check(changedEvent, 'the web SDK emits ConfigurationChanged');

    // --- tandem serve is gone: the SDKs fall back, nothing throws
    proc.kill('SIGKILL');
    await sleep(200);
    const down = await client.getBooleanDetails('orders.read_new', true, { targetingKey: 'tenant-1' });
    check(down.value === true && down.reason === 'ERROR', `serve down: the server SDK returns the code default (${down.value}, ${down.reason}, ${down.errorCode})`);
    check(wclient.getStringValue('checkout.theme', 'x') === 'green', 'serve down: the web SDK keeps the last values');
  } finally {
    proc.kill('SIGKILL');
    await web.OpenFeature.close().catch(() => {});
    await server.OpenFeature.close().catch(() => {});
  }
  if (failures) {
    console.error(`${failures} check(s) failed`);
    process.exit(1);
  }
  console.log('all checks passed');
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
