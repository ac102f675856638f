"""A game's schema as `welcome` carries it (docs/protocol.md, "Schemas"),
how each field's values travel in snapshots and client messages, and the
values a reader sees for them.

Integer fields are sent as `int(lo...hi)` over their range (an i8 as
`x + 128` in 8 bits, not two's complement): the schema table's "stored
integer" is the value, and a full value is `int(lower...upper)` of the type,
as for every ranged type.
"""

import math
import struct

from bits import MAX_ID, Malformed, width
from changed import RELATIVE, Components

TYPE_NAMES = ["bool", "integer", "f32", "fixed", "angle", "string", "entity", "vec3", "quat"]


class Field:
    """One field and its arithmetic: stored integers `q` in lo...hi, `bits`
    wide when sent full (strings: the length prefix)."""

    def __init__(self, name, kind, **params):
        self.name, self.kind, self.params = name, kind, params
        self.lo, self.hi, self.bits = 0, 0, 0
        if kind == "bool":
            self.hi, self.bits = 1, 1
        elif kind == "integer":
            b, signed = params["bits"], params["signed"]
            self.lo = -(1 << (b - 1)) if signed else 0
            self.hi = (1 << (b - 1)) - 1 if signed else (1 << b) - 1
            self.bits = b
        elif kind == "f32":
            self.hi, self.bits = (1 << 32) - 1, 32
        elif kind == "fixed":
            self.hi = params["steps"]
            self.bits = width(self.hi)
        elif kind == "angle":
            self.hi, self.bits = (1 << params["bits"]) - 1, params["bits"]
        elif kind == "string":
            self.hi, self.bits = params["max"], width(params["max"])
        elif kind == "entity":
            self.hi = MAX_ID
        elif kind == "vec3":
            self.axes = [(steps, width(steps)) for steps in params["steps"]]
            self.bits = sum(w for _, w in self.axes)
            self.hi = (1 << self.bits) - 1
        elif kind == "quat":
            self.bits = 2 + 3 * params["bits"]
            self.hi = (1 << self.bits) - 1
        #: What a changed value is coded by (changed.py); None: sent full or, for bools, not at all.
        self.components = Components(self) if kind in RELATIVE else None

    def describe(self):
        if self.kind == "integer":
            return ("i" if self.params["signed"] else "u") + str(self.params["bits"])
        if self.kind == "string":
            return f"string({self.params['max']})"
        return self.kind

    def zero(self):
        return "" if self.kind == "string" else 0

    # Values as a reader sees them (docs/protocol.md, the schema table).

    def value(self, q):
        """The value of stored integer `q`: bool, int, float, str, an entity
        id, {x, y, z} for a vec3, {x, y, z, w} for a quat."""
        if self.kind == "bool":
            return q == 1
        if self.kind == "f32":
            return struct.unpack("<f", q.to_bytes(4, "little"))[0]
        if self.kind == "fixed":
            return self.params["min"] + q * self.params["step"]
        if self.kind == "angle":
            return q * (2 * math.pi) / (1 << self.params["bits"])
        if self.kind == "vec3":
            out, shift = {}, 0
            for axis, (lo, _, step), (_, w) in zip("xyz", self.params["axes"], self.axes):
                out[axis] = lo + ((q >> shift) & ((1 << w) - 1)) * step
                shift += w
            return out
        if self.kind == "quat":
            bits = self.params["bits"]
            scale = ((1 << bits) - 1) / (2 * QUAT_HALF_RANGE)
            a, b, c = (((q >> (2 + i * bits)) & ((1 << bits) - 1)) / scale - QUAT_HALF_RANGE for i in range(3))
            largest = math.sqrt(max(0.0, 1 - a * a - b * b - c * c))
            parts = [a, b, c]
            parts.insert(q & 3, largest)
            return dict(zip("xyzw", parts))
        return q

    def stored(self, value):
        """The stored integer a client sends for `value` (the inverse of
        `value`): clamped to the range, rounded half away from zero."""
        if self.kind == "bool":
            return 1 if value else 0
        if self.kind == "f32":
            try:
                return int.from_bytes(struct.pack("<f", value), "little")
            except OverflowError:  # beyond the largest single: its infinity
                return int.from_bytes(struct.pack("<f", math.copysign(math.inf, value)), "little")
        if self.kind == "fixed":
            return fixed_step(value, self.params["min"], self.params["step"], self.hi)
        if self.kind == "angle":
            if value != value or abs(value) == math.inf:
                return 0
            turns = value / (2 * math.pi)
            turn = 1 << self.params["bits"]
            return round_half_away((turns - math.floor(turns)) * turn) % turn
        if self.kind == "vec3":
            q, shift = 0, 0
            for axis, (lo, _, step), (steps, w) in zip("xyz", self.params["axes"], self.axes):
                q |= fixed_step(value[axis], lo, step, steps) << shift
                shift += w
            return q
        if self.kind == "quat":
            return smallest_three([value[axis] for axis in "xyzw"], self.params["bits"])
        if self.kind == "string":
            return value
        return min(max(int(value), self.lo), self.hi)

    # Full values, as docs/protocol.md's "snapshot" says (changed values: changed.py).

    def read_full(self, r):
        if self.kind == "string":
            n = r.ranged(0, self.hi)
            raw = bytes(r.bits(8) for _ in range(n))
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise Malformed(f"field {self.name}: invalid UTF-8: {error}")
        if self.kind == "entity":
            v = r.gamma() - 1
            if v > MAX_ID:
                raise Malformed(f"entity id {v} above 2^32 - 1")
            return v
        if self.kind == "vec3":
            q = r.bits(self.bits)
            shift = 0
            for steps, w in self.axes:
                if (q >> shift) & ((1 << w) - 1) > steps:
                    raise Malformed(f"field {self.name}: vec3 axis above its last step")
                shift += w
            return q
        if self.kind in ("f32", "quat"):
            return r.bits(self.bits)
        return r.ranged(self.lo, self.hi)

    def write_full(self, w, q):
        """Writes stored integer `q`, or a string's text (cut to its
        maximum bytes at a character boundary)."""
        if self.kind == "string":
            raw = q.encode("utf-8")
            end = min(len(raw), self.hi)
            while 0 < end < len(raw) and raw[end] & 0xC0 == 0x80:
                end -= 1
            w.ranged(end, 0, self.hi)
            for byte in raw[:end]:
                w.bits(byte, 8)
            return
        if not self.lo <= q <= self.hi:
            raise ValueError(f"cannot send {q} as {self.name}: {self.describe()}")
        if self.kind == "entity":
            w.gamma(q + 1)
        else:
            w.bits(q - self.lo, self.bits)


#: 1/√2: no component but the largest of a unit quaternion is larger in magnitude.
QUAT_HALF_RANGE = math.sqrt(0.5)


def round_half_away(x):
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def fixed_step(value, lo, step, steps):
    """`round((v - min) / step)` clamped to 0...steps; NaN as 0."""
    x = (value - lo) / step
    if x != x or x <= 0:
        return 0
    return steps if x >= steps else min(round_half_away(x), steps)


def smallest_three(v, bits):
    """A quat's stored integer: the largest component's index (the first on
    ties), then the other three, negated if the largest is negative, each
    mapped from [-1/√2, 1/√2] onto 0...2^bits - 1."""
    n = math.sqrt(sum(c * c for c in v)) if all(abs(c) != math.inf and c == c for c in v) else 0
    v = [c / n for c in v] if n > 0 else [0.0, 0.0, 0.0, 1.0]
    index = max(range(4), key=lambda i: (abs(v[i]), -i))
    rest = [c for i, c in enumerate(v) if i != index]
    if v[index] < 0:
        rest = [-c for c in rest]
    top = (1 << bits) - 1
    scale = top / (2 * QUAT_HALF_RANGE)
    q = index
    for i, c in enumerate(rest):
        q |= min(max(round_half_away((c + QUAT_HALF_RANGE) * scale), 0), top) << (2 + i * bits)
    return q


def read_name(r, previous):
    name = r.string(64)
    if not (1 <= len(name.encode()) <= 64) or not name.isascii() or not (name[0].isalpha() or name[0] == "_") \
            or not all(c.isalnum() or c == "_" for c in name):
        raise Malformed(f"bad name {name!r}")
    if previous is not None and name.encode() <= previous.encode():
        raise Malformed(f"name {name!r} does not follow {previous!r}")
    return name


def read_field_set(r):
    """`varint n`, then n × (name, u8 type, the type's parameters)."""
    fields, previous = [], None
    for _ in range(r.varint(limit=64)):
        name = read_name(r, previous)
        previous = name
        t = r.u8()
        if t >= len(TYPE_NAMES):
            raise Malformed(f"field {name}: unknown type {t}")
        kind = TYPE_NAMES[t]
        if kind == "integer":
            bits, signed = r.u8(), r.u8()
            if bits not in (8, 16, 32) or signed > 1:
                raise Malformed(f"field {name}: integer of {bits} bits, signed {signed}")
            fields.append(Field(name, kind, bits=bits, signed=bool(signed)))
        elif kind == "fixed":
            lo, hi, step = r.f64(), r.f64(), r.f64()
            fields.append(Field(name, kind, min=lo, max=hi, step=step, steps=fixed_steps(name, lo, hi, step)))
        elif kind == "angle":
            bits = r.u8()
            if not 2 <= bits <= 16:
                raise Malformed(f"field {name}: angle of {bits} bits")
            fields.append(Field(name, kind, bits=bits))
        elif kind == "string":
            fields.append(Field(name, kind, max=r.varint()))
            if not 1 <= fields[-1].hi <= 4096:
                raise Malformed(f"field {name}: string of at most {fields[-1].hi} bytes")
        elif kind == "entity":
            fields.append(Field(name, kind, kind_ref=r.varint(limit=255)))
        elif kind == "vec3":
            axes = [(r.f64(), r.f64(), r.f64()) for _ in range(3)]
            steps = [fixed_steps(name, *axis, max_steps=1 << 62) for axis in axes]
            fields.append(Field(name, kind, axes=axes, steps=steps))
            if fields[-1].bits > 63:
                raise Malformed(f"field {name}: vec3 of {fields[-1].bits} bits")
        elif kind == "quat":
            bits = r.u8()
            if not 6 <= bits <= 20:
                raise Malformed(f"field {name}: quat of {bits} bits")
            fields.append(Field(name, kind, bits=bits))
        else:
            fields.append(Field(name, kind))
    return fields


def fixed_steps(name, lo, hi, step, max_steps=(1 << 32) - 1):
    """`⌊(max - min) / step + 10⁻⁹⌋`, checked as the spec says: a `fixed`
    has at most 2³² - 1 steps; a vec3 axis is bounded only by the 63 bits of
    the three axes together."""
    if not (lo < hi and step > 0) or any(v != v or abs(v) == float("inf") for v in (lo, hi, step)):
        raise Malformed(f"field {name}: fixed {lo}...{hi} step {step}")
    steps = (hi - lo) / step + 1e-9
    if not 1 <= steps or steps >= float("inf") or int(steps) > max_steps:
        raise Malformed(f"field {name}: {steps} steps")
    return int(steps)


def read_named_sets(r):
    sets, previous = [], None
    for _ in range(r.varint(limit=255)):
        name = read_name(r, previous)
        previous = name
        sets.append((name, read_field_set(r)))
    return sets


class Schema:
    """Field lists in wire order; kinds, events and client events as (name, fields)."""

    def __init__(self, r):
        self.match = read_field_set(r)
        self.kinds = read_named_sets(r)
        self.input = read_field_set(r)
        self.events = read_named_sets(r)
        self.client_events = read_named_sets(r)
        for fields in [self.match, self.input] + [f for _, f in self.kinds + self.events + self.client_events]:
            for f in fields:
                if f.kind == "entity" and f.params["kind_ref"] > len(self.kinds):
                    raise Malformed(f"field {f.name} refers to kind {f.params['kind_ref']} of {len(self.kinds)}")
        if any(f.kind == "string" for f in self.input):
            raise Malformed("a string field in the input")

    def kind(self, name):
        return next((fields for k, fields in self.kinds if k == name), None)
