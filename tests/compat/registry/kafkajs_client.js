// A Kafka client's view of `tandem registry`: @kafkajs/confluent-schema-registry (from the npm
// registry) registers, fetches, encodes and decodes Avro, JSON Schema and Protobuf messages,
// and meets tandem compat's verdicts as Confluent's 409. With two registry URLs (two processes
// on one PostgreSQL database), concurrent registrations of one schema through both must get
// one id and one version.
// Usage: node kafkajs_client.js MODULES_DIR URL [URL2]
'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const { SchemaRegistry, SchemaType } = require(
  path.resolve(process.argv[2], '@kafkajs/confluent-schema-registry'));
const url = process.argv[3];
const url2 = process.argv[4];
const registry = new SchemaRegistry({ host: url });

const order = (fields) => JSON.stringify({
  type: 'record', name: 'Order', namespace: 'com.acme', fields });
const V1 = order([{ name: 'id', type: 'long' }, { name: 'customer', type: 'string' }]);
const V2 = order([{ name: 'id', type: 'long' }, { name: 'customer', type: 'string' },
  { name: 'total', type: 'int', default: 0 }]);
const BAD = order([{ name: 'id', type: 'string' }, { name: 'customer', type: 'string' }]);

async function rejects(promise, status, text) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.status, status, `status of ${e.message}`);
    if (text) assert.match(e.message, text);
    return e;
  }
  assert.fail(`expected an HTTP ${status}`);
}

async function avro() {
  const s = 'orders-value';
  const { id: id1 } = await registry.register({ type: SchemaType.AVRO, schema: V1 }, { subject: s });
  const m1 = await registry.encode(id1, { id: 1, customer: 'acme' });
  assert.equal(m1[0], 0, 'magic byte');
  assert.equal(m1.readInt32BE(1), id1, 'the id in the message');
  assert.deepEqual({ ...(await registry.decode(m1)) }, { id: 1, customer: 'acme' });

  // A compatible change: a new id; an old message still decodes, and a v2 reader sees the default.
  const { id: id2 } = await registry.register({ type: SchemaType.AVRO, schema: V2 }, { subject: s });
  assert.notEqual(id2, id1);
  const m2 = await registry.encode(id2, { id: 2, customer: 'b', total: 7 });
  assert.deepEqual({ ...(await registry.decode(m2)) }, { id: 2, customer: 'b', total: 7 });
  assert.equal(await registry.getLatestSchemaId(s), id2);
  assert.equal(await registry.getRegistryId(s, 1), id1);
  assert.equal(await registry.getRegistryIdBySchema(s, { type: SchemaType.AVRO, schema: V1 }), id1);

  // Incompatible: tandem compat's finding comes back in Confluent's 409.
  await rejects(registry.register({ type: SchemaType.AVRO, schema: BAD }, { subject: s }),
    409, /type-changed/);
  // The same schema again: the same id; under another subject: the same global id.
  const again = await registry.register({ type: SchemaType.AVRO, schema: V1 }, { subject: s });
  assert.equal(again.id, id1);
  const other = await registry.register({ type: SchemaType.AVRO, schema: V2 },
    { subject: 'orders-archive-value' });
  assert.equal(other.id, id2);
  // A fresh client (no cache) decodes by fetching the schema by id.
  const fresh = new SchemaRegistry({ host: url });
  assert.deepEqual({ ...(await fresh.decode(m1)) }, { id: 1, customer: 'acme' });
  console.log(`avro ok: ids ${id1}, ${id2}`);
}

async function avroReferences() {
  const customer = JSON.stringify({ type: 'record', name: 'Customer', namespace: 'com.acme',
    fields: [{ name: 'name', type: 'string' }] });
  await registry.register({ type: SchemaType.AVRO, schema: customer }, { subject: 'customer-value' });
  const invoice = JSON.stringify({ type: 'record', name: 'Invoice', namespace: 'com.acme',
    fields: [{ name: 'n', type: 'int' }, { name: 'to', type: 'com.acme.Customer' }] });
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: invoice,
    references: [{ name: 'com.acme.Customer', subject: 'customer-value', version: 1 }] },
  { subject: 'invoices-value' });
  const m = await registry.encode(id, { n: 3, to: { name: 'acme' } });
  const fresh = new SchemaRegistry({ host: url });
  const back = await fresh.decode(m);
  assert.equal(back.n, 3);
  assert.equal(back.to.name, 'acme');
  console.log(`avro references ok: id ${id}`);
}

async function json() {
  const s = 'payments-value';
  const v1 = JSON.stringify({ type: 'object', properties: { amount: { type: 'integer' },
    currency: { type: 'string' } }, required: ['amount'] });
  const { id } = await registry.register({ type: SchemaType.JSON, schema: v1 }, { subject: s });
  const m = await registry.encode(id, { amount: 5, currency: 'EUR' });
  assert.deepEqual(await new SchemaRegistry({ host: url }).decode(m), { amount: 5, currency: 'EUR' });
  await assert.rejects(registry.encode(id, { amount: 'five' }), 'the client validates payloads');
  // A new required property breaks new readers of old data (BACKWARD).
  const v2 = JSON.stringify({ type: 'object', properties: { amount: { type: 'integer' },
    currency: { type: 'string' }, country: { type: 'string' } }, required: ['amount', 'country'] });
  await rejects(registry.register({ type: SchemaType.JSON, schema: v2 }, { subject: s }), 409);
  console.log(`json schema ok: id ${id}`);
}

async function protobuf() {
  const s = 'shipments-value';
  const v1 = 'syntax = "proto3";\npackage acme;\nmessage Shipment {\n  string id = 1;\n  int32 weight = 2;\n}\n';
  const { id } = await registry.register({ type: SchemaType.PROTOBUF, schema: v1 }, { subject: s });
  const m = await registry.encode(id, { id: 's-1', weight: 12 });
  const back = await new SchemaRegistry({ host: url }).decode(m);
  assert.equal(back.id, 's-1');
  assert.equal(back.weight, 12);
  // Reusing field number 2 with another type breaks the wire format.
  const v2 = 'syntax = "proto3";\npackage acme;\nmessage Shipment {\n  string id = 1;\n  string weight = 2;\n}\n';
  await rejects(registry.register({ type: SchemaType.PROTOBUF, schema: v2 }, { subject: s }), 409);
  console.log(`protobuf ok: id ${id}`);
}

// Two registry processes, one database: concurrent registrations of one new schema, through
// both, under one subject and under a second one, get a single id and a single version.
async function race() {
  const schema = order([{ name: 'id', type: 'long' }, { name: 'race', type: 'string' }]);
  const post = async (base, subject) => {
    const res = await fetch(`${base}/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()).id;
  };
  const calls = [];
  for (let i = 0; i < 40; i++)
    calls.push(post(i % 2 ? url : url2, i % 4 < 2 ? 'race-value' : 'race-other'));
  const ids = new Set(await Promise.all(calls));
  assert.equal(ids.size, 1, `one id for one schema, got ${[...ids]}`);
  for (const base of [url, url2]) {
    for (const subject of ['race-value', 'race-other']) {
      const res = await fetch(`${base}/subjects/${subject}/versions`);
      assert.deepEqual(await res.json(), [1], `${subject} has one version`);
    }
  }
  // Both processes answer the same for a schema the other registered.
  const one = await (await fetch(`${url}/schemas/ids/${[...ids][0]}`)).json();
  const two = await (await fetch(`${url2}/schemas/ids/${[...ids][0]}`)).json();
  assert.deepEqual(one, two);
  console.log(`race ok: 40 concurrent registrations through 2 processes, id ${[...ids][0]}`);
}

(async () => {
  await avro();
  await avroReferences();
  await json();
  await protobuf();
  if (url2) await race();
  console.log('all ok');
})().catch((e) => {
  console.error('FAIL:', e && e.stack ? e.stack : e);
  process.exit(1);
});
