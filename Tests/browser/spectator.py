"""A spectator that is not the browser: Python's `websockets` on
/spectate?match=ID, decoding with Tests/e2e/wire.py (written from
docs/protocol.md, no code shared with the page or the server). It reads the
state the server holds, so the browser tests can check what a key press did
on the server rather than on the page.

The Mirror keeps stored integers, not decoded values: a `fixed` field is its
step count from the minimum, an `angle` its step around the circle, a bool
0 or 1 (Tests/e2e/schema.py).
"""

import contextlib
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from websockets.exceptions import ConnectionClosed  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from harness import TIMEOUT, CheckFailed  # noqa: E402
from wire import Malformed, Mirror, Snapshot, Welcome, error_message  # noqa: E402

SUBPROTOCOL = "tickwire.2"


class Spectator:
    """Watches one match on a thread of its own; `wait` blocks the test
    until the state satisfies a predicate."""

    def __init__(self, ws_base, match_id):
        self.match_id = match_id
        # Entered as a context (websockets 17 warns about a bare connect()), left in close().
        self.exits = contextlib.ExitStack()
        self.socket = self.exits.enter_context(connect(
            f"{ws_base}/spectate?match={match_id}", subprotocols=[SUBPROTOCOL], proxy=None,
            open_timeout=TIMEOUT, close_timeout=2))
        try:
            self.welcome = self._welcome()
        except BaseException:
            self.exits.close()
            raise
        self.mirror = Mirror(self.welcome.schema)
        self.snapshots = 0
        self.ended = None
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, name=f"spectator {match_id}", daemon=True)
        self.thread.start()

    def _welcome(self):
        if self.socket.subprotocol != SUBPROTOCOL:
            raise CheckFailed(f"/spectate: the server selects {SUBPROTOCOL}, got {self.socket.subprotocol!r}")
        data = self.socket.recv(timeout=TIMEOUT)
        if data[:1] == b"\x03":
            code, reason = error_message(data)
            raise CheckFailed(f"spectating match {self.match_id} was refused with error {code}: {reason}")
        welcome = Welcome(data)
        if welcome.player_id != 0:
            raise CheckFailed(f"a spectator is player 0, the server said {welcome.player_id}")
        return welcome

    def _read(self):
        try:
            while True:
                data = self.socket.recv()
                if data[:1] == b"\x03":
                    code, reason = error_message(data)
                    raise CheckFailed(f"the server sent the spectator error {code}: {reason}")
                snapshot = Snapshot(data)
                with self.changed:
                    self.mirror.apply(snapshot)
                    self.snapshots += 1
                    self.changed.notify_all()
        except ConnectionClosed as closed:
            ended = f"the spectator's connection closed ({closed})"
        except (Malformed, CheckFailed) as error:
            ended = f"the spectator read a bad message: {error}"
        except Exception as error:  # reported by the next wait
            ended = f"the spectator stopped: {type(error).__name__}: {error}"
        with self.changed:
            self.ended = ended
            self.changed.notify_all()

    def wait(self, predicate, what, timeout=TIMEOUT):
        """Blocks until `predicate(mirror)` is truthy and returns its value,
        read under the lock so the mirror does not change under it."""
        result = None

        def satisfied():
            nonlocal result
            if self.ended:
                return True
            result = predicate(self.mirror) if self.mirror.tick is not None else None
            return bool(result)

        with self.changed:
            if not self.changed.wait_for(satisfied, timeout):
                raise CheckFailed(f"timed out after {timeout:g} s waiting for {what} "
                                  f"(the spectator is at tick {self.mirror.tick}; ships: {self.ships()})")
            if self.ended and not result:
                raise CheckFailed(f"{self.ended} while waiting for {what}")
            return result

    def steady(self, player, field, what, ticks=3):
        """Waits until `field` of `player`'s ship keeps one value over
        `ticks` snapshots in a row (inputs reach the server a few ticks after
        a key is released), and returns that value."""
        seen = []

        def still(m):
            ship = self.ship(player)
            if ship is None:
                return None
            if not seen or seen[-1][0] != m.tick:
                seen.append((m.tick, ship[field]))
            tail = seen[-ticks:]
            return len(tail) == ticks and len({v for _, v in tail}) == 1 and (tail[-1][1],)
        return self.wait(still, what)[0]

    def ships(self):
        return self.mirror.find("ship") if self.mirror.tick is not None else []

    def ship(self, player):
        """The ship of `player` as {field: stored value}, or None."""
        mine = [s for s in self.ships() if s["player"] == player]
        if len(mine) > 1:
            raise CheckFailed(f"player {player} has {len(mine)} ships: {mine}")
        return mine[0] if mine else None

    def close(self):
        try:
            self.exits.close()
        except Exception:
            pass
        self.thread.join(5)
