// Tickwire client SDK: one dependency-free ES module for browsers (and any
// JavaScript runtime with WebSocket, TextDecoder and DataView).
//
//   import { TickwireClient } from './tickwire.js';
//   const client = new TickwireClient({ game: 'arena', name: 'Ann' });
//   client.on('snapshot', (state) => draw(client.interpolated()));
//   client.connect();
//   client.sendInput({ turn: 1, thrust: true });
//
// The wire format is docs/protocol.md (version 2). This module decodes
// exactly what the Swift reference decoder (`ClientMirror`) decodes: both run
// the shared vectors in Tests/vectors/protocol-v2.json.
//
// Layout: bit streams, then schemas and field coding, then the messages and
// the mirror of the state, then interpolation, then TickwireClient.

/** The protocol version this module speaks (the `tickwire.2` subprotocol). */
export const PROTOCOL_VERSION = 2;

/** Message type bytes (docs/protocol.md, "Message types"). */
export const MessageType = Object.freeze({
  welcome: 0x01, snapshot: 0x02, error: 0x03, input: 0x81, clientEvent: 0x82, ack: 0x83,
});

/** Error codes of the `error` message; the server then closes with 4000 + code. */
export const ErrorCode = Object.freeze({
  protocolVersion: 1, malformed: 2, matchFull: 3, matchOver: 4, refused: 5,
  kicked: 6, tooSlow: 7, flooding: 8, forbidden: 9, notFound: 10,
});

/** WebSocket close codes a Tickwire server uses (docs/protocol.md, "Closing"). */
export const CloseCodes = Object.freeze({
  normal: 1000, goingAway: 1001, protocolError: 1002, textMessage: 1003,
  abnormal: 1006, badUTF8: 1007, tooLarge: 1009, serverError: 1011,
  /** 4000 + an ErrorCode. */
  errorBase: 4000,
});

/** docs/protocol.md, "Limits". */
const MAX_MESSAGE_BYTES = 1 << 20;
const MAX_ENTITIES = 65535;
const MAX_EVENTS = 4096;
const MAX_ID = 0xffffffff;
const MAX_SETS = 255;
const MAX_FIELDS = 64;
const MAX_NAME_BYTES = 64;
const MAX_STRING_FIELD_BYTES = 4096;
const MAX_FIXED_STEPS = 0xffffffff;
const MAX_VECTOR_BITS = 63;
/** 1/√2: every component of a unit quaternion but the largest lies in [-1/√2, 1/√2]. */
const QUAT_HALF_RANGE = 0.70710678118654752440;
const TWO_POW_53 = 2 ** 53;
/** Most ticks from its baseline a snapshot may predict over (docs/protocol.md, "snapshot"). */
const MAX_PREDICTION_AHEAD = 4096;
/**
 * Components wider than this are predicted as their baseline value, so the
 * prediction's product (a difference below 2^32 times at most 4096 ticks)
 * stays below 2^44, exact in a Number.
 */
const MAX_PREDICTED_BITS = 32;
/** The mode a field's mode memory holds at the start of each message: from the baseline, order 0. */
const FIRST_MODE = 1;

/**
 * Bytes that break docs/protocol.md. `code` says how:
 * 'truncated' | 'outOfRange' | 'unknown' | 'version' | 'baseline'.
 */
export class ProtocolError extends Error {
  /** @param {'truncated'|'outOfRange'|'unknown'|'version'|'baseline'} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = 'ProtocolError';
    /** @type {'truncated'|'outOfRange'|'unknown'|'version'|'baseline'} */
    this.code = code;
  }
}

// MARK: Bit streams

const strictUTF8 = new TextDecoder('utf-8', { fatal: true });
const lenientUTF8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Bits of `n` (0 for 0): the width of `int(0...n)`. `n` below 2^53. */
function bitLength(n) {
  if (n <= 0xffffffff) return 32 - Math.clz32(n);
  return 32 + bitLength(Math.floor(n / 0x100000000));
}

/** `width(n)` of the spec: bits of n, at least 1. */
function widthOf(n) { return Math.max(1, bitLength(n)); }

/** Reads least significant bit first; every read checks what is left. */
class BitReader {
  /** @param {Uint8Array} bytes */
  constructor(bytes) {
    this.bytes = bytes;
    this.end = bytes.length * 8;
    this.pos = 0;
  }

  get remaining() { return this.end - this.pos; }

  /** `n` (0...53) bits as a Number. */
  bits(n) {
    if (n > this.end - this.pos) throw new ProtocolError('truncated', `message ends ${n - (this.end - this.pos)} bits early`);
    let result = 0, got = 0;
    while (got < n) {
      const offset = this.pos & 7;
      const take = Math.min(8 - offset, n - got);
      const chunk = (this.bytes[this.pos >> 3] >> offset) & ((1 << take) - 1);
      result += chunk * 2 ** got;
      got += take;
      this.pos += take;
    }
    return result;
  }

  /** `n` (0...64) bits as a BigInt, for values that may pass 2^53. */
  bigBits(n) {
    if (n <= 48) return BigInt(this.bits(n));
    const low = this.bits(32);
    return BigInt(low) | (BigInt(this.bits(n - 32)) << 32n);
  }

  bool() { return this.bits(1) === 1; }

  /** `int(lo...hi)`: hi - lo below 2^32. */
  ranged(lo, hi, what) {
    const span = hi - lo;
    const raw = this.bits(bitLength(span));
    if (raw > span) throw new ProtocolError('outOfRange', `${what ?? 'value'} ${raw} is above the range ${lo}...${hi}`);
    return lo + raw;
  }

  /**
   * LEB128, at most 64 bits; `limit` bounds it. Exact below 2^53; larger
   * values (legal only for a few fields) come back rounded.
   */
  varint(limit = Infinity, what = 'varint') {
    let value = 0, shift = 0, big = null;
    for (;;) {
      const byte = this.bits(8);
      if (shift >= 64 || (shift >= 63 && byte > 1)) throw new ProtocolError('outOfRange', 'varint longer than 64 bits');
      if (big === null && shift <= 42) {
        value += (byte & 0x7f) * 2 ** shift;
      } else {
        if (big === null) big = BigInt(value);
        big |= BigInt(byte & 0x7f) << BigInt(shift);
      }
      if ((byte & 0x80) === 0) break;
      shift += 7;
    }
    if (big !== null) {
      if (limit !== Infinity && big > BigInt(limit)) throw new ProtocolError('outOfRange', `${what} ${big} is above the limit ${limit}`);
      return Number(big);
    }
    if (value > limit) throw new ProtocolError('outOfRange', `${what} ${value} is above the limit ${limit}`);
    return value;
  }

  /** Elias gamma, value ≥ 1. Values from 2^53 on are never valid where gamma codes appear. */
  gamma() {
    let zeros = 0;
    while (this.bits(1) === 0) {
      zeros += 1;
      if (zeros >= 64) throw new ProtocolError('outOfRange', 'gamma code longer than 64 bits');
    }
    if (zeros > 52) {
      this.bigBits(zeros);
      throw new ProtocolError('outOfRange', `gamma code of ${zeros + 1} bits is out of range`);
    }
    return 2 ** zeros + this.bits(zeros);
  }

  /** Elias gamma as a BigInt, up to 63 zero bits: the codes of vec3 axes wider than 48 bits. */
  bigGamma() {
    let zeros = 0;
    while (this.bits(1) === 0) {
      zeros += 1;
      if (zeros >= 64) throw new ProtocolError('outOfRange', 'gamma code longer than 64 bits');
    }
    return (1n << BigInt(zeros)) | this.bigBits(zeros);
  }

  /** A count from 0, at most `limit`. */
  count(limit, what = 'count') {
    const n = this.gamma() - 1;
    if (n > limit) throw new ProtocolError('outOfRange', `${what} ${n} is above the limit ${limit}`);
    return n;
  }

  f64() {
    const raw = new Uint8Array(8);
    for (let i = 0; i < 8; i++) raw[i] = this.bits(8);
    return new DataView(raw.buffer).getFloat64(0, true);
  }

  /** `count` bytes, checked against what is left first. */
  rawBytes(count) {
    if (count * 8 > this.remaining) throw new ProtocolError('truncated', `string of ${count} bytes runs past the message`);
    const out = new Uint8Array(count);
    if ((this.pos & 7) === 0) {
      out.set(this.bytes.subarray(this.pos >> 3, (this.pos >> 3) + count));
      this.pos += count * 8;
    } else {
      for (let i = 0; i < count; i++) out[i] = this.bits(8);
    }
    return out;
  }

  /** `varint` length then UTF-8, at most `maxBytes`; invalid UTF-8 is refused. */
  string(maxBytes, what = 'string') {
    const n = this.varint(maxBytes, `${what} length`);
    const raw = this.rawBytes(n);
    try {
      return strictUTF8.decode(raw);
    } catch {
      throw new ProtocolError('outOfRange', `${what} is not valid UTF-8`);
    }
  }

  align() {
    const pad = (8 - (this.pos & 7)) & 7;
    if (pad > this.remaining) throw new ProtocolError('truncated', 'message ends inside its padding');
    if (this.bits(pad) !== 0) throw new ProtocolError('outOfRange', 'padding bits are not zero');
  }

  expectEnd() {
    this.align();
    if (this.pos !== this.end) throw new ProtocolError('outOfRange', `${(this.end - this.pos) / 8} unexpected bytes at the end of the message`);
  }
}

/** Writes least significant bit first; `finish` pads the last byte with zeros. */
class BitWriter {
  constructor() {
    this.out = [];
    this.pos = 0;
  }

  /** `n` (0...53) bits of a non-negative Number, or (any n) of a BigInt. */
  bits(value, n) {
    if (typeof value === 'bigint') {
      for (let i = 0; i < n; i++) this.bit(Number((value >> BigInt(i)) & 1n));
      return;
    }
    for (let i = 0; i < n; i++) {
      this.bit(Math.floor(value / 2 ** i) % 2);
    }
  }

  bit(b) {
    if ((this.pos & 7) === 0) this.out.push(0);
    if (b) this.out[this.out.length - 1] |= 1 << (this.pos & 7);
    this.pos += 1;
  }

  varint(value) {
    do {
      let byte = value % 128;
      value = Math.floor(value / 128);
      if (value > 0) byte |= 0x80;
      this.bits(byte, 8);
    } while (value > 0);
  }

  gamma(value) {
    const zeros = bitLength(value) - 1;
    this.bits(0, zeros);
    this.bits(1, 1);
    this.bits(value - 2 ** zeros, zeros);
  }

  finish() { return Uint8Array.from(this.out); }
}

// MARK: Schemas and fields

/**
 * @typedef {'bool'|'u8'|'i8'|'u16'|'i16'|'u32'|'i32'|'f32'|'fixed'|'angle'|'string'|'entity'|'vec3'|'quat'} FieldTypeName
 */

/**
 * One field of a schema and how its values travel. `lo...hi` is the range
 * of the stored integer `q` the wire carries.
 * @typedef {object} Field
 * @property {string} name
 * @property {FieldTypeName} type
 * @property {number} [min] fixed
 * @property {number} [max] fixed; string: most bytes
 * @property {number} [step] fixed
 * @property {number} [bits] angle, quat: bits (per component)
 * @property {string|null} [of] entity: the kind it refers to, null for any
 * @property {{min:number,max:number,step:number}} [x] vec3 axis
 * @property {{min:number,max:number,step:number}} [y] vec3 axis
 * @property {{min:number,max:number,step:number}} [z] vec3 axis
 */

/**
 * A game's schema, as `welcome` carries it: field lists in wire order.
 * @typedef {object} Schema
 * @property {Field[]} match
 * @property {{name:string, fields:Field[]}[]} kinds
 * @property {Field[]} input
 * @property {{name:string, fields:Field[]}[]} events
 * @property {{name:string, fields:Field[]}[]} clientEvents
 */

const TYPE_BYTES = ['bool', 'integer', 'f32', 'fixed', 'angle', 'string', 'entity', 'vec3', 'quat'];

/** The spec's `steps = ⌊(max - min) / step + 10⁻⁹⌋`, checked as the reference reader does. */
function readAxis(r, maxSteps, name) {
  const min = r.f64(), max = r.f64(), step = r.f64();
  if (!Number.isFinite(min) || !Number.isFinite(max) || !Number.isFinite(step)) {
    throw new ProtocolError('outOfRange', `field ${name}: fixed min, max and step must be finite`);
  }
  if (!(min < max)) throw new ProtocolError('outOfRange', `field ${name}: fixed needs min < max, got ${min} and ${max}`);
  if (!(step > 0)) throw new ProtocolError('outOfRange', `field ${name}: fixed needs a positive step, got ${step}`);
  const steps = Math.floor((max - min) / step + 1e-9);
  if (!Number.isFinite(steps) || steps > maxSteps) throw new ProtocolError('outOfRange', `field ${name}: more than ${maxSteps} steps`);
  if (steps < 1) throw new ProtocolError('outOfRange', `field ${name}: step ${step} is larger than the range ${min}...${max}`);
  return { min, max, step, steps, width: widthOf(steps) };
}

/** Arithmetic of one field type: the stored integer's range, its wire width, decode and quantize. */
class FieldCoder {
  constructor(name, type, params) {
    this.name = name;
    this.type = type;
    Object.assign(this, params);
    this.relative = false;
    this.lo = 0;
    this.hi = 0;
    this.width = 0;
    switch (type) {
      case 'bool': this.hi = 1; this.width = 1; break;
      case 'u8': case 'u16': case 'u32': case 'i8': case 'i16': case 'i32': {
        const bits = Number(type.slice(1));
        this.signed = type[0] === 'i';
        this.lo = this.signed ? -(2 ** (bits - 1)) : 0;
        this.hi = this.signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
        this.width = bits;
        this.relative = true;
        break;
      }
      case 'f32': this.hi = 0xffffffff; this.width = 32; break;
      case 'fixed': this.hi = this.steps; this.width = widthOf(this.steps); this.relative = true; break;
      case 'angle': this.turn = 2 ** this.bits; this.hi = this.turn - 1; this.width = this.bits; this.relative = true; break;
      case 'string': this.hi = this.max; this.width = widthOf(this.max); break;
      case 'entity': this.hi = MAX_ID; this.width = 32; break;
      case 'vec3': this.width = this.x.width + this.y.width + this.z.width; this.relative = true; break;
      case 'quat': this.width = 2 + 3 * this.bits; this.relative = true; break;
    }
    if (this.relative) this.setUpComponents();
  }

  /**
   * What a changed value is coded by (docs/protocol.md, "Changed values"):
   * a scalar is one component (its stored integer), a vec3 its three axes'
   * step counts, a quat its three smallest components (index 1...3 of its
   * array; index 0 is its frame). Per component: the top of its range (the
   * bottom is `lo` for a scalar, else 0), its Exp-Golomb orders for modes
   * 1/4, 2/5, 3/6, whether it is predicted, and whether it is a BigInt.
   */
  setUpComponents() {
    let widths = [this.width];
    this.componentHi = [this.hi];
    if (this.type === 'vec3') {
      widths = [this.x.width, this.y.width, this.z.width];
      this.componentHi = [this.x.steps, this.y.steps, this.z.steps];
    } else if (this.type === 'quat') {
      widths = [this.bits, this.bits, this.bits];
      this.componentHi = widths.map((w) => 2 ** w - 1);
    }
    this.orders = widths.map((w) => [0, Math.floor(w / 3), Math.floor(2 * w / 3)]);
    this.predicted = widths.map((w) => w <= MAX_PREDICTED_BITS);
    this.wide = widths.map((w) => this.type === 'vec3' && w > 48);
  }

  /** The public description of the field (see the Field typedef). */
  describe() {
    const d = { name: this.name, type: this.type };
    switch (this.type) {
      case 'fixed': Object.assign(d, { min: this.min, max: this.fixedMax, step: this.step }); break;
      case 'angle': case 'quat': d.bits = this.bits; break;
      case 'string': d.max = this.max; break;
      case 'entity': d.of = this.of; break;
      case 'vec3': for (const a of ['x', 'y', 'z']) d[a] = { min: this[a].min, max: this[a].max, step: this[a].step }; break;
    }
    return d;
  }

  /** The stored value read in full. Strings are a binary string of their bytes; vec3 and quat an array. */
  readFull(r) {
    switch (this.type) {
      case 'string': {
        const n = r.ranged(0, this.max, `${this.name} length`);
        const raw = r.rawBytes(n);
        let key = '';
        for (let i = 0; i < raw.length; i++) key += String.fromCharCode(raw[i]);
        return key;
      }
      case 'f32': return r.bits(32);
      case 'entity': {
        const id = r.gamma() - 1;
        if (id > MAX_ID) throw new ProtocolError('outOfRange', `entity id ${id} is above 2^32 - 1`);
        return id;
      }
      case 'vec3': {
        const q = [];
        for (const a of [this.x, this.y, this.z]) {
          const v = a.width > 48 ? r.bigBits(a.width) : r.bits(a.width);
          if (v > a.steps) throw new ProtocolError('outOfRange', `vec3 field ${this.name} has an axis above its last step`);
          q.push(v);
        }
        return q;
      }
      case 'quat': return [r.bits(2), r.bits(this.bits), r.bits(this.bits), r.bits(this.bits)];
      default: return r.ranged(this.lo, this.hi, this.name);
    }
  }

  /**
   * A changed value (docs/protocol.md, "Changed values"). `base` is the
   * value the reader holds; `prior` the same entity's value in the state
   * held before it, `ahead` and `behind` the tick gaps T - B and B - P,
   * `behind` being 0 when there is nothing to predict from. `modes[slot]` is
   * this field's mode memory in the message, set to the mode read.
   */
  readChanged(r, base, prior, ahead, behind, modes, slot) {
    if (this.type === 'bool') return base === 0 ? 1 : 0;
    if (!this.relative) return this.readFull(r);
    const mode = r.bits(1) === 1 ? modes[slot] : r.bits(3);
    if (mode === 7) throw new ProtocolError('outOfRange', `field ${this.name}: changed value mode 7 is not defined`);
    modes[slot] = mode;
    let q;
    if (mode === 0) {
      q = this.readFull(r);
    } else if (this.type === 'vec3' || this.type === 'quat') {
      q = this.readComponents(r, base, prior, ahead, behind, mode);
    } else {
      const ref = mode > 3 && behind > 0 && this.predicted[0] ? predict(base, prior, ahead, behind, this.lo, this.hi) : base;
      q = readDelta(r, ref, this.orders[0][(mode - 1) % 3], this.lo, this.hi, this.name);
    }
    if (sameStored(q, base)) throw new ProtocolError('outOfRange', `field ${this.name}: a changed value is the baseline's`);
    return q;
  }

  /** A vec3 or quat in modes 1...6: each component from the baseline's (1...3) or the prediction's (4...6). */
  readComponents(r, base, prior, ahead, behind, mode) {
    const quat = this.type === 'quat';
    const first = quat ? 1 : 0;
    // A quat keeps the baseline's frame, and is predicted only from a prior in the same frame.
    const predicting = mode > 3 && behind > 0 && (!quat || prior[0] === base[0]);
    const order = (mode - 1) % 3;
    const q = quat ? [base[0], 0, 0, 0] : [0, 0, 0];
    for (let c = 0; c < 3; c++) {
      const b = base[first + c], hi = this.componentHi[c], k = this.orders[c][order];
      if (this.wide[c]) {
        q[first + c] = readBigDelta(r, b, k, hi, this.name);
      } else {
        const ref = predicting && this.predicted[c] ? predict(b, prior[first + c], ahead, behind, 0, hi) : b;
        q[first + c] = readDelta(r, ref, k, 0, hi, this.name);
      }
    }
    return q;
  }

  /** The value a reader sees for a stored value. */
  decode(q) {
    switch (this.type) {
      case 'bool': return q !== 0;
      case 'f32': return f32FromBits(q);
      case 'fixed': return this.min + q * this.step;
      case 'angle': return q * (2 * Math.PI) / this.turn;
      case 'string': {
        const raw = new Uint8Array(q.length);
        for (let i = 0; i < q.length; i++) raw[i] = q.charCodeAt(i);
        return lenientUTF8.decode(raw);
      }
      case 'vec3': return {
        x: this.x.min + Number(q[0]) * this.x.step,
        y: this.y.min + Number(q[1]) * this.y.step,
        z: this.z.min + Number(q[2]) * this.z.step,
      };
      case 'quat': {
        const scale = (2 ** this.bits - 1) / (2 * QUAT_HALF_RANGE);
        const a = q[1] / scale - QUAT_HALF_RANGE, b = q[2] / scale - QUAT_HALF_RANGE, c = q[3] / scale - QUAT_HALF_RANGE;
        const l = Math.sqrt(Math.max(0, 1 - a * a - b * b - c * c));
        switch (q[0]) {
          case 0: return { x: l, y: a, z: b, w: c };
          case 1: return { x: a, y: l, z: b, w: c };
          case 2: return { x: a, y: b, z: l, w: c };
          default: return { x: a, y: b, z: c, w: l };
        }
      }
      default: return q;
    }
  }

  /**
   * The stored value for a value a client sends, as the server's quantizer
   * does it: clamped to the range, rounded half away from zero, NaN as 0,
   * angles wrapped into one turn.
   */
  quantize(v) {
    switch (this.type) {
      case 'bool': return v ? 1 : 0;
      case 'f32': return f32Bits(Number(v));
      case 'fixed': return clampRound((Number(v) - this.min) / this.step, 0, this.hi);
      case 'angle': {
        const value = Number(v);
        if (!Number.isFinite(value)) return 0;
        const turns = value / (2 * Math.PI);
        const fraction = turns - Math.floor(turns);
        return roundHalfAway(fraction * this.turn) % this.turn;
      }
      case 'entity': return clampRound(typeof v === 'object' && v !== null ? v.id : Number(v), 0, MAX_ID);
      case 'string': {
        const raw = utf8Encoder.encode(String(v ?? ''));
        let end = Math.min(raw.length, this.max);
        while (end > 0 && end < raw.length && (raw[end] & 0xc0) === 0x80) end -= 1;
        let key = '';
        for (let i = 0; i < end; i++) key += String.fromCharCode(raw[i]);
        return key;
      }
      case 'vec3': {
        const o = v ?? {};
        return [this.x, this.y, this.z].map((a, i) => {
          const n = Number(o[['x', 'y', 'z'][i]] ?? 0);
          const q = clampRound((n - a.min) / a.step, 0, a.steps);
          return a.width > 48 ? BigInt(q) : q;
        });
      }
      case 'quat': return quantizeQuaternion(v ?? {}, this.bits);
      default: return clampRound(Number(v), this.lo, this.hi);
    }
  }

  /** Writes a stored value in full (client messages). */
  writeFull(w, q) {
    switch (this.type) {
      case 'string': {
        w.bits(q.length, bitLength(this.max));
        for (let i = 0; i < q.length; i++) w.bits(q.charCodeAt(i), 8);
        return;
      }
      case 'entity': w.gamma(q + 1); return;
      case 'vec3': [this.x, this.y, this.z].forEach((a, i) => w.bits(q[i], a.width)); return;
      case 'quat': w.bits(q[0], 2); for (let i = 1; i < 4; i++) w.bits(q[i], this.bits); return;
      default: w.bits(q - this.lo, bitLength(this.hi - this.lo));
    }
  }
}

/**
 * One component of a changed value: zigzag(q - ref) in an Exp-Golomb code
 * of order `k` (gamma of its high part plus 1, then its low `k` bits), q
 * within lo...hi.
 */
function readDelta(r, ref, k, lo, hi, name) {
  const z = (r.gamma() - 1) * 2 ** k + r.bits(k);
  const d = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  const q = ref + d;
  if (z > TWO_POW_53 || q < lo || q > hi) {
    throw new ProtocolError('outOfRange', `field ${name}: a delta of ${d} from ${ref} leaves the field's range`);
  }
  return q;
}

/** `readDelta` for a vec3 axis wider than 48 bits, held as a BigInt in 0...hi (never predicted). */
function readBigDelta(r, ref, k, hi, name) {
  const z = ((r.bigGamma() - 1n) << BigInt(k)) | r.bigBits(k);
  const d = (z & 1n) === 0n ? z >> 1n : -((z + 1n) >> 1n);
  const q = ref + d;
  if (q < 0n || q > hi) throw new ProtocolError('outOfRange', `field ${name}: a delta of ${d} from ${ref} leaves the field's range`);
  return q;
}

/**
 * The prediction of a component: the baseline's value `b` carried on from
 * the prior's `p`, `b + trunc((b - p) · ahead / behind)`, clamped to lo...hi.
 * Exact in Numbers: the product stays below 2^44, and dividing it rounds
 * by less than the quotient's distance to the next integer, so truncating
 * the rounded quotient gives the exact one.
 */
function predict(b, p, ahead, behind, lo, hi) {
  const v = b + Math.trunc((b - p) * ahead / behind);
  return v < lo ? lo : v > hi ? hi : v;
}

function roundHalfAway(x) { return x < 0 ? -Math.round(-x) : Math.round(x); }

/** Nearest integer in lo...hi; NaN is 0. */
function clampRound(x, lo, hi) {
  if (Number.isNaN(x)) return 0;
  const r = roundHalfAway(x);
  return r <= lo ? lo : r >= hi ? hi : r;
}

const f32View = new DataView(new ArrayBuffer(4));
function f32FromBits(q) { f32View.setUint32(0, q); return f32View.getFloat32(0); }
function f32Bits(v) { f32View.setFloat32(0, v); return f32View.getUint32(0); }

/** Smallest three, as the server's quantizer does it (docs/protocol.md, "Quaternions"). */
function quantizeQuaternion(v, bits) {
  let x = Number(v.x ?? 0), y = Number(v.y ?? 0), z = Number(v.z ?? 0), w = Number(v.w ?? 1);
  let m = 0;
  if ([x, y, z, w].every(Number.isFinite)) m = Math.max(Math.abs(x), Math.abs(y), Math.abs(z), Math.abs(w));
  if (m === 0) {
    [x, y, z, w] = [0, 0, 0, 1];
  } else {
    x /= m; y /= m; z /= m; w /= m;
    const n = Math.sqrt(x * x + y * y + z * z + w * w);
    x /= n; y /= n; z /= n; w /= n;
  }
  const c = [x, y, z, w];
  let index = 0;
  for (let i = 1; i < 4; i++) if (Math.abs(c[i]) > Math.abs(c[index])) index = i;
  let rest = c.filter((_, i) => i !== index);
  if (c[index] < 0) rest = rest.map((e) => -e);
  const top = 2 ** bits - 1;
  const scale = top / (2 * QUAT_HALF_RANGE);
  return [index, ...rest.map((e) => clampRound((e + QUAT_HALF_RANGE) * scale, 0, top))];
}

function isIdentifier(name) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/** Byte order of UTF-8 names; identifiers are ASCII, so code units compare the same. */
function readName(r, previous, what) {
  const name = r.string(MAX_NAME_BYTES, `${what} name`);
  if (!isIdentifier(name)) {
    throw new ProtocolError('outOfRange', `${JSON.stringify(name)} is not a valid ${what} name (letters, digits and _, not starting with a digit)`);
  }
  if (previous !== null && !(previous < name)) {
    throw new ProtocolError('outOfRange', previous === name
      ? `${what} ${name} appears twice`
      : `${what} names are not sorted by bytes: ${previous} comes before ${name}`);
  }
  return name;
}

/** `varint n, n × (name, u8 type, parameters)`; entity kinds stay numbers until every kind is read. */
function readFieldSet(r, owner) {
  const n = r.varint(MAX_FIELDS, `fields of ${owner}`);
  if (n * 16 > r.remaining) throw new ProtocolError('truncated', `${n} fields of ${owner} cannot fit in what is left of the message`);
  const fields = [];
  let previous = null;
  for (let i = 0; i < n; i++) {
    const name = readName(r, previous, `${owner} field`);
    previous = name;
    const typeByte = r.bits(8);
    const kind = TYPE_BYTES[typeByte];
    let field;
    switch (kind) {
      case 'integer': {
        const bits = r.bits(8), signed = r.bits(8);
        if (bits !== 8 && bits !== 16 && bits !== 32) throw new ProtocolError('outOfRange', `integer fields have 8, 16 or 32 bits, not ${bits}`);
        if (signed > 1) throw new ProtocolError('outOfRange', `integer signedness must be 0 or 1, not ${signed}`);
        field = new FieldCoder(name, `${signed ? 'i' : 'u'}${bits}`, {});
        break;
      }
      case 'fixed': {
        const a = readAxis(r, MAX_FIXED_STEPS, name);
        field = new FieldCoder(name, 'fixed', { min: a.min, fixedMax: a.max, step: a.step, steps: a.steps });
        break;
      }
      case 'angle': {
        const bits = r.bits(8);
        if (bits < 2 || bits > 16) throw new ProtocolError('outOfRange', `angle fields have 2 to 16 bits, not ${bits}`);
        field = new FieldCoder(name, 'angle', { bits });
        break;
      }
      case 'string': {
        const max = r.varint();
        if (max < 1 || max > MAX_STRING_FIELD_BYTES) throw new ProtocolError('outOfRange', `string fields hold 1 to ${MAX_STRING_FIELD_BYTES} bytes, not ${max}`);
        field = new FieldCoder(name, 'string', { max });
        break;
      }
      case 'entity':
        field = new FieldCoder(name, 'entity', { kindNumber: r.varint(MAX_SETS, 'entity kind'), of: null });
        break;
      case 'vec3': {
        const axes = [0, 1, 2].map(() => readAxis(r, 2 ** 62, name));
        const width = axes.reduce((s, a) => s + a.width, 0);
        if (width > MAX_VECTOR_BITS) throw new ProtocolError('outOfRange', `vec3 axes take ${width} bits together, above ${MAX_VECTOR_BITS}`);
        field = new FieldCoder(name, 'vec3', { x: axes[0], y: axes[1], z: axes[2] });
        break;
      }
      case 'quat': {
        const bits = r.bits(8);
        if (bits < 6 || bits > 20) throw new ProtocolError('outOfRange', `quat fields have 6...20 bits per component, not ${bits}`);
        field = new FieldCoder(name, 'quat', { bits });
        break;
      }
      case 'bool': case 'f32':
        field = new FieldCoder(name, kind, {});
        break;
      default:
        throw new ProtocolError('unknown', `unknown field type ${typeByte}`);
    }
    fields.push(field);
  }
  return fields;
}

function readNamedSets(r, what) {
  const n = r.varint(MAX_SETS, `${what}s`);
  if (n * 16 > r.remaining) throw new ProtocolError('truncated', `${n} ${what}s cannot fit in what is left of the message`);
  const sets = [];
  let previous = null;
  for (let i = 0; i < n; i++) {
    const name = readName(r, previous, what);
    previous = name;
    sets.push({ name, fields: readFieldSet(r, name) });
  }
  return sets;
}

/** The game's schema, as coders; `schema.describe()` gives the public form. */
class SchemaCoder {
  constructor(r) {
    this.match = readFieldSet(r, 'match');
    this.kinds = readNamedSets(r, 'entity kind');
    this.input = readFieldSet(r, 'input');
    const text = this.input.find((f) => f.type === 'string');
    if (text) throw new ProtocolError('outOfRange', `input field ${text.name} is a string; inputs are never strings`);
    this.events = readNamedSets(r, 'event');
    this.clientEvents = readNamedSets(r, 'client event');
    const resolve = (owner, fields) => {
      for (const f of fields) {
        if (f.type !== 'entity' || f.kindNumber === 0) continue;
        if (f.kindNumber > this.kinds.length) {
          throw new ProtocolError('outOfRange', `${owner}.${f.name} refers to entity kind ${f.kindNumber - 1}, but there are ${this.kinds.length}`);
        }
        f.of = this.kinds[f.kindNumber - 1].name;
      }
    };
    resolve('match', this.match);
    for (const k of this.kinds) resolve(k.name, k.fields);
    resolve('input', this.input);
    for (const e of this.events) resolve(e.name, e.fields);
    for (const e of this.clientEvents) resolve(e.name, e.fields);
    this.kindIndex = new Map(this.kinds.map((k, i) => [k.name, i]));
    // A message's memory of changed-value modes: one slot per field of each
    // kind (shared by the kind's entities), then one per match field.
    this.modeSlot = [];
    let slots = 0;
    for (const k of this.kinds) { this.modeSlot.push(slots); slots += k.fields.length; }
    this.matchModeSlot = slots;
    this.modes = new Uint8Array(slots + this.match.length);
  }

  /** @returns {Schema} */
  describe() {
    const list = (fields) => fields.map((f) => f.describe());
    const sets = (s) => s.map((k) => ({ name: k.name, fields: list(k.fields) }));
    return {
      match: list(this.match), kinds: sets(this.kinds), input: list(this.input),
      events: sets(this.events), clientEvents: sets(this.clientEvents),
    };
  }
}

// MARK: Messages

/**
 * @typedef {object} Welcome
 * @property {number} version protocol version (2)
 * @property {number} player this client's player id, 1...255; 0 for a spectator
 * @property {boolean} spectator
 * @property {string} match the match id
 * @property {number} tickRate ticks per second
 * @property {number} tick the tick of the state the first snapshot brings
 * @property {string} resume the token that takes the seat back after a drop ('' when sessions are off)
 * @property {Schema} schema
 * @property {boolean} [resumed] (TickwireClient) whether this connection took back the seat of a dropped one
 */

function toBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) return Uint8Array.from(data);
  throw new TypeError('expected bytes: a Uint8Array, an ArrayBuffer or an array of numbers');
}

function checkSize(bytes) {
  if (bytes.length > MAX_MESSAGE_BYTES) {
    throw new ProtocolError('outOfRange', `message of ${bytes.length} bytes is above the limit of ${MAX_MESSAGE_BYTES}`);
  }
}

function readType(r, expected, name) {
  const type = r.bits(8);
  if (type !== expected) {
    throw new ProtocolError('unknown', `expected a ${name} (0x${expected.toString(16).padStart(2, '0')}), got message type ${type}`);
  }
}

/** Decodes a whole `welcome`; the result's `coder` is what `Mirror` needs. */
function readWelcome(bytes) {
  checkSize(bytes);
  const r = new BitReader(bytes);
  readType(r, MessageType.welcome, 'welcome');
  const version = r.varint();
  if (version !== PROTOCOL_VERSION) {
    throw new ProtocolError('version', `server speaks protocol ${version}, this client speaks ${PROTOCOL_VERSION}`);
  }
  const player = r.varint(255, 'player id');
  const match = r.string(64, 'match id');
  const tickRate = r.varint(120, 'tick rate');
  if (tickRate < 1) throw new ProtocolError('outOfRange', `tick rate ${tickRate} is outside 1...120`);
  const tick = r.varint(2 ** 63 - 1, 'tick');
  const resume = r.string(128, 'resume token');
  const coder = new SchemaCoder(r);
  r.align();
  r.expectEnd();
  return { version, player, spectator: player === 0, match, tickRate, tick, resume, coder };
}

/**
 * Decodes a `welcome` message.
 * @param {Uint8Array|ArrayBuffer|number[]} data
 * @returns {Welcome}
 */
export function decodeWelcome(data) {
  const { coder, ...welcome } = readWelcome(toBytes(data));
  return { ...welcome, schema: coder.describe() };
}

/**
 * Decodes an `error` message: the server closes with 4000 + code after it.
 * @param {Uint8Array|ArrayBuffer|number[]} data
 * @returns {{code: number, reason: string}}
 */
export function decodeError(data) {
  const bytes = toBytes(data);
  checkSize(bytes);
  const r = new BitReader(bytes);
  readType(r, MessageType.error, 'error');
  const code = r.varint();
  const reason = r.string(256, 'reason');
  r.expectEnd();
  return { code, reason };
}

/** Private parts of entities: the stored values and the kind's index. */
const STORED = Symbol('stored');
const KIND = Symbol('kind');

/**
 * An entity of the state. Read-only: each snapshot that changes an entity
 * makes a new object, so holding an old one is holding the old values.
 * @typedef {object} Entity
 * @property {number} id 1...2^32-1
 * @property {string} kind its kind's name in the schema
 * @property {Object<string, any>} fields every field by name: number, boolean, string, entity id (0 for none), {x,y,z} or {x,y,z,w}
 */

/**
 * The state at one tick.
 * @typedef {object} State
 * @property {number} tick
 * @property {number} lastInput the sequence of this player's last input the server had processed (0 before any)
 * @property {Object<string, any>} match the match's own fields by name
 * @property {Map<number, Entity>} entities by id, in id order
 */

/**
 * An event of one snapshot.
 * @typedef {object} GameEvent
 * @property {string} name
 * @property {number} to the recipient's player id; 0 when sent to everyone
 * @property {Object<string, any>} fields
 */

/**
 * What one snapshot changed, in id order like the reference client.
 * @typedef {object} Applied
 * @property {State} state the new state
 * @property {GameEvent[]} events
 * @property {Entity[]} added
 * @property {Entity[]} removed the entities as they were
 * @property {{entity: Entity, fields: string[]}[]} changed with the names of the fields whose value changed
 */

function sameStored(a, b) {
  if (Array.isArray(a)) return a.every((v, i) => v === b[i]);
  return a === b;
}

function makeEntity(id, kindIndex, coder, stored) {
  const kind = coder.kinds[kindIndex];
  const fields = {};
  kind.fields.forEach((f, i) => { fields[f.name] = f.decode(stored[i]); });
  return { id, kind: kind.name, fields, [STORED]: stored, [KIND]: kindIndex };
}

/**
 * A client's copy of a match: applies `snapshot` messages to the state of
 * the last one, predicting from the state before it, as docs/protocol.md
 * says. A message that does not apply (malformed, or a delta from or a
 * prediction from a tick this mirror does not hold) throws a
 * `ProtocolError` and leaves both states as they were.
 */
export class Mirror {
  /** @param {Uint8Array|ArrayBuffer|number[]} welcome the `welcome` message of the match */
  constructor(welcome) {
    const { coder, ...header } = readWelcome(toBytes(welcome));
    this.coder = coder;
    /** @type {Schema} */
    this.schema = coder.describe();
    /** @type {Welcome} the welcome it was made from */
    this.welcome = { ...header, schema: this.schema };
    /** @type {State|null} the state of the last snapshot applied */
    this.state = null;
    /** @type {State|null} the state before it, which the next snapshot may predict from */
    this.previous = null;
    this.matchStored = this.coder.match.map((f) => zeroOf(f));
    this.previousMatchStored = null;
    /** Set by `reload` until the full snapshot that follows it. */
    this.reloaded = false;
  }

  /**
   * Takes a later `welcome` for the same match and seat: the match's rules
   * were reloaded, and the schemas are now the new ones. The state held
   * stays until the full snapshot that follows, which is reported against
   * it: an entity of the same kind before and after is `changed` in the
   * fields whose values differ.
   * @param {Uint8Array|ArrayBuffer|number[]} welcome
   */
  reload(welcome) {
    const { coder, ...header } = readWelcome(toBytes(welcome));
    if (header.match !== this.welcome.match || header.player !== this.welcome.player) {
      throw new ProtocolError('unknown', 'a second welcome for another match or seat');
    }
    this.coder = coder;
    this.schema = coder.describe();
    this.welcome = { ...header, schema: this.schema };
    this.matchStored = coder.match.map((f) => zeroOf(f));
    // The state before is of the old schemas: nothing to predict from.
    this.previous = null;
    this.previousMatchStored = null;
    this.reloaded = true;
  }

  /**
   * Applies one `snapshot` message.
   * @param {Uint8Array|ArrayBuffer|number[]} data
   * @returns {Applied}
   */
  apply(data) {
    const bytes = toBytes(data);
    checkSize(bytes);
    const c = this.coder;
    const r = new BitReader(bytes);
    readType(r, MessageType.snapshot, 'snapshot');
    // Header: T, T - B (0: full), B - P (0: no prior), the last input processed.
    const tick = r.varint(0x7fffffff, 'tick');
    const distance = r.varint(tick, 'baseline distance');
    const full = distance === 0;
    const baselineTick = tick - distance;
    const behind = r.varint(full ? 0 : baselineTick, 'prior distance');
    if (behind > 0 && distance > MAX_PREDICTION_AHEAD) {
      throw new ProtocolError('outOfRange', `snapshot ${tick} predicts over ${distance} ticks from its baseline, more than ${MAX_PREDICTION_AHEAD}`);
    }
    const lastInput = r.varint();
    if (this.reloaded && !full) {
      throw new ProtocolError('baseline', `snapshot ${tick} is a delta, but the rules were just reloaded: a full snapshot comes first`);
    }
    if (!full && this.state?.tick !== baselineTick) {
      throw new ProtocolError('baseline', `snapshot ${tick} is coded against tick ${baselineTick}, but this client holds ${this.state ? `tick ${this.state.tick}` : 'nothing'}`);
    }
    if (behind > 0 && this.previous?.tick !== baselineTick - behind) {
      throw new ProtocolError('baseline', `snapshot ${tick} predicts from tick ${baselineTick - behind}, but before its baseline this client held ${this.previous ? `tick ${this.previous.tick}` : 'nothing'}`);
    }
    const base = full ? new Map() : this.state.entities;
    const baseMatch = full ? c.match.map((f) => zeroOf(f)) : this.matchStored;
    const prior = behind > 0 ? this.previous.entities : null;
    const priorMatch = behind > 0 ? this.previousMatchStored : null;
    const modes = c.modes;
    modes.fill(FIRST_MODE);

    // Match fields, each with its own mode memory.
    const matchStored = baseMatch.slice();
    if (r.bool()) {
      const mask = c.match.map(() => r.bool());
      if (!mask.includes(true)) throw new ProtocolError('outOfRange', 'the match is listed as changed with no field changed');
      for (let i = 0; i < c.match.length; i++) {
        if (!mask[i]) continue;
        matchStored[i] = c.match[i].readChanged(r, baseMatch[i], priorMatch?.[i], distance, behind, modes, c.matchModeSlot + i);
      }
    }

    // Removed: ids going up, each in the baseline.
    const removed = [];
    let id = 0;
    for (let n = r.count(base.size, 'removed entities'); n > 0; n--) {
      id = nextID(r, id);
      if (!base.has(id)) throw new ProtocolError('baseline', `removed entity ${id} is not in the baseline`);
      removed.push(id);
    }
    const removedSet = new Set(removed);

    // Added, with every field.
    const added = [];
    id = 0;
    for (let n = r.count(Math.min(MAX_ENTITIES, r.remaining), 'added entities'); n > 0; n--) {
      id = nextID(r, id);
      if (c.kinds.length === 0) throw new ProtocolError('outOfRange', `entity ${id} added but the schema has no kinds`);
      if (base.has(id) && !removedSet.has(id)) throw new ProtocolError('baseline', `added entity ${id} is already in the baseline`);
      const kind = r.ranged(0, c.kinds.length - 1, 'entity kind');
      added.push({ id, kind, stored: c.kinds[kind].fields.map((f) => f.readFull(r)) });
    }

    // Changed: in the baseline and not removed; a mask, or the kind's last one.
    const changed = [];
    const lastMask = new Map();
    id = 0;
    for (let n = r.count(base.size, 'changed entities'); n > 0; n--) {
      id = nextID(r, id);
      const old = base.get(id);
      if (!old || removedSet.has(id)) throw new ProtocolError('baseline', `changed entity ${id} is not in the baseline`);
      const kind = old[KIND];
      const fields = c.kinds[kind].fields;
      let mask;
      if (r.bool()) {
        mask = lastMask.get(kind) ?? [];
      } else {
        mask = fields.map(() => r.bool());
      }
      if (!mask.includes(true)) throw new ProtocolError('outOfRange', `entity ${id} is listed as changed with no field changed`);
      lastMask.set(kind, mask);
      const stored = old[STORED].slice();
      // Predicted from the prior's entity of the same id and kind, if it has one.
      const then = prior?.get(id);
      const before = then !== undefined && then[KIND] === kind ? then[STORED] : null;
      const slot = c.modeSlot[kind];
      for (let i = 0; i < fields.length; i++) {
        if (!mask[i]) continue;
        stored[i] = before === null
          ? fields[i].readChanged(r, stored[i], undefined, distance, 0, modes, slot + i)
          : fields[i].readChanged(r, stored[i], before[i], distance, behind, modes, slot + i);
      }
      changed.push({ id, kind, stored });
    }
    r.align();

    // The new entity map, in id order.
    let entities;
    if (removed.length === 0 && added.every((e) => e.id > lastKey(base))) {
      entities = new Map(base);
    } else {
      entities = new Map();
      for (const [key, e] of base) if (!removedSet.has(key)) entities.set(key, e);
      if (added.length > 0) entities = mergeByID(entities, added.map((e) => [e.id, null]));
    }
    for (const e of added) entities.set(e.id, makeEntity(e.id, e.kind, c, e.stored));
    for (const e of changed) entities.set(e.id, makeEntity(e.id, e.kind, c, e.stored));
    if (entities.size > MAX_ENTITIES) throw new ProtocolError('outOfRange', `more than ${MAX_ENTITIES} entities`);

    // Events: broadcast or private, every field full.
    const events = [];
    const eventCount = r.count(Math.min(MAX_EVENTS, r.remaining), 'events');
    for (let n = 0; n < eventCount; n++) {
      if (c.events.length === 0) throw new ProtocolError('outOfRange', 'an event arrived but the schema declares none');
      const to = r.bool() ? r.ranged(1, 255, 'event recipient') : 0;
      const event = c.events[r.ranged(0, c.events.length - 1, 'event')];
      const fields = {};
      for (const f of event.fields) fields[f.name] = f.decode(f.readFull(r));
      events.push({ name: event.name, to, fields });
    }
    r.expectEnd();

    // Everything read: report against the state held before, as the reference client does.
    const previous = this.state?.entities ?? new Map();
    const touched = full
      ? [...new Set([...previous.keys(), ...entities.keys()])].sort((a, b) => a - b)
      : [...new Set([...removed, ...added.map((e) => e.id), ...changed.map((e) => e.id)])].sort((a, b) => a - b);
    const report = { added: [], removed: [], changed: [] };
    for (const key of touched) {
      const before = previous.get(key), after = entities.get(key);
      if (this.reloaded && before && after && before.kind === after.kind) {
        const names = Object.keys(after.fields).filter((name) => !sameDecoded(before.fields[name], after.fields[name]));
        if (names.length > 0) report.changed.push({ entity: after, fields: names });
      } else if (before && after && before[KIND] === after[KIND]) {
        const fields = c.kinds[after[KIND]].fields;
        const names = fields.filter((f, i) => !sameStored(before[STORED][i], after[STORED][i])).map((f) => f.name);
        if (names.length > 0) report.changed.push({ entity: after, fields: names });
        else entities.set(key, before);
      } else {
        if (before) report.removed.push(before);
        if (after) report.added.push(after);
      }
    }

    const match = {};
    c.match.forEach((f, i) => { match[f.name] = f.decode(matchStored[i]); });
    // The state before a reload's full snapshot is of the old schemas: not kept.
    this.previous = this.reloaded ? null : this.state;
    this.previousMatchStored = this.reloaded ? null : this.matchStored;
    this.matchStored = matchStored;
    this.reloaded = false;
    this.state = { tick, lastInput, match, entities };
    return { state: this.state, events, ...report };
  }
}

/** Whether two decoded field values are the same (vectors and quaternions by component). */
function sameDecoded(a, b) {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

function zeroOf(field) {
  switch (field.type) {
    case 'string': return '';
    case 'vec3': return [0, 0, 0].map((z, i) => ([field.x, field.y, field.z][i].width > 48 ? 0n : z));
    case 'quat': return [0, 0, 0, 0];
    default: return 0;
  }
}

function lastKey(map) {
  let last = 0;
  for (const key of map.keys()) last = key;
  return last;
}

/** Two id-sorted entry lists merged into one Map in id order. */
function mergeByID(map, entries) {
  const out = new Map();
  const it = map.entries();
  let next = it.next();
  for (const [key, value] of entries) {
    while (!next.done && next.value[0] < key) { out.set(next.value[0], next.value[1]); next = it.next(); }
    out.set(key, value);
  }
  while (!next.done) { out.set(next.value[0], next.value[1]); next = it.next(); }
  return out;
}

/** The id after `previous` in a removed, added or changed list: a gap of at least 1. */
function nextID(r, previous) {
  const id = previous + r.gamma();
  if (id > MAX_ID) throw new ProtocolError('outOfRange', `entity id ${id} is out of range`);
  return id;
}

/** Field values by name (missing ones as zero) to stored values, in schema order. */
function storedValues(fields, values, owner) {
  if (values !== undefined && (typeof values !== 'object' || values === null)) {
    throw new TypeError(`${owner}: expected an object of field values`);
  }
  const known = new Set(fields.map((f) => f.name));
  for (const key of Object.keys(values ?? {})) {
    if (!known.has(key)) throw new TypeError(`${owner} has no field ${key} (fields: ${[...known].join(', ') || 'none'})`);
  }
  return fields.map((f) => {
    const v = values?.[f.name];
    return v === undefined ? zeroOf(f) : f.quantize(v);
  });
}

/**
 * An `input` message. Values are quantized as the server would: clamped to
 * the field's range and rounded; missing fields are 0 / false.
 * @param {Mirror} mirror the match's mirror, which holds its schema
 * @param {number} sequence 1, 2, … per connection
 * @param {Object<string, any>} values
 * @returns {Uint8Array}
 */
export function encodeInput(mirror, sequence, values) {
  const c = coderOf(mirror);
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw new RangeError(`input sequences start at 1, got ${sequence}`);
  const w = new BitWriter();
  w.bits(MessageType.input, 8);
  w.varint(sequence);
  const stored = storedValues(c.input, values, 'the input');
  c.input.forEach((f, i) => f.writeFull(w, stored[i]));
  return w.finish();
}

/**
 * A `client event` message, for an event the game declares.
 * @param {Mirror} mirror
 * @param {string} name
 * @param {Object<string, any>} values
 * @returns {Uint8Array}
 */
export function encodeClientEvent(mirror, name, values) {
  const c = coderOf(mirror);
  const index = c.clientEvents.findIndex((e) => e.name === name);
  if (index < 0) {
    throw new TypeError(`this game declares no client event ${name} (it has: ${c.clientEvents.map((e) => e.name).join(', ') || 'none'})`);
  }
  const event = c.clientEvents[index];
  const w = new BitWriter();
  w.bits(MessageType.clientEvent, 8);
  w.bits(index, bitLength(c.clientEvents.length - 1));
  const stored = storedValues(event.fields, values, `event ${name}`);
  event.fields.forEach((f, i) => f.writeFull(w, stored[i]));
  return w.finish();
}

/**
 * An `ack` of the last tick applied (optional; feeds the server's latency figures).
 * @param {number} tick
 * @returns {Uint8Array}
 */
export function encodeAck(tick) {
  const w = new BitWriter();
  w.bits(MessageType.ack, 8);
  w.varint(tick);
  return w.finish();
}

function coderOf(mirror) {
  if (mirror instanceof Mirror) return mirror.coder;
  throw new TypeError('pass the match\'s Mirror (new Mirror(welcomeBytes))');
}

// MARK: Interpolation

/** Field types whose values move continuously, and so are interpolated. */
const CONTINUOUS = new Set(['fixed', 'f32', 'angle', 'vec3', 'quat']);

function lerp(a, b, t) { return a + (b - a) * t; }

function lerpField(type, a, b, t) {
  switch (type) {
    case 'fixed': case 'f32':
      return Number.isFinite(a) && Number.isFinite(b) ? lerp(a, b, t) : a;
    case 'angle': {
      const turn = 2 * Math.PI;
      const d = ((((b - a) % turn) + turn + Math.PI) % turn) - Math.PI;
      return (((a + d * t) % turn) + turn) % turn;
    }
    case 'vec3': return { x: lerp(a.x, b.x, t), y: lerp(a.y, b.y, t), z: lerp(a.z, b.z, t) };
    case 'quat': {
      // Normalized lerp along the shorter arc: q and -q are the same rotation.
      const s = a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w < 0 ? -1 : 1;
      const q = { x: lerp(a.x, s * b.x, t), y: lerp(a.y, s * b.y, t), z: lerp(a.z, s * b.z, t), w: lerp(a.w, s * b.w, t) };
      const n = Math.hypot(q.x, q.y, q.z, q.w) || 1;
      return { x: q.x / n, y: q.y / n, z: q.z / n, w: q.w / n };
    }
    default: return a;
  }
}

/**
 * Recent states on the server's tick clock, sampled between ticks for
 * smooth rendering. The clock: each state's arrival time minus its tick's
 * time gives the offset between the two clocks; the smallest offset of the
 * last two seconds is the least delayed arrival, so jitter only ever makes
 * states early relative to it. Rendering runs `delayTicks` behind, so the
 * next state has usually arrived when it is needed.
 *
 * A game may send fewer snapshots than it ticks (`game.send_rate`: 20 a
 * second at 60 Hz is a state every third tick). The welcome gives only the
 * tick rate, so the gap between snapshots is measured from their ticks
 * (`gap`), and rendering runs that much further behind: `delayTicks` beyond
 * the gap, the same margin as when every tick is sent.
 */
export class InterpolationBuffer {
  /**
   * @param {Schema} schema
   * @param {number} tickRate ticks per second
   * @param {number} [delayTicks] how far behind the newest tick to render (default 2)
   */
  constructor(schema, tickRate, delayTicks = 2) {
    this.tickMs = 1000 / tickRate;
    this.delayTicks = delayTicks;
    /** kind name → [field name, type] of its continuous fields */
    this.continuous = new Map(schema.kinds.map((k) => [k.name, k.fields.filter((f) => CONTINUOUS.has(f.type)).map((f) => [f.name, f.type])]));
    /** @type {{tick: number, state: State}[]} */
    this.states = [];
    /** @type {{at: number, offset: number}[]} */
    this.offsets = [];
    /** Ticks between consecutive snapshots (1 when every tick is sent); see `measureGap`. */
    this.gap = 1;
  }

  /** @param {State} state @param {number} atMs arrival time (performance.now()) */
  push(state, atMs) {
    const last = this.states[this.states.length - 1];
    if (last && state.tick <= last.tick) this.clear();
    this.states.push({ tick: state.tick, state });
    // The offsets of the last two seconds, increasing: the first is their minimum.
    const offset = atMs - state.tick * this.tickMs;
    while (this.offsets.length > 0 && this.offsets[this.offsets.length - 1].offset >= offset) this.offsets.pop();
    this.offsets.push({ at: atMs, offset });
    while (this.offsets[0].at < atMs - 2000) this.offsets.shift();
    // Keep what rendering may still need: a second of ticks.
    const keep = Math.ceil(1000 / this.tickMs) + this.delayTicks + 2;
    if (this.states.length > keep) this.states.splice(0, this.states.length - keep);
    this.measureGap();
  }

  /**
   * The mean tick gap between the states kept, leaving out gaps more than
   * twice the median: a snapshot lost to a full socket, or a stall, does
   * not move rendering back. An uneven send rate (25 a second at 60 Hz:
   * gaps of 2 and 3 ticks) gives its mean, 2.4.
   */
  measureGap() {
    const n = this.states.length;
    if (n < 2) return;
    const gaps = [];
    for (let i = 1; i < n; i += 1) gaps.push(this.states[i].tick - this.states[i - 1].tick);
    const sorted = [...gaps].sort((a, b) => a - b);
    const usual = sorted.filter((g) => g <= 2 * sorted[(sorted.length - 1) >> 1]);
    this.gap = usual.reduce((sum, g) => sum + g, 0) / usual.length;
  }

  /** Forgets every state, as for a new match. */
  clear() {
    this.states = [];
    this.offsets = [];
    this.gap = 1;
  }

  /** Ticks rendering runs behind the newest tick's time: `delayTicks` beyond the gap between snapshots. */
  get delay() { return this.delayTicks + this.gap - 1; }

  /** The tick rendering shows at `nowMs` (fractional). */
  renderTick(nowMs) {
    if (this.offsets.length === 0) return 0;
    return (nowMs - this.offsets[0].offset) / this.tickMs - this.delay;
  }

  /**
   * The entities at `nowMs`: those of the older of the two states around the
   * render tick, continuous fields interpolated toward the newer one.
   * @param {number} nowMs
   * @returns {Entity[]}
   */
  sample(nowMs) {
    const n = this.states.length;
    if (n === 0) return [];
    const t = this.renderTick(nowMs);
    if (n === 1 || t <= this.states[0].tick) return [...this.states[0].state.entities.values()];
    if (t >= this.states[n - 1].tick) return [...this.states[n - 1].state.entities.values()];
    let i = n - 2;
    while (i > 0 && this.states[i].tick > t) i -= 1;
    const a = this.states[i], b = this.states[i + 1];
    const f = (t - a.tick) / (b.tick - a.tick);
    const out = [];
    for (const e of a.state.entities.values()) {
      const next = b.state.entities.get(e.id);
      const fields = this.continuous.get(e.kind);
      if (!next || next === e || next.kind !== e.kind || fields.length === 0) {
        out.push(e);
        continue;
      }
      const values = { ...e.fields };
      for (const [name, type] of fields) values[name] = lerpField(type, e.fields[name], next.fields[name], f);
      out.push({ id: e.id, kind: e.kind, fields: values });
    }
    return out;
  }
}

// MARK: The client

/**
 * @typedef {object} ClientOptions
 * @property {string} [url] the server, `ws://host:port` or `wss://…` (a path prefix is kept); default: the page's own host
 * @property {string} [game] the game to join (matchmaking: the fullest open match, or a new one)
 * @property {string} [match] a match id: join that match (with `game`), or watch it (with `spectate`)
 * @property {boolean} [spectate] watch `match` without a seat
 * @property {number} [follow] with `spectate`: watch what this player id sees (refused by a game whose spectators see only the public view)
 * @property {string} [name] the player's display name
 * @property {string} [token] a JWT, for servers with player auth (sent as a subprotocol, never in the URL)
 * @property {boolean} [reconnect] reconnect after a drop: take the seat back, else join afresh (default true)
 * @property {Object<string, string>} [labels] with `matchmake`: only a match placed with at least these labels will do (`{region: 'eu'}`); a new one carries them
 * @property {boolean} [matchmake] `url` is a node of a cluster (`tickwire serve --cluster`): ask its `POST /matchmake` for a seat anywhere in the cluster, and, after a drop, where the seat is now (its match moves to another node when its node dies)
 * @property {number} [interpolationTicks] how many ticks behind the newest `interpolated()` renders (default 2), beyond the gap between snapshots when the game sends fewer than it ticks
 * @property {boolean} [ack] acknowledge each snapshot, for the server's latency figures (default true)
 */

/**
 * @typedef {'connecting'|'playing'|'spectating'|'reconnecting'|'closed'} ClientState
 * @typedef {object} Status
 * @property {ClientState} state
 * @property {string} message a sentence to show the player
 * @property {number} [code] the close code or error code behind it
 */

/**
 * @typedef {object} Stats
 * @property {number|null} ping milliseconds from sending an input to the first snapshot that includes it (null before any, and for spectators)
 * @property {number} tickRate snapshots received in the last second
 * @property {number} bytesIn bytes received in the last second
 * @property {number} bytesOut bytes sent in the last second
 * @property {number} snapshots snapshots applied since connect()
 * @property {number} reconnects connections made again after a drop
 */

/** Errors after which reconnecting cannot help. */
const FINAL_ERRORS = new Set([ErrorCode.protocolVersion, ErrorCode.malformed, ErrorCode.matchFull, ErrorCode.matchOver,
  ErrorCode.refused, ErrorCode.kicked, ErrorCode.flooding, ErrorCode.forbidden]);

const ERROR_TEXT = {
  [ErrorCode.protocolVersion]: 'The server speaks another protocol version',
  [ErrorCode.malformed]: 'The server could not read a message from this client',
  [ErrorCode.matchFull]: 'The match is full',
  [ErrorCode.matchOver]: 'The match is over',
  [ErrorCode.refused]: 'The game refused to let you in',
  [ErrorCode.kicked]: 'You were removed from the match',
  [ErrorCode.tooSlow]: 'The connection fell too far behind',
  [ErrorCode.flooding]: 'This client sent messages too fast',
  [ErrorCode.forbidden]: 'Not allowed',
  [ErrorCode.notFound]: 'No such game or match',
};

function errorSentence(code, reason) {
  const text = ERROR_TEXT[code] ?? `Error ${code}`;
  return reason ? `${text}: ${reason}` : text;
}

/**
 * A connection to one Tickwire match: joins, keeps a live copy of the
 * state, sends inputs and events, and reconnects after drops.
 *
 * Events (`on(type, listener)`):
 * - `status` (Status): connecting, playing, spectating, reconnecting, closed; with a sentence to show
 * - `welcome` (Welcome): a seat (or a spectator's view) in a match; again after each reconnect
 * - `reload` (Welcome): the match's rules were reloaded (`tickwire serve --dev`); `welcome.schema` is the new one
 * - `snapshot` (State): after each snapshot is applied
 * - `added` (Entity), `changed` (Entity, string[] field names), `removed` (Entity)
 * - `event` (GameEvent): the game's events for this client, in order
 * - `error` ({code, reason}): the server's `error` message, just before it closes
 */
export class TickwireClient {
  /** @param {ClientOptions} options */
  constructor(options = {}) {
    const o = { reconnect: true, interpolationTicks: 2, ack: true, name: '', ...options };
    if (o.spectate && !o.match) throw new TypeError('spectate needs a match id (GET /matches lists them)');
    if (!o.spectate && !o.game) throw new TypeError('set game (and optionally match), or spectate with a match');
    if (!o.url) {
      if (typeof location === 'undefined') throw new TypeError('set url: there is no page to take the host from');
      o.url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
    }
    if (!/^wss?:\/\//.test(o.url)) throw new TypeError(`url must start with ws:// or wss://, got ${o.url}`);
    o.url = o.url.replace(/\/+$/, '');
    /** @type {ClientOptions} */
    this.options = o;
    /** @type {Welcome|null} */
    this.welcome = null;
    /** @type {Mirror|null} */
    this.mirror = null;
    /** @type {Status} */
    this.status = { state: 'closed', message: 'Not connected' };
    /** @type {Stats} */
    this.stats = { ping: null, tickRate: 0, bytesIn: 0, bytesOut: 0, snapshots: 0, reconnects: 0 };
    this.listeners = new Map();
    this.socket = null;
    this.buffer = null;
    this.stopped = true;
    this.resumeToken = '';
    this.matchGone = false;
    this.attempt = 0;
    this.retryTimer = null;
    this.statsTimer = null;
    this.window = { snapshots: 0, bytesIn: 0, bytesOut: 0 };
    this.sequence = 0;
    this.sentAt = new Map();
  }

  /** @returns {State|null} the state of the last snapshot */
  get state() { return this.mirror?.state ?? null; }

  /** @param {string} type @param {Function} listener */
  on(type, listener) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(listener);
    return this;
  }

  /** @param {string} type @param {Function} listener */
  off(type, listener) {
    this.listeners.get(type)?.delete(listener);
    return this;
  }

  emit(type, ...args) {
    for (const listener of this.listeners.get(type) ?? []) {
      try {
        listener(...args);
      } catch (error) {
        // A listener's bug must not stop the stream; it still reaches the console.
        setTimeout(() => { throw error; });
      }
    }
  }

  setStatus(state, message, code) {
    this.status = code === undefined ? { state, message } : { state, message, code };
    this.emit('status', this.status);
  }

  /** Opens the connection (again, after close()). */
  connect() {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.matchGone = false;
    this.resumeToken = '';
    this.stats = { ping: null, tickRate: 0, bytesIn: 0, bytesOut: 0, snapshots: 0, reconnects: 0 };
    this.statsTimer = setInterval(() => this.rollStats(), 1000);
    this.open();
  }

  /** Leaves: closes the socket with 1000 and stops reconnecting. */
  close() {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.statsTimer);
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= 1) socket.close(1000, 'left');
    this.setStatus('closed', 'You left the match', 1000);
  }

  /** The path and query this connection asks for. */
  target() {
    const o = this.options;
    const q = (pairs) => pairs.filter(([, v]) => v).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    if (o.spectate) return `/spectate?${q([['match', o.match], ['follow', o.follow ? String(o.follow) : ''], ['name', o.name]])}`;
    if (this.resumeToken) return `/play?${q([['resume', this.resumeToken]])}`;
    return `/play?${q([['game', o.game], ['match', this.matchGone ? '' : o.match], ['name', o.name]])}`;
  }

  open() {
    if (this.options.matchmake && !this.options.spectate) {
      if (this.attempt === 0) this.setStatus('connecting', 'Finding a match…');
      this.matchmade().then(
        (url) => { if (!this.stopped) this.openSocket(url); },
        (error) => {
          if (this.stopped) return;
          if (error.retry && this.options.reconnect) this.retry(`${error.message}. Trying again…`, error.retryAfterMs);
          else this.finish(error.message);
        });
      return;
    }
    this.openSocket(this.options.url + this.target());
  }

  /**
   * Asks the node at `url` (`POST /matchmake`) for a seat of `game` in the
   * cluster or, holding a resume token, for where that seat is now. Gives
   * the WebSocket URL to open; an error with `retry` set when asking again
   * later may help (the node or its database is busy, or the match is
   * moving to another node).
   * @returns {Promise<string>}
   */
  async matchmade() {
    const http = this.options.url.replace(/^ws/, 'http');
    const resume = this.resumeToken;
    const body = resume ? { resume } : { game: this.options.game, ...(this.options.labels ? { labels: this.options.labels } : {}) };
    let response;
    try {
      response = await fetch(`${http}/matchmake`, {
        method: 'POST', cache: 'no-store', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
    } catch (error) {
      throw Object.assign(new Error(`Cannot reach the server at ${this.options.url}`), { retry: true });
    }
    const text = await response.text();
    if (response.ok) {
      const ticket = JSON.parse(text);
      if (typeof ticket.url !== 'string' || !/^wss?:\/\//.test(ticket.url)) throw new Error('Matchmaking answered without a URL');
      const name = !resume && this.options.name ? `&name=${encodeURIComponent(this.options.name)}` : '';
      return ticket.url + name;
    }
    if (response.status === 404 && resume) {
      // The seat is gone (its grace period ended): a new seat.
      this.resumeToken = '';
      return this.matchmade();
    }
    const reason = text.trim() || `HTTP ${response.status}`;
    // A match moving to another node says when to ask again (Retry-After, in seconds).
    const after = Number(response.headers.get('retry-after'));
    const retryAfterMs = Number.isFinite(after) && after > 0 ? Math.min(after, 30) * 1000 : undefined;
    throw Object.assign(new Error(`No seat: ${reason}`), { retry: response.status >= 500, retryAfterMs });
  }

  /** Opens the WebSocket at `url` (the server's, or the one matchmaking gave). */
  openSocket(url) {
    const path = url;
    const resuming = url.includes('/play?resume=');
    if (this.attempt === 0) this.setStatus('connecting', 'Connecting…');
    const protocols = [`tickwire.${PROTOCOL_VERSION}`];
    if (this.options.token) protocols.push(`tickwire.jwt.${this.options.token}`);
    let socket;
    try {
      socket = new WebSocket(url, protocols);
    } catch (error) {
      this.finish(`Cannot connect to ${this.options.url}: ${error.message}`);
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    const connection = { welcomed: false, error: null, resuming, opened: false };
    socket.onopen = () => { connection.opened = true; };
    socket.onmessage = (message) => {
      if (this.socket !== socket) return;
      if (!(message.data instanceof ArrayBuffer)) {
        this.fail(socket, 1003, 'The server sent a text message; the protocol is binary only');
        return;
      }
      this.received(socket, connection, new Uint8Array(message.data));
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.dropped(connection, event.code, event.reason, path);
    };
    // Browsers follow an error with a close; some runtimes do not after a failed handshake.
    socket.onerror = () => {
      setTimeout(() => {
        if (this.socket !== socket) return;
        this.socket = null;
        this.dropped(connection, CloseCodes.abnormal, '', path);
      });
    };
  }

  received(socket, connection, bytes) {
    const now = performance.now();
    this.window.bytesIn += bytes.length;
    try {
      switch (bytes[0]) {
        case MessageType.welcome: {
          if (connection.welcomed) {
            // The match's rules were reloaded: same seat, new schemas; a full snapshot follows.
            this.mirror.reload(bytes);
            this.welcome = { ...this.mirror.welcome, resumed: this.welcome?.resumed ?? false };
            this.buffer = new InterpolationBuffer(this.mirror.schema, this.welcome.tickRate, this.options.interpolationTicks);
            this.emit('reload', this.welcome);
            break;
          }
          this.mirror = new Mirror(bytes);
          const w = this.mirror.welcome;
          this.welcome = { ...w, resumed: connection.resuming };
          connection.welcomed = true;
          if (this.attempt > 0) this.stats.reconnects += 1;
          this.attempt = 0;
          this.resumeToken = w.resume;
          this.sequence = 0;
          this.sentAt.clear();
          this.bestPing = null;
          this.stats.ping = null;
          this.buffer = new InterpolationBuffer(this.mirror.schema, w.tickRate, this.options.interpolationTicks);
          this.emit('welcome', this.welcome);
          this.setStatus(w.spectator ? 'spectating' : 'playing', w.spectator ? `Watching match ${w.match}` : `Playing in match ${w.match}`);
          break;
        }
        case MessageType.snapshot: {
          if (!connection.welcomed) throw new ProtocolError('unknown', 'a snapshot before the welcome');
          const applied = this.mirror.apply(bytes);
          this.window.snapshots += 1;
          this.stats.snapshots += 1;
          this.buffer.push(applied.state, now);
          this.measurePing(applied.state.lastInput, now);
          for (const e of applied.removed) this.emit('removed', e);
          for (const e of applied.added) this.emit('added', e);
          for (const c of applied.changed) this.emit('changed', c.entity, c.fields);
          for (const e of applied.events) this.emit('event', e);
          this.emit('snapshot', applied.state);
          if (this.options.ack && !this.welcome.spectator) this.send(encodeAck(applied.state.tick));
          break;
        }
        case MessageType.error: {
          connection.error = decodeError(bytes);
          this.emit('error', connection.error);
          break;
        }
        default:
          throw new ProtocolError('unknown', `unknown message type ${bytes[0]}`);
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      if (error.code === 'baseline') {
        // Out of step with the server: a fresh connection brings a full snapshot.
        connection.baseline = true;
        socket.close(1000, 'resync');
        return;
      }
      this.fail(socket, error.code === 'version' ? 4001 : 1002, `The server sent a message this client cannot read: ${error.message}`);
    }
  }

  /** Closes after a protocol failure of the server's; reconnecting would fail the same way. */
  fail(socket, code, message) {
    this.socket = null;
    socket.close(code, message.slice(0, 120));
    this.finish(message, code);
  }

  finish(message, code) {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.statsTimer);
    this.setStatus('closed', message, code);
  }

  dropped(connection, code, reason, path) {
    if (this.stopped) return;
    const error = connection.error;
    if (error) {
      if (error.code === ErrorCode.notFound && connection.resuming && !this.options.spectate) {
        // The seat is gone (the grace period ended, or the server restarted): join afresh.
        this.resumeToken = '';
        this.retry('Your seat was released; joining again…', 0);
        return;
      }
      if (this.options.matchmake && !this.options.spectate && !connection.resuming
          && (error.code === ErrorCode.notFound || error.code === ErrorCode.matchFull)) {
        // The seat matchmaking reserved expired or was lost to a race: ask again.
        this.retry('Finding another seat…');
        return;
      }
      if (this.options.matchmake && !this.options.spectate && error.code === ErrorCode.matchOver && this.resumeToken) {
        // The match moved to another node (this one was taken for dead): find it there.
        this.retry('The match moved; following it…', 0);
        return;
      }
      if (error.code === ErrorCode.notFound && this.options.match && this.options.game && !this.matchGone && !this.options.spectate) {
        this.matchGone = true;
        this.retry('That match has ended; joining another…', 0);
        return;
      }
      if (FINAL_ERRORS.has(error.code) || error.code === ErrorCode.notFound || !this.options.reconnect) {
        this.finish(errorSentence(error.code, error.reason), error.code);
        return;
      }
      this.retry(`${errorSentence(error.code, error.reason)}. Reconnecting…`);
      return;
    }
    if (connection.baseline) {
      this.retry('Catching up with the match…', 0);
      return;
    }
    if (code === 4006) {
      this.finish('Another connection took over this seat', code);
      return;
    }
    if (code === CloseCodes.normal && connection.welcomed) {
      this.finish(reason ? `The match ended: ${reason}` : 'The match ended', code);
      return;
    }
    if (!connection.opened) {
      // The handshake failed; a browser does not say why, so ask the server over plain HTTP.
      this.diagnose(path).then((refusal) => {
        if (this.stopped) return;
        if (refusal) this.finish(`The server refused the connection: ${refusal}`);
        else if (!this.options.reconnect) this.finish(`Cannot reach the server at ${this.options.url}`);
        else this.retry(`Cannot reach the server. Reconnecting…`);
      });
      return;
    }
    if (!this.options.reconnect) {
      this.finish(`The connection closed (${code}${reason ? `: ${reason}` : ''})`, code);
      return;
    }
    const why = code === CloseCodes.goingAway ? 'The server is restarting' : 'The connection dropped';
    this.retry(`${why}. Reconnecting…`);
  }

  /** Tries again after a backoff: 250 ms doubling to 5 s, with jitter. */
  retry(message, delayMs) {
    this.attempt += 1;
    const wait = delayMs ?? Math.min(5000, 250 * 2 ** (this.attempt - 1)) * (0.75 + Math.random() / 2);
    this.setStatus('reconnecting', this.attempt > 1 ? `${message.replace(/…$/, '')} (attempt ${this.attempt})…` : message);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => { if (!this.stopped) this.open(); }, wait);
  }

  /**
   * Why the server refused an upgrade: a plain GET of the same path returns
   * its reason (400, 401, 403) or 426 when it would have accepted. Null when
   * the server cannot be reached or would accept.
   */
  async diagnose(url) {
    if (typeof fetch !== 'function') return null;
    try {
      const response = await fetch(url.replace(/^ws/, 'http'), { cache: 'no-store' });
      if (response.status === 426 || response.status < 400) return null;
      if (response.status === 401 && this.options.token) return 'the token was refused';
      const text = (await response.text()).trim();
      return text || `HTTP ${response.status}`;
    } catch {
      return null;
    }
  }

  send(bytes) {
    const socket = this.socket;
    if (!socket || socket.readyState !== 1) return false;
    socket.send(bytes);
    this.window.bytesOut += bytes.length;
    return true;
  }

  /**
   * Sends this tick's controls (missing fields are 0 / false). Send one per
   * tick on your own clock; the server applies one per tick and keeps a few.
   * @param {Object<string, any>} values the game's input fields by name
   * @returns {number} the input's sequence; 0 when nothing was sent (not
   *   playing, or one input skipped to drain the server's queue, see drainInputQueue)
   */
  sendInput(values = {}) {
    if (!this.mirror || this.welcome?.spectator || this.status.state !== 'playing') return 0;
    if (this.drainInputQueue()) return 0;
    const sequence = this.sequence + 1;
    if (!this.send(encodeInput(this.mirror, sequence, values))) return 0;
    this.sequence = sequence;
    this.sentAt.set(sequence, performance.now());
    if (this.sentAt.size > 128) this.sentAt.delete(this.sentAt.keys().next().value);
    return sequence;
  }

  /**
   * Sends one of the game's client events (`game.client_events` in its Lua).
   * @param {string} name
   * @param {Object<string, any>} fields
   * @returns {boolean} whether it was sent
   */
  sendEvent(name, fields = {}) {
    if (!this.mirror || this.status.state !== 'playing') return false;
    return this.send(encodeClientEvent(this.mirror, name, fields));
  }

  /**
   * The entities to draw now: `interpolationTicks` behind the newest state,
   * continuous fields (fixed, f32, angle, vec3, quat) between two ticks.
   * @param {number} [nowMs] default performance.now()
   * @returns {Entity[]}
   */
  interpolated(nowMs = performance.now()) {
    return this.buffer ? this.buffer.sample(nowMs) : [];
  }

  /**
   * How far behind the newest state `interpolated()` draws, in
   * milliseconds: an event shows on screen this long after it arrives.
   * @returns {number}
   */
  interpolationDelayMs() {
    return this.buffer ? this.buffer.delay * this.buffer.tickMs : 0;
  }

  /**
   * Whether to skip this input. The server applies one input per tick and
   * queues up to 8, so a queue that grew during a hiccup (a stalled tab, a
   * burst on the network) would add a tick of lag per queued input for good.
   * When the ping has grown more than a tick above the best seen, one input
   * is skipped, at most once a second; the game keeps the last controls for
   * a tick without input. The best ping creeps up 0.02 ms per input, so a
   * lasting change of route is accepted within a minute or so.
   */
  drainInputQueue() {
    const ping = this.stats.ping;
    if (ping === null) return false;
    const now = performance.now();
    this.bestPing = Math.min(ping, (this.bestPing ?? ping) + 0.02);
    if (ping > this.bestPing + 1000 / this.welcome.tickRate && now - (this.skippedAt ?? -Infinity) > 1000) {
      this.skippedAt = now;
      return true;
    }
    return false;
  }

  measurePing(lastInput, now) {
    const sent = this.sentAt.get(lastInput);
    if (sent === undefined) return;
    for (const key of this.sentAt.keys()) {
      if (key > lastInput) break;
      this.sentAt.delete(key);
    }
    const sample = now - sent;
    this.stats.ping = this.stats.ping === null ? sample : this.stats.ping * 0.8 + sample * 0.2;
  }

  rollStats() {
    this.stats.tickRate = this.window.snapshots;
    this.stats.bytesIn = this.window.bytesIn;
    this.stats.bytesOut = this.window.bytesOut;
    this.window = { snapshots: 0, bytesIn: 0, bytesOut: 0 };
  }
}
