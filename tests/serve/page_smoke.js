#!/usr/bin/env node
// Smoke check of the dashboard page in Debian's chromium-headless-shell, driven over the DevTools
// protocol with Node's own WebSocket (no npm package). Meant for the fixture server
// (page_fixture_server.js) while developing the page; the real browser tests run against the real
// server. Needs Node >= 20.10 with --experimental-websocket (built in from Node 22).
//
//   node tests/serve/page_fixture_server.js --port 8765 --actions &
//   node --experimental-websocket tests/serve/page_smoke.js --url http://127.0.0.1:8765/ --out /tmp/shots
//   (with --token T on both to check the token form; --drop-after 5 on the fixture and --reconnect
//   here to check that the page reconnects)
//
// Exits 1 with the failed checks listed when one fails; writes light and dark full-page screenshots.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const URL_ = opt('--url', 'http://127.0.0.1:8765/');
const OUT = opt('--out', '/tmp/tandem-page-shots');
const TOKEN = opt('--token', '');
const CHROME = opt('--chrome', process.env.CHROME || '/usr/bin/chromium-headless-shell');
const FIXTURE = !args.includes('--real'); // fixture-only hooks (/api/_fixture/...) are used unless --real

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const failures = [];
function check(ok, what) {
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${what}\n`);
  if (!ok) failures.push(what);
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const chrome = spawn(CHROME, ['--no-sandbox', '--headless', '--remote-debugging-port=0', '--window-size=1280,900', 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  const wsUrl = await new Promise((resolve, reject) => {
    let err = '';
    chrome.stderr.on('data', (d) => {
      err += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    chrome.on('exit', (c) => reject(new Error(`chromium exited ${c}: ${err}`)));
    setTimeout(() => reject(new Error(`no DevTools URL: ${err}`)), 15000);
  });

  const ws = new WebSocket(wsUrl);
  await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
  let nextId = 1;
  const waiting = new Map();
  const problems = [];
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id && waiting.has(msg.id)) {
      const { resolve, reject } = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.error) reject(new Error(JSON.stringify(msg.error))); else resolve(msg.result);
    } else if (msg.method === 'Runtime.exceptionThrown') {
      problems.push(`exception: ${msg.params.exceptionDetails.exception?.description || msg.params.exceptionDetails.text}`);
    } else if (msg.method === 'Runtime.consoleAPICalled' && msg.params.type === 'error') {
      problems.push(`console.error: ${msg.params.args.map((a) => a.value || a.description).join(' ')}`);
    } else if (msg.method === 'Log.entryAdded' && msg.params.entry.level === 'error') {
      const e = msg.params.entry;
      // A 401 answer is logged as a failed resource load (expected in the token check), and so is the
      // 409 this script provokes on purpose.
      const expected = e.source === 'network' && ((TOKEN && /\b401\b/.test(e.text)) || /\b409\b/.test(e.text));
      if (!expected) problems.push(`log(${e.source}): ${e.text}`);
    }
  };
  let session = null;
  const send = (method, params) => new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    ws.send(JSON.stringify(Object.assign({ id, method, params: params || {} }, session ? { sessionId: session } : {})));
  });

  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  ({ sessionId: session } = await send('Target.attachToTarget', { targetId, flatten: true }));
  await send('Runtime.enable');
  await send('Log.enable');
  await send('Page.enable');

  const evaluate = async (expr) => {
    const r = await send('Runtime.evaluate', { expression: expr, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`${expr}: ${r.exceptionDetails.exception?.description || r.exceptionDetails.text}`);
    return r.result.value;
  };
  const waitFor = async (expr, ms, what) => {
    const end = Date.now() + (ms || 10000);
    while (Date.now() < end) {
      try { if (await evaluate(expr)) { check(true, what); return true; } } catch (_) { /* not yet */ }
      await sleep(200);
    }
    check(false, `${what} (waited ${ms || 10000} ms for ${expr})`);
    return false;
  };
  const key = async (k, code, keyCode) => {
    await send('Input.dispatchKeyEvent', { type: 'keyDown', key: k, code, windowsVirtualKeyCode: keyCode });
    await send('Input.dispatchKeyEvent', { type: 'keyUp', key: k, code, windowsVirtualKeyCode: keyCode });
  };
  // A full-page screenshot; with panels, also one picture per <section> (for docs and for looking
  // at details without scaling the whole page down).
  const shot = async (name, panels) => {
    const m = await send('Page.getLayoutMetrics');
    const h = Math.ceil(m.cssContentSize.height);
    await send('Emulation.setDeviceMetricsOverride', { width: 1280, height: h, deviceScaleFactor: 1, mobile: false });
    await sleep(300);
    const save = async (file, clip) => {
      const { data } = await send('Page.captureScreenshot', Object.assign({ format: 'png', captureBeyondViewport: true }, clip ? { clip } : {}));
      fs.writeFileSync(path.join(OUT, file), Buffer.from(data, 'base64'));
      process.stdout.write(`     screenshot ${path.join(OUT, file)}\n`);
    };
    await save(name);
    if (panels) {
      const rects = await evaluate(`[...document.querySelectorAll('header, main > section')].map((e) => {
        const r = e.getBoundingClientRect();
        return { id: e.id || 'header', x: r.x, y: r.y + window.scrollY, width: r.width, height: r.height };
      })`);
      for (const r of rects) {
        await save(name.replace(/\.png$/, `-${r.id}.png`), { x: r.x, y: r.y, width: r.width, height: r.height, scale: 1 });
      }
    }
    await send('Emulation.clearDeviceMetricsOverride');
  };
  const q = (sel) => `document.querySelector(${JSON.stringify(sel)})`;

  await send('Page.navigate', { url: URL_ });
  await evaluate('sessionStorage.clear(), 1').catch(() => {});

  if (TOKEN) {
    await waitFor(`!${q('[data-testid="token-form"]')}.hidden`, 10000, 'the token form appears after a 401');
    check(await evaluate(`document.activeElement && document.activeElement.id === 'token-input'`), 'the token input has focus');
    check(await evaluate(`${q('[data-testid="live-state"]')}.dataset.state === 'auth'`), 'live-state says a token is needed');
    await evaluate(`(() => { const i = ${q('#token-input')}; i.value = ${JSON.stringify(TOKEN)}; i.form.requestSubmit(); return 1; })()`);
    await shot('token-accepted.png').catch(() => {});
  }

  await waitFor(`${q('[data-testid="live-state"]')}.dataset.state === 'live'`, 15000, 'live-state becomes live');
  await waitFor(`document.querySelectorAll('[data-testid="backfill-row"]').length > 0`, 5000, 'backfill rows are shown');
  let running = await evaluate(`(() => { const r = document.querySelector('[data-testid="backfill-row"][data-state="running"]'); return r && r.dataset.job; })()`);
  check(!!running, `a running backfill job is shown (${running})`);
  if (running) {
    const sel = `[data-testid="backfill-row"][data-job=${JSON.stringify(running)}] [data-testid="backfill-progress"]`;
    const v0 = await evaluate(`${q(sel)}.value`);
    await waitFor(`${q(sel)}.value > ${v0}`, 8000, `the progress of ${running} moves (from ${v0})`);
    check(/^\d+(\.\d)? % — [\d,]+ \/ [\d,]+ rows$/.test(await evaluate(`${q(`[data-testid="backfill-row"][data-job=${JSON.stringify(running)}] [data-testid="backfill-progress-text"]`)}.textContent`)),
      'the progress text reads like "40 % — 20,000 / 50,000 rows"');
  }
  await waitFor(`document.querySelectorAll('[data-testid="backfill-chart"] svg path').length > 0`, 8000, 'a rows/s chart is drawn from /api/series');
  check(await evaluate(`!!${q('[data-testid="active-migration"]')}`), 'the active migration is shown');
  if (FIXTURE) {
    check(await evaluate(`${q('[data-testid="verify-state"][data-state="mismatches"]')}?.getAttribute('role') === 'alert'`), 'a verify with mismatches is an alert');
    check(await evaluate(`${q('#correctness')}.classList.contains('bad')`), 'the correctness panel is red (class bad)');
    check(await evaluate(`/acme/.test(${q('[data-testid="api-version-row"][data-version="2024-01-01"] [data-testid="deprecated-clients"]')}.textContent)`),
      'the deprecated version lists its clients');
    check(await evaluate(`!!${q('[data-testid="flag-row"][data-key="<i>html-key</i>"]')} && !document.querySelector('#flags i, img[src="x"], #backfills b, #correctness b')`),
      'names holding markup are shown as text, never parsed');
  }
  if (await evaluate(`!!${q('[data-testid="load-older"]')}`)) {
    await evaluate(`${q('[data-testid="load-older"]')}.click(), 1`);
    await waitFor(`document.querySelectorAll('[data-testid="older-migrations"] [data-testid="migration-row"]').length >= 100`, 5000,
      'Show older migrations loads a page from /api/migrations');
    await evaluate(`${q('[data-testid="load-older"]')}.click(), 1`);
    await waitFor(`document.querySelectorAll('[data-testid="older-migrations"] [data-testid="migration-row"]').length >= 200`, 5000,
      'and the next page after it');
  }
  await shot('dashboard-light.png', true);
  await send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: 'dark' }] });
  await shot('dashboard-dark.png', true);
  await send('Emulation.setEmulatedMedia', { features: [] });

  const hasActions = await evaluate(`!!${q('button[data-action]')}`);
  running = await evaluate(`(() => { const r = document.querySelector('[data-testid="backfill-row"][data-state="running"]'); return r && r.dataset.job; })()`);
  if (hasActions && running) {
    const btn = `[data-testid="backfill-row"][data-job=${JSON.stringify(running)}] button[data-action="pause"]`;
    await evaluate(`${q(btn)}.focus(), ${q(btn)}.click(), 1`);
    await waitFor(`${q('[data-testid="confirm-dialog"]')}.open`, 3000, 'Pause opens the confirmation dialog');
    check(await evaluate(`${q('[data-testid="confirm-target"]')}.textContent === ${JSON.stringify(running)}`), 'the dialog names the job');
    await key('Escape', 'Escape', 27);
    await waitFor(`!${q('[data-testid="confirm-dialog"]')}.open`, 3000, 'Escape closes the dialog');
    await waitFor(`document.activeElement && document.activeElement.dataset.action === 'pause'`, 3000, 'focus returns to the Pause button');
    await evaluate(`${q(btn)}.click(), 1`);
    await waitFor(`${q('[data-testid="confirm-dialog"]')}.open`, 3000, 'the dialog opens again');
    const r = await evaluate(`(() => { const b = ${q('[data-testid="confirm-dialog"]')}.getBoundingClientRect(); return { x: b.x - 20, y: b.y - 20, width: b.width + 40, height: b.height + 40 }; })()`);
    const { data } = await send('Page.captureScreenshot', { format: 'png', clip: Object.assign(r, { scale: 1 }) });
    fs.writeFileSync(path.join(OUT, 'confirm-dialog.png'), Buffer.from(data, 'base64'));
    process.stdout.write(`     screenshot ${path.join(OUT, 'confirm-dialog.png')}\n`);
    await evaluate(`${q('[data-testid="confirm-ok"]')}.click(), 1`);
    if (!await waitFor(`${q('[data-testid="action-result"]')}.dataset.ok === 'true'`, 5000, 'the action result is shown')) {
      process.stdout.write(`     dialog open: ${await evaluate(`${q('[data-testid="confirm-dialog"]')}.open + ' ok disabled ' + ${q('[data-testid="confirm-ok"]')}.disabled`)}\n`);
      process.stdout.write(`     dialog error: ${await evaluate(`${q('[data-testid="confirm-error"]')}.textContent`)}; result: ${await evaluate(`${q('[data-testid="action-result"]')}.textContent`)}\n`);
    }
    await waitFor(`${q(`[data-testid="backfill-row"][data-job=${JSON.stringify(running)}]`)}.dataset.state === 'paused'`, 5000, 'the job shows paused');
    const resume = `[data-testid="backfill-row"][data-job=${JSON.stringify(running)}] button[data-action="resume"]`;
    await evaluate(`${q(resume)}.click(), 1`);
    await evaluate(`${q('[data-testid="confirm-ok"]')}.click(), 1`);
    await waitFor(`${q(`[data-testid="backfill-row"][data-job=${JSON.stringify(running)}]`)}.dataset.state === 'running'`, 5000, 'Resume makes it run again');
    const rollout = `[data-testid="rollout-row"] button[data-action="promote"]`;
    if (await evaluate(`!!${q(rollout)}`)) {
      await evaluate(`${q(rollout)}.click(), 1`);
      await waitFor(`!${q('.confirm-reason')}.hidden`, 3000, 'Promote asks for a reason');
      await evaluate(`${q('#confirm-reason-input')}.value = 'looks good', ${q('[data-testid="confirm-ok"]')}.click(), 1`);
      await waitFor(`/Rollout .* is now/.test(${q('[data-testid="action-result"]')}.textContent)`, 5000, 'the promote result is shown');
    }
    if (FIXTURE) {
      // A refused action shows the problem detail in the dialog: the job is paused behind the page's back
      // while the dialog is open, so the server answers 409.
      const pauseBtn = `[data-testid="backfill-row"][data-job=${JSON.stringify(running)}] button[data-action="pause"]`;
      await evaluate(`${q(pauseBtn)}.click(), 1`);
      const auth = `{headers: {Authorization: 'Bearer ' + (sessionStorage.getItem('tandem.dashboard.token') || '')}, method: 'POST'}`;
      const jobUrl = `'/api/backfills/' + encodeURIComponent(${JSON.stringify(running)})`;
      await evaluate(`fetch(${jobUrl} + '/pause', ${auth}).then(() => 1)`);
      await evaluate(`${q('[data-testid="confirm-ok"]')}.click(), 1`);
      await waitFor(`/cannot pause/.test(${q('[data-testid="confirm-error"]')}.textContent)`, 5000, 'a 409 problem detail is shown in the dialog');
      check(await evaluate(`${q('[data-testid="confirm-dialog"]')}.open`), 'the dialog stays open on a refused action');
      await evaluate(`fetch(${jobUrl} + '/resume', ${auth}).then(() => 1)`);
      await key('Escape', 'Escape', 27);
    }
  }

  if (FIXTURE) {
    await evaluate(`fetch('/api/_fixture/mismatch?n=0', {headers: {Authorization: 'Bearer ' + (sessionStorage.getItem('tandem.dashboard.token') || '')}}).then(() => 1)`);
    await waitFor(`${q('[data-testid="verify-state"][data-version="3"]')}?.dataset.state === 'clean' && !${q('#correctness')}.classList.contains('bad')`,
      5000, 'the correctness panel turns green when the mismatch is gone');
    await evaluate(`fetch('/api/_fixture/mismatch?n=5', {headers: {Authorization: 'Bearer ' + (sessionStorage.getItem('tandem.dashboard.token') || '')}}).then(() => 1)`);
    await waitFor(`${q('[data-testid="verify-state"][data-version="3"]')}?.dataset.state === 'mismatches' && ${q('#correctness')}.classList.contains('bad')`,
      5000, 'and red again when a mismatch is planted');
  }

  if (args.includes('--perf')) {
    // How busy the page's main thread is while events and series arrive: it must stay responsive.
    await send('Performance.enable');
    const metric = async () => Object.fromEntries((await send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
    const a = await metric();
    await sleep(10000);
    const b = await metric();
    const busy = (k) => (b[k] - a[k]) / 10;
    const task = busy('TaskDuration');
    const cpu = busy('ThreadTime');
    process.stdout.write(`     main thread busy ${(task * 100).toFixed(1)} % wall, ${(cpu * 100).toFixed(1)} % CPU (script ${(busy('ScriptDuration') * 100).toFixed(1)} %, `
      + `layout ${(busy('LayoutDuration') * 100).toFixed(1)} %, style ${(busy('RecalcStyleDuration') * 100).toFixed(1)} %, `
      + `other ${(busy('TaskOtherDuration') * 100).toFixed(1)} %), `
      + `${await evaluate('document.getElementsByTagName("*").length')} elements\n`);
    // CPU time, not wall time: on a loaded machine the wall time of a task includes waiting for a core.
    check(cpu < 0.25, 'the main thread uses less than 25 % of a core');
  }

  if (args.includes('--reconnect')) {
    // The fixture was started with --drop-after S: the stream ends, the page says so and comes back.
    await waitFor(`${q('[data-testid="live-state"]')}.dataset.state === 'reconnecting'`, 20000, 'live-state shows reconnecting when the stream ends');
    check(/Reconnecting/.test(await evaluate(`${q('[data-testid="live-state"]')}.textContent`)), 'the indicator says "Reconnecting"');
    await waitFor(`${q('[data-testid="live-state"]')}.dataset.state === 'live'`, 10000, 'and becomes live again');
  }

  check(problems.length === 0, `no script error, CSP violation or console error${problems.length ? `: ${problems.join(' | ')}` : ''}`);
  ws.close();
  chrome.kill();
  if (failures.length) {
    process.stdout.write(`\n${failures.length} check(s) failed\n`);
    process.exit(1);
  }
  process.stdout.write('\nall checks passed\n');
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(2);
});
