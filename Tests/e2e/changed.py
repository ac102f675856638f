"""Changed values of a snapshot (docs/protocol.md, "Changed values"):
integers, `fixed`, `angle`, `vec3` and `quat` values coded by component
from the baseline or from a prediction, with a mode remembered per field.

    bool same-mode        1: the field's mode memory
    [u3 mode]             else 0...6 (7 is refused)
    mode 0                the full value
    modes 1...3 / 4...6   per component c, from the baseline / the prediction:
                          gamma((z >> k) + 1), the low k bits of z,
                          z = zigzag(q_c - r_c), k = ⌊(m - 1) · w_c / 3⌋

A changed bool carries no bits (it flipped); strings, entities and `f32`
go full, and neither touches a mode memory.
"""

from bits import Malformed

#: Kinds whose changed values are coded by components.
RELATIVE = frozenset({"integer", "fixed", "angle", "vec3", "quat"})
#: The mode a field's memory holds before its first changed value in a
#: message: from the baseline, order 0.
FIRST_MODE = 1
#: Most ticks from the baseline a snapshot with a prior may predict over.
MAX_AHEAD = 4096
#: Components wider than this are predicted as their baseline value.
MAX_PREDICTED_BITS = 32


class Components:
    """What a field's changed values are made of: a scalar is one component
    (its stored integer), a `vec3` three (each axis's step count), a `quat`
    three (its smallest three; its index, the *frame*, is kept apart)."""

    def __init__(self, field):
        self.is_quat = field.kind == "quat"
        if field.kind == "vec3":
            self.widths = [w for _, w in field.axes]
            self.shifts = [0, self.widths[0], self.widths[0] + self.widths[1]]
            self.ranges = [(0, steps) for steps, _ in field.axes]
        elif self.is_quat:
            bits = field.params["bits"]
            self.widths = [bits] * 3
            self.shifts = [2, 2 + bits, 2 + 2 * bits]
            self.ranges = [(0, (1 << bits) - 1)] * 3
        else:
            self.widths, self.shifts, self.ranges = [field.bits], [0], [(field.lo, field.hi)]
        self.scalar = len(self.widths) == 1

    def split(self, q):
        if self.scalar:
            return [q]
        return [(q >> s) & ((1 << w) - 1) for s, w in zip(self.shifts, self.widths)]

    def join(self, parts, frame_of):
        """The stored value of `parts`; a quat keeps the frame of `frame_of`."""
        if self.scalar:
            return parts[0]
        q = frame_of & 3 if self.is_quat else 0
        for part, s in zip(parts, self.shifts):
            q |= part << s
        return q

    def same_frame(self, a, b):
        return not self.is_quat or a & 3 == b & 3

    def predict(self, baseline, prior, ahead, behind):
        """Each component's prediction: `clamp(b + trunc((b - p) · ahead /
        behind), lo, hi)`; the baseline's when there is no prior (None),
        the quat's frame changed, or the component is wider than 32 bits."""
        base = self.split(baseline)
        if prior is None or not self.same_frame(prior, baseline):
            return base
        out = list(base)
        for c, (b, p) in enumerate(zip(base, self.split(prior))):
            if self.widths[c] > MAX_PREDICTED_BITS:
                continue
            n = (b - p) * ahead
            step = abs(n) // behind  # truncated toward zero, as the spec says; // alone floors
            lo, hi = self.ranges[c]
            out[c] = min(max(b + (step if n >= 0 else -step), lo), hi)
        return out


class ChangedValues:
    """Reads one snapshot's changed values: its tick gaps (`behind` 0: the
    snapshot names no prior) and the mode memory of each field, by key:
    (kind index, field index) for entity fields, ("match", field index)
    for the match's."""

    def __init__(self, ahead, behind):
        self.ahead, self.behind = ahead, behind
        self.modes = {}

    def read(self, r, field, key, baseline, prior=None):
        """The new stored value of `field`, whose baseline value is
        `baseline` and whose value in the prior is `prior` (None: the prior
        does not hold it, or there is no prior)."""
        if field.kind == "bool":
            return 1 - baseline
        if field.kind not in RELATIVE:
            return field.read_full(r)
        mode = self.modes.get(key, FIRST_MODE) if r.bits(1) else r.bits(3)
        if mode == 7:
            raise Malformed(f"field {field.name}: changed value mode 7 is not defined")
        self.modes[key] = mode
        if mode == 0:
            q = field.read_full(r)
        else:
            parts = field.components
            if mode <= 3:
                ref = parts.split(baseline)
            else:
                ref = parts.predict(baseline, prior if self.behind else None, self.ahead, self.behind)
            order = (mode - 1) % 3
            values = []
            for c, (r_c, width, (lo, hi)) in enumerate(zip(ref, parts.widths, parts.ranges)):
                k = order * width // 3
                z = ((r.gamma() - 1) << k) | r.bits(k)
                v = r_c + (z >> 1 if z % 2 == 0 else -((z + 1) >> 1))
                if not lo <= v <= hi:
                    raise Malformed(f"field {field.name}: component {c} is {v}, outside {lo}...{hi}")
                values.append(v)
            q = parts.join(values, baseline)
        if q == baseline:
            raise Malformed(f"field {field.name}: a changed {field.describe()} value is the baseline's ({q})")
        return q
