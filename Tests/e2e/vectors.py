"""Checks the Python decoder (wire.py, bits.py, schema.py, written from
docs/protocol.md alone) against the shared protocol vectors,
Tests/vectors/protocol-v2.json, as the Swift suite (ProtocolVectorTests)
and the browser SDK (Tests/browser/vectors.js) are checked:

- every welcome decodes to the session's `expect` (header and schema), or is
  refused (Malformed) when the session has an `error`;
- every snapshot, applied in order to one Mirror, leaves exactly the
  expected state (tick, lastInput, match, entities with kind and fields),
  events, and added, removed and changed ids; one with an `error` is
  refused, and both the state and the one held before it (the next
  snapshot's possible prior) are kept;
- every input, client event and ack encodes to the file's bytes.

Values compare exactly, as in the other two: numbers bit for bit (`-0` is
not `0`; NaN equals NaN), the file's "NaN", "Infinity" and "-Infinity"
being those numbers.

    python3 Tests/e2e/vectors.py [path/to/protocol-v2.json]

Prints one `ok` line per session; at the first mismatch prints what differs
and exits 1. Standard library only.
"""

import json
import math
import os
import struct
import sys

from checks import CheckFailed, check, ok
from wire import VERSION, Malformed, Mirror, Snapshot, Welcome, ack_message, client_event_message, input_message

DEFAULT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors", "protocol-v2.json")
SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
NUMERIC = {"integer", "f32", "fixed", "angle"}


# Values in the file's form, compared as the Swift and JavaScript checks do.

def same(a, b):
    """Exact equality: numbers by bit pattern (NaN equals NaN), bools only
    with bools, objects as sets of keys."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        x, y = float(a), float(b)
        return (x != x and y != y) or struct.pack("<d", x) == struct.pack("<d", y)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def show(v):
    """A value as the file would write it, so -0 and NaN read as such."""
    def plain(x):
        if isinstance(x, float):
            if x != x or abs(x) == math.inf:
                return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")
            return "-0" if x == 0 and math.copysign(1, x) < 0 else (int(x) if x.is_integer() and abs(x) < 2**53 else x)
        if isinstance(x, dict):
            return {k: plain(y) for k, y in x.items()}
        if isinstance(x, (list, tuple)):
            return [plain(y) for y in x]
        return x
    return json.dumps(plain(v), ensure_ascii=False)


def expected(field, value):
    """A VALUE from the file as the decoder reports it: the special strings
    of a number as floats."""
    if isinstance(value, str) and field.kind in NUMERIC:
        return SPECIAL.get(value, value)
    if isinstance(value, dict) and field.kind in ("vec3", "quat"):
        return {k: SPECIAL.get(v, v) if isinstance(v, str) else v for k, v in value.items()}
    return value


def fields_json(fields, stored):
    return {f.name: f.value(q) for f, q in zip(fields, stored)}


def check_fields(fields, want, got, where):
    check(want.keys() == got.keys(), f"{where}: fields {sorted(got)}, want {sorted(want)}")
    for f in fields:
        w = expected(f, want[f.name])
        check(same(got[f.name], w), f"{where}.{f.name} ({f.describe()}): got {show(got[f.name])}, want {show(w)}")


# Welcomes

def field_json(field, kinds):
    out = {"name": field.name, "type": field.describe() if field.kind == "integer" else field.kind}
    p = field.params
    if field.kind == "fixed":
        out.update(min=p["min"], max=p["max"], step=p["step"])
    elif field.kind in ("angle", "quat"):
        out["bits"] = p["bits"]
    elif field.kind == "string":
        out["max"] = p["max"]
    elif field.kind == "entity":
        out["of"] = kinds[p["kind_ref"] - 1][0] if p["kind_ref"] else None
    elif field.kind == "vec3":
        for axis, (lo, hi, step) in zip("xyz", p["axes"]):
            out[axis] = {"min": lo, "max": hi, "step": step}
    return out


def welcome_json(w):
    s = w.schema

    def fields(fs):
        return [field_json(f, s.kinds) for f in fs]

    def sets(named):
        return [{"name": name, "fields": fields(fs)} for name, fs in named]

    return {
        "version": w.version, "player": w.player_id, "match": w.match_id, "tickRate": w.tick_rate,
        "tick": w.tick, "resume": w.resume_token,
        "schema": {"match": fields(s.match), "kinds": sets(s.kinds), "input": fields(s.input),
                   "events": sets(s.events), "clientEvents": sets(s.client_events)},
    }


def refused(what, decode):
    """Checks `decode()` raises Malformed, and nothing else."""
    try:
        decode()
    except Malformed:
        return
    except Exception as error:
        raise CheckFailed(f"{what}: raised {type(error).__name__}: {error}, not Malformed")
    raise CheckFailed(f"{what}: accepted")


# Snapshots

def held(mirror):
    """Everything a refused snapshot must leave as it was: the state and
    the one held before it."""
    def copy(match, entities):
        return list(match), {i: (k, list(v)) for i, (k, v) in entities.items()}
    before = mirror.previous
    return (mirror.tick, mirror.last_input, copy(mirror.match, mirror.entities),
            None if before is None else (before.tick, copy(before.match, before.entities)))


STATE_KEYS = {"tick", "lastInput", "match", "entities", "events", "added", "removed", "changed"}


def check_state(mirror, events, want, where):
    s = mirror.schema
    check(want.keys() == STATE_KEYS, f"{where}: expect has keys {sorted(want)}, this checker knows {sorted(STATE_KEYS)}")
    check(mirror.tick == want["tick"], f"{where}: tick {mirror.tick}, want {show(want['tick'])}")
    check(mirror.last_input == want["lastInput"], f"{where}: lastInput {mirror.last_input}, want {show(want['lastInput'])}")
    check_fields(s.match, want["match"], fields_json(s.match, mirror.match), f"{where}: match")
    ids, want_ids = sorted(mirror.entities), [e["id"] for e in want["entities"]]
    check(same(ids, want_ids), f"{where}: entity ids {show(ids)}, want {show(want_ids)}")
    for w in want["entities"]:
        kind, stored = mirror.entities[int(w["id"])]
        name, fields = s.kinds[kind]
        check(name == w["kind"], f"{where}: entity {int(w['id'])} is a {name}, want {w['kind']}")
        check_fields(fields, w["fields"], fields_json(fields, stored), f"{where}: entity {int(w['id'])}")
    got = [(name, to or 0) for name, to, _ in events]
    wanted = [(e["name"], e["to"]) for e in want["events"]]
    check(same(got, wanted), f"{where}: events (name, to) {show(got)}, want {show(wanted)}")
    for i, ((name, _, values), w) in enumerate(zip(events, want["events"])):
        fields = next(fs for n, fs in s.events if n == name)
        check_fields(fields, w["fields"], {f.name: f.value(values[f.name]) for f in fields}, f"{where}: event {i} ({name})")
    check(same(mirror.added, want["added"]), f"{where}: added {show(mirror.added)}, want {show(want['added'])}")
    check(same(mirror.removed, want["removed"]), f"{where}: removed {show(mirror.removed)}, want {show(want['removed'])}")
    changed = [{"id": i, "fields": names} for i, names in mirror.changed]
    check(same(changed, want["changed"]), f"{where}: changed {show(changed)}, want {show(want['changed'])}")


def check_snapshot(mirror, entry, where):
    data = bytes.fromhex(entry["bytes"])
    if "error" in entry:
        before = held(mirror)
        refused(f"{where} should be refused ({entry['error']})", lambda: mirror.apply(Snapshot(data)))
        check(held(mirror) == before, f"{where}: refused, but the state moved")
        return
    try:
        events = mirror.apply(Snapshot(data))
    except Malformed as error:
        raise CheckFailed(f"{where}: refused ({error}), the reference accepts it")
    check_state(mirror, events, entry["expect"], f"{where} (tick {show(entry['expect']['tick'])})")


# Client messages

def stored_values(fields, given, where):
    check(given.keys() == {f.name for f in fields}, f"{where}: values for {sorted(given)}, fields {[f.name for f in fields]}")
    return [f.stored(expected(f, given[f.name])) for f in fields]


def check_encoding(got, want, where):
    check(got.hex() == want, f"{where}: encoded {got.hex()}, want {want}")


def check_client_messages(schema, session):
    for i, entry in enumerate(session.get("inputs", [])):
        where = f"input {i} (sequence {show(entry['sequence'])})"
        values = stored_values(schema.input, entry["values"], where)
        check_encoding(input_message(schema, int(entry["sequence"]), values), entry["bytes"], where)
    for i, entry in enumerate(session.get("clientEvents", [])):
        where = f"client event {i} ({entry['name']})"
        fields = next(fs for n, fs in schema.client_events if n == entry["name"])
        values = stored_values(fields, entry["values"], where)
        check_encoding(client_event_message(schema, entry["name"], values), entry["bytes"], where)
    for entry in session.get("acks", []):
        check_encoding(ack_message(int(entry["tick"])), entry["bytes"], f"ack {show(entry['tick'])}")


def check_session(session):
    """Checks one session; returns what was checked, for its `ok` line."""
    data = bytes.fromhex(session["welcome"])
    if "error" in session:
        refused(f"welcome should be refused ({session['error']})", lambda: Welcome(data))
        return "welcome refused"
    try:
        welcome = Welcome(data)
    except Malformed as error:
        raise CheckFailed(f"welcome: refused ({error}), the reference accepts it")
    got = welcome_json(welcome)
    for key, want in session["expect"].items():
        check(same(got.get(key), want), f"welcome: {key} is {show(got.get(key))}, want {show(want)}")
    check(got.keys() == session["expect"].keys(), f"welcome: keys {sorted(got)}, want {sorted(session['expect'])}")
    mirror = Mirror(welcome.schema)
    snapshots = session.get("snapshots", [])
    for i, entry in enumerate(snapshots):
        check_snapshot(mirror, entry, f"snapshot {i}")
    check_client_messages(welcome.schema, session)
    refusals = sum("error" in s for s in snapshots)
    return (f"{len(snapshots) - refusals} snapshots, {refusals} refused, {len(session.get('inputs', []))} inputs, "
            f"{len(session.get('clientEvents', []))} client events, {len(session.get('acks', []))} acks")


def main(argv):
    path = argv[1] if len(argv) > 1 else DEFAULT
    with open(path, encoding="utf-8") as f:
        # Every number as a double, as the file means them: so "-0" stays -0.
        document = json.load(f, parse_int=float)
    sessions = document.get("sessions", [])
    try:
        check(document.get("protocol") == VERSION, f"{path}: protocol {document.get('protocol')}, this decoder speaks {VERSION}")
        check(sessions, f"{path}: no sessions")
    except CheckFailed as failure:
        print(f"FAIL {failure}", file=sys.stderr)
        return 1
    for session in sessions:
        try:
            done = check_session(session)
        except CheckFailed as failure:
            print(f"FAIL {session['name']}: {failure}", file=sys.stderr)
            return 1
        ok(f"{session['name']}: {done}")
    shown = os.path.relpath(path)
    ok(f"{len(sessions)} sessions of {path if shown.startswith('..') else shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
