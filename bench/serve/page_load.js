// The dashboard's page under load, for bench/serve_dashboard_bench.sh: loads URL in Debian's
// chromium-headless-shell, times until the 50 backfill rows are drawn, then watches the main
// thread for MS milliseconds of live updates. Prints one JSON line.
// Usage: node page_load.js NODE_MODULES URL MS
'use strict';
const path = require('node:path');
const puppeteer = require(path.join(process.argv[2], 'puppeteer-core'));
const url = process.argv[3];
const watchMs = Number(process.argv[4] || 10000);
(async () => {
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium-headless-shell', headless: 'shell',
    args: ['--no-sandbox', '--disable-gpu'], defaultViewport: { width: 1280, height: 1800 },
  });
  const page = await browser.newPage();
  await page.evaluateOnNewDocument(() => {
    window.__long = [];
    new PerformanceObserver(l => { for (const e of l.getEntries()) window.__long.push(e.duration); })
      .observe({ type: 'longtask', buffered: true });
  });
  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="backfill-row"]').length >= 50,
                             { timeout: 60000, polling: 20 });
  const loadMs = Date.now() - t0;
  const before = await page.evaluate(() => document.querySelector('[data-testid="live-state"]')?.textContent || '');
  let updates = 0;
  await page.exposeFunction('__updated', () => { updates++; });
  await page.evaluate(() => {
    const target = document.querySelector('[data-testid="flag-row"][data-key="feature.f1"]') || document.body;
    new MutationObserver(() => window.__updated()).observe(target, { subtree: true, childList: true, characterData: true });
  });
  await new Promise(r => setTimeout(r, watchMs));
  const long = await page.evaluate(() => window.__long);
  await browser.close();
  void before;
  console.log(JSON.stringify({ load_ms: loadMs, updates, long_tasks: long.filter(d => d > 50).length,
                               longest_task_ms: Math.round(Math.max(0, ...long)) }));
})().catch(e => { console.error(e); process.exit(1); });
