// How long web/tickwire.js takes to apply a snapshot: the arena session of
// the shared vectors (a real match seen by one player), applied from its
// welcome over and over. Node 20 or later:
//
//   node Tests/browser/decode-bench.js [rounds]
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const rounds = Number(process.argv[2] ?? 2000);
const vectors = JSON.parse(fs.readFileSync(path.join(root, 'Tests/vectors/protocol-v2.json'), 'utf8'));
const session = vectors.sessions.find((s) => s.name.startsWith('arena'));
const hex = (h) => Uint8Array.from(h.match(/../g).map((x) => parseInt(x, 16)));
const welcome = hex(session.welcome);
// The snapshots up to the first one the session expects to be refused.
const messages = [];
for (const s of session.snapshots) {
  if (s.error !== undefined) break;
  messages.push(hex(s.bytes));
}

import(path.join(root, 'web/tickwire.js')).then(({ Mirror }) => {
  const bytes = messages.reduce((sum, m) => sum + m.length, 0);
  const once = new Mirror(welcome);
  for (const m of messages) once.apply(m);
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) {
    const mirror = new Mirror(welcome);
    for (const m of messages) mirror.apply(m);
  }
  const ns = Number(process.hrtime.bigint() - start);
  console.log(`${messages.length} arena snapshots (${bytes} bytes, ${once.state.entities.size} entities at the end) × ${rounds}: `
    + `${(ns / 1000 / (rounds * messages.length)).toFixed(1)} µs per snapshot, welcome included`);
});
