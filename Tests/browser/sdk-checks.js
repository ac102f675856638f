// Checks of what web/tickwire.js does beyond decoding (the shared vectors
// cover that): interpolation between ticks, its clock, and how inputs are
// quantized and refused. A classic script like vectors.js: it defines
// `globalThis.runSDKChecks(sdk, arenaWelcome)`, where `arenaWelcome` is the
// bytes of a `welcome` of games/arena, and returns `{ passed, failed }`.
//
//   node Tests/browser/sdk-checks.js     (takes the welcome from the vectors)
(function () {
  'use strict';

  function runSDKChecks(sdk, arenaWelcome) {
    const result = { passed: 0, failed: [] };
    const check = (ok, message) => {
      if (ok) result.passed += 1;
      else result.failed.push(message);
    };
    const near = (a, b) => Math.abs(a - b) < 1e-9;

    // Interpolation: a schema with one continuous field of each kind and a counter.
    const schema = { kinds: [{ name: 'ship', fields: [
      { name: 'x', type: 'fixed' }, { name: 'angle', type: 'angle' }, { name: 'hp', type: 'u8' },
      { name: 'at', type: 'vec3' }] }] };
    const ship = (id, x, angle, hp) => ({ id, kind: 'ship', fields: { x, angle, hp, at: { x, y: 2 * x, z: 0 } } });
    const state = (tick, ...ships) => ({ tick, lastInput: 0, match: {}, entities: new Map(ships.map((s) => [s.id, s])) });
    const buffer = new sdk.InterpolationBuffer(schema, 10, 2);   // 100 ms ticks, drawn 2 ticks behind
    buffer.push(state(10, ship(1, 0, 6.2, 3), ship(2, 5, 0, 1)), 1000);
    buffer.push(state(11, ship(1, 10, 0.2, 2), ship(3, 7, 0, 1)), 1100);
    // At 1250 ms the clock says tick 12.5; drawn 2 behind: 10.5, halfway from 10 to 11.
    const mid = new Map(buffer.sample(1250).map((e) => [e.id, e]));
    check(near(buffer.renderTick(1250), 10.5), `render tick at 1250 ms: ${buffer.renderTick(1250)}, want 10.5`);
    check(mid.has(1) && near(mid.get(1).fields.x, 5), `x halfway between 0 and 10: ${mid.get(1)?.fields.x}`);
    const angle = mid.get(1)?.fields.angle;
    const wantAngle = (6.2 + (0.2 + 2 * Math.PI - 6.2) / 2) % (2 * Math.PI);
    check(near(angle, wantAngle), `angle between 6.2 and 0.2 rad goes the short way across 0: ${angle}, want ${wantAngle}`);
    check(mid.get(1)?.fields.hp === 3, `a counter comes from the older tick: hp ${mid.get(1)?.fields.hp}`);
    check(near(mid.get(1)?.fields.at.y, 10), `vec3 axes interpolate: y ${mid.get(1)?.fields.at.y}, want 10`);
    check(mid.has(2) && !mid.has(3), `the older tick's entities are drawn, not the newer's: ${[...mid.keys()]}`);
    // Past the newest tick: the newest state, not an extrapolation.
    const late = new Map(buffer.sample(5000).map((e) => [e.id, e]));
    check(late.has(3) && late.get(1).fields.x === 10, 'far past the newest tick, the newest state is drawn');
    // A late arrival does not move the clock; an early one does.
    buffer.push(state(12, ship(1, 20, 0.2, 2)), 1300);   // 100 ms late
    check(near(buffer.renderTick(1250), 10.5), `a late state leaves the clock: ${buffer.renderTick(1250)}`);
    buffer.push(state(13, ship(1, 30, 0.2, 2)), 1250);   // 50 ms early
    check(near(buffer.renderTick(1250), 11), `an early state moves the clock: ${buffer.renderTick(1250)}, want 11`);
    // A new match (ticks going back) starts the buffer over.
    buffer.push(state(2, ship(9, 1, 0, 1)), 2000);
    check(buffer.sample(2000).map((e) => e.id).join() === '9', 'ticks going back (a new match) start the buffer over');

    // A send rate below the tick rate (20 of 60: a state every third tick):
    // the gap is measured from the ticks and rendering runs that much
    // further behind, so it is always between two states, never holding
    // the newest while the next is on its way.
    const rated = new sdk.InterpolationBuffer(schema, 60, 2);
    const tickMs = 1000 / 60;
    for (let t = 3; t <= 60; t += 3) rated.push(state(t, ship(1, t, 0, 1)), t * tickMs);
    check(near(rated.gap, 3) && near(rated.delay, 4), `gap ${rated.gap}, want 3; delay ${rated.delay}, want 4`);
    let between = true;
    for (let ms = 60 * tickMs; ms < 63 * tickMs; ms += 1) {
      const t = rated.renderTick(ms), x = rated.sample(ms)[0].fields.x;
      if (!(t >= 56 && t < 59) || Math.abs(x - t) > 1e-6) between = false;
    }
    check(between, 'until the next state is due, rendering interpolates between two states a tick short of the newest');
    check(near(rated.renderTick(62 * tickMs), 58), `render tick at tick 62's time: ${rated.renderTick(62 * tickMs)}, want 58`);
    // A lost snapshot or a stall (one long gap) does not move rendering back.
    const every = new sdk.InterpolationBuffer(schema, 60, 2);
    for (let t = 1; t <= 40; t += 1) every.push(state(t, ship(1, t, 0, 1)), t * tickMs);
    every.push(state(70, ship(1, 70, 0, 1)), 70 * tickMs);
    check(near(every.gap, 1) && near(every.delay, 2), `after a stall: gap ${every.gap}, want 1`);
    // An uneven rate (25 of 60: gaps of 2 and 3 ticks) gives its mean.
    const uneven = new sdk.InterpolationBuffer(schema, 60, 2);
    for (let t = 1; t <= 120; t += 1) if (Math.floor(t * 25 / 60) !== Math.floor((t - 1) * 25 / 60)) uneven.push(state(t, ship(1, t, 0, 1)), t * tickMs);
    check(Math.abs(uneven.gap - 2.4) < 0.05, `uneven gaps: ${uneven.gap}, want about 2.4`);

    // Inputs: quantized as the server does, and refused when they name no field.
    if (arenaWelcome) {
      const mirror = new sdk.Mirror(arenaWelcome);
      const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      const input = (values) => hex(sdk.encodeInput(mirror, 1, values));
      // arena: fire (bool), thrust (bool), turn (i8), in that order.
      check(input({ turn: 1, thrust: true }) === input({ turn: 0.6, thrust: 1 }), 'turn 0.6 rounds to 1 and thrust 1 is true');
      check(input({ turn: -0.5 }) === input({ turn: -1 }), 'a half rounds away from zero, as the server rounds');
      check(input({ turn: 1000 }) === input({ turn: 127 }) && input({ turn: -1e9 }) === input({ turn: -128 }), 'out-of-range values are clamped');
      check(input({}) === input({ turn: 0, thrust: false, fire: false }), 'missing fields are zero');
      check(input({ turn: NaN }) === input({}), 'NaN sends 0');
      const throws = (fn, type) => { try { fn(); return false; } catch (error) { return error instanceof type; } };
      check(throws(() => sdk.encodeInput(mirror, 1, { steer: 1 }), TypeError), 'an unknown input field throws a TypeError');
      check(throws(() => sdk.encodeInput(mirror, 0, {}), RangeError), 'input sequence 0 throws a RangeError');
      check(throws(() => sdk.encodeClientEvent(mirror, 'chat', {}), TypeError), 'a client event the game does not declare throws');
      check(throws(() => mirror.apply(Uint8Array.of(0x02, 5, 1, 0, 0)), sdk.ProtocolError) && mirror.state === null,
        'a delta against a tick the mirror does not hold is refused with the state kept');
    }
    return result;
  }

  globalThis.runSDKChecks = runSDKChecks;

  if (typeof module !== 'undefined' && typeof require === 'function' && require.main === module) {
    const path = require('path');
    const root = path.resolve(__dirname, '..', '..');
    const vectors = JSON.parse(require('fs').readFileSync(path.join(root, 'Tests/vectors/protocol-v2.json'), 'utf8'));
    const arena = vectors.sessions.find((s) => s.expect && s.expect.schema.kinds.some((k) => k.name === 'ship'));
    const welcome = arena && Uint8Array.from(arena.welcome.match(/../g).map((h) => parseInt(h, 16)));
    import(path.join(root, 'web/tickwire.js')).then((sdk) => {
      const result = runSDKChecks(sdk, welcome);
      for (const message of result.failed) console.log('FAIL', message);
      console.log(`${result.passed} checks passed, ${result.failed.length} failed`);
      process.exitCode = result.failed.length === 0 && result.passed > 0 ? 0 : 1;
    });
  }
})();
