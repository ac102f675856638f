#!/usr/bin/env python3
"""The inspector (/inspect, web/inspect/) in a real browser, on a game it
has never heard of and on arena, against the real `tickwire serve --dev`
started here on 127.0.0.1:

    python3 Tests/browser/test_inspect.py --tickwire .build/debug/tickwire

A temporary games folder holds the fixture `drones` (Tests/browser/fixtures:
vec3, quat, angle, fixed, string and entity fields, broadcast and private
events), arena, and a game that does not load. One browser joins drones from
/inspect?game=drones: the generated controls (keys) move its drone on the
server (GET /matches/ID/state), the tables show the values the server holds,
a private and a broadcast event reach the log, the dev notices name the
broken game's file:line and a saved edit's reload. A second browser spectates via /inspect?match=ID.
A recorded arena match served by `tickwire replay --serve` plays, pauses
and seeks in the page. The console stays clean; screenshots of the inspector
on the fixture and on arena are saved in the artifacts folder
($TICKWIRE_ARTIFACTS, default .build/test-artifacts). Every wait is bounded.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# harness first: without selenium it ends the run with a FAIL line.
from harness import ROOT, TIMEOUT, BrowserSuite, Server, check, free_port, ok, run_suite, wait_until
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

#: Seconds the whole suite may take before it is stopped as hung.
SUITE_LIMIT = 150
FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "drones")

WELCOME = "const i = window.inspector; return i && i.client.welcome;"
STATE_TICK = "const i = window.inspector; return i && i.client.state ? i.client.state.tick : null;"
# What the page's table shows for entity arguments[0]: field → value (data-value, JSON).
ROW = """
    const row = document.querySelector(`#tables tr[data-id="${arguments[0]}"]`);
    if (!row) return null;
    const out = {};
    for (const td of row.querySelectorAll('td[data-field]')) out[td.dataset.field] = JSON.parse(td.dataset.value ?? 'null');
    return out;"""
MATCH_TABLE = """
    const out = {};
    for (const td of document.querySelectorAll('#match-table td[data-field]')) out[td.dataset.field] = JSON.parse(td.dataset.value ?? 'null');
    return out;"""
LOG = "return [...document.querySelectorAll('#event-log li')].map((li) => ({name: li.dataset.name || null, cls: li.className, text: li.textContent}));"


def http_json(url, body=None):
    """GET `url`, or POST `body` as JSON, and the JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=5) as response:
        return json.loads(response.read())


def close(a, b, tolerance=1e-6):
    """Values equal as the page and the server's JSON hold them (numbers to within rounding)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tolerance) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= tolerance
    return a == b


class Suite(BrowserSuite):
    def __init__(self, binary, artifacts):
        super().__init__(binary, artifacts)
        self.folder = tempfile.mkdtemp(prefix="tw-browser-inspect-")

    def status(self, browser):
        return browser.js_or_none("const s = document.getElementById('status');"
                                  "return s && {state: s.dataset.state || null, text: s.textContent.trim()};")

    def wait_state(self, browser, state):
        return wait_until(lambda: (lambda s: s if s and s["state"] == state else None)(self.status(browser)),
                          TIMEOUT, f"{browser.name}: #status[data-state={state}]", lambda: self.status(browser))

    def open(self, browser, path):
        browser.driver.get(self.server.http + path)
        wait_until(lambda: browser.js("return document.readyState") == "complete", TIMEOUT,
                   f"{browser.name}: {path} to load")

    def hold(self, browser, key, until):
        browser.js("if (document.activeElement && document.activeElement !== document.body)"
                   " document.activeElement.blur();")
        ActionChains(browser.driver).key_down(key).perform()
        try:
            return until()
        finally:
            ActionChains(browser.driver).key_up(key).perform()

    def server_state(self):
        return http_json(f"{self.server.http}/matches/{self.match}/state")

    def my_drone(self):
        drones = self.server_state()["entities"]["drone"]
        return next((d for d in drones if d["player"] == self.player), None)

    # ---- the checks, in order --------------------------------------------

    def start_server(self):
        shutil.copytree(FIXTURE, os.path.join(self.folder, "drones"))
        shutil.copytree(os.path.join(ROOT, "games", "arena"), os.path.join(self.folder, "arena"))
        os.makedirs(os.path.join(self.folder, "broken"))
        with open(os.path.join(self.folder, "broken", "game.lua"), "w") as f:
            f.write("local game = { name = 'broken' }\n\nlocal x = = 1\nreturn game\n")
        port = free_port()
        self.server = Server(self.binary, port, self.artifacts, name="inspect-server",
                             arguments=["serve", self.folder, "--dev", "--host", "127.0.0.1", "--port", str(port),
                                        "--web", "web"])
        self.server.start()
        ok(f"tickwire serve --dev on {self.server.http} (drones, arena, broken)")

    def lobby_links_the_inspector(self):
        b1 = self.b1 = self.open_browser("browser1")
        self.open(b1, "/inspect")
        wait_until(lambda: b1.js("return document.querySelectorAll('#picker-list a[href=\"/inspect?game=drones\"]').length"),
                   TIMEOUT, "browser1: the picker to link /inspect?game=drones",
                   lambda: b1.js("return document.getElementById('picker-list').textContent"))
        self.console_is_clean(b1, "after loading /inspect")
        ok("/inspect lists every game with a link to join it, console clean")

    def joins_a_game_it_never_heard_of(self):
        b1 = self.b1
        self.open(b1, "/inspect?game=drones")
        self.wait_state(b1, "playing")
        w = wait_until(lambda: b1.js_or_none(WELCOME), TIMEOUT, "browser1: a welcome")
        self.match, self.player = w["match"], w["player"]
        controls = b1.js("return [...document.querySelectorAll('#controls input')].map((i) => i.id + ':' + i.type)")
        check(sorted(controls) == ["input-boost:checkbox", "input-dx:range", "input-dz:range"],
              f"controls generated from the input schema (boost, dx, dz), got {controls}")
        kinds = b1.js("return [...document.querySelectorAll('#tables table')].map((t) => t.dataset.kind)")
        check(kinds == ["beacon", "drone"], f"a table per kind, got {kinds}")
        notice = wait_until(lambda: b1.js("const p = document.querySelector('#dev-notices [data-game=\"broken\"]');"
                                          " return p && p.textContent;"),
                            TIMEOUT, "browser1: the dev notice of the broken game")
        check("game.lua:3" in notice, f"the load error names game.lua:3, got {notice!r}")
        ok(f"/inspect?game=drones joins match {self.match} as player {self.player}: controls boost/dx/dz, tables "
           f"beacon/drone; the broken game's error shows with its line")

    def keys_move_the_drone(self):
        b1 = self.b1
        start = wait_until(self.my_drone, TIMEOUT, f"player {self.player}'s drone in the server's state")
        moved = self.hold(b1, Keys.ARROW_RIGHT, lambda: wait_until(
            lambda: (lambda d: d if d and d["pos"]["x"] >= start["pos"]["x"] + 2 else None)(self.my_drone()),
            TIMEOUT, "the server's drone to move +x while → is held", self.my_drone))
        up = self.hold(b1, Keys.ARROW_UP, lambda: wait_until(
            lambda: (lambda d: d if d and d["pos"]["z"] >= start["pos"]["z"] + 2 else None)(self.my_drone()),
            TIMEOUT, "the server's drone to move +z while ↑ is held", self.my_drone))
        check(b1.js("return window.inspector.view.drawn.has(arguments[0])", start["id"]),
              "the view draws the drone (a vec3 position)")
        ok(f"→ and ↑ (dx, dz) move the server's drone {start['id']}: x {start['pos']['x']} → {moved['pos']['x']}, "
           f"z {start['pos']['z']} → {up['pos']['z']}")
        self.drone = start["id"]

    def tables_show_the_servers_values(self):
        b1 = self.b1

        def same():
            server = self.server_state()
            mine = next(d for d in server["entities"]["drone"] if d["id"] == self.drone)
            page = b1.js(ROW, self.drone)
            expected = {k: v for k, v in mine.items() if k != "id"}
            match = b1.js(MATCH_TABLE)
            return (page, match) if page and close(page, expected) and close(match, server["match"]) else None
        page, match = wait_until(same, TIMEOUT, "browser1: the drone's row and the match fields to equal the server's state",
                                 lambda: (b1.js(ROW, self.drone), self.my_drone()))
        beacons = b1.js("return document.querySelectorAll('#tables table[data-kind=beacon] tbody tr').length")
        check(beacons == 2, f"two beacons in the table, got {beacons}")
        ok(f"the table holds the server's values: pos {page['pos']}, rot {page['rot']}, heading {page['heading']:.4f}, "
           f"beacon #{page['beacon']}, match {match}")

    def events_reach_the_log(self):
        b1 = self.b1
        self.hold(b1, Keys.SPACE, lambda: wait_until(
            lambda: any(e["name"] == "boosted" and "private" in e["cls"] for e in b1.js(LOG)),
            TIMEOUT, "browser1: the private event boosted in the log", lambda: b1.js(LOG)[:5]))
        wait_until(lambda: any(e["name"] == "beat" and "broadcast" in e["cls"] for e in b1.js(LOG)),
                   TIMEOUT, "browser1: the broadcast event beat in the log", lambda: b1.js(LOG)[:5])
        b1.driver.find_element(By.ID, "event-filter").send_keys("boosted")
        shown = b1.js("return [...document.querySelectorAll('#event-log li')].filter((li) => !li.hidden).map((li) => li.dataset.name)")
        check(shown and all(n == "boosted" for n in shown), f"the filter keeps only boosted lines, got {shown}")
        ok(f"a private (boosted) and a broadcast (beat) event reach the log; the filter keeps {len(shown)} boosted line(s)")

    def a_saved_edit_shows_a_reload_notice(self):
        b1 = self.b1
        rules = os.path.join(self.folder, "drones", "game.lua")
        with open(rules) as f:
            source = f.read()
        # A new field changes the schema: the server sends a new welcome (the SDK's reload event).
        edited = source.replace('match.label = 1, "inspector fixture"', 'match.label = 1, "reloaded fixture"') \
                       .replace('boosting = "bool",\n  },', 'boosting = "bool",\n    battery = "u8",\n  },')
        check(edited.count("reloaded fixture") == 1 and "battery" in edited, "the edit applies to the fixture's game.lua")
        with open(rules, "w") as f:
            f.write(edited)
        notice = wait_until(lambda: b1.js("const p = document.querySelector('#dev-notices .reload'); return p && p.textContent;"),
                            TIMEOUT, "browser1: a reload notice")
        wait_until(lambda: b1.js(MATCH_TABLE).get("label") == "reloaded fixture", TIMEOUT,
                   "browser1: the match table to show the reloaded rules' label", lambda: b1.js(MATCH_TABLE))
        columns = b1.js("return [...document.querySelectorAll('#tables table[data-kind=drone] thead th')].map((th) => th.textContent)")
        check("battery" in columns, f"the drone table gains the new field's column, got {columns}")
        ok(f"a saved edit of the fixture reaches the page: {notice!r}, label 'reloaded fixture', new column battery")

    def a_second_browser_spectates(self):
        b2 = self.b2 = self.open_browser("browser2")
        self.open(b2, f"/inspect?match={self.match}")
        self.wait_state(b2, "spectating")
        wait_until(lambda: b2.js(ROW, self.drone), TIMEOUT, "browser2: the drone's row")
        wait_until(lambda: b2.js("return window.inspector.view.drawn.has(arguments[0])", self.drone), TIMEOUT,
                   "browser2: the view to draw the drone")
        check(b2.js("return document.getElementById('controls-card').hidden"), "a spectator has no controls")
        self.console_is_clean(b2, "spectating")
        ok(f"/inspect?match={self.match} spectates: the drone is in the table and the view")

    def a_spectator_follows_a_player(self):
        b2 = self.b2
        link = wait_until(lambda: b2.js("const a = document.querySelector('#players a.follow');"
                                        "return a && a.getAttribute('href');"), TIMEOUT,
                          "browser2: a 'watch their view' link in the players panel")
        check(f"follow={self.player}" in link, f"the link follows player {self.player}, got {link}")
        b2.js("document.querySelector('#players a.follow').click();")
        wait_until(lambda: f"follow={self.player}" in b2.driver.current_url, TIMEOUT, "browser2: the follow page")
        self.wait_state(b2, "spectating")
        wait_until(lambda: b2.js(ROW, self.drone), TIMEOUT, "browser2: the followed player's drone in its table")
        players = wait_until(lambda: (lambda t: t if f"watches what player {self.player} sees" in t else None)(
            b2.js("return document.getElementById('players').textContent")), TIMEOUT, "browser2: the players panel")
        self.console_is_clean(b2, "following a player")
        ok(f"the players panel links to player {self.player}'s view; /inspect?match=…&follow={self.player} shows it: {players[:60]!r}")

    def screenshot_of_the_fixture(self):
        b1 = self.b1
        b1.driver.find_element(By.ID, "event-filter").clear()
        b1.js("document.getElementById('event-filter').dispatchEvent(new Event('input')); window.scrollTo(0, 0);")
        self.frames(b1, 5)
        path = os.path.join(self.artifacts, "inspect-drones.png")
        b1.driver.save_screenshot(path)
        self.console_is_clean(b1, "driving the fixture")
        ok(f"screenshot of the inspector on the fixture: {path}")

    def a_replay_plays_pauses_and_seeks(self):
        b2 = self.b2
        folder = tempfile.mkdtemp(prefix="tw-browser-inspect-replay-")
        replay = None
        try:
            run = subprocess.run([self.binary, "bots", "games/arena", "--matches", "1", "--players", "4",
                                  "--ticks", "600", "--seed", "7", "--record", folder, "--quiet"],
                                 cwd=ROOT, capture_output=True, text=True, timeout=60)
            check(run.returncode == 0, f"tickwire bots --record exits 0, got {run.returncode}: {run.stderr}")
            files = sorted(os.listdir(folder))
            port = free_port()
            replay = Server(self.binary, port, self.artifacts, name="inspect-replay",
                            arguments=["replay", os.path.join(folder, files[0]), "--serve", "--host", "127.0.0.1",
                                       "--port", str(port), "--web", "web"])
            replay.start()
            status = lambda: http_json(replay.http + "/replay")  # noqa: E731
            b2.driver.get(replay.http + "/inspect")
            self.wait_state(b2, "spectating")
            wait_until(lambda: b2.js("return !document.getElementById('replay-bar').hidden"), TIMEOUT,
                       "browser2: the replay bar")
            first = wait_until(lambda: b2.js(STATE_TICK), TIMEOUT, "browser2: a tick of the replay")
            wait_until(lambda: (b2.js(STATE_TICK) or 0) > first + 10, TIMEOUT, "browser2: the replay to play")
            b2.js("window.scrollTo(0, 0)")
            wait_until(lambda: b2.js("return !['–', '0 Hz'].includes(document.getElementById('stat-rate').textContent)"),
                       TIMEOUT, "browser2: the stats of a whole second")
            self.frames(b2, 20)
            path = os.path.join(self.artifacts, "inspect-arena.png")
            b2.driver.save_screenshot(path)

            b2.driver.find_element(By.ID, "replay-play").click()
            wait_until(lambda: status()["paused"], TIMEOUT, "the Pause button to pause the replay")
            held = status()["tick"]
            wait_until(lambda: b2.js(STATE_TICK) == held, TIMEOUT, f"browser2: the page to hold paused tick {held}",
                       lambda: b2.js(STATE_TICK))

            for target in [100, 450]:
                b2.js("const s = document.getElementById('replay-scrub'); s.value = arguments[0];"
                      " s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change'));", target)
                wait_until(lambda: b2.js(STATE_TICK) == target and status()["tick"] == target, TIMEOUT,
                           f"browser2: the scrubber to seek to tick {target}",
                           lambda: (b2.js(STATE_TICK), status()["tick"]))
                ships = b2.js("return document.querySelectorAll('#tables table[data-kind=ship] tbody tr').length")
                check(ships == 4, f"the 4 ships in the table after seeking to {target}, got {ships}")
            check(status()["paused"], "a seek keeps the replay paused")
            b2.driver.find_element(By.ID, "replay-play").click()
            wait_until(lambda: (b2.js(STATE_TICK) or 0) > 460, TIMEOUT, "browser2: the replay to play on after the seek",
                       lambda: b2.js(STATE_TICK))
            self.console_is_clean(b2, "watching a replay")
            b2.driver.get("about:blank")
            ok(f"tickwire replay --serve in /inspect: plays, pauses at {held}, seeks to 100 and 450, plays on; "
               f"screenshot {path}")
        finally:
            if replay:
                code = replay.stop(timeout=20)
                check(code == 0, f"SIGTERM stops tickwire replay --serve with exit status 0, got {code}")
            shutil.rmtree(folder, ignore_errors=True)

    def frames(self, browser, count):
        browser.driver.execute_async_script(
            "const done = arguments[arguments.length - 1]; let n = arguments[0];"
            "const frame = () => (--n <= 0 ? done(true) : requestAnimationFrame(frame));"
            "requestAnimationFrame(frame);", count)

    def run(self):
        self.start_server()
        self.lobby_links_the_inspector()
        self.joins_a_game_it_never_heard_of()
        self.keys_move_the_drone()
        self.tables_show_the_servers_values()
        self.events_reach_the_log()
        self.a_saved_edit_shows_a_reload_notice()
        self.a_second_browser_spectates()
        self.a_spectator_follows_a_player()
        self.screenshot_of_the_fixture()
        self.a_replay_plays_pauses_and_seeks()
        self.console_is_clean(self.b1, "at the end")

    def close(self):
        failure = super().close()
        shutil.rmtree(self.folder, ignore_errors=True)
        return failure


def main():
    run_suite(Suite, "inspector", "The inspector in headless Chromium against a live server.", SUITE_LIMIT)


if __name__ == "__main__":
    main()
