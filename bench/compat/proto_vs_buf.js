// tandem compat against `buf breaking` on the Protobuf corpus (bench/compat_bench.sh).
// Each case of tests/compat/corpus/protobuf/<case>/ is laid out as two buf modules,
// WORK/buf/<case>/<CATEGORY>/{old,new}/<case>.proto, with a buf.yaml whose breaking.use is the
// category, and checked with `buf breaking new --against old`; tandem checks the corpus files
// with `tandem compat old.proto new.proto --mode MODE --category CATEGORY`. A check is one case in
// one category; its verdict is break (tandem exit 1, buf exit 100) or no break (exit 0).
// MODES (default "FULL BACKWARD"): the tandem modes compared, the first one timed. buf breaking
// has no direction: its rules guard old and new readers at once, which is tandem's FULL.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const tandem = process.env.TANDEM;
const buf = process.env.BUF;
const work = process.env.WORK;
const runs = Number(process.env.RUNS || 3);
const modes = (process.env.MODES || 'FULL BACKWARD').split(/\s+/).filter(Boolean);
const mode = modes[0];
const corpus = process.argv[2];
const categories = ['WIRE', 'WIRE_JSON'];
const env = { ...process.env, BUF_CACHE_DIR: path.join(work, 'buf-cache') };

const cases = fs.readdirSync(corpus).filter(c => fs.statSync(path.join(corpus, c)).isDirectory()).sort();
const layout = cases.map(name => {
  const src = path.join(corpus, name);
  const mods = {};
  for (const cat of categories) {
    const base = path.join(work, 'buf', name, cat);
    for (const side of ['old', 'new']) {
      fs.mkdirSync(path.join(base, side), { recursive: true });
      fs.copyFileSync(path.join(src, side + '.proto'), path.join(base, side, name + '.proto'));
      fs.writeFileSync(path.join(base, side, 'buf.yaml'),
        `version: v2\nbreaking:\n  use:\n    - ${cat}\n`);
    }
    mods[cat] = base;
  }
  return { name, old: path.join(src, 'old.proto'), new: path.join(src, 'new.proto'), mods };
});

function tandemRun(c, cat, m = mode) {
  return spawnSync(tandem, ['compat', c.old, c.new, '--mode', m, '--category', cat,
    '--format', 'json'], { encoding: 'utf8' });
}
function tandemVerdict(c, cat, m = mode) {
  const r = tandemRun(c, cat, m);
  if (r.status !== 0 && r.status !== 1) throw new Error(`tandem on ${c.name}: ${r.stderr}`);
  const doc = JSON.parse(r.stdout);
  const errors = new Set(), warnings = new Set();
  for (const p of doc.pairs)
    for (const f of p.findings) {
      if (f.ignored) continue;
      if (f.level === 'error') errors.add(`${f.rule} (${f.direction})`);
      if (f.level === 'warning') warnings.add(f.rule);
    }
  return { broken: r.status === 1, why: [...errors].join(', '), warnings: [...warnings] };
}
function bufRun(c, cat, args = null) {
  return spawnSync(buf, args || ['breaking', 'new', '--against', 'old', '--error-format', 'json'],
    { cwd: c.mods[cat], encoding: 'utf8', env });
}
function bufVerdict(c, cat) {
  const r = bufRun(c, cat);
  if (r.status !== 0 && r.status !== 100)
    throw new Error(`buf breaking on ${c.name} (${cat}) exit ${r.status}: ${r.stderr}${r.stdout}`);
  const rules = new Set(r.stdout.split('\n').filter(Boolean).map(l => JSON.parse(l).type));
  return { broken: r.status === 100, why: [...rules].join(', ') };
}

const bufVerdicts = new Map();
for (const c of layout) for (const cat of categories) bufVerdicts.set(c.name + cat, bufVerdict(c, cat));
for (const m of modes) {
  let same = 0, differ = 0;
  const lines = [];
  for (const c of layout) {
    for (const cat of categories) {
      const t = tandemVerdict(c, cat, m);
      const b = bufVerdicts.get(c.name + cat);
      if (t.broken === b.broken) { same++; continue; }
      differ++;
      const tw = t.warnings.length ? ` (warnings: ${t.warnings.join(', ')})` : '';
      lines.push(`  ${c.name.padEnd(35)} ${cat.padEnd(9)}  ` +
                 `${(t.broken ? 'BREAK: ' + t.why : 'ok' + tw).padEnd(55)}  ` +
                 `${b.broken ? 'BREAK: ' + b.why : 'ok'}`);
    }
  }
  console.log(`Protobuf corpus, tandem --mode ${m}: ${layout.length} cases × ${categories.length} ` +
              `categories = ${same + differ} checks; same verdict ${same}, different ${differ}`);
  if (lines.length)
    console.log(`  ${'case'.padEnd(35)} ${'category'.padEnd(9)}  ${'tandem'.padEnd(55)}  buf breaking`);
  for (const l of lines) console.log(l);
}

function median(xs) { xs.sort((a, b) => a - b); return xs[Math.floor(xs.length / 2)]; }
const checks = layout.length * categories.length;
// Images built once, outside the timing: `buf breaking` on them is buf's check without its compile.
for (const c of layout)
  for (const cat of categories)
    for (const side of ['old', 'new']) {
      const r = bufRun(c, cat, ['build', side, '-o', side + '.binpb']);
      if (r.status !== 0) throw new Error(`buf build ${c.name}: ${r.stderr}`);
    }
// The variants run one after the other on each check, so a machine shared with other work loads
// them alike; each variant's time of a run is the sum over the checks, its figure the median run.
const variants = {
  tandem: (c, cat) => tandemRun(c, cat),
  buf: (c, cat) => bufRun(c, cat),
  images: (c, cat) => bufRun(c, cat,
    ['breaking', 'new.binpb', '--against', 'old.binpb', '--error-format', 'json']),
  build: (c, cat) => {
    bufRun(c, cat, ['build', 'old', '-o', '/dev/null']);
    bufRun(c, cat, ['build', 'new', '-o', '/dev/null']);
  },
  tandemStart: () => spawnSync(tandem, ['--version']),
  bufStart: () => spawnSync(buf, ['--version'], { env }),
};
const samples = Object.fromEntries(Object.keys(variants).map(k => [k, []]));
for (let i = 0; i < runs; i++) {
  const sum = Object.fromEntries(Object.keys(variants).map(k => [k, 0]));
  for (const c of layout)
    for (const cat of categories)
      for (const [k, fn] of Object.entries(variants)) {
        const t0 = process.hrtime.bigint();
        fn(c, cat);
        sum[k] += Number(process.hrtime.bigint() - t0) / 1e6;
      }
  for (const k in sum) samples[k].push(sum[k]);
}
const tTandem = median(samples.tandem), tBuf = median(samples.buf);
const tImages = median(samples.images), tBuild = median(samples.build);
const tTandemStart = median(samples.tandemStart), tBufStart = median(samples.bufStart);
const ms = t => `${t.toFixed(0).padStart(6)} ms (${(t / checks).toFixed(2).padStart(6)} ms/check)`;
console.log(`time for ${checks} checks, one process per check, interleaved (median of ${runs} runs):`);
console.log(`  tandem compat --mode ${mode.padEnd(8)}             ${ms(tTandem)}`);
console.log(`  buf breaking new --against old:        ${ms(tBuf)}  → tandem is ` +
            `${(tBuf / tTandem).toFixed(1)}× faster`);
console.log(`  buf breaking on images built before:   ${ms(tImages)}  (buf without its compile: ` +
            `${(tImages / tTandem).toFixed(1)}× tandem)`);
console.log(`  buf's compile step, buf build old+new: ${ms(tBuild)}  (two processes)`);
console.log(`  process start alone, --version: tandem ${(tTandemStart / checks).toFixed(2)} ms, ` +
            `buf ${(tBufStart / checks).toFixed(2)} ms`);
