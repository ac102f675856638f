"""Bits of Tickwire's wire protocol (docs/protocol.md, "Conventions"):
streams written least significant bit first, varints, Elias gamma codes,
`int(lo...hi)`, strings, padding. Every read checks what the message has
left and raises `Malformed` saying what was wrong.
"""

import struct

#: docs/protocol.md, "Limits".
MAX_MESSAGE_BYTES = 1 << 20
#: Entity ids are 1...2³²-1.
MAX_ID = (1 << 32) - 1


class Malformed(Exception):
    """A message that breaks docs/protocol.md."""


def expect(condition, what):
    if not condition:
        raise Malformed(what)


def width(n):
    """Bits of n, at least 1 (`width(n)` in the spec)."""
    return max(1, n.bit_length())


def span_bits(lo, hi):
    """Bits of `int(lo...hi)`: the fewest that hold hi - lo, 0 when equal."""
    return (hi - lo).bit_length()


class BitReader:
    """Reads a message least significant bit first (docs/protocol.md,
    "Conventions"); every read checks what is left and throws Malformed."""

    def __init__(self, data):
        expect(len(data) <= MAX_MESSAGE_BYTES, f"a message of {len(data)} bytes, above the 1 MiB limit")
        self.data = bytes(data)
        self.pos = 0  # in bits

    def bits(self, n):
        if n == 0:
            return 0
        if self.pos + n > 8 * len(self.data):
            raise Malformed(f"wants {n} bits at bit {self.pos} of a {len(self.data)}-byte message")
        value = 0
        for i in range(n):
            p = self.pos + i
            value |= ((self.data[p >> 3] >> (p & 7)) & 1) << i
        self.pos += n
        return value

    def u8(self):
        return self.bits(8)

    def f64(self):
        return struct.unpack("<d", self.bits(64).to_bytes(8, "little"))[0]

    def varint(self, limit=None):
        value = 0
        for i in range(10):
            byte = self.bits(8)
            value |= (byte & 0x7F) << (7 * i)
            if byte & 0x80 == 0:
                break
        else:
            raise Malformed("varint longer than 10 bytes")
        if value >= 1 << 64:
            raise Malformed("varint above 64 bits")
        if limit is not None and value > limit:
            raise Malformed(f"varint {value} above its limit {limit}")
        return value

    def string(self, max_bytes):
        n = self.varint()
        if n > max_bytes:
            raise Malformed(f"string of {n} bytes, limit {max_bytes}")
        raw = bytes(self.bits(8) for _ in range(n))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise Malformed(f"invalid UTF-8 in a string: {error}")

    def gamma(self):
        zeros = 0
        while self.bits(1) == 0:
            zeros += 1
            if zeros > 63:
                raise Malformed("gamma code with more than 63 zero bits")
        return (1 << zeros) | self.bits(zeros)

    def count(self):
        return self.gamma() - 1

    def ranged(self, lo, hi):
        raw = self.bits(span_bits(lo, hi))
        if raw > hi - lo:
            raise Malformed(f"value {raw + lo} above int({lo}...{hi})")
        return raw + lo

    def align(self):
        pad = (-self.pos) % 8
        if self.bits(pad) != 0:
            raise Malformed("non-zero padding bits")

    def expect_end(self):
        left = 8 * len(self.data) - self.pos
        if left:
            raise Malformed(f"{left // 8} bytes after the end of the message")


class BitWriter:
    """Writes least significant bit first; `finish` pads with zero bits."""

    def __init__(self):
        self.out = bytearray()
        self.pos = 0

    def bits(self, value, n):
        assert 0 <= value < (1 << n) or n == value == 0
        for i in range(n):
            if self.pos % 8 == 0:
                self.out.append(0)
            self.out[-1] |= ((value >> i) & 1) << (self.pos % 8)
            self.pos += 1

    def varint(self, value):
        while True:
            byte = value & 0x7F
            value >>= 7
            self.bits(byte | (0x80 if value else 0), 8)
            if not value:
                break

    def gamma(self, value):
        zeros = value.bit_length() - 1
        self.bits(0, zeros)
        self.bits(1, 1)
        self.bits(value & ((1 << zeros) - 1), zeros)

    def ranged(self, value, lo, hi):
        assert lo <= value <= hi
        self.bits(value - lo, span_bits(lo, hi))

    def finish(self):
        return bytes(self.out)  # the last byte's spare bits are zero: aligned
