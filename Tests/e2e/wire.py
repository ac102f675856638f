"""Tickwire's wire protocol, version 2, written in Python from
docs/protocol.md alone (no code shared with Sources/Protocol): enough of a
generic client to read any game's `welcome` and `snapshot` messages into a
copy of the state, and to write `input`, `client event` and `ack`
messages. Tests/e2e/vectors.py checks it against the shared vectors.

Standard library only; bits.py holds the bit stream, schema.py the schema
and full values, changed.py changed values.
"""

from collections import namedtuple

from bits import MAX_ID, BitReader, BitWriter, Malformed, expect
from changed import MAX_AHEAD, ChangedValues
from schema import Schema

#: The protocol version this client speaks: the subprotocol is `tickwire.2`.
VERSION = 2
SUBPROTOCOL = f"tickwire.{VERSION}"

#: docs/protocol.md, "Limits".
MAX_ENTITIES = 65_535
MAX_EVENTS = 4_096


class Welcome:
    """The header of a `welcome` and its schema, read to the last byte."""

    def __init__(self, data):
        r = BitReader(data)
        expect(len(data) > 0 and data[0] == 0x01, f"first message is a welcome (type 0x01), got {data[:1].hex() or 'nothing'}")
        r.u8()
        self.version = r.varint()
        expect(self.version == VERSION, f"welcome carries protocol version {VERSION}, got {self.version}")
        self.player_id = r.varint(limit=255)
        self.match_id = r.string(64)
        self.tick_rate = r.varint()
        expect(1 <= self.tick_rate <= 120, f"tick rate {self.tick_rate} outside 1...120")
        self.tick = r.varint()
        self.resume_token = r.string(128)
        self.schema = Schema(r)
        r.align()
        r.expect_end()


class Snapshot:
    """A snapshot's header; `Mirror.apply` reads the rest.

        u8 0x02 | varint T | varint T - B (0: full) | varint B - P (0: no prior) | varint last input

    `baseline` is B (None: a full snapshot), `prior` is P, the tick of the
    state the client held before B, which changed values may be predicted
    from (None: none, as in every full snapshot). A prior is refused when
    T - B is above 4096."""

    def __init__(self, data):
        self.reader = r = BitReader(data)
        expect(len(data) > 0 and data[0] == 0x02, f"a snapshot (type 0x02), got type {data[:1].hex() or 'nothing'}")
        r.u8()
        self.tick = r.varint()
        self.distance = r.varint(limit=self.tick)
        self.baseline = self.tick - self.distance if self.distance else None
        self.behind = r.varint(limit=self.baseline or 0)
        expect(not self.behind or self.distance <= MAX_AHEAD,
               f"snapshot {self.tick} predicts over {self.distance} ticks from its baseline, more than {MAX_AHEAD}")
        self.prior = self.baseline - self.behind if self.behind else None
        self.last_input = r.varint()


#: A state the client held: its tick, match values and {id: (kind, [values])}.
Held = namedtuple("Held", "tick match entities")


class Mirror:
    """The state a client holds, applied snapshot by snapshot from the
    schema alone: entities as {id: (kind index, [stored values])}; and, as
    `previous`, the state it held before (a `Held`; None before the second
    snapshot), which the next snapshot may name as its prior.

    After each snapshot, `added` and `removed` list the ids that appeared
    and went (an id whose kind changed is in both), and `changed` the
    (id, [field names]) whose values differ, each in id order: what the
    state before and after differ by, whatever the snapshot's lists said.
    """

    def __init__(self, schema):
        self.schema = schema
        self.tick = None
        self.last_input = 0
        self.match = [f.zero() for f in schema.match]
        self.entities = {}
        self.previous = None
        self.added, self.removed, self.changed = [], [], []

    def apply(self, snapshot):
        r, s = snapshot.reader, self.schema
        if snapshot.baseline is None:
            match, entities = [f.zero() for f in s.match], {}
        else:
            expect(self.tick == snapshot.baseline,
                   f"snapshot {snapshot.tick} is a delta from tick {snapshot.baseline}, the client holds {self.tick}")
            match, entities = list(self.match), {i: (k, list(v)) for i, (k, v) in self.entities.items()}
        prior = None
        if snapshot.prior is not None:
            before = self.previous
            expect(before is not None and before.tick == snapshot.prior,
                   f"snapshot {snapshot.tick} predicts from tick {snapshot.prior}, but before its baseline the client "
                   f"held {'nothing' if before is None else before.tick}")
            prior = before
        changes = ChangedValues(snapshot.distance, snapshot.behind)
        if r.bits(1):
            mask = r.bits(len(s.match))
            if mask == 0:
                raise Malformed("match changed with an empty mask")
            for i, f in enumerate(s.match):
                if mask >> i & 1:
                    match[i] = changes.read(r, f, ("match", i), match[i], None if prior is None else prior.match[i])
        entity = 0
        for _ in range(r.count()):
            entity = next_id(r, entity)
            if entity not in entities:
                raise Malformed(f"removes entity {entity}, which the client does not hold")
            del entities[entity]
        held = set(entities)  # what `changed` may name: the baseline less the removed
        entity = 0
        for _ in range(r.count()):
            entity = next_id(r, entity)
            if not s.kinds:
                raise Malformed("adds an entity to a game without kinds")
            kind = r.ranged(0, len(s.kinds) - 1)
            if entity in entities:
                raise Malformed(f"adds entity {entity}, which the client holds")
            entities[entity] = (kind, [f.read_full(r) for f in s.kinds[kind][1]])
        expect(len(entities) <= MAX_ENTITIES, f"{len(entities)} entities, above {MAX_ENTITIES}")
        entity, masks = 0, {}
        for _ in range(r.count()):
            entity = next_id(r, entity)
            if entity not in held:
                raise Malformed(f"changes entity {entity}, which the baseline does not hold (or removes)")
            kind, values = entities[entity]
            fields = s.kinds[kind][1]
            if r.bits(1):
                if kind not in masks:
                    raise Malformed(f"entity {entity} reuses a mask before any of its kind")
                mask = masks[kind]
            else:
                mask = r.bits(len(fields))
                if mask == 0:
                    raise Malformed(f"entity {entity} changed with an empty mask")
            masks[kind] = mask
            # Predicted from the prior's entity of the same id, if of the same kind.
            then = None if prior is None else prior.entities.get(entity)
            then = then[1] if then is not None and then[0] == kind else None
            for i, f in enumerate(fields):
                if mask >> i & 1:
                    values[i] = changes.read(r, f, (kind, i), values[i], None if then is None else then[i])
        r.align()
        events = []
        n = r.count()
        expect(n <= MAX_EVENTS, f"{n} events, above {MAX_EVENTS}")
        for _ in range(n):
            recipient = r.ranged(1, 255) if r.bits(1) else None
            if not s.events:
                raise Malformed("an event in a game without events")
            index = r.ranged(0, len(s.events) - 1)
            name, fields = s.events[index]
            events.append((name, recipient, {f.name: f.read_full(r) for f in fields}))
        r.align()
        r.expect_end()
        self.report(entities)
        if self.tick is not None:
            self.previous = Held(self.tick, self.match, self.entities)
        self.tick, self.match, self.entities = snapshot.tick, match, entities
        self.last_input = snapshot.last_input
        return events

    def report(self, entities):
        """Sets added, removed and changed from the state held to `entities`."""
        self.added, self.removed, self.changed = [], [], []
        for entity in sorted(self.entities.keys() | entities.keys()):
            before, after = self.entities.get(entity), entities.get(entity)
            if before is not None and after is not None and before[0] == after[0]:
                fields = self.schema.kinds[after[0]][1]
                names = [f.name for f, a, b in zip(fields, before[1], after[1]) if a != b]
                if names:
                    self.changed.append((entity, names))
                continue
            if before is not None:
                self.removed.append(entity)
            if after is not None:
                self.added.append(entity)

    def find(self, kind_name, **where):
        """Entities of `kind_name` as {field: value} whose fields match `where`."""
        index = next(i for i, (k, _) in enumerate(self.schema.kinds) if k == kind_name)
        fields = self.schema.kinds[index][1]
        found = []
        for kind, values in self.entities.values():
            if kind == index:
                entity = {f.name: v for f, v in zip(fields, values)}
                if all(entity[k] == v for k, v in where.items()):
                    found.append(entity)
        return found


def next_id(r, previous):
    """The id after `previous` in a removed, added or changed list: a gap of at least 1."""
    entity = previous + r.gamma()
    if entity > MAX_ID:
        raise Malformed(f"entity id {entity} above 2^32 - 1")
    return entity


def input_message(schema, sequence, values):
    w = BitWriter()
    w.bits(0x81, 8)
    w.varint(sequence)
    for f, v in zip(schema.input, values, strict=True):
        f.write_full(w, v)
    return w.finish()


def client_event_message(schema, name, values):
    index = next(i for i, (n, _) in enumerate(schema.client_events) if n == name)
    w = BitWriter()
    w.bits(0x82, 8)
    w.ranged(index, 0, len(schema.client_events) - 1)
    for f, v in zip(schema.client_events[index][1], values, strict=True):
        f.write_full(w, v)
    return w.finish()


def ack_message(tick):
    w = BitWriter()
    w.bits(0x83, 8)
    w.varint(tick)
    return w.finish()


def error_message(data):
    """(code, reason) of an `error` message."""
    r = BitReader(data)
    expect(r.u8() == 0x03, f"an error (type 0x03), got type {data[:1].hex()}")
    code = r.varint()
    reason = r.string(256)
    r.align()
    r.expect_end()
    return code, reason
