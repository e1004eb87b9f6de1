// tandem serve dashboard: plain ES2020, no libraries, no build step.
//
// Data comes from the same-origin JSON API (docs/serve.md): /api/events (server-sent events, read
// with fetch() so that the Authorization header can be sent), /api/series for the charts and the
// POST action endpoints. Everything is rendered by building DOM nodes with textContent: names come
// from databases and gateways and may contain markup, so no data ever goes through innerHTML.
//
// Hooks for browser tests (stable; data-* attributes, never CSS classes):
//   live-state[data-state=connecting|live|reconnecting|auth], errors-banner, token-form, action-result[data-ok]
//   panel-{migrations,backfills,correctness,apis,flags}; count-{applied,pending,failed}[data-value],
//   active-migration[data-version][data-phase] (or no-active-migration), next-step, copy-next-step,
//   migration-row[data-version][data-state], migration-problem, load-older, older-migrations
//   backfill-row[data-job][data-state] > backfill-progress (<progress> value=rows_done max=rows_total),
//   backfill-progress-text, backfill-rate, backfill-eta, backfill-waiting[data-reason=paused|throttled|lag|waiting],
//   backfill-error; backfill-chart[data-job], lag-chart[data-job]
//   correctness-summary[data-state=clean|mismatches|none]; verify[data-version] > verify-state[data-state=clean|mismatches],
//   verify-rows, verify-mismatches, verify-rate, verify-check, sample-keys; verify-chart[data-version];
//   #correctness has class "bad" (mismatches) or "good"
//   gateway[data-gateway][data-ok] > gateway-state, gateway-error, api-version-row[data-version][data-deprecated],
//   sunset[data-urgent], deprecated-clients, deprecated-summary, api-chart, rollout-row[data-name][data-state],
//   rollout-step, shadow-row[data-name]
//   flag-row[data-key] > flag-value; flag-change[data-key]
//   buttons: button[data-action=pause|resume|cancel][data-job], button[data-action=promote|abort][data-name]
//   [data-gateway-index]; confirm-dialog > confirm-target, confirm-reason, confirm-error, confirm-ok, confirm-cancel
'use strict';

(() => {
  const TOKEN_KEY = 'tandem.dashboard.token';
  const SERIES_EVERY_MS = 3000;
  const STALE_STREAM_MS = 45000; // pings come every 15 s: three missed ones mean a dead connection
  const MAX_BACKOFF_MS = 30000;

  // ---------------------------------------------------------------- formatting

  const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const oneFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

  const isNum = (n) => typeof n === 'number' && Number.isFinite(n);
  /** 20000 -> "20,000"; null -> "—". */
  const num = (n) => (isNum(n) ? intFmt.format(n) : '—');
  /** 1234.56 -> "1,234.6". */
  const num1 = (n) => (isNum(n) ? oneFmt.format(n) : '—');

  /** A progress fraction as a whole percentage that only shows 100 % when really done. */
  function progressPct(p) {
    if (!isNum(p)) return '—';
    const pct = Math.max(0, Math.min(100, p * 100));
    if (pct > 0 && pct < 1) return `${pct.toFixed(1)} %`;
    return `${Math.floor(pct)} %`;
  }

  /** A ratio as a percentage with enough digits that a tiny non-zero rate never reads as 0. */
  function ratePct(r) {
    if (!isNum(r)) return '—';
    if (r === 0) return '0 %';
    const pct = r * 100;
    const digits = Math.min(12, Math.max(1, 1 - Math.floor(Math.log10(Math.abs(pct)))));
    let s = pct.toFixed(digits);
    if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
    return `${s} %`;
  }

  /** 200000 -> "3 min 20 s". */
  function duration(ms) {
    if (!isNum(ms)) return '—';
    if (ms < 1000) return ms <= 0 ? '0 s' : '< 1 s';
    let s = Math.round(ms / 1000);
    const d = Math.floor(s / 86400); s -= d * 86400;
    const hr = Math.floor(s / 3600); s -= hr * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    if (d) return `${d} d ${hr} h`;
    if (hr) return `${hr} h ${m} min`;
    if (m) return `${m} min ${s} s`;
    return `${s} s`;
  }

  const parseTime = (iso) => (iso ? Date.parse(iso) : NaN);

  // The server's clock may differ from the browser's: "12 s ago" is measured on the server's clock,
  // learnt from generated_at of each overview.
  let clockSkew = 0;
  const serverNow = () => Date.now() - clockSkew;

  /** "12 s ago", "in 3 d", "just now". */
  function relative(t) {
    if (!isNum(t)) return '—';
    const diff = serverNow() - t;
    const abs = Math.abs(diff);
    if (abs < 1500) return 'just now';
    const txt = abs < 60000 ? `${Math.round(abs / 1000)} s`
      : abs < 3600000 ? `${Math.round(abs / 60000)} min`
        : abs < 172800000 ? `${Math.round(abs / 3600000)} h`
          : `${Math.round(abs / 86400000)} d`;
    return diff >= 0 ? `${txt} ago` : `in ${txt}`;
  }

  /** Days from now (server clock) to a date; negative when past. */
  const daysUntil = (t) => (t - serverNow()) / 86400000;

  /** A flag value or change value as short text. */
  function valueText(v) {
    if (v === undefined) return '—';
    if (typeof v === 'string') return v;
    return JSON.stringify(v);
  }

  // ---------------------------------------------------------------- DOM helpers

  const SVG_NS = 'http://www.w3.org/2000/svg';

  function build(el, attrs, kids) {
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') el.setAttribute('class', v);
        else if (k === 'text') el.textContent = String(v);
        else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : String(kid)); // strings become text nodes, never markup
    }
    return el;
  }
  /** h('td', {class: 'x'}, 'text', child) — an HTML element; data is set as text only. */
  const h = (tag, attrs, ...kids) => build(document.createElement(tag), attrs, kids);
  /** The same for SVG elements. */
  const s = (tag, attrs, ...kids) => build(document.createElementNS(SVG_NS, tag), attrs, kids);

  const BADGE_KIND = {
    applied: 'ok', complete: 'ok', completed: 'ok', done: 'ok', clean: 'ok', ok: 'ok', head: 'ok',
    running: 'info', started: 'info', active: 'info', expand: 'info', contract: 'info',
    pending: 'warn', paused: 'warn', throttled: 'warn', lag: 'warn', waiting: 'warn', deprecated: 'warn',
    failed: 'bad', error: 'bad', cancelled: 'bad', aborted: 'bad', mismatches: 'bad', rolled_back: 'muted',
  };
  const BADGE_ICON = { ok: '✓ ', bad: '✗ ', warn: '! ', info: '', muted: '' };
  /** A status badge: the word is always there, the colour only repeats it. */
  function badge(text, kind) {
    const k = kind || BADGE_KIND[text] || 'muted';
    return h('span', { class: `badge badge-${k}`, 'data-kind': k }, BADGE_ICON[k] + String(text));
  }

  /** A <time> with the ISO instant as datetime and title, its text relative ("12 s ago"). */
  function timeEl(iso) {
    const t = parseTime(iso);
    if (!isNum(t)) return h('span', { class: 'muted' }, iso ? String(iso) : '—');
    return h('time', { datetime: iso, title: iso, 'data-rel': '' }, relative(t));
  }

  /** A <time> for a calendar date (deprecation, sunset): the date itself, not relative. */
  function dateEl(iso) {
    const t = parseTime(iso);
    if (!isNum(t)) return h('span', {}, iso ? String(iso) : '—');
    return h('time', { datetime: iso, title: new Date(t).toISOString() }, String(iso).slice(0, 10));
  }

  function table(caption, headers, rows, attrs) {
    return h('div', { class: 'table-wrap' },
      h('table', attrs || {},
        caption ? h('caption', {}, caption) : null,
        h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, rows)));
  }

  const muted = (text) => h('p', { class: 'muted' }, text);

  function definitions(pairs, attrs) {
    return h('dl', attrs || { class: 'pairs' },
      pairs.filter(Boolean).map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))));
  }

  // ---------------------------------------------------------------- charts

  function niceCeil(v) {
    if (!(v > 0)) return 1;
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function clockLabel(t, span) {
    const d = new Date(t);
    if (span > 2 * 86400000) return d.toISOString().slice(0, 10);
    const opts = span > 3600000 ? { hour: '2-digit', minute: '2-digit' }
      : { hour: '2-digit', minute: '2-digit', second: '2-digit' };
    const clock = d.toLocaleTimeString([], opts);
    // A time of another day says which day.
    return d.toDateString() === new Date().toDateString() ? clock : `${d.toISOString().slice(5, 10)} ${clock}`;
  }

  /**
   * A small SVG line chart. lines: [{label, points: [[t_ms, value|null], ...]}]; a null value breaks
   * the line. fmt formats a y value. Returns a <figure> with a caption, a role="img" summary for
   * screen readers and a legend when there is more than one line.
   */
  function lineChart({ title, lines: given, fmt, testid, attrs, minTop }) {
    // Times are Unix milliseconds; an ISO string is read too.
    const lines = given.map((l) => ({ label: l.label,
      points: (l.points || []).map((p) => [typeof p[0] === 'string' ? Date.parse(p[0]) : p[0], p[1]]) }));
    const W = 560; const H = 170; const L = 78; const R = 12; const T = 12; const B = 28;
    const all = lines.flatMap((l) => l.points.filter((p) => isNum(p[0]) && isNum(p[1])));
    const fig = h('figure', Object.assign({ class: 'chart', 'data-testid': testid }, attrs || {}),
      h('figcaption', {}, title));
    if (all.length === 0) {
      fig.append(muted('No samples yet.'));
      return fig;
    }
    let t0 = Math.min(...all.map((p) => p[0]));
    let t1 = Math.max(...all.map((p) => p[0]));
    if (t1 === t0) { t0 -= 30000; t1 += 30000; }
    const yMax = niceCeil(Math.max(minTop || 0, ...all.map((p) => p[1])));
    const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
    const y = (v) => T + (1 - v / yMax) * (H - T - B);

    const summary = lines.map((l) => {
      const pts = l.points.filter((p) => isNum(p[1]));
      if (!pts.length) return `${l.label}: no samples`;
      const last = pts[pts.length - 1][1];
      const max = Math.max(...pts.map((p) => p[1]));
      return `${l.label}: latest ${fmt(last)}, highest ${fmt(max)}`;
    }).join('; ');

    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}. ${summary}.`, class: 'chart-svg' });
    for (const frac of [0, 0.5, 1]) {
      const yy = y(yMax * frac);
      svg.append(s('line', { x1: L, x2: W - R, y1: yy, y2: yy, class: 'grid' }));
      svg.append(s('text', { x: L - 8, y: yy + 5, class: 'axis', 'text-anchor': 'end' }, fmt(yMax * frac)));
    }
    const span = t1 - t0;
    svg.append(s('text', { x: L, y: H - 7, class: 'axis', 'text-anchor': 'start' }, clockLabel(t0, span)));
    svg.append(s('text', { x: W - R, y: H - 7, class: 'axis', 'text-anchor': 'end' }, clockLabel(t1, span)));

    lines.forEach((l, i) => {
      let d = '';
      let pen = false;
      let last = null;
      for (const [t, v] of l.points) {
        if (!isNum(t) || !isNum(v)) { pen = false; continue; }
        d += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
        pen = true;
        last = [t, v];
      }
      const cls = `series series-${i % 6}`;
      if (d) svg.append(s('path', { d, class: cls, fill: 'none' }));
      if (last) svg.append(s('circle', { cx: x(last[0]).toFixed(1), cy: y(last[1]).toFixed(1), r: 3, class: `${cls} dot-end` }));
    });
    fig.append(svg);
    if (lines.length > 1) {
      fig.append(h('ul', { class: 'legend' }, lines.map((l, i) =>
        h('li', {}, h('span', { class: `swatch series-${i % 6}`, 'aria-hidden': 'true' }), l.label))));
    }
    return fig;
  }

  // ---------------------------------------------------------------- token and fetch

  let token = sessionStorage.getItem(TOKEN_KEY) || '';
  let tokenWaiters = [];
  let tokenNeeded = false;

  class Unauthorized extends Error {}

  function authHeaders(extra) {
    const hdrs = Object.assign({}, extra || {});
    if (token) hdrs.Authorization = `Bearer ${token}`;
    return hdrs;
  }

  /** Shows the token form (after a 401) and returns a promise resolved when a token is entered. */
  function needToken() {
    const form = document.querySelector('[data-testid="token-form"]');
    const firstTime = !tokenNeeded;
    tokenNeeded = true;
    if (form.hidden) {
      form.hidden = false;
      const why = form.querySelector('#token-why');
      if (token) why.textContent = 'The server refused this token. Enter the API token again (it is kept in this tab only).';
      const input = form.querySelector('input');
      if (firstTime || !form.contains(document.activeElement)) input.focus();
    }
    setLive('auth');
    return new Promise((resolve) => tokenWaiters.push(resolve));
  }

  function onTokenSubmit(ev) {
    ev.preventDefault();
    const form = ev.currentTarget;
    const input = form.querySelector('input');
    const typed = input.value.trim();
    if (!typed) return;
    if (!/^[\x21-\x7e]+$/.test(typed)) { // an HTTP header carries visible ASCII only
      form.querySelector('#token-why').textContent = 'A token holds only visible ASCII characters (no spaces). Enter it again.';
      input.focus();
      return;
    }
    token = typed;
    sessionStorage.setItem(TOKEN_KEY, token);
    input.value = '';
    form.hidden = true;
    tokenNeeded = false;
    const waiters = tokenWaiters;
    tokenWaiters = [];
    waiters.forEach((w) => w());
  }

  /** Reads a problem+json answer's detail, or the status line. */
  async function problemText(res) {
    try {
      const body = await res.json();
      if (body && (body.detail || body.title)) return String(body.detail || body.title);
    } catch (_) { /* not JSON */ }
    return `HTTP ${res.status} ${res.statusText}`.trim();
  }

  async function apiFetch(path, opts) {
    const o = Object.assign({ cache: 'no-store' }, opts || {});
    o.headers = authHeaders(Object.assign({ Accept: 'application/json' }, o.headers || {}));
    const res = await fetch(path, o);
    if (res.status === 401) {
      needToken();
      throw new Unauthorized('token needed');
    }
    return res;
  }

  // ---------------------------------------------------------------- live state indicator

  const live = { state: 'connecting', lastUpdate: NaN, retryAt: NaN, error: '' };

  function setLive(state, extra) {
    const changed = state !== live.state;
    live.state = state;
    Object.assign(live, extra || {});
    const el = document.querySelector('[data-testid="live-state"]');
    el.dataset.state = state;
    paintLive();
    if (changed) {
      const said = { live: 'Live updates connected.', reconnecting: 'Live updates lost, reconnecting.',
        connecting: 'Connecting to live updates.', auth: 'An API token is needed.' }[state];
      document.querySelector('[data-testid="live-announce"]').textContent = said || '';
    }
  }

  function paintLive() {
    const el = document.querySelector('[data-testid="live-state"]');
    const text = el.querySelector('.live-text');
    const last = isNum(live.lastUpdate) ? `last change ${relative(live.lastUpdate - clockSkew)}` : 'no data yet';
    if (live.state === 'live') text.textContent = `Live — ${last}`;
    else if (live.state === 'connecting') text.textContent = 'Connecting…';
    else if (live.state === 'auth') text.textContent = 'Waiting for an API token';
    else {
      const wait = isNum(live.retryAt) ? Math.max(0, Math.ceil((live.retryAt - Date.now()) / 1000)) : 0;
      const why = live.error ? ` (${live.error})` : '';
      text.textContent = `Reconnecting${wait ? ` in ${wait} s` : '…'}${why} — ${last}`;
    }
    el.title = isNum(live.lastUpdate) ? `Last update ${new Date(live.lastUpdate).toISOString()}` : '';
  }

  // ---------------------------------------------------------------- panels

  let overview = null;
  let series = { backfills: {}, apis: {}, verify: {} };
  let seriesVersion = 0;

  const panels = {};

  // Rows are matched by these attributes: a row for another job is replaced, not patched into.
  // data-morph-key marks an element that must be new when it changes (an alert is announced when it
  // appears, not reliably when an existing element becomes one).
  const KEY_ATTRS = ['data-testid', 'data-job', 'data-key', 'data-version', 'data-name', 'data-gateway', 'data-morph-key'];

  function sameKind(o, n) {
    if (o.nodeType !== n.nodeType || o.nodeName !== n.nodeName) return false;
    if (o.nodeType !== 1) return true;
    return KEY_ATTRS.every((k) => o.getAttribute(k) === n.getAttribute(k));
  }

  /**
   * Makes the children of old look like those of fresh while touching only what differs: unchanged
   * rows keep their nodes, so a once-a-second update costs a few text changes instead of a rebuilt
   * table (layout stays cheap with 50 jobs), and focus, scroll positions, open <details> and
   * role="alert" messages (which would be announced again) survive.
   */
  function morphChildren(old, fresh) {
    const oldKids = [...old.childNodes];
    const newKids = [...fresh.childNodes];
    newKids.forEach((n, i) => {
      const o = oldKids[i];
      if (!o) old.append(n);
      else if (sameKind(o, n)) morph(o, n);
      else o.replaceWith(n);
    });
    for (let i = newKids.length; i < oldKids.length; i++) oldKids[i].remove();
  }

  function morph(o, n) {
    if (o.nodeType !== 1) {
      if (o.nodeValue !== n.nodeValue) o.nodeValue = n.nodeValue;
      return;
    }
    const keepOpen = o.nodeName === 'DETAILS'; // the reader opened or closed it
    for (const a of [...o.attributes]) if (!n.hasAttribute(a.name) && !(keepOpen && a.name === 'open')) o.removeAttribute(a.name);
    for (const a of n.attributes) if (o.getAttribute(a.name) !== a.value && !(keepOpen && a.name === 'open')) o.setAttribute(a.name, a.value);
    morphChildren(o, n);
  }

  /** Re-renders a panel when its slice of data changed, patching the DOM in place (see morphChildren). */
  function renderPanel(name, sig, render) {
    const p = panels[name] || (panels[name] = { sig: null });
    if (p.sig === sig) return;
    p.sig = sig;
    const section = document.getElementById(name);
    const body = section.querySelector('.panel-body');
    const active = document.activeElement;
    const focusKey = active && body.contains(active) ? active.getAttribute('data-focus-key') : null;
    const frag = document.createDocumentFragment();
    render(frag, section);
    morphChildren(body, frag);
    if (focusKey && !body.contains(document.activeElement)) { // the focused node was replaced
      const again = [...body.querySelectorAll('[data-focus-key]')].find((e) => e.getAttribute('data-focus-key') === focusKey);
      if (again && !again.disabled) again.focus();
    }
  }

  function renderHeader(o) {
    document.querySelector('[data-testid="database"]').textContent = o.database || '—';
    document.querySelector('[data-testid="backend"]').textContent = o.backend || '—';
    const banner = document.querySelector('[data-testid="errors-banner"]');
    const errors = Array.isArray(o.errors) ? o.errors : [];
    const sig = JSON.stringify(errors);
    if (banner.dataset.sig === sig) return;
    banner.dataset.sig = sig;
    if (errors.length === 0) {
      banner.hidden = true;
      banner.replaceChildren();
      return;
    }
    banner.replaceChildren(
      h('p', {}, h('strong', {}, `✗ ${errors.length === 1 ? 'One part' : `${errors.length} parts`} of the dashboard could not be read:`)),
      h('ul', {}, errors.map((e) => h('li', { 'data-testid': 'error-item' }, String(e)))));
    banner.hidden = false;
  }

  // --- migrations

  function renderMigrations(frag, m) {
    if (!m) { frag.append(muted('No migration data.')); return; }
    const count = (key, label, bad) => h('li', { class: `count${bad ? ' count-bad' : ''}`, 'data-testid': `count-${key}`, 'data-value': m[key] },
      h('span', { class: 'count-n' }, bad ? `✗ ${num(m[key])}` : num(m[key])), ` ${label}`);
    frag.append(h('ul', { class: 'counts', 'aria-label': 'Migration counts' },
      count('applied', 'applied'),
      isNum(m.pending) ? count('pending', 'pending')
        : h('li', { class: 'count', 'data-testid': 'count-pending', 'data-value': '', title: 'tandem serve --dir DIR counts the pending ones' },
          h('span', { class: 'count-n' }, '?'), ' pending (no --dir)'),
      count('failed', 'failed', m.failed > 0)));
    frag.append(definitions([
      ['Current version', h('code', { 'data-testid': 'current-version' }, m.current_version || 'none')],
      m.folder ? ['Folder', h('code', {}, m.folder)] : null,
      ['Migration lock', m.lock_holder ? h('span', {}, badge('held', 'warn'), ` by ${m.lock_holder}`) : 'free'],
    ]));

    const a = m.active;
    if (a) {
      const code = h('code', { 'data-testid': 'next-step' }, a.next_step || '');
      const status = h('span', { class: 'copy-status', role: 'status' });
      const copyBtn = h('button', { type: 'button', class: 'secondary small', 'data-focus-key': 'copy-next-step',
        'data-testid': 'copy-next-step', 'data-copy': '' }, 'Copy');
      frag.append(h('div', { class: 'active', 'data-testid': 'active-migration', 'data-version': a.version, 'data-phase': a.phase },
        h('h3', {}, 'Active migration: ', h('code', {}, a.version), ` ${a.name || ''}`),
        definitions([
          ['Phase', badge(a.phase || 'unknown', 'info')],
          ['Old version schema', h('code', { 'data-testid': 'old-schema' }, a.old_schema || '—')],
          ['New version schema', h('code', { 'data-testid': 'new-schema' }, a.new_schema || '—')],
        ]),
        h('p', { class: 'next-label', id: 'next-step-label' }, 'Next step'),
        h('div', { class: 'command' }, h('pre', { 'aria-labelledby': 'next-step-label' }, code), copyBtn, status)));
    } else {
      frag.append(h('p', { class: 'muted', 'data-testid': 'no-active-migration' }, 'No expand/contract migration is in progress.'));
    }

    const recent = Array.isArray(m.recent) ? m.recent : [];
    const migrationRow = (r) => h('tr', { 'data-testid': 'migration-row', 'data-version': r.version, 'data-state': r.state },
      h('td', {}, h('code', {}, r.version)),
      h('td', {}, r.name || ''),
      h('td', {}, badge(r.state || 'unknown')),
      h('td', {}, r.applied_at ? timeEl(r.applied_at) : '—'),
      h('td', { class: 'num' }, isNum(r.duration_ms) ? duration(r.duration_ms) : '—'),
      h('td', {}, r.applied_by || ''),
      h('td', { class: r.error ? 'error-text' : '' }, r.error || ''));
    const headers = ['Version', 'Name', 'State', 'Applied', 'Duration', 'By', 'Error'];
    if (recent.length) {
      frag.append(table('Recent migrations, newest first', headers, recent.map(migrationRow), { class: 'recent' }));
    } else {
      frag.append(muted('No migration has been applied yet.'));
    }

    // Older history comes page by page from /api/migrations, only when asked for.
    const shown = new Set(recent.map((r) => r.version));
    const older = pages.rows.filter((r) => !shown.has(r.version));
    if (older.length) {
      frag.append(table(`Older migrations (${num(older.length)} loaded)`, headers, older.map(migrationRow), { class: 'recent', 'data-testid': 'older-migrations' }));
    }
    const total = isNum(m.total) ? m.total : [m.applied, m.pending, m.failed].reduce((n, x) => n + (isNum(x) ? x : 0), 0);
    if (recent.length && pages.next !== null && total > recent.length + older.length) {
      frag.append(h('p', { class: 'more' },
        h('button', { type: 'button', class: 'secondary small', 'data-testid': 'load-older', 'data-focus-key': 'load-older',
          'data-load-older': recent[recent.length - 1].version, disabled: pages.loading },
        pages.loading ? 'Loading…' : 'Show 100 older migrations'),
        pages.error ? h('span', { class: 'error-text', role: 'alert' }, ` ✗ ${pages.error}`) : null));
    }

    const problems = Array.isArray(m.problems) ? m.problems : [];
    if (problems.length) {
      frag.append(h('h3', {}, `Problems (${problems.length})`),
        h('ul', { class: 'problems' }, problems.map((p) => h('li', { 'data-testid': 'migration-problem', 'data-kind': p.kind },
          p.file ? h('code', {}, `${p.file}${p.line ? `:${p.line}` : ''}`) : null, p.file ? ' ' : null,
          h('span', { class: 'error-text' }, `✗ ${p.message || ''}`),
          p.hint ? h('span', { class: 'hint' }, ` → ${p.hint}`) : null))));
    }
  }

  const pages = { rows: [], next: undefined, loading: false, error: '', version: 0 };

  /** Loads the next page of older migrations (GET /api/migrations?before=…, newest first). */
  async function loadOlder(btn) {
    if (pages.loading) return;
    const before = pages.next !== undefined && pages.next !== null ? pages.next
      : pages.rows.length ? pages.rows[pages.rows.length - 1].version : btn.dataset.loadOlder;
    pages.loading = true;
    pages.error = '';
    pages.version++;
    renderAll();
    try {
      const res = await apiFetch(`/api/migrations?limit=100&before=${encodeURIComponent(before)}`);
      if (!res.ok) throw new Error(await problemText(res));
      const doc = await res.json();
      pages.rows.push(...(Array.isArray(doc.migrations) ? doc.migrations : []));
      pages.next = doc.next === undefined ? null : doc.next;
    } catch (e) {
      pages.error = e instanceof Unauthorized ? 'an API token is needed' : `could not load older migrations: ${(e && e.message) || e}`;
    }
    pages.loading = false;
    pages.version++;
    renderAll();
  }

  /** The Copy button next to a command: copies the text of the <code> beside it. */
  async function copyCommand(btn) {
    const box = btn.closest('.command');
    const codeEl = box.querySelector('code');
    const statusEl = box.querySelector('.copy-status');
    const text = codeEl.textContent;
    try {
      await navigator.clipboard.writeText(text);
      statusEl.textContent = 'Copied.';
    } catch (_) {
      // No clipboard API (plain http to a non-local host): select the text so that Ctrl+C copies it.
      const range = document.createRange();
      range.selectNodeContents(codeEl);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      statusEl.textContent = 'Selected: press Ctrl+C to copy.';
    }
    setTimeout(() => { statusEl.textContent = ''; }, 4000);
  }

  // --- backfills

  function waitingReason(job) {
    if (job.state === 'paused') return 'paused';
    const w = (job.waiting || '').toLowerCase();
    if (!w) return '';
    if (w.includes('lag')) return 'lag';
    if (w.includes('throttl') || w.includes('cap') || w.includes('rows/s')) return 'throttled';
    return 'waiting';
  }

  function actionButton(action, label, target, focusKey, extra) {
    return h('button', Object.assign({ type: 'button', class: `small ${action === 'cancel' || action === 'abort' ? 'danger' : 'secondary'}`,
      'data-action': action, 'data-focus-key': focusKey, 'aria-label': `${label} ${target}` }, extra), label);
  }

  function renderBackfills(frag, jobs, actions, jobSeries) {
    if (!jobs.length) { frag.append(muted('No backfill jobs.')); return; }
    const by = (st) => jobs.filter((j) => j.state === st).length;
    frag.append(h('p', { class: 'summary-line', 'data-testid': 'backfill-summary' },
      `${by('running')} running, ${by('paused')} paused, ${by('interrupted')} interrupted, ${jobs.length - by('running') - by('paused') - by('interrupted')} finished`));
    const headers = ['Job', 'State', 'Progress', 'Rows/s', 'ETA', 'Batch', 'Waiting / error'];
    if (actions) headers.push('Actions');
    frag.append(table('Backfill jobs', headers, jobs.map((j) => backfillRow(j, actions)), { class: 'backfills' }));

    const charted = jobs.filter((j) => (j.state === 'running' || j.state === 'paused') && jobSeries[j.id]);
    if (charted.length) {
      frag.append(h('h3', {}, 'Throughput over time'));
      frag.append(h('div', { class: 'charts' }, charted.map((j) => {
        const pts = jobSeries[j.id] || [];
        const kids = [lineChart({ title: `${j.id}: rows/s`, lines: [{ label: 'rows/s', points: pts.map((p) => [p[0], p[1]]) }],
          fmt: num1, testid: 'backfill-chart', attrs: { 'data-job': j.id } })];
        if (pts.some((p) => isNum(p[2]))) {
          kids.push(lineChart({ title: `${j.id}: replication lag`, lines: [{ label: 'lag (s)', points: pts.map((p) => [p[0], p[2]]) }],
            fmt: (v) => `${num1(v)} s`, testid: 'lag-chart', attrs: { 'data-job': j.id } }));
        }
        return kids;
      })));
    }
  }

  function backfillRow(j, actions) {
    const total = isNum(j.rows_total) ? j.rows_total : null;
    const done = isNum(j.rows_done) ? j.rows_done : 0;
    let p = isNum(j.progress) ? j.progress : (total ? Math.min(1, done / total) : null);
    if (j.state === 'done') p = 1;
    const text = p !== null && total !== null ? `${progressPct(p)} — ${num(done)} / ${num(total)} rows`
      : `${num(done)} rows (total unknown)`;
    const bar = h('progress', { 'data-testid': 'backfill-progress', 'aria-label': `Backfill ${j.id} progress` });
    if (total !== null && total > 0) {
      bar.max = total;
      bar.value = Math.min(done, total);
    } else if (p !== null) {
      bar.max = 1;
      bar.value = p;
    } else if (j.state !== 'running') {
      bar.max = 1; // a stopped job with an unknown total: an empty bar, not a moving one
      bar.value = 0;
    } // else indeterminate: running towards an unknown total
    bar.setAttribute('aria-valuetext', text);

    const reason = waitingReason(j);
    const waitCell = h('td', { class: 'waiting' });
    if (reason) {
      waitCell.append(h('span', { 'data-testid': 'backfill-waiting', 'data-reason': reason }, badge(reason, 'warn')),
        j.waiting ? ` ${j.waiting}` : '');
    }
    if (j.error) waitCell.append(h('div', { class: 'error-text', 'data-testid': 'backfill-error' }, `✗ ${j.error}`));
    if (j.state === 'interrupted') {
      // Its runner is gone (killed, connection lost): the dashboard does not run backfills.
      waitCell.append(h('div', { class: 'sub', 'data-testid': 'backfill-hint' }, 'no process runs it: ',
        h('code', {}, `tandem backfill resume ${j.id}`), ' where the migrations are'));
    }

    let eta = '—';
    if (j.state === 'running') eta = isNum(j.eta_ms) ? duration(j.eta_ms) : 'unknown';
    else if (j.state === 'done') eta = 'done';

    const row = h('tr', { 'data-testid': 'backfill-row', 'data-job': j.id, 'data-state': j.state },
      h('th', { scope: 'row' }, h('code', {}, j.id),
        h('div', { class: 'sub' }, [j.table ? `table ${j.table}` : '', j.command ? `via ${j.command}` : ''].filter(Boolean).join(' · ')),
        j.runner ? h('div', { class: 'sub' }, j.runner) : null,
        j.updated_at ? h('div', { class: 'sub' }, 'updated ', timeEl(j.updated_at)) : null),
      h('td', {}, badge(j.state || 'unknown')),
      h('td', { class: 'progress-cell' }, bar, h('div', { class: 'progress-text', 'data-testid': 'backfill-progress-text' }, text)),
      h('td', { class: 'num', 'data-testid': 'backfill-rate' }, j.state === 'running' ? num1(j.rows_per_second) : '—'),
      h('td', { class: 'num', 'data-testid': 'backfill-eta' }, eta),
      h('td', { class: 'num' }, num(j.batch_size)),
      waitCell);
    if (actions) {
      const cell = h('td', { class: 'actions' });
      const mk = (action, label) => actionButton(action, label, `backfill ${j.id}`, `${action}:${j.id}`,
        { 'data-kind': 'backfill', 'data-job': j.id });
      if (j.state === 'running') cell.append(mk('pause', 'Pause'), mk('cancel', 'Cancel'));
      else if (j.state === 'paused') cell.append(mk('resume', 'Resume'), mk('cancel', 'Cancel'));
      else cell.append(h('span', { class: 'muted' }, '—'));
      row.append(cell);
    }
    return row;
  }

  // --- correctness

  function renderCorrectness(frag, section, verify, verifySeries) {
    const bad = verify.filter((v) => v.mismatches > 0 || v.status === 'mismatches');
    section.classList.toggle('bad', bad.length > 0);
    section.classList.toggle('good', verify.length > 0 && bad.length === 0);
    if (!verify.length) {
      frag.append(overview && overview.backend === 'sqlite'
        ? h('p', { class: 'muted', 'data-testid': 'correctness-summary', 'data-state': 'none' },
          'No verify results: ', h('code', {}, 'tandem verify'), ' compares two live versions, which needs PostgreSQL.')
        : h('p', { class: 'muted', 'data-testid': 'correctness-summary', 'data-state': 'none' },
          'No verify result yet. Run ', h('code', {}, 'tandem verify'), ' during the migration to compare the old and new representations.'));
      return;
    }
    if (bad.length) {
      const total = bad.reduce((n, v) => n + (isNum(v.mismatches) ? v.mismatches : 0), 0);
      const counted = bad.every((v) => isNum(v.mismatches));
      frag.append(h('p', { class: 'summary summary-bad', 'data-testid': 'correctness-summary', 'data-state': 'mismatches' },
        `✗ ${counted ? `${num(total)} mismatch${total === 1 ? '' : 'es'}` : 'Mismatches'} in ${bad.length === 1 ? `migration ${bad[0].version}` : `${bad.length} migrations`}: `
        + 'the old and new representations disagree. Do not complete; inspect the sample keys below.'));
    } else {
      frag.append(h('p', { class: 'summary summary-good', 'data-testid': 'correctness-summary', 'data-state': 'clean' },
        `✓ Clean: the latest verify of ${verify.length === 1 ? 'the migration' : `all ${verify.length} migrations`} found no mismatch.`));
    }
    for (const v of verify) {
      const isBad = v.mismatches > 0 || v.status === 'mismatches';
      const state = isBad
        ? h('p', { class: 'verify-state state-bad', 'data-testid': 'verify-state', 'data-state': 'mismatches', 'data-morph-key': 'mismatches', 'data-version': v.version, role: 'alert' },
          isNum(v.mismatches) ? `✗ ${num(v.mismatches)} mismatch${v.mismatches === 1 ? '' : 'es'}` : '✗ mismatches (count not recorded)')
        : h('p', { class: 'verify-state state-good', 'data-testid': 'verify-state', 'data-state': 'clean', 'data-morph-key': 'clean', 'data-version': v.version }, '✓ clean');
      const checks = Array.isArray(v.checks) ? v.checks : [];
      const art = h('article', { class: `verify${isBad ? ' verify-bad' : ''}`, 'data-testid': 'verify', 'data-version': v.version },
        h('h3', {}, 'Migration ', h('code', {}, v.version)),
        state,
        definitions([
          ['Rows checked', h('span', { 'data-testid': 'verify-rows' }, num(v.rows))],
          ['Mismatches', h('span', { 'data-testid': 'verify-mismatches' }, num(v.mismatches))],
          ['Mismatch rate', h('span', { 'data-testid': 'verify-rate' }, ratePct(v.mismatch_rate))],
          ['Verified', timeEl(v.at)],
          isNum(v.elapsed_ms) ? ['Took', duration(v.elapsed_ms)] : null,
        ]));
      if (checks.length) {
        art.append(table('Checks', ['Table', 'Column', 'Direction', 'Rows', 'Mismatches', 'Sample keys'],
          checks.map((c) => h('tr', { 'data-testid': 'verify-check', class: c.mismatches > 0 ? 'row-bad' : '' },
            h('td', {}, c.table || ''), h('td', {}, c.column || ''),
            h('td', {}, c.direction === 'down' ? 'new → old (down)' : c.direction === 'up' ? 'old → new (up)' : String(c.direction || '')),
            h('td', { class: 'num' }, num(c.rows)),
            h('td', { class: 'num' }, c.mismatches > 0 ? `✗ ${num(c.mismatches)}` : num(c.mismatches)),
            h('td', { 'data-testid': 'sample-keys' }, (c.sample_keys || []).length
              ? h('ul', { class: 'keys' }, c.sample_keys.map((k) => h('li', {}, h('code', {}, String(k))))) : '—')))));
      }
      const pts = verifySeries[v.version];
      if (Array.isArray(pts) && pts.length) {
        art.append(lineChart({ title: `Migration ${v.version}: mismatch rate per verify`,
          lines: [{ label: 'mismatch rate', points: pts.map((p) => [p[0], p[1]]) }],
          fmt: ratePct, minTop: 0.0001, testid: 'verify-chart', attrs: { 'data-version': v.version } }));
      }
      frag.append(art);
    }
  }

  // --- API versions

  function renderApis(frag, apis, actions, apiSeries) {
    if (!apis.length) {
      frag.append(h('p', { class: 'muted', 'data-testid': 'no-gateway' }, 'No gateway is watched. Start ',
        h('code', {}, 'tandem serve --gateway-admin URL'), ' to see API version traffic.'));
      return;
    }
    apis.forEach((g, gi) => {
      const art = h('article', { class: 'gateway', 'data-testid': 'gateway', 'data-gateway': g.gateway, 'data-ok': g.ok ? 'true' : 'false' },
        h('h3', {}, 'Gateway ', h('code', {}, g.gateway), ' ', h('span', { 'data-testid': 'gateway-state' }, g.ok ? badge('ok', 'ok') : badge('error', 'bad'))));
      if (!g.ok) art.append(h('p', { class: 'error-text', 'data-testid': 'gateway-error' }, `✗ ${g.error || 'the admin endpoint did not answer'}`));
      const versions = Array.isArray(g.versions) ? g.versions : [];
      if (versions.length) {
        art.append(table('Versions', ['Version', 'Status', 'Sunset', 'Requests', 'Clients'],
          versions.map((v) => versionRow(v, g.gateway))));
        const stale = versions.filter((v) => v.deprecated && (v.clients || []).length);
        if (stale.length) {
          const names = [...new Set(stale.flatMap((v) => v.clients.map((c) => c.client)))];
          art.append(h('p', { class: 'callout warn', 'data-testid': 'deprecated-summary' },
            `! ${names.length} client${names.length === 1 ? '' : 's'} still call${names.length === 1 ? 's' : ''} a deprecated version: ${names.join(', ')}`));
        }
      } else if (g.ok) {
        art.append(muted('The gateway reports no versions.'));
      }
      const gs = apiSeries[g.gateway];
      if (gs && Object.keys(gs).length) {
        art.append(lineChart({ title: 'Requests per second per version',
          lines: Object.keys(gs).sort().map((ver) => ({ label: ver, points: gs[ver] })),
          fmt: num1, testid: 'api-chart', attrs: { 'data-gateway': g.gateway } }));
      }
      const rollouts = Array.isArray(g.rollouts) ? g.rollouts : [];
      if (rollouts.length) {
        const headers = ['Rollout', 'State', 'Step', 'Baseline → canary', 'Baseline req. / errors', 'Canary req. / errors', 'Why'];
        if (actions) headers.push('Actions');
        art.append(table('Canary rollouts', headers, rollouts.map((r) => rolloutRow(r, gi, g.gateway, actions))));
      }
      const shadows = Array.isArray(g.shadows) ? g.shadows : [];
      if (shadows.length) {
        art.append(table('Shadow traffic', ['Shadow', 'Compared', 'Mismatches', 'Mismatch ratio'],
          shadows.map((sh) => h('tr', { 'data-testid': 'shadow-row', 'data-name': sh.name, class: sh.mismatches > 0 ? 'row-bad' : '' },
            h('th', { scope: 'row' }, sh.name || ''),
            h('td', { class: 'num' }, num(sh.compared)),
            h('td', { class: 'num' }, sh.mismatches > 0 ? `✗ ${num(sh.mismatches)}` : `✓ ${num(sh.mismatches)}`),
            h('td', { class: 'num' }, ratePct(sh.mismatch_ratio))))));
      }
      frag.append(art);
    });
  }

  function versionRow(v, gateway) {
    const sunsetT = parseTime(v.sunset);
    const days = isNum(sunsetT) ? daysUntil(sunsetT) : null;
    const urgent = days !== null && days <= 30;
    const status = [];
    if (v.head) status.push(badge('head', 'ok'));
    if (v.deprecated) status.push(badge('deprecated', 'warn'), ' since ', dateEl(v.deprecated));
    if (!v.head && !v.deprecated) status.push('supported');
    let sunset = '—';
    if (v.sunset) {
      const when = days < 0 ? 'passed' : days < 1 ? 'today' : `in ${Math.ceil(days)} d`;
      sunset = h('span', { class: urgent ? 'urgent' : '', 'data-testid': 'sunset', 'data-urgent': urgent ? 'true' : 'false' },
        urgent ? '! ' : '', dateEl(v.sunset), ` (${when})`);
    }
    const clients = Array.isArray(v.clients) ? v.clients : [];
    const clientItems = () => clients.map((c) => h('li', {}, h('span', { class: 'client' }, c.client || '(anonymous)'),
      ` — ${num(c.requests)} req.`, c.last_seen ? [', last seen ', timeEl(c.last_seen)] : null));
    let clientCell;
    if (v.deprecated) {
      clientCell = clients.length
        ? h('ul', { class: 'clients', 'data-testid': 'deprecated-clients', 'aria-label': `Clients still using deprecated version ${v.version}` }, clientItems())
        : h('span', { 'data-testid': 'deprecated-clients', 'data-empty': 'true' }, '✓ no client left');
    } else if (clients.length) {
      clientCell = h('details', { 'data-open-key': `clients:${gateway}:${v.version}` },
        h('summary', {}, (() => {
          const n = clients.length + (isNum(v.more_clients) ? v.more_clients : 0);
          return `${n} client${n === 1 ? '' : 's'}${n > clients.length ? ` (${clients.length} busiest listed)` : ''}`;
        })()), h('ul', { class: 'clients' }, clientItems()));
    } else {
      clientCell = '—';
    }
    return h('tr', { 'data-testid': 'api-version-row', 'data-version': v.version, 'data-deprecated': v.deprecated ? 'true' : 'false',
      class: v.deprecated ? 'row-deprecated' : '' },
    h('th', { scope: 'row' }, h('code', {}, v.version)),
    h('td', {}, status),
    h('td', {}, sunset),
    h('td', { class: 'num' }, num(v.requests)),
    h('td', {}, clientCell));
  }

  function rolloutRow(r, gi, gateway, actions) {
    const steps = Array.isArray(r.steps) ? r.steps : [];
    const pct = isNum(steps[r.step]) ? steps[r.step] : isNum(r.share) ? r.share * 100 : null;
    const stepText = isNum(pct) ? `${num1(pct)} %${steps.length ? ` (step ${r.step + 1} of ${steps.length})` : ''}` : '—';
    const errRate = (req, err) => (isNum(req) && req > 0 && isNum(err) ? ` (${ratePct(err / req)})` : '');
    const row = h('tr', { 'data-testid': 'rollout-row', 'data-name': r.name, 'data-state': r.state },
      h('th', { scope: 'row' }, r.name || ''),
      h('td', {}, badge(r.state || 'unknown', r.state === 'complete' ? 'ok' : undefined)),
      h('td', { 'data-testid': 'rollout-step' }, stepText, isNum(r.share) ? h('div', { class: 'sub' }, `share ${ratePct(r.share)}`) : null),
      h('td', {}, h('code', {}, r.baseline || '?'), ' → ', h('code', {}, r.canary || '?')),
      h('td', { class: 'num' }, `${num(r.baseline_requests)} / ${num(r.baseline_errors)}${errRate(r.baseline_requests, r.baseline_errors)}`),
      h('td', { class: 'num' }, `${num(r.canary_requests)} / ${num(r.canary_errors)}${errRate(r.canary_requests, r.canary_errors)}`),
      h('td', {}, r.why || ''));
    if (actions) {
      const cell = h('td', { class: 'actions' });
      const next = isNum(steps[r.step + 1]) ? `${num1(steps[r.step + 1])} %` : '100 %';
      const mk = (action, label) => actionButton(action, label, `rollout ${r.name}`, `${action}:${gi}:${r.name}`,
        { 'data-kind': 'rollout', 'data-gateway-index': gi, 'data-gateway': gateway, 'data-name': r.name, 'data-next': next });
      if (r.state === 'running' || r.state === 'paused') cell.append(mk('promote', 'Promote'), mk('abort', 'Abort'));
      else cell.append(h('span', { class: 'muted' }, '—'));
      row.append(cell);
    }
    return row;
  }

  // --- flags

  function targeting(f) {
    const parts = [];
    const list = (xs) => (xs.length > 5 ? `${xs.slice(0, 5).join(', ')} +${xs.length - 5} more` : xs.join(', '));
    if (Array.isArray(f.allow) && f.allow.length) parts.push(`allow: ${list(f.allow)}`);
    if (Array.isArray(f.deny) && f.deny.length) parts.push(`deny: ${list(f.deny)}`);
    if (isNum(f.percent)) parts.push(`${num1(f.percent)} % of subjects`);
    if (!parts.length) return 'everyone';
    if (f.default !== undefined) parts.push(`otherwise ${valueText(f.default)}`);
    return parts.join('; ');
  }

  function renderFlags(frag, flags, changes) {
    if (!flags.length) {
      frag.append(h('p', { class: 'muted' }, 'No flag is defined. ', h('code', {}, 'tandem flag set KEY VALUE'), ' creates one.'));
    } else {
      frag.append(table(`${num(flags.length)} flag${flags.length === 1 ? '' : 's'}`, ['Key', 'Type', 'Value', 'Targeting', 'Version', 'Updated'],
        flags.map((f) => h('tr', { 'data-testid': 'flag-row', 'data-key': f.key },
          h('th', { scope: 'row' }, h('code', {}, f.key), f.description ? h('div', { class: 'sub' }, f.description) : null),
          h('td', {}, f.type || ''),
          h('td', {}, h('code', { 'data-testid': 'flag-value' }, valueText(f.value))),
          h('td', {}, f.summary ? String(f.summary) : targeting(f)),
          h('td', { class: 'num' }, num(f.version)),
          h('td', {}, f.updated_at ? timeEl(f.updated_at) : '—', f.updated_by ? ` by ${f.updated_by}` : '')))));
    }
    if (changes.length) {
      frag.append(h('h3', {}, 'Recent changes'));
      frag.append(h('ol', { class: 'changes' }, changes.map((c) => h('li', { 'data-testid': 'flag-change', 'data-key': c.key },
        timeEl(c.at), ' ', h('strong', {}, c.actor || 'someone'), ` ${c.action || 'changed'} `, h('code', {}, c.key),
        (c.before !== undefined || c.after !== undefined)
          ? [': ', h('code', {}, valueText(c.before)), ' → ', h('code', {}, valueText(c.after))] : null,
        c.reason ? h('span', { class: 'reason' }, ` — “${c.reason}”`) : null))));
    }
  }

  // --- everything

  function renderAll() {
    const o = overview;
    if (!o) return;
    renderHeader(o);
    const arr = (x) => (Array.isArray(x) ? x : []);
    renderPanel('migrations', `${JSON.stringify(o.migrations || null)}|${pages.version}`, (frag) => renderMigrations(frag, o.migrations));
    renderPanel('backfills', `${JSON.stringify([arr(o.backfills), !!o.actions])}|${seriesVersion}`,
      (frag) => renderBackfills(frag, arr(o.backfills), !!o.actions, series.backfills || {}));
    renderPanel('correctness', `${JSON.stringify(arr(o.verify))}|${seriesVersion}`,
      (frag, section) => renderCorrectness(frag, section, arr(o.verify), series.verify || {}));
    renderPanel('apis', `${JSON.stringify([arr(o.apis), !!o.actions])}|${seriesVersion}`,
      (frag) => renderApis(frag, arr(o.apis), !!o.actions, series.apis || {}));
    renderPanel('flags', JSON.stringify([arr(o.flags), arr(o.flag_changes)]),
      (frag) => renderFlags(frag, arr(o.flags), arr(o.flag_changes)));
  }

  function onOverview(doc) {
    overview = doc;
    const gen = parseTime(doc.generated_at);
    if (isNum(gen)) clockSkew = Date.now() - gen;
    live.lastUpdate = Date.now();
    renderAll();
    paintLive();
  }

  // ---------------------------------------------------------------- server-sent events over fetch()

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  let lastByteAt = 0;
  let streamCtl = null;
  let retryBase = 1000;

  /**
   * Reads an SSE body: lines may be split across chunks and end in \n, \r\n or \r; "event:" and
   * "data:" fields accumulate until a blank line dispatches; ":" lines are comments (pings).
   */
  async function readEvents(body, onEvent) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    let type = '';
    let data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      lastByteAt = Date.now();
      buf += decoder.decode(value, { stream: true });
      let start = 0;
      for (;;) {
        let end = -1;
        for (let i = start; i < buf.length; i++) {
          const c = buf.charCodeAt(i);
          if (c === 10 || c === 13) { end = i; break; }
        }
        if (end < 0) break;
        if (buf.charCodeAt(end) === 13 && end === buf.length - 1) break; // a \n may follow in the next chunk
        const line = buf.slice(start, end);
        start = end + (buf.charCodeAt(end) === 13 && buf.charCodeAt(end + 1) === 10 ? 2 : 1);
        if (line === '') {
          if (data.length) onEvent(type || 'message', data.join('\n'));
          type = '';
          data = [];
        } else if (line[0] !== ':') {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          let val = colon < 0 ? '' : line.slice(colon + 1);
          if (val[0] === ' ') val = val.slice(1);
          if (field === 'event') type = val;
          else if (field === 'data') data.push(val);
          else if (field === 'retry' && /^\d+$/.test(val)) retryBase = Math.max(500, Number(val));
        }
      }
      buf = buf.slice(start);
    }
  }

  async function streamLoop() {
    let delay = retryBase;
    let connectedOnce = false;
    for (;;) {
      if (tokenNeeded) await new Promise((r) => tokenWaiters.push(r));
      setLive(connectedOnce ? 'reconnecting' : 'connecting', { retryAt: NaN });
      const ctl = new AbortController();
      streamCtl = ctl;
      try {
        const res = await fetch('/api/events', { headers: authHeaders({ Accept: 'text/event-stream' }), cache: 'no-store', signal: ctl.signal });
        if (res.status === 401) {
          await needToken();
          delay = retryBase;
          continue;
        }
        if (!res.ok || !res.body) throw new Error(await problemText(res));
        lastByteAt = Date.now();
        await readEvents(res.body, (type, data) => {
          if (type !== 'overview') return;
          let doc;
          try { doc = JSON.parse(data); } catch (e) { live.error = 'bad event data'; return; }
          connectedOnce = true;
          delay = retryBase;
          live.error = '';
          if (live.state !== 'live') setLive('live');
          onOverview(doc);
        });
        live.error = 'the stream ended';
      } catch (e) {
        live.error = e && e.name === 'AbortError' ? 'no data for too long' : String((e && e.message) || e);
      }
      connectedOnce = connectedOnce || isNum(live.lastUpdate);
      const wait = delay + Math.floor(Math.random() * 300);
      setLive('reconnecting', { retryAt: Date.now() + wait });
      await sleep(wait);
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
  }

  // A connection that silently died (no byte, not even a ping) is aborted so that the loop reconnects.
  function watchdog() {
    if (live.state === 'live' && streamCtl && Date.now() - lastByteAt > STALE_STREAM_MS) streamCtl.abort();
  }

  let seriesBusy = false;
  async function pollSeries() {
    if (seriesBusy || tokenNeeded || document.hidden) return;
    seriesBusy = true;
    try {
      const res = await apiFetch('/api/series');
      if (res.ok) {
        const doc = await res.json();
        series = { backfills: doc.backfills || {}, apis: doc.apis || {}, verify: doc.verify || {} };
        seriesVersion++;
        renderAll();
      }
    } catch (_) { /* the live indicator reports connection trouble; charts keep their last data */ }
    seriesBusy = false;
  }

  // ---------------------------------------------------------------- actions

  const ACTION_TEXT = {
    pause: (b) => ({ title: 'Pause backfill', ok: 'Pause', text: 'The runner stops after its current batch and waits. Resume continues where it stopped; nothing is lost.', target: b.dataset.job }),
    resume: (b) => ({ title: 'Resume backfill', ok: 'Resume', text: 'The runner continues from the last batch it finished.', target: b.dataset.job }),
    cancel: (b) => ({ title: 'Cancel backfill', ok: 'Cancel backfill', text: 'The runner stops after its current batch and the job is marked cancelled. Rows already written stay as they are; to undo the migration run tandem rollback.', target: b.dataset.job }),
    promote: (b) => ({ title: 'Promote rollout', ok: 'Promote', text: `The canary gets the next step: ${b.dataset.next} of the traffic.`, target: `${b.dataset.name} on ${b.dataset.gateway}`, reason: true }),
    abort: (b) => ({ title: 'Abort rollout', ok: 'Abort rollout', text: 'All traffic goes back to the baseline version at once; the canary receives nothing more.', target: `${b.dataset.name} on ${b.dataset.gateway}`, reason: true }),
  };

  let pending = null;

  function openConfirm(btn) {
    const action = btn.dataset.action;
    const t = ACTION_TEXT[action](btn);
    const dlg = document.querySelector('[data-testid="confirm-dialog"]');
    const url = btn.dataset.kind === 'backfill'
      ? `/api/backfills/${encodeURIComponent(btn.dataset.job)}/${action}`
      : `/api/rollouts/${encodeURIComponent(btn.dataset.gatewayIndex)}/${encodeURIComponent(btn.dataset.name)}/${action}`;
    pending = { action, url, reason: !!t.reason, focusKey: btn.getAttribute('data-focus-key'), title: t.title, target: t.target };
    dlg.querySelector('#confirm-title').textContent = `${t.title}?`;
    dlg.querySelector('#confirm-text').textContent = t.text;
    dlg.querySelector('[data-testid="confirm-target"]').textContent = t.target;
    dlg.querySelector('.confirm-reason').hidden = !t.reason;
    dlg.querySelector('#confirm-reason-input').value = '';
    const err = dlg.querySelector('[data-testid="confirm-error"]');
    err.hidden = true;
    err.textContent = '';
    const ok = dlg.querySelector('[data-testid="confirm-ok"]');
    ok.textContent = t.ok;
    ok.disabled = false;
    ok.dataset.confirmAction = action;
    ok.className = action === 'cancel' || action === 'abort' ? 'danger' : 'primary';
    dlg.showModal();
    (t.reason ? dlg.querySelector('#confirm-reason-input') : dlg.querySelector('[data-testid="confirm-cancel"]')).focus();
  }

  function closeConfirm() {
    const dlg = document.querySelector('[data-testid="confirm-dialog"]');
    if (dlg.open) dlg.close();
  }

  function restoreFocus() {
    if (!pending || !pending.focusKey) return;
    const key = pending.focusKey;
    const el = [...document.querySelectorAll('[data-focus-key]')].find((e) => e.getAttribute('data-focus-key') === key);
    if (el) el.focus();
  }

  function showResult(text, ok) {
    const el = document.querySelector('[data-testid="action-result"]');
    el.textContent = text;
    el.dataset.ok = ok ? 'true' : 'false';
    el.className = `action-result ${ok ? 'result-ok' : 'result-bad'}`;
    el.hidden = false;
  }

  async function submitConfirm(ev) {
    ev.preventDefault();
    if (!pending) return;
    const dlg = document.querySelector('[data-testid="confirm-dialog"]');
    const ok = dlg.querySelector('[data-testid="confirm-ok"]');
    const err = dlg.querySelector('[data-testid="confirm-error"]');
    ok.disabled = true;
    const p = pending;
    const opts = { method: 'POST', headers: { 'Content-Type': 'application/json' } };
    opts.body = JSON.stringify(p.reason ? { reason: dlg.querySelector('#confirm-reason-input').value.trim() } : {});
    try {
      const res = await apiFetch(p.url, opts);
      if (!res.ok) {
        err.textContent = `✗ ${p.title} failed: ${await problemText(res)}`;
        err.hidden = false;
        ok.disabled = false;
        return;
      }
      let body = null;
      try { body = await res.json(); } catch (_) { /* empty answer */ }
      let text = `✓ ${p.title}: done for ${p.target}.`;
      if (body && body.job) text = `✓ Backfill ${body.job.id} is now ${body.job.state}${body.previous_state ? ` (was ${body.previous_state})` : ''}.`;
      else if (body && body.state && body.name) text = `✓ Rollout ${body.name} is now ${body.state}.`;
      showResult(text, true);
      closeConfirm();
    } catch (e) {
      if (e instanceof Unauthorized) {
        closeConfirm();
        showResult(`✗ ${p.title}: an API token is needed; enter it above and try again.`, false);
      } else {
        err.textContent = `✗ ${p.title} failed: ${(e && e.message) || e}`;
        err.hidden = false;
        ok.disabled = false;
      }
    }
  }

  // ---------------------------------------------------------------- start

  function tick() {
    paintLive();
    for (const t of document.querySelectorAll('time[data-rel]')) {
      const txt = relative(parseTime(t.getAttribute('datetime')));
      if (t.textContent !== txt) t.textContent = txt;
    }
  }

  function start() {
    document.querySelector('[data-testid="token-form"]').addEventListener('submit', onTokenSubmit);
    const dlg = document.querySelector('[data-testid="confirm-dialog"]');
    dlg.querySelector('form').addEventListener('submit', submitConfirm);
    dlg.querySelector('[data-testid="confirm-cancel"]').addEventListener('click', closeConfirm);
    dlg.addEventListener('close', () => {
      if (dlg.open) return; // the close event is queued: the dialog may already be open again for another action
      restoreFocus();
      pending = null;
    });
    document.addEventListener('click', (ev) => {
      const btn = ev.target.closest('button[data-action]');
      if (btn && !btn.closest('dialog') && ACTION_TEXT[btn.dataset.action]) openConfirm(btn);
      const copy = ev.target.closest('button[data-copy]');
      if (copy) copyCommand(copy);
      const more = ev.target.closest('button[data-load-older]');
      if (more) loadOlder(more);
    });
    setInterval(tick, 1000);
    setInterval(watchdog, 5000);
    setInterval(pollSeries, SERIES_EVERY_MS);
    document.addEventListener('visibilitychange', () => { if (!document.hidden) pollSeries(); });
    streamLoop();
    pollSeries();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
