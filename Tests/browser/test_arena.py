#!/usr/bin/env python3
"""The arena page (web/) and its SDK (web/tickwire.js) in a real browser:
headless Chromium driven by Selenium through Debian's chromedriver, against
the real `tickwire serve` started here on 127.0.0.1.

    python3 Tests/browser/test_arena.py --tickwire .build/debug/tickwire

In order: the page loads with a clean console; the SDK passes the shared
vectors of Tests/vectors/protocol-v2.json and the checks of sdk-checks.js in
the page; Play joins a match; arrow keys thrust and turn the ship, as a
Python spectator reading the server's state sees; a second browser joins the
same match from the lobby and sees the first player's ship move; it leaves
and spectates; a recorded bots match served by `tickwire replay --serve` is
listed in that server's lobby, spectated, paused and sped up; an unknown game is refused with a clear message; the
console is still clean; the server restarts and the page
shows it reconnecting, then plays again in a new match.

Prints one line per check; at the first failure a line starting with FAIL,
a screenshot, the page and the console log of each browser in the artifacts
folder ($TICKWIRE_ARTIFACTS, default .build/test-artifacts), the server's log,
and exit status 1. The screenshot of a running match is arena.png there.
Every wait is bounded; the whole run is stopped after SUITE_LIMIT seconds.
Needs chromium, chromium-driver (apt) and selenium, websockets (pip).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import websockets.sync.client  # noqa: F401
except ImportError as error:
    print(f"FAIL cannot import websockets.sync.client ({error}): pip install 'websockets>=15'", flush=True)
    sys.exit(1)

# harness first: without selenium it ends the run with a FAIL line.
from harness import ROOT, TIMEOUT, BrowserSuite, Server, check, free_port, ok, run_suite, wait_until
from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from spectator import Spectator

#: Seconds the whole suite may take before it is stopped as hung.
SUITE_LIMIT = 150
#: Seconds a page may take to come back to `playing` after the server
#: restarts: the SDK's backoff tops out at 5 s, then a refused resume and a
#: fresh join.
RECOVERY_TIMEOUT = 20.0
VECTORS = os.path.join(ROOT, "Tests", "vectors", "protocol-v2.json")
RUNNER = os.path.join(ROOT, "Tests", "browser", "vectors.js")
SDK_CHECKS = os.path.join(ROOT, "Tests", "browser", "sdk-checks.js")

# Stored-integer steps of the arena's ship fields (games/arena/game.lua):
# x, y in 1/32 unit, vx, vy in 1/16 unit/s, angle in 1/1024 turn.
POSITION_STEPS = 32
ANGLE_STEPS = 1024
#: Movement that counts as moving: half a world unit. Thrust is 450 units/s²,
#: so a held key passes it within a few ticks.
MOVED = POSITION_STEPS // 2
#: Turning that counts as turning: 20/1024 of a circle (7°); the ship turns
#: 4 rad/s, about 650 steps a second.
TURNED = 20

# Read from the page: the client the page plays with, and one player's ship
# in the state that client holds.
CLIENT = "const c = window.arena && window.arena.client;"
WELCOME = CLIENT + """
    if (!c || !c.welcome) return null;
    const w = c.welcome;
    return {player: w.player, match: w.match, tickRate: w.tickRate, spectator: !!w.spectator};"""
SHIP_OF = CLIENT + """
    if (!c || !c.state) return null;
    for (const e of c.state.entities.values())
      if (e.kind === 'ship' && e.fields.player === arguments[0]) return e.fields;
    return null;"""
STATE_TICK = CLIENT + "return c && c.state ? c.state.tick : null;"
SHIPS = CLIENT + """
    if (!c || !c.state) return null;
    return [...c.state.entities.values()].filter((e) => e.kind === 'ship').map((e) => e.fields);"""
# Imports the page's SDK and runs Tests/browser/vectors.js and sdk-checks.js
# with it: classic scripts that define globalThis.runVectors(sdk, vectors) and
# globalThis.runSDKChecks(sdk, arenaWelcomeBytes), each returning
# {passed, failed: [messages]}. The arena's welcome comes from the vectors,
# as when the checks run under Node. The vectors go to the page as text: a
# trip through Python's json would turn -0 into 0.
RUN_IN_PAGE = """
    const [vectorsSource, checksSource, vectorsText, done] = arguments;
    (async () => {
      const vectors = JSON.parse(vectorsText);
      const sdk = await import('/tickwire.js');
      new Function(vectorsSource)();
      new Function(checksSource)();
      for (const name of ['runVectors', 'runSDKChecks'])
        if (typeof globalThis[name] !== 'function') throw new Error(`no globalThis.${name} after evaluating the runners`);
      const summary = (r) => ({passed: r.passed, failed: (r.failed || []).map(String)});
      const arena = vectors.sessions.find((s) => s.expect && s.expect.schema.kinds.some((k) => k.name === 'ship'));
      const welcome = arena && Uint8Array.from(arena.welcome.match(/../g).map((h) => parseInt(h, 16)));
      return {vectors: summary(await globalThis.runVectors(sdk, vectors)),
              checks: summary(await globalThis.runSDKChecks(sdk, welcome)), arena: arena ? arena.name : null};
    })().then(done, (e) => done({error: String((e && e.stack) || e)}));"""


def angle_turned(start, now):
    """Signed steps from `start` to `now`, the short way round."""
    d = (now - start) % ANGLE_STEPS
    return d - ANGLE_STEPS if d > ANGLE_STEPS // 2 else d


def number_in(text):
    """The first number in `text` if it is above 0, else None."""
    found = re.search(r"\d+(?:\.\d+)?", text)
    return found and float(found.group()) > 0 and float(found.group())


def http_json(url, body=None):
    """GET `url`, or POST `body` as JSON, and the JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=TIMEOUT) as response:
        return json.loads(response.read())


def moved(a, b):
    return abs(a["x"] - b["x"]) + abs(a["y"] - b["y"])


class Suite(BrowserSuite):
    def __init__(self, binary, artifacts):
        super().__init__(binary, artifacts)
        self.spectator = None

    # ---- the page --------------------------------------------------------

    def load(self, browser):
        browser.driver.get(self.server.http + "/")
        wait_until(lambda: browser.js("return document.readyState") == "complete", TIMEOUT,
                   f"{browser.name}: the page at / to load")
        for selector in ["#lobby", "#name", "#play", "#matches", "#game", "canvas#arena", "#hud", "#ping",
                         "#tickrate", "#bandwidth", "#scoreboard", "#leave", "#status"]:
            check(browser.driver.find_elements(By.CSS_SELECTOR, selector),
                  f"{browser.name}: the page has {selector}")
        wait_until(lambda: browser.driver.find_element(By.ID, "play").is_displayed(), TIMEOUT,
                   f"{browser.name}: the lobby's Play button to show")

    def status(self, browser):
        return browser.js("const s = document.getElementById('status');"
                          "return s && {state: s.dataset.state || null, text: s.textContent.trim()};")

    def wait_state(self, browser, state, timeout=TIMEOUT):
        return wait_until(lambda: (lambda s: s if s and s["state"] == state else None)(self.status(browser)),
                          timeout, f"{browser.name}: #status[data-state={state}]", lambda: self.status(browser))

    def hold(self, browser, key, until):
        """Holds `key` on the page body until `until()` returns (it waits,
        bounded), then lets go. Nothing is focused first, so the keys reach
        the page's window listeners and no input field takes them."""
        browser.js("if (document.activeElement && document.activeElement !== document.body)"
                   " document.activeElement.blur();")
        ActionChains(browser.driver).key_down(key).perform()
        try:
            return until()
        finally:
            ActionChains(browser.driver).key_up(key).perform()

    def click_row_button(self, browser, match, button):
        """Clicks `button.<button>` in the lobby row of `match`, once the
        lobby (which refreshes every few seconds) lists it."""
        selector = f'#matches [data-match="{match}"] button.{button}'

        def click():
            try:
                found = [b for b in browser.driver.find_elements(By.CSS_SELECTOR, selector)
                         if b.is_displayed() and b.is_enabled()]
                if found:
                    found[0].click()
                    return True
            except (StaleElementReferenceException, ElementClickInterceptedException):
                pass  # the row was redrawn under us: look again
            return False
        wait_until(click, TIMEOUT, f"{browser.name}: the lobby to list match {match} with {selector}",
                   lambda: browser.driver.find_element(By.ID, "matches").text)

    def frames(self, browser, count):
        """Waits for `count` animation frames of the page (bounded by the script timeout)."""
        browser.driver.execute_async_script(
            "const done = arguments[arguments.length - 1]; let n = arguments[0];"
            "const frame = () => (--n <= 0 ? done(true) : requestAnimationFrame(frame));"
            "requestAnimationFrame(frame);", count)

    # ---- the checks, in order --------------------------------------------

    def page_loads_clean(self):
        b1 = self.b1 = self.open_browser("browser1")
        self.load(b1)
        # The lobby lists matches from /matches; once it has answered, the
        # page's modules have all run.
        wait_until(lambda: b1.js("return document.getElementById('matches').childElementCount > 0"
                                 " || document.getElementById('matches').textContent.trim() !== ''"),
                   TIMEOUT, "browser1: the lobby to show the matches (or that there are none)")
        n = self.console_is_clean(b1, "after loading /")
        ok(f"/ loads the lobby with every element of the page's contract, console clean ({n} entries)")

    def vectors_pass_in_the_page(self):
        sources = []
        for path in [VECTORS, RUNNER, SDK_CHECKS]:
            check(os.path.exists(path), f"{os.path.relpath(path, ROOT)} exists")
            with open(path, encoding="utf-8") as f:
                sources.append(f.read())
        vectors = json.loads(sources[0])
        sessions = len(vectors.get("sessions", []))
        check(sessions > 0, f"{os.path.relpath(VECTORS, ROOT)} holds sessions")
        result = self.b1.driver.execute_async_script(RUN_IN_PAGE, sources[1], sources[2], sources[0])
        check(isinstance(result, dict), f"the runners return {{passed, failed}}, got {result!r}")
        check("error" not in result, f"the runners threw in the page:\n{result.get('error')}")
        for name, runner in [("vectors", "the shared vectors"), ("checks", "the SDK checks")]:
            passed, failed = result[name]["passed"], result[name]["failed"]
            check(not failed, f"{len(failed)} checks of {runner} fail in Chromium ({passed} pass):\n"
                  + "\n".join(f"  {m}" for m in failed[:30]) + ("\n  …" if len(failed) > 30 else ""))
            check(passed > 0, f"{runner} check something in Chromium, got 0 passed")
        ok(f"web/tickwire.js in Chromium passes all {result['vectors']['passed']} checks of {sessions} shared "
           f"vector sessions and {result['checks']['passed']} SDK checks (arena welcome: {result['arena']!r})")

    def play_joins(self):
        b1 = self.b1
        field = b1.driver.find_element(By.ID, "name")
        field.clear()
        field.send_keys("Alice")
        b1.driver.find_element(By.ID, "play").click()
        self.wait_state(b1, "playing")
        w = self.wait_welcome(b1, lambda w: w["player"] > 0, "a welcome with a player id")
        check(not w["spectator"], f"browser1 plays, not spectates: {w}")
        self.player1, self.match = w["player"], w["match"]
        check(b1.driver.find_element(By.ID, "game").is_displayed(), "browser1: #game shows once playing")
        check(b1.driver.find_element(By.CSS_SELECTOR, "canvas#arena").is_displayed(), "browser1: the canvas shows")
        tickrate = lambda: b1.driver.find_element(By.ID, "tickrate").text  # noqa: E731
        wait_until(lambda: number_in(tickrate()), TIMEOUT, "browser1: #tickrate to count snapshots a second",
                   tickrate)
        ok(f"#play joins match {self.match} as player {self.player1} at {w['tickRate']} ticks/s; "
           f"#tickrate reads {tickrate()!r}")

    def keys_move_the_ship(self):
        b1, p1 = self.b1, self.player1
        self.spectator = spectator = Spectator(self.server.ws, self.match)

        def ship(predicate):
            """Player 1's ship on the server, if it satisfies `predicate`."""
            return lambda m: (lambda s: s if s and predicate(s) else None)(spectator.ship(p1))

        start = spectator.wait(ship(lambda s: s["alive"]), f"player {p1}'s ship, alive, in the server's state")
        check(start["name"] == "Alice", f"the ship carries the name typed in #name, got {start['name']!r}")
        check(not start["thrusting"], f"the ship is not thrusting before a key is pressed: {start}")
        now = self.hold(b1, Keys.ARROW_UP, lambda: spectator.wait(
            ship(lambda s: s["thrusting"] and moved(s, start) >= MOVED
                 and (s["vx"], s["vy"]) != (start["vx"], start["vy"])),
            f"player {p1}'s ship to thrust, move and speed up while ↑ is held"))
        spectator.wait(ship(lambda s: not s["thrusting"]), f"player {p1}'s ship to stop thrusting once ↑ is let go")
        ok(f"↑ held: the server's ship {p1} thrusts, moves {moved(now, start) / POSITION_STEPS:g} units "
           f"and changes velocity; let go, it stops thrusting")

        turns = {}
        for key, label in [(Keys.ARROW_LEFT, "←"), (Keys.ARROW_RIGHT, "→")]:
            before = spectator.steady(p1, "angle", f"player {p1}'s ship to stop turning")
            turns[label] = self.hold(b1, key, lambda: spectator.wait(
                ship(lambda s: abs(angle_turned(before, s["angle"])) >= TURNED),
                f"player {p1}'s ship to turn while {label} is held"))["angle"]
            turns[label] = angle_turned(before, turns[label])
        check(turns["←"] > 0 > turns["→"],
              f"← turns counter-clockwise (angle up) and → clockwise (angle down); "
              f"the angle moved {turns['←']:+d} and {turns['→']:+d} steps of 1/1024 turn")
        ok(f"← and → turn the server's ship {p1} counter-clockwise and clockwise "
           f"({turns['←']:+d} and {turns['→']:+d} of 1024 steps when first seen)")

    def second_browser_sees_the_first_move(self):
        b1, p1 = self.b1, self.player1
        b2 = self.b2 = self.open_browser("browser2")
        self.load(b2)
        field = b2.driver.find_element(By.ID, "name")
        field.clear()
        field.send_keys("Bob")
        self.click_row_button(b2, self.match, "join")
        self.wait_state(b2, "playing")
        w = self.wait_welcome(b2, lambda w: w["player"] > 0, "a welcome with a player id")
        check(w["match"] == self.match, f"browser2 joins match {self.match} from its lobby row, got {w['match']}")
        check(w["player"] != p1, f"browser2 gets a seat of its own, got player {w['player']} like browser1")
        self.player2 = w["player"]

        def ship_in_b2(predicate, what):
            """Player 1's ship in the state browser2 holds, once it satisfies `predicate`."""
            return wait_until(lambda: (lambda s: s if s and predicate(s) else None)(b2.js(SHIP_OF, p1)), TIMEOUT,
                              f"browser2: player {p1}'s ship {what}", lambda: b2.js(SHIP_OF, p1))

        start = ship_in_b2(lambda s: True, "in its state")
        moving = self.hold(b1, Keys.ARROW_UP, lambda: ship_in_b2(
            lambda s: s["thrusting"] and abs(s["x"] - start["x"]) + abs(s["y"] - start["y"]) >= MOVED / POSITION_STEPS,
            "to thrust and move while browser1 holds ↑"))
        ship_in_b2(lambda s: not s["thrusting"], "to stop thrusting once browser1 lets go of ↑")
        self.spectator.wait(lambda m: (lambda s: s and s["name"] == "Bob")(self.spectator.ship(self.player2)),
                            f"player {self.player2}'s ship, named Bob, in the server's state")
        ok(f"browser2 joins match {self.match} from the lobby as player {self.player2} and sees ship {p1} "
           f"thrust from ({start['x']:.1f}, {start['y']:.1f}) to ({moving['x']:.1f}, {moving['y']:.1f})")

    def screenshot_of_a_match(self):
        b1 = self.b1
        wait_until(lambda: len([s for s in b1.js(SHIPS) or [] if s["alive"]]) >= 2, TIMEOUT,
                   "browser1: two living ships in its state", lambda: b1.js(SHIPS))
        # Frames enough for the interpolation buffer to fill and the canvas to draw both.
        self.frames(b1, 15)
        path = os.path.join(self.artifacts, "arena.png")
        check(b1.driver.save_screenshot(path), f"browser1: a screenshot saved to {path}")
        ok(f"screenshot of a running match with two players: {path}")

    def spectating_works(self):
        b2 = self.b2
        b2.driver.find_element(By.ID, "leave").click()
        wait_until(lambda: b2.driver.find_element(By.ID, "lobby").is_displayed(), TIMEOUT,
                   "browser2: #leave to bring the lobby back")
        self.click_row_button(b2, self.match, "spectate")
        self.wait_state(b2, "spectating")
        w = self.wait_welcome(b2, lambda w: w["match"] == self.match and w["player"] == 0,
                              f"a spectator's welcome (player 0) for match {self.match}")
        ships = wait_until(lambda: b2.js(SHIPS), TIMEOUT, "browser2: ships in the spectator's state")
        check(any(s["player"] == self.player1 for s in ships),
              f"the spectator sees player {self.player1}'s ship, got {ships}")
        ok(f"#leave, then button.spectate: spectating match {w['match']} as player 0, {len(ships)} ship(s) in view")

    def a_replay_is_watched(self):
        """`tickwire bots --record`, then `tickwire replay FILE --serve`: the
        page at / of that server lists the replay, spectates it with no new
        client code, and stops at the tick where POST /replay paused it."""
        b2 = self.b2
        folder = tempfile.mkdtemp(prefix="tw-browser-replay-")
        replay = None
        try:
            run = subprocess.run([self.server.binary, "bots", "games/arena", "--matches", "1", "--players", "4",
                                  "--ticks", "900", "--seed", "5", "--record", folder, "--quiet"],
                                 cwd=ROOT, capture_output=True, text=True, timeout=60)
            check(run.returncode == 0, f"tickwire bots --record exits 0, got {run.returncode}: {run.stderr}")
            files = sorted(os.listdir(folder))
            check(len(files) == 1, f"one recording in {folder}, got {files}")
            port = free_port()
            replay = Server(self.server.binary, port, self.artifacts, name="replay",
                            arguments=["replay", os.path.join(folder, files[0]), "--serve", "--host", "127.0.0.1",
                                       "--port", str(port), "--web", "web"])
            replay.start()
            status = lambda: http_json(replay.http + "/replay")
            match = status()["match"]
            b2.driver.get(replay.http + "/")
            self.click_row_button(b2, match, "spectate")
            self.wait_state(b2, "spectating")
            self.wait_welcome(b2, lambda w: w["match"] == match and w["player"] == 0,
                              f"a spectator's welcome for the replay's match {match}")
            ships = wait_until(lambda: (lambda s: s if s and len(s) == 4 else None)(b2.js(SHIPS)), TIMEOUT,
                               "browser2: the recording's 4 ships in the spectator's state", lambda: b2.js(SHIPS))
            paused = http_json(replay.http + "/replay", {"paused": True})
            check(paused["paused"], f"POST /replay pauses the replay, got {paused}")
            held = status()["tick"]
            wait_until(lambda: b2.js(STATE_TICK) == held, TIMEOUT, f"browser2: the page to reach paused tick {held}",
                       lambda: b2.js(STATE_TICK))
            self.frames(b2, 30)
            check(b2.js(STATE_TICK) == held and status()["tick"] == held,
                  f"the replay holds tick {held} while paused (page {b2.js(STATE_TICK)}, server {status()['tick']})")
            http_json(replay.http + "/replay", {"paused": False, "speed": 8})
            wait_until(lambda: (b2.js(STATE_TICK) or 0) > held + 30, TIMEOUT, "browser2: the replay to play on at 8×",
                       lambda: b2.js(STATE_TICK))
            self.console_is_clean(b2, "watching a replay")
            now = b2.js(STATE_TICK)
            # Off the replay's page before its server stops, so the page does not try to reconnect.
            b2.driver.get("about:blank")
            ok(f"tickwire replay --serve: match {match} listed and spectated with {len(ships)} ships; "
               f"paused at tick {held}, then on at 8× (page at tick {now})")
        finally:
            if replay:
                code = replay.stop(timeout=20)
                check(code == 0, f"SIGTERM stops tickwire replay --serve with exit status 0, got {code}")
            shutil.rmtree(folder, ignore_errors=True)

    def a_saved_edit_reaches_the_page(self):
        """`tickwire serve FOLDER --dev` on a copy of arena: the page plays,
        then game.lua is saved with a new ship field and a new MAX_HP; the
        page stays in the same match, takes the new welcome (a `reload`
        event), and its state shows the new field and the new hit points."""
        b2 = self.b2
        folder = tempfile.mkdtemp(prefix="tw-browser-dev-")
        dev = None
        try:
            shutil.copytree(os.path.join(ROOT, "games", "arena"), os.path.join(folder, "arena"))
            port = free_port()
            dev = Server(self.server.binary, port, self.artifacts, name="dev",
                         arguments=["serve", folder, "--dev", "--host", "127.0.0.1", "--port", str(port), "--web", "web"])
            dev.start()
            b2.driver.get(dev.http + "/")
            wait_until(lambda: b2.driver.find_element(By.ID, "play").is_displayed(), TIMEOUT, "browser2: the dev server's lobby")
            b2.driver.find_element(By.ID, "play").click()
            self.wait_state(b2, "playing")
            w = self.wait_welcome(b2, lambda w: w["player"] > 0, "a welcome from the dev server")
            b2.js("window.arena.client.on('reload', (w) => { window.reloads = (window.reloads || 0) + 1; });")
            mine = lambda: b2.js(SHIP_OF, w["player"])  # noqa: E731
            before = wait_until(mine, TIMEOUT, "browser2: its ship on the dev server")
            check(before["hp"] == 3 and "rank" not in before, f"arena's ship before the edit: hp 3, no rank; got {before}")
            rules = os.path.join(folder, "arena", "game.lua")
            with open(rules) as f:
                source = f.read()
            edited = source.replace("local MAX_HP        = 3", "local MAX_HP        = 5") \
                           .replace('thrusting = "bool",', 'thrusting = "bool", rank = "u8",')
            check(edited.count("MAX_HP        = 5") == 1 and "rank" in edited, "the edit applies to games/arena/game.lua")
            with open(rules, "w") as f:
                f.write(edited)
            after = wait_until(lambda: (lambda s: s if s and "rank" in s and s["hp"] == 5 else None)(mine()), TIMEOUT,
                               "browser2: its ship with the new field and 5 hit points", mine)
            again = self.wait_welcome(b2, lambda x: x["match"] == w["match"], "the same match after the reload")
            check(again["player"] == w["player"] and b2.js("return window.reloads || 0;") == 1,
                  f"one reload event, same seat: {again}, reloads {b2.js('return window.reloads || 0;')}")
            check(self.status(b2)["state"] == "playing", f"browser2 still plays: {self.status(b2)}")
            # A broken save: the page plays on by the last rules that loaded.
            with open(rules, "w") as f:
                f.write(edited + "\nthis is not lua\n")
            listed = wait_until(lambda: (lambda g: g.get("reloadError") if g else None)(
                next((g for g in http_json(dev.http + "/games") if g["name"] == "arena"), None)), TIMEOUT,
                "GET /games to list the refused reload")
            tick = b2.js(STATE_TICK)
            wait_until(lambda: (b2.js(STATE_TICK) or 0) > tick + 15, TIMEOUT, "browser2: the match to play on", lambda: b2.js(STATE_TICK))
            check(b2.js("return window.reloads || 0;") == 1, "no reload event for a refused save")
            self.console_is_clean(b2, "through a reload")
            b2.driver.get("about:blank")
            ok(f"serve --dev: a save reached match {w['match']} in the page (ship hp {before['hp']} → {after['hp']}, "
               f"new field rank = {after['rank']}), one reload event, same seat; a broken save is refused: {listed[:60]!r}")
        finally:
            if dev:
                code = dev.stop(timeout=20)
                check(code == 0, f"SIGTERM stops tickwire serve --dev with exit status 0, got {code}")
            shutil.rmtree(folder, ignore_errors=True)

    def refusal_is_explained(self):
        """A game the server does not have: the server refuses after the
        upgrade (error 10, close 4010) and the page says so in the lobby."""
        b2 = self.b2
        b2.driver.get(self.server.http + "/?game=nosuchgame")
        wait_until(lambda: b2.driver.find_element(By.ID, "play").is_displayed(), TIMEOUT,
                   "browser2: the lobby of /?game=nosuchgame")
        b2.driver.find_element(By.ID, "play").click()
        s = self.wait_state(b2, "closed")
        check("No such game" in s["text"] and "nosuchgame" in s["text"],
              f"browser2: #status names the refusal and the game, got {s['text']!r}")
        notice = wait_until(lambda: (lambda e: e.text if e.is_displayed() and e.text else None)(
            b2.driver.find_element(By.ID, "notice")), TIMEOUT, "browser2: the lobby's #notice to show the reason")
        check(b2.driver.find_element(By.ID, "lobby").is_displayed(), "browser2: back in the lobby after the refusal")
        ok(f"an unknown game is refused with a clear message: #status {s['text']!r}, #notice {notice!r}")

    def wait_welcome(self, browser, condition, what, timeout=TIMEOUT):
        """window.arena.client.welcome once it satisfies `condition`."""
        return wait_until(lambda: (lambda w: w if w and condition(w) else None)(browser.js(WELCOME)), timeout,
                          f"{browser.name}: {what}", lambda: browser.js(WELCOME))

    def console_still_clean(self):
        for browser in self.browsers:
            self.console_is_clean(browser, "after playing")
        ok(f"no console errors or warnings in {len(self.browsers)} browsers after playing and spectating")

    def server_restart_recovers(self):
        b1 = self.b1
        self.spectator.close()
        self.spectator = None
        # browser2 spectates a match the restart ends; it has done its part.
        self.b2.quit()
        self.browsers.remove(self.b2)
        old = self.match
        status = self.server.stop()
        check(status == 0, f"SIGTERM stops the server with exit status 0, got {status}")
        s = self.wait_state(b1, "reconnecting")
        s = wait_until(lambda: (lambda s: s if s and s["state"] == "reconnecting" and "Reconnecting" in s["text"]
                                else None)(self.status(b1)), TIMEOUT,
                       "browser1: #status to say \"Reconnecting\"")
        ok(f"the server stopped; browser1 shows {s['state']}: {s['text']!r}")
        self.server.start()
        s = self.wait_state(b1, "playing", RECOVERY_TIMEOUT)
        w = self.wait_welcome(b1, lambda w: w["player"] > 0 and w["match"] != old,
                              f"a welcome into a new match (the old one, {old}, ended with the server)")
        self.spectator = Spectator(self.server.ws, w["match"])
        self.spectator.wait(lambda m: self.spectator.ship(w["player"]),
                            f"player {w['player']}'s ship in the new server's match {w['match']}")
        ok(f"the server is back on port {self.server.port}; browser1 plays again in new match {w['match']} "
           f"as player {w['player']} ({s['text']!r})")

    def run(self):
        self.serve("server")
        self.page_loads_clean()
        self.vectors_pass_in_the_page()
        self.play_joins()
        self.keys_move_the_ship()
        self.second_browser_sees_the_first_move()
        self.screenshot_of_a_match()
        self.spectating_works()
        self.a_replay_is_watched()
        self.a_saved_edit_reaches_the_page()
        self.refusal_is_explained()
        self.console_still_clean()
        self.server_restart_recovers()

    def close(self):
        if self.spectator:
            self.spectator.close()
        return super().close()


def main():
    run_suite(Suite, "browser", "The arena page in headless Chromium against a live server.", SUITE_LIMIT,
              stale=lambda name: name.startswith(("failure-", "server-")) or name == "arena.png")


if __name__ == "__main__":
    main()
