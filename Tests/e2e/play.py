#!/usr/bin/env python3
"""Plays the "echo" test game on a live Tickwire server through Python's
`websockets` package: a WebSocket client this project did not write, with the
messages read and written by wire.py, written from docs/protocol.md alone.

    python3 Tests/e2e/play.py ws://127.0.0.1:PORT

The server must host the "echo" game of Tests/ServerTests/LiveServer.swift
(entity kind `seat` counting a player's inputs and keeping the last `x`;
input `x: i8`; event `joined`). Prints one line per check, and at the first
failure a line starting with FAIL, then exits 1. Every wait is bounded by
`TIMEOUT`. Python 3.11, the standard library and `websockets` 15 or later
(its asyncio client, with `proxy=None` so that proxy variables in the
environment never route 127.0.0.1 elsewhere).
"""

import asyncio
import sys
import traceback

try:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.version import version as websockets_version
except ImportError as error:
    print(f"FAIL cannot import websockets.asyncio.client ({error}): pip install websockets", flush=True)
    sys.exit(1)
if int(websockets_version.split(".")[0]) < 15:
    print(f"FAIL websockets {websockets_version} is too old: pip install 'websockets>=15'", flush=True)
    sys.exit(1)

from checks import CheckFailed, check, ok
from wire import SUBPROTOCOL, VERSION, Malformed, Mirror, Snapshot, Welcome, ack_message, error_message, input_message

#: Seconds any one wait may take: an upgrade, a message, a close, or a run
#: of snapshots until something shows up in them.
TIMEOUT = 10.0
#: x values sent on the first connection: both ends of an i8, and both signs.
INPUTS = [5, -128, 127, -7]
#: The one input sent after resuming, as sequence 1 of the new connection.
RESUMED_INPUT = 9


async def bounded(awaitable, what):
    try:
        return await asyncio.wait_for(awaitable, TIMEOUT)
    except TimeoutError:
        raise CheckFailed(f"timed out after {TIMEOUT:g} s waiting for {what}")


async def open_play(base, path):
    """Upgrades `path` asking for SUBPROTOCOL (tickwire.2), and checks the server chose it."""
    ws = await bounded(connect(base + path, subprotocols=[SUBPROTOCOL], proxy=None,
                               open_timeout=TIMEOUT, close_timeout=TIMEOUT), f"the upgrade of {path}")
    check(ws.subprotocol == SUBPROTOCOL, f"{path}: the server selects subprotocol {SUBPROTOCOL}, got {ws.subprotocol!r}")
    return ws


async def receive(ws, what):
    try:
        data = await bounded(ws.recv(), what)
    except ConnectionClosed as closed:
        raise CheckFailed(f"the connection closed while waiting for {what}: {closed}")
    check(isinstance(data, bytes), f"{what}: the server sends binary messages only, got text {data!r}")
    return data


async def next_snapshot(ws, mirror, what):
    """The next message, which must be a snapshot; applied to `mirror`."""
    data = await receive(ws, what)
    if data[:1] == b"\x03":
        code, reason = error_message(data)
        raise CheckFailed(f"error {code} ({reason!r}) while waiting for {what}")
    snapshot = Snapshot(data)
    events = mirror.apply(snapshot)
    return snapshot, events


async def settle(ws, schema):
    """Reads the full snapshot that follows the welcome and returns the
    mirror holding it."""
    mirror = Mirror(schema)
    first, _ = await next_snapshot(ws, mirror, "the first snapshot")
    check(first.distance == 0, f"the first snapshot is full, got distance {first.distance}")
    return mirror


def follows(snapshot, previous):
    """One snapshot a tick, each a delta from the one before (the baseline
    is the last snapshot handed to the socket) predicted from the one
    before that (the prior: none after a full snapshot)."""
    check(snapshot.tick == previous.tick + 1,
          f"tick {previous.tick} is followed by {previous.tick + 1}, got {snapshot.tick}")
    check(snapshot.baseline == previous.tick,
          f"snapshot {snapshot.tick} is a delta from {previous.tick}, got distance {snapshot.distance}")
    check(snapshot.prior == previous.baseline,
          f"snapshot {snapshot.tick} names as its prior the state held before {previous.tick}, tick {previous.baseline}; "
          f"got {snapshot.prior}")


async def until_closed(ws, what):
    """Reads until the server closes: (messages read, close code, reason)."""
    async def drain():
        messages = []
        while True:
            try:
                messages.append(await ws.recv())
            except ConnectionClosed as closed:
                check(closed.rcvd is not None, f"{what}: the server sends a close frame ({closed})")
                return messages, closed.rcvd.code, closed.rcvd.reason
    return await bounded(drain(), what)


def seat_of(mirror, player_id):
    mine = mirror.find("seat", player=player_id)
    check(len(mine) <= 1, f"one seat for player {player_id}, got {mine}")
    return mine[0] if mine else None


def describe(fields):
    return [(f.name, f.describe()) for f in fields]


# ---- the checks, in order --------------------------------------------------

async def unknown_version_is_refused(base):
    """A client asking only for a version the server lacks: HTTP 400 naming its own."""
    try:
        ws = await bounded(connect(base + "/play?game=echo&name=py", subprotocols=["tickwire.999"], proxy=None,
                                   open_timeout=TIMEOUT), "a refused upgrade")
        await ws.close()
        raise CheckFailed("the server upgrades a client asking only for tickwire.999")
    except InvalidStatus as refused:
        body = refused.response.body.decode("utf-8", "replace")
        check(refused.response.status_code == 400, f"tickwire.999: HTTP 400, got {refused.response.status_code}")
        check(SUBPROTOCOL in body, f"tickwire.999: the refusal names {SUBPROTOCOL}, got {body!r}")
        ok(f"tickwire.999 is refused with HTTP 400: {body.strip()!r}")


async def join(base):
    """Joins echo as "py": the welcome, the full first snapshot, then deltas."""
    ws = await open_play(base, "/play?game=echo&name=py")
    ok(f"/play?game=echo&name=py upgrades with subprotocol {ws.subprotocol}")
    welcome = Welcome(await receive(ws, "the welcome"))
    check(1 <= welcome.player_id <= 255, f"a player id in 1...255, got {welcome.player_id}")
    check(welcome.match_id != "", "a match id")
    check(welcome.tick_rate == 30, f"tick rate 30, got {welcome.tick_rate}")
    check(len(welcome.resume_token) == 22, f"a 22-character resume token, got {welcome.resume_token!r}")
    schema = welcome.schema
    check(describe(schema.input) == [("x", "i8")], f"the input is x: i8, got {describe(schema.input)}")
    seat = schema.kind("seat") or []
    check(describe(seat) == [("inputs", "u16"), ("last", "i8"), ("name", "string(32)"), ("player", "u8")],
          f"kind seat {{inputs: u16, last: i8, name: string(32), player: u8}}, got {describe(seat)}")
    check([name for name, _ in schema.events] == ["joined"], f"one event, joined, got {schema.events}")
    ok(f"welcome: version {VERSION}, player {welcome.player_id}, match {welcome.match_id}, 30 ticks/s, "
       f"tick {welcome.tick}, token {welcome.resume_token}; its schema read to the last byte")

    mirror = Mirror(schema)
    first, events = await next_snapshot(ws, mirror, "the first snapshot")
    check(first.distance == 0, f"the first snapshot is full (distance 0), got distance {first.distance}")
    check(first.tick == welcome.tick, f"the first snapshot is of the welcome's tick {welcome.tick}, got {first.tick}")
    check(first.last_input == 0, f"no input processed yet, got {first.last_input}")
    ok(f"first snapshot: full, tick {first.tick}, {len(mirror.entities)} entities, events {events}")

    # game.join runs between ticks; the first snapshot is of the next tick and
    # already holds the seat it spawned and the event it broadcast.
    mine = seat_of(mirror, welcome.player_id)
    check(mine is not None and mine["name"] == "py" and mine["inputs"] == 0,
          f"the first snapshot holds my seat, named py, with no inputs; got {mine}")
    check([e for e in events if e[0] == "joined" and e[2] == {"player": welcome.player_id}]
          == [("joined", None, {"player": welcome.player_id})],
          f"the first snapshot carries one broadcast joined event for player {welcome.player_id}; got {events}")
    ok(f"tick {first.tick}: my seat {mine} and a broadcast joined event")
    previous = first
    for _ in range(5):
        snapshot, _ = await next_snapshot(ws, mirror, f"the snapshot after tick {previous.tick}")
        follows(snapshot, previous)
        previous = snapshot
    ok(f"5 delta snapshots, ticks {first.tick + 1}...{previous.tick}, each from the one before, predicted from the one before that")
    return ws, welcome, mirror, previous


async def inputs_come_back(ws, welcome, mirror, previous):
    """Hand-packed inputs, until the last one's sequence comes back; then an ack."""
    schema = welcome.schema
    check(input_message(schema, 1, [-128]) == b"\x81\x01\x00"
          and input_message(schema, 300, [127]) == b"\x81\xac\x02\xff",
          "inputs pack as 0x81, varint sequence, x + 128 in 8 bits")
    for sequence, x in enumerate(INPUTS, start=1):
        await bounded(ws.send(input_message(schema, sequence, [x])), f"sending input {sequence}")

    async def until_processed(previous):
        while previous.last_input < len(INPUTS):
            snapshot, _ = await next_snapshot(ws, mirror, f"input {len(INPUTS)} to be processed")
            follows(snapshot, previous)
            check(previous.last_input <= snapshot.last_input <= len(INPUTS),
                  f"the last processed input goes {previous.last_input} → {snapshot.last_input}, {len(INPUTS)} sent")
            previous = snapshot
        return previous
    previous = await bounded(until_processed(previous), f"input {len(INPUTS)} to be processed")
    mine = seat_of(mirror, welcome.player_id)
    check(mine is not None and mine["inputs"] == len(INPUTS) and mine["last"] == INPUTS[-1],
          f"when input {len(INPUTS)} is processed my seat counts {len(INPUTS)} inputs, the last x = {INPUTS[-1]}; "
          f"got {mine}")
    ok(f"inputs x = {INPUTS} processed by tick {previous.tick}: seat {mine}")

    await bounded(ws.send(ack_message(previous.tick)), "sending the ack")
    snapshot, _ = await next_snapshot(ws, mirror, "a snapshot after the ack")
    follows(snapshot, previous)
    ok(f"ack of tick {previous.tick} sent; snapshot {snapshot.tick} follows")

    await bounded(ws.close(1000), "the close handshake")
    check(ws.close_code == 1000, f"the server answers a normal close with 1000, got {ws.close_code}")
    ok("closed with 1000, answered with 1000")


async def resume(base, welcome):
    """The token brings the seat back on a new connection, whose inputs start at 1."""
    ws = await open_play(base, f"/play?resume={welcome.resume_token}")
    resumed = Welcome(await receive(ws, "the welcome after resuming"))
    check(resumed.player_id == welcome.player_id, f"resuming gives player {welcome.player_id} back, got {resumed.player_id}")
    check(resumed.match_id == welcome.match_id, f"resuming rejoins match {welcome.match_id}, got {resumed.match_id}")
    check(resumed.resume_token == welcome.resume_token, "resuming keeps the token")
    mirror = Mirror(resumed.schema)
    first, _ = await next_snapshot(ws, mirror, "the first snapshot after resuming")
    check(first.distance == 0, f"the first snapshot after resuming is full, got distance {first.distance}")
    check(first.tick == resumed.tick, f"the first snapshot is of the welcome's tick {resumed.tick}, got {first.tick}")
    mine = seat_of(mirror, welcome.player_id)
    check(mine is not None and mine["inputs"] == len(INPUTS) and mine["name"] == "py",
          f"the seat outlives the connection, got {mine}")
    ok(f"resumed as player {resumed.player_id}: full snapshot of tick {first.tick}, seat {mine}")
    check(first.last_input == 0,
          f"a resumed connection numbers its inputs afresh: none processed yet, got {first.last_input}")

    # Sent straight after the first snapshot: nothing a client sends early is lost.
    await bounded(ws.send(input_message(resumed.schema, 1, [RESUMED_INPUT])), "sending input 1 after resuming")

    async def until_counted(previous):
        while True:
            snapshot, _ = await next_snapshot(ws, mirror, "input 1 of the resumed connection to be processed")
            follows(snapshot, previous)
            previous, mine = snapshot, seat_of(mirror, welcome.player_id)
            if mine and mine["inputs"] == len(INPUTS) + 1:
                return previous, mine
    previous, mine = await bounded(until_counted(first), "input 1 of the resumed connection to be processed")
    check(mine["last"] == RESUMED_INPUT and previous.last_input == 1,
          f"input 1 after resuming sets x = {RESUMED_INPUT} and comes back as sequence 1, "
          f"got seat {mine} and last processed input {previous.last_input}")
    ok(f"input 1 of the resumed connection processed by tick {previous.tick}: seat {mine}")
    await bounded(ws.close(1000), "the close handshake")
    check(ws.close_code == 1000, f"the server answers a normal close with 1000, got {ws.close_code}")


async def text_is_refused(base):
    """Text messages are not part of the protocol: close 1003."""
    ws = await open_play(base, "/play?game=echo&name=py-text")
    await settle(ws, Welcome(await receive(ws, "the welcome")).schema)
    await bounded(ws.send("hello"), "sending a text message")
    _, code, reason = await until_closed(ws, "the close after a text message")
    check(code == 1003, f"a text message closes the connection with 1003, got {code} ({reason!r})")
    ok(f"a text message is answered with close 1003 ({reason!r})")


async def malformed_input_is_refused(base):
    """A message that does not decode: error 2, nothing after it, then close 4002 with the same reason."""
    ws = await open_play(base, "/play?game=echo&name=py-bad")
    await settle(ws, Welcome(await receive(ws, "the welcome")).schema)
    # An input whose sequence varint runs off the end of the message.
    await bounded(ws.send(b"\x81\xff\xff\xff"), "sending a malformed input")
    messages, code, reason = await until_closed(ws, "the error and close after a malformed input")
    errors = [i for i, m in enumerate(messages) if isinstance(m, bytes) and m[:1] == b"\x03"]
    check(len(errors) == 1, f"one error message before the close, got {len(errors)} among {len(messages)} messages")
    check(errors[0] == len(messages) - 1, f"nothing after the error, got {len(messages) - 1 - errors[0]} more messages")
    error_code, error_reason = error_message(messages[errors[0]])
    check(error_code == 2, f"error code 2 (malformed), got {error_code} ({error_reason!r})")
    check(code == 4002, f"close code 4002 after error 2, got {code}")
    check(reason == error_reason, f"the close carries the error's reason {error_reason!r}, got {reason!r}")
    ok(f"a malformed input gets error 2 ({error_reason!r}) then close 4002")


async def play(base):
    await unknown_version_is_refused(base)
    ws, welcome, mirror, previous = await join(base)
    await inputs_come_back(ws, welcome, mirror, previous)
    await resume(base, welcome)
    await text_is_refused(base)
    await malformed_input_is_refused(base)


def main():
    if len(sys.argv) != 2 or not sys.argv[1].startswith(("ws://", "wss://")):
        print("usage: play.py ws://HOST:PORT", file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(play(sys.argv[1].rstrip("/")))
    except CheckFailed as failure:
        print(f"FAIL {failure}", flush=True)
        sys.exit(1)
    except Malformed as failure:
        print(f"FAIL the server sent a malformed message: {failure}", flush=True)
        sys.exit(1)
    except Exception as failure:
        traceback.print_exc()
        print(f"FAIL {type(failure).__name__}: {failure}", flush=True)
        sys.exit(1)
    print("all checks passed", flush=True)


if __name__ == "__main__":
    main()
