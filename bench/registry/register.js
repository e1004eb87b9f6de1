// Registration load for bench/registry_bench.sh: POSTs schemas to a registry and prints one
// JSON line {"registrations", "seconds", "per_second"}.
// Usage: node register.js URL distinct N CONCURRENCY   N new schemas, each in its own subject
//        node register.js URL evolve N LEVEL          N compatible versions of one subject, in
//                                                      order, under compatibility LEVEL
'use strict';
const [url, kind, nText, extra] = process.argv.slice(2);
const n = Number(nText);
const headers = { 'Content-Type': 'application/vnd.schemaregistry.v1+json' };

async function post(path, body, method = 'POST') {
  const res = await fetch(url + path, { method, headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

function order(extraFields) {
  const fields = [{ name: 'id', type: 'long' }, { name: 'customer', type: 'string' },
    { name: 'created_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID', 'SHIPPED'] } },
    { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [
      { name: 'sku', type: 'string' }, { name: 'qty', type: 'int' }] } } }];
  return JSON.stringify({ type: 'record', name: 'Order', namespace: 'com.acme',
    fields: fields.concat(extraFields) });
}

(async () => {
  const tag = Date.now().toString(36);
  const started = process.hrtime.bigint();
  if (kind === 'distinct') {
    const concurrency = Number(extra);
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        await post(`/subjects/bench-${tag}-${i}/versions`,
          { schema: order([{ name: `f${i}`, type: 'int', default: 0 }]) });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  } else {
    const subject = `evolve-${tag}`;
    await post(`/config/${subject}`, { compatibility: extra }, 'PUT');
    const added = [];
    for (let i = 0; i < n; i++) {
      added.push({ name: `f${i}`, type: ['null', 'string'], default: null });
      await post(`/subjects/${subject}/versions`, { schema: order(added) });
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ registrations: n, seconds, per_second: n / seconds }));
})().catch((e) => { console.error(e.message); process.exit(1); });
