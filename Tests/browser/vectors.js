// Runs the shared protocol vectors (Tests/vectors/protocol-v2.json) against
// the JavaScript SDK (web/tickwire.js): every welcome, snapshot and refusal
// must decode to exactly what the Swift reference decoder got, and every
// client message must encode to the same bytes.
//
// A classic script, so a browser test can evaluate it as it is: it defines
// `globalThis.runVectors(sdk, vectors)`, which returns
// `{ passed, failed: [messages] }`. From a shell (Node 20 or later):
//
//   node Tests/browser/vectors.js
(function () {
  'use strict';

  function hexToBytes(hex) {
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
    return out;
  }

  function bytesToHex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  const NUMERIC = new Set(['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'fixed', 'angle']);
  const SPECIAL = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

  /** The vector file's VALUE as the SDK reports it. */
  function expectedValue(field, value) {
    if (NUMERIC.has(field.type) && typeof value === 'string') return SPECIAL[value];
    return value;
  }

  /** Exact equality: numbers by Object.is (NaN equals NaN, 0 differs from -0). */
  function same(a, b) {
    if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
    if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    const ka = Object.keys(a).sort(), kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same(a[k], b[k]));
  }

  function show(v) {
    return JSON.stringify(v, (k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : Object.is(x, -0) ? '-0' : x));
  }

  function fieldsOf(fields, expected, actual, where, problems) {
    for (const f of fields) {
      const want = expectedValue(f, expected[f.name]);
      if (!(f.name in actual)) problems.push(`${where}.${f.name}: missing`);
      else if (!same(actual[f.name], want)) problems.push(`${where}.${f.name}: got ${show(actual[f.name])}, want ${show(want)}`);
    }
    const extra = Object.keys(actual).filter((k) => !fields.some((f) => f.name === k));
    if (extra.length) problems.push(`${where}: unexpected fields ${extra.join(', ')}`);
  }

  function checkState(schema, applied, want, problems) {
    const state = applied.state;
    if (state.tick !== want.tick) problems.push(`tick: got ${state.tick}, want ${want.tick}`);
    if (state.lastInput !== want.lastInput) problems.push(`lastInput: got ${state.lastInput}, want ${want.lastInput}`);
    fieldsOf(schema.match, want.match, state.match, 'match', problems);
    const entities = [...state.entities.values()];
    const ids = entities.map((e) => e.id), wantIDs = want.entities.map((e) => e.id);
    if (!same(ids, wantIDs)) {
      problems.push(`entity ids: got ${show(ids)}, want ${show(wantIDs)}`);
    } else {
      want.entities.forEach((w, i) => {
        const e = entities[i];
        if (e.kind !== w.kind) { problems.push(`entity ${w.id}: kind ${e.kind}, want ${w.kind}`); return; }
        fieldsOf(schema.kinds.find((k) => k.name === w.kind).fields, w.fields, e.fields, `entity ${w.id}`, problems);
      });
    }
    if (applied.events.length !== want.events.length) {
      problems.push(`events: got ${applied.events.length}, want ${want.events.length}`);
    } else {
      want.events.forEach((w, i) => {
        const e = applied.events[i];
        if (e.name !== w.name || e.to !== w.to) { problems.push(`event ${i}: got ${e.name} to ${e.to}, want ${w.name} to ${w.to}`); return; }
        fieldsOf(schema.events.find((k) => k.name === w.name).fields, w.fields, e.fields, `event ${i} (${w.name})`, problems);
      });
    }
    const addedIDs = applied.added.map((e) => e.id), removedIDs = applied.removed.map((e) => e.id);
    if (!same(addedIDs, want.added)) problems.push(`added: got ${show(addedIDs)}, want ${show(want.added)}`);
    if (!same(removedIDs, want.removed)) problems.push(`removed: got ${show(removedIDs)}, want ${show(want.removed)}`);
    const changed = applied.changed.map((c) => ({ id: c.entity.id, fields: c.fields }));
    if (!same(changed, want.changed)) problems.push(`changed: got ${show(changed)}, want ${show(want.changed)}`);
  }

  /** Input and event values from the file, in the form the SDK's encoders take. */
  function values(fields, given) {
    const out = {};
    for (const f of fields) if (f.name in given) out[f.name] = expectedValue(f, given[f.name]);
    return out;
  }

  function runSession(sdk, session, record) {
    const welcome = hexToBytes(session.welcome);
    if (session.error !== undefined) {
      try {
        sdk.decodeWelcome(welcome);
        record(false, 'welcome: accepted, but the reference refuses it (' + session.error + ')');
      } catch (error) {
        record(error instanceof sdk.ProtocolError, `welcome: threw ${error} instead of a ProtocolError`);
      }
      return;
    }
    let decoded, mirror;
    try {
      decoded = sdk.decodeWelcome(welcome);
      mirror = new sdk.Mirror(welcome);
    } catch (error) {
      record(false, `welcome: refused (${error.message}), the reference accepts it`);
      return;
    }
    const w = session.expect;
    const got = { version: decoded.version, player: decoded.player, match: decoded.match, tickRate: decoded.tickRate,
      tick: decoded.tick, resume: decoded.resume, schema: decoded.schema };
    record(same(got, w), () => `welcome: got ${show(got)}, want ${show(w)}`);
    const schema = decoded.schema;
    (session.snapshots ?? []).forEach((s, i) => {
      const before = mirror.state;
      const where = `snapshot ${i}`;
      if (s.error !== undefined) {
        try {
          mirror.apply(hexToBytes(s.bytes));
          record(false, `${where}: accepted, but the reference refuses it (${s.error})`);
        } catch (error) {
          record(error instanceof sdk.ProtocolError && mirror.state === before,
            `${where}: threw ${error} or changed the state, instead of refusing with the state kept`);
        }
        return;
      }
      let applied;
      try {
        applied = mirror.apply(hexToBytes(s.bytes));
      } catch (error) {
        record(false, `${where}: refused (${error.message}), the reference accepts it`);
        return;
      }
      const problems = [];
      checkState(schema, applied, s.expect, problems);
      record(problems.length === 0, () => `${where} (tick ${s.expect.tick}): ${problems.slice(0, 5).join('; ')}`);
    });
    for (const input of session.inputs ?? []) {
      const bytes = bytesToHex(sdk.encodeInput(mirror, input.sequence, values(schema.input, input.values)));
      record(bytes === input.bytes, () => `input ${input.sequence}: encoded ${bytes}, want ${input.bytes}`);
    }
    for (const event of session.clientEvents ?? []) {
      const fields = schema.clientEvents.find((e) => e.name === event.name).fields;
      const bytes = bytesToHex(sdk.encodeClientEvent(mirror, event.name, values(fields, event.values)));
      record(bytes === event.bytes, () => `client event ${event.name}: encoded ${bytes}, want ${event.bytes}`);
    }
    for (const ack of session.acks ?? []) {
      const bytes = bytesToHex(sdk.encodeAck(ack.tick));
      record(bytes === ack.bytes, () => `ack ${ack.tick}: encoded ${bytes}, want ${ack.bytes}`);
    }
  }

  /** Runs every session; a failing check never stops the others. */
  function runVectors(sdk, vectors) {
    const result = { passed: 0, failed: [] };
    for (const session of vectors.sessions) {
      const record = (ok, message) => {
        if (ok) result.passed += 1;
        else result.failed.push(`${session.name}: ${typeof message === 'function' ? message() : message}`);
      };
      try {
        runSession(sdk, session, record);
      } catch (error) {
        record(false, `the runner failed: ${error && error.stack || error}`);
      }
    }
    return result;
  }

  globalThis.runVectors = runVectors;

  if (typeof module !== 'undefined' && typeof require === 'function' && require.main === module) {
    const path = require('path');
    const root = path.resolve(__dirname, '..', '..');
    const vectors = JSON.parse(require('fs').readFileSync(path.join(root, 'Tests/vectors/protocol-v2.json'), 'utf8'));
    import(path.join(root, 'web/tickwire.js')).then((sdk) => {
      const result = runVectors(sdk, vectors);
      for (const message of result.failed) console.log('FAIL', message);
      console.log(`${result.passed} checks passed, ${result.failed.length} failed`);
      process.exitCode = result.failed.length === 0 && result.passed > 0 ? 0 : 1;
    });
  }
})();
