// tandem compat against avsc's resolver on the Avro corpus (bench/compat_bench.sh).
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const yaml = require('js-yaml');
const avro = require('avsc');

const tandem = process.env.TANDEM;
const work = process.env.WORK;
const runs = Number(process.env.RUNS || 3);
const cases = yaml.load(fs.readFileSync(process.argv[2], 'utf8'));

// One file per schema, as both tools read them.
const pairs = cases.map((c, i) => {
  const dir = path.join(work, 'pairs', String(i).padStart(3, '0'));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'old.avsc'), c.old);
  fs.writeFileSync(path.join(dir, 'new.avsc'), c.new);
  return { name: c.name, dir, old: c.old, new: c.new, expected: c };
});

function avscVerdict(readerText, writerText) {
  try {
    const reader = avro.Type.forSchema(JSON.parse(readerText), { wrapUnions: 'auto' });
    const writer = avro.Type.forSchema(JSON.parse(writerText), { wrapUnions: 'auto' });
    reader.createResolver(writer);
    return { ok: true };
  } catch (e) {
    return { ok: false, why: String(e.message).split('\n')[0].slice(0, 120) };
  }
}

function tandemVerdict(dir, mode) {
  const r = spawnSync(tandem, ['compat', '--json', '--mode', mode,
    path.join(dir, 'old.avsc'), path.join(dir, 'new.avsc')], { encoding: 'utf8' });
  if (r.status === 2) return { ok: false, why: 'input error: ' + r.stderr.split('\n')[0] };
  const doc = JSON.parse(r.stdout);
  const rules = [];
  for (const p of doc.pairs)
    for (const f of p.findings)
      if (!f.ignored && f.level === 'error') rules.push(f.rule);
  return { ok: r.status === 0, why: [...new Set(rules)].join(', ') };
}

let same = 0, differ = 0;
const lines = [];
for (const p of pairs) {
  for (const [mode, reader, writer] of [['BACKWARD', p.new, p.old], ['FORWARD', p.old, p.new]]) {
    const t = tandemVerdict(p.dir, mode);
    const a = avscVerdict(reader, writer);
    if (t.ok === a.ok) { same++; continue; }
    differ++;
    lines.push(`  ${p.name} (${mode}): tandem ${t.ok ? 'compatible' : 'NOT (' + t.why + ')'}; ` +
               `avsc ${a.ok ? 'compatible' : 'NOT (' + a.why + ')'}`);
  }
}
console.log(`Avro corpus: ${pairs.length} pairs × 2 directions = ${same + differ} checks; ` +
            `same verdict ${same}, different ${differ}`);
for (const l of lines) console.log(l);

function median(xs) { xs.sort((a, b) => a - b); return xs[Math.floor(xs.length / 2)]; }
function time(fn) {
  const ts = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(ts);
}
const checks = pairs.length * 2;
const tTandem = time(() => {
  for (const p of pairs) for (const m of ['BACKWARD', 'FORWARD']) tandemVerdict(p.dir, m);
});
const avscScript = path.join(work, 'one.js');
fs.writeFileSync(avscScript, `
const fs = require('fs'); const avro = require('avsc');
const [r, w] = process.argv.slice(2).map(f => avro.Type.forSchema(JSON.parse(fs.readFileSync(f, 'utf8'))));
try { r.createResolver(w); } catch (e) { process.exitCode = 1; }`);
const tAvscProc = time(() => {
  for (const p of pairs) {
    for (const [r, w] of [['new', 'old'], ['old', 'new']]) {
      spawnSync(process.execPath, [avscScript, path.join(p.dir, r + '.avsc'),
        path.join(p.dir, w + '.avsc')], { env: process.env });
    }
  }
});
const tAvscIn = time(() => {
  for (const p of pairs) { avscVerdict(p.new, p.old); avscVerdict(p.old, p.new); }
});
console.log(`time for ${checks} checks (median of ${runs}):`);
console.log(`  tandem compat, one process per check: ${tTandem.toFixed(0)} ms ` +
            `(${(tTandem / checks).toFixed(2)} ms/check)`);
console.log(`  avsc, one node process per check:     ${tAvscProc.toFixed(0)} ms ` +
            `(${(tAvscProc / checks).toFixed(2)} ms/check)  → tandem is ${(tAvscProc / tTandem).toFixed(1)}× faster`);
console.log(`  avsc inside one node process:         ${tAvscIn.toFixed(1)} ms ` +
            `(${(tAvscIn / checks * 1000).toFixed(0)} µs/check, no process start)`);
