#!/usr/bin/env python3
"""The world page (web/world.html) and games/world in a real browser:
headless Chromium driven by Selenium, against the real `tickwire serve`
started here on 127.0.0.1, with network bots (`tickwire bots games/world
--connect`) in the same match.

    python3 Tests/browser/test_world.py --tickwire .build/debug/tickwire

In order: /world loads with a clean console; BOTS bots join a world match;
Play puts the browser in their match; it is sent its own blob and only the
pellets and blobs within the view radius of it, while the leaderboard names
blobs from all over the map and the HUD shows the player's rank; the
pointer steers the blob across the map, and as it goes every pellet it was
first sent leaves the view and others arrive, always within the radius
(screenshot: world.png in the artifacts folder); the console is still
clean.

Prints one line per check; at the first failure a line starting with FAIL,
a screenshot, the page and the console log in the artifacts folder
($TICKWIRE_ARTIFACTS, default .build/test-artifacts), the server's and the
bots' logs, and exit status 1. Every wait is bounded; the whole run is
stopped after SUITE_LIMIT seconds. Needs chromium, chromium-driver (apt) and
selenium (pip).
"""

import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# harness first: without selenium it ends the run with a FAIL line.
from harness import TIMEOUT, BrowserSuite, CheckFailed, check, ok, run_suite, wait_until
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

#: Seconds the whole suite may take before it is stopped as hung.
SUITE_LIMIT = 120
#: Network bots in the match: enough to fill the leaderboard, few enough
#: that most of them are out of the browser's view on an 8000-unit map.
BOTS = 20
#: Seconds the bots play; they are stopped when the checks are done.
BOT_SECONDS = 90
#: The game's interest radius (games/world/game.lua VIEW).
RADIUS = 600
#: How far the blob is steered: more than twice the radius, so that no
#: pellet of the first view is still in the last.
TRAVEL = 2 * RADIUS + 200
#: Seconds the blob may take to travel that far (about 300 units a second).
TRAVEL_SECONDS = 20

# Read from the page: the client's state as the server sent it (not
# interpolated), the player's blob and what lies around it.
VIEW = """const c = window.world && window.world.client;
    if (!c || !c.welcome || !c.state) return null;
    const me = c.welcome.player;
    const all = [...c.state.entities.values()];
    const blob = all.filter((e) => e.kind === 'blob' && e.fields.owner === me).sort((a, b) => a.id - b.id)[0];
    if (!blob) return null;
    const placed = all.filter((e) => e.kind === 'food' || e.kind === 'blob');
    const far = placed.map((e) => ({id: e.id, kind: e.kind, d: Math.hypot(e.fields.x - blob.fields.x, e.fields.y - blob.fields.y)}))
                      .filter((e) => e.d > %RADIUS% + 0.01);
    return {tick: c.state.tick, me, match: c.welcome.match, x: blob.fields.x, y: blob.fields.y, r: blob.fields.r,
            rank: blob.fields.rank, blobs: c.state.match.blobs, size: c.state.match.size,
            food: placed.filter((e) => e.kind === 'food').map((e) => e.id),
            others: placed.filter((e) => e.kind === 'blob' && e.id !== blob.id).map((e) => e.id),
            leaders: all.filter((e) => e.kind === 'leader' && e.fields.player).length, far};""".replace("%RADIUS%", str(RADIUS))
BOARD = """return [...document.querySelectorAll('#board li')].map((li) =>
    li.querySelector('.name').textContent + ' (' + li.querySelector('.mass').textContent + ')');"""
# Counts what arrives and leaves from now on, by kind.
COUNT = """const c = window.world.client;
    window.worldTest = {added: {}, removed: {}};
    c.on('added', (e) => { window.worldTest.added[e.kind] = (window.worldTest.added[e.kind] || 0) + 1; });
    c.on('removed', (e) => { window.worldTest.removed[e.kind] = (window.worldTest.removed[e.kind] || 0) + 1; });"""


class Suite(BrowserSuite):
    def __init__(self, binary, artifacts):
        super().__init__(binary, artifacts)
        self.browser = None
        self.bots_log = os.path.join(artifacts, "world-bots.log")

    def view(self):
        return self.browser.js_or_none(VIEW)

    def world_matches(self):
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                f"{self.server.http}/matches", timeout=2) as response:
            return [m for m in json.load(response) if m.get("game") == "world"]

    # ---- the checks, in order --------------------------------------------

    def page_loads_clean(self):
        browser = self.browser = self.open_browser("browser")
        browser.driver.get(self.server.http + "/world")
        wait_until(lambda: browser.js("return document.readyState") == "complete", TIMEOUT, "the page at /world to load")
        for selector in ["#start", "#name", "#play", "#world", "#view", "#board", "#minimap", "#leave", "#status"]:
            check(browser.driver.find_elements(By.CSS_SELECTOR, selector), f"the page has {selector}")
        wait_until(lambda: browser.js("return document.getElementById('name').placeholder !== 'Blob'"), TIMEOUT,
                   "the page's module to run (it names the player)")
        self.console_is_clean(browser, "after loading /world")
        ok("/world loads the start card with every element of the page's contract, console clean")

    def bots_join(self):
        self.start_bots(["games/world", "--connect", self.server.ws, "--players", str(BOTS),
                         "--duration", str(BOT_SECONDS), "--matchmaking", "--quiet"])
        match = wait_until(lambda: next((m for m in self.world_matches() if m.get("players") == BOTS), None),
                           TIMEOUT * 2, f"{BOTS} bots in one world match", self.world_matches)
        self.bots_match = match["id"]
        ok(f"{BOTS} network bots play world match {self.bots_match}")

    def the_player_joins_and_sees_only_what_is_near(self):
        browser = self.browser
        field = browser.driver.find_element(By.ID, "name")
        field.clear()
        field.send_keys("Ann")
        browser.driver.find_element(By.ID, "play").click()
        state = lambda: browser.js("return document.getElementById('status').dataset.state || null")  # noqa: E731
        wait_until(lambda: state() == "playing", TIMEOUT, "#status[data-state=playing]", state)
        view = wait_until(self.view, TIMEOUT, "the player's own blob to arrive")
        check(view["match"] == self.bots_match, f"Play joins the bots' match {self.bots_match}, got {view['match']}")
        check(browser.driver.current_url.endswith(f"/world?match={view['match']}"),
              f"the address names the match, got {browser.driver.current_url}")
        view = wait_until(lambda: (lambda v: v if v and v["blobs"] == BOTS + 1 and v["rank"] else None)(self.view()),
                          TIMEOUT, f"{BOTS + 1} players in the match and a rank for the player", self.view)
        check(not view["far"], f"nothing farther than {RADIUS} from the blob is sent: {view['far'][:5]}")
        check(len(view["food"]) > 10, f"the pellets around the blob arrive, got {len(view['food'])}")
        check(len(view["others"]) < BOTS, f"the bots far away are not sent: {len(view['others'])} of {BOTS} in view")
        board = wait_until(lambda: (lambda rows: rows if len(rows) == 5 else None)(browser.js(BOARD)), TIMEOUT,
                           "5 rows on the leaderboard", lambda: browser.js(BOARD))
        check(view["leaders"] == 5, f"the leaderboard's 5 rows are sent wherever the blob is, got {view['leaders']}")
        rank = browser.driver.find_element(By.ID, "my-rank").text
        check(f"of {BOTS + 1}" in rank, f"the HUD shows the player's rank, got {rank!r}")
        self.first = view
        ok(f"joined as player {view['me']} at ({view['x']:.0f}, {view['y']:.0f}): sent {len(view['food'])} pellets "
           f"and {len(view['others'])} of {BOTS} bots, all within {RADIUS}; the board shows {board[0]!r}…; {rank!r}")

    def steering_moves_the_view(self):
        browser, start = self.browser, self.first
        browser.js(COUNT)
        # Head along the axis with the most room, so the map's edge does not stop the blob.
        room = {(1, 0): start["size"] - start["x"], (-1, 0): start["x"], (0, 1): start["size"] - start["y"],
                (0, -1): start["y"]}
        (ux, uy), _ = max(room.items(), key=lambda item: item[1])
        canvas = browser.driver.find_element(By.ID, "view")
        # Selenium's offsets are from the canvas's centre, where the blob is drawn; y is down on screen.
        ActionChains(browser.driver).move_to_element_with_offset(canvas, int(ux * 250), int(-uy * 250)).perform()

        def travelled():
            v = self.view()
            return v if v and abs(v["x"] - start["x"]) + abs(v["y"] - start["y"]) > TRAVEL else None
        seen_far, samples = [], 0
        deadline = time.monotonic() + TRAVEL_SECONDS
        end = None
        while end is None:
            v = self.view()
            if v:
                samples += 1
                seen_far.extend(v["far"])
            end = travelled()
            if end is None and time.monotonic() >= deadline:
                raise CheckFailed(f"timed out after {TRAVEL_SECONDS} s waiting for the blob to travel {TRAVEL} units "
                                  f"(from {start['x']:.0f}, {start['y']:.0f}; now {v and (round(v['x']), round(v['y']))})")
            time.sleep(0.1)
        check(not seen_far, f"on the way, nothing farther than {RADIUS} from the blob was sent: {seen_far[:5]}")
        stayed = set(start["food"]) & set(end["food"])
        check(not stayed, f"every pellet of the first view has left it, but {sorted(stayed)[:5]} are still there")
        arrived = set(end["food"]) - set(start["food"])
        check(len(arrived) > 10, f"new pellets arrive on the way, got {len(arrived)}")
        counts = browser.js("return window.worldTest")
        check(counts["added"].get("food", 0) > 20 and counts["removed"].get("food", 0) > 20,
              f"pellets arrive and leave as the view moves: {counts}")
        browser.driver.save_screenshot(os.path.join(self.artifacts, "world.png"))
        ok(f"the pointer steers the blob {TRAVEL}+ units to ({end['x']:.0f}, {end['y']:.0f}); "
           f"{counts['added'].get('food', 0)} pellets arrived and {counts['removed'].get('food', 0)} left, "
           f"none of the first view stayed, none sent beyond {RADIUS} in {samples} looks; screenshot world.png")

    def console_still_clean(self):
        self.console_is_clean(self.browser, "after playing")
        ok("no console errors or warnings after playing")

    def run(self):
        self.serve("world-server")
        self.page_loads_clean()
        self.bots_join()
        self.the_player_joins_and_sees_only_what_is_near()
        self.steering_moves_the_view()
        self.console_still_clean()


def main():
    run_suite(Suite, "world browser", "The world page in headless Chromium against a live server.", SUITE_LIMIT)


if __name__ == "__main__":
    main()
