#!/usr/bin/env python3
"""The chat page (web/chat.html) and games/chat in a real browser: headless
Chromium driven by Selenium, against the real `tickwire serve` started here
on 127.0.0.1 (with `--param banned=frack`).

    python3 Tests/browser/test_chat.py --tickwire .build/debug/tickwire

In order: /chat loads with a clean console; browser1 opens a room and its
address becomes /chat?match=ID; browser2 finds the room in the list and
joins it; each sees the other in the members and the other's line; a banned
word reaches browser2 masked and browser1 is told; browser2 floods the room,
is told it is over the rate limit and muted, and its extra lines never reach
browser1; a network bot (`tickwire bots games/chat --connect`) joins the
room and its line appears (screenshot: chat.png in the artifacts folder);
the consoles are still clean.

Prints one line per check; at the first failure a line starting with FAIL,
a screenshot, the page and the console log of each browser in the artifacts
folder ($TICKWIRE_ARTIFACTS, default .build/test-artifacts), the server's
and the bots' logs, and exit status 1. Every wait is bounded; the whole run
is stopped after SUITE_LIMIT seconds. Needs chromium, chromium-driver (apt)
and selenium (pip).
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# harness first: without selenium it ends the run with a FAIL line.
from harness import TIMEOUT, BrowserSuite, CheckFailed, check, ok, run_suite, wait_until
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

#: Seconds the whole suite may take before it is stopped as hung.
SUITE_LIMIT = 90
#: Lines browser2 sends at once: more than the rate limit (4 in 5 s) lets
#: through and enough strikes (3) to be muted.
FLOOD = 8
#: Seconds the network bot plays; it says its first line within 3 s.
BOT_SECONDS = 8

# Read from the page: the welcome of its client, and its lines.
WELCOME = """const c = window.chat && window.chat.client;
    if (!c || !c.welcome) return null;
    return {player: c.welcome.player, match: c.welcome.match};"""
LINES = """return [...document.querySelectorAll('#lines li')].map((li) => ({
      kind: li.classList.contains('line') ? 'line' : li.classList.contains('notice-line') ? 'notice'
          : li.classList.contains('system') ? 'system' : 'other',
      notice: li.dataset.kind || null,
      who: (li.querySelector('.who') || {}).textContent || null,
      text: li.querySelector('.text') ? li.querySelector('.text').textContent : li.textContent}));"""
MEMBERS = "return [...document.querySelectorAll('#members li .name')].map((n) => n.textContent);"


class Suite(BrowserSuite):
    def __init__(self, binary, artifacts):
        super().__init__(binary, artifacts)
        self.bots_log = os.path.join(artifacts, "chat-bots.log")

    # ---- the page --------------------------------------------------------

    def open(self, name):
        browser = self.open_browser(name)
        browser.driver.get(self.server.http + "/chat")
        wait_until(lambda: browser.js("return document.readyState") == "complete", TIMEOUT,
                   f"{name}: the page at /chat to load")
        for selector in ["#rooms", "#name", "#create", "#room-list", "#room", "#lines", "#members", "#line",
                         "#leave", "#status"]:
            check(browser.driver.find_elements(By.CSS_SELECTOR, selector), f"{name}: the page has {selector}")
        # The list has answered once it shows rooms or says there are none: the modules have run.
        wait_until(lambda: browser.js("return document.getElementById('room-list').textContent.trim() !== ''"),
                   TIMEOUT, f"{name}: the room list to answer")
        return browser

    def name(self, browser, name):
        field = browser.driver.find_element(By.ID, "name")
        field.clear()
        field.send_keys(name)

    def wait_in_room(self, browser):
        state = lambda: browser.js("return document.getElementById('status').dataset.state || null")  # noqa: E731
        wait_until(lambda: state() == "playing", TIMEOUT, f"{browser.name}: #status[data-state=playing]", state)
        return wait_until(lambda: browser.js(WELCOME), TIMEOUT, f"{browser.name}: a welcome into the room")

    def say(self, browser, text):
        box = browser.driver.find_element(By.ID, "line")
        box.send_keys(text + Keys.ENTER)

    def lines(self, browser, kind=None):
        return [line for line in browser.js(LINES) if kind is None or line["kind"] == kind]

    def wait_line(self, browser, predicate, what):
        return wait_until(lambda: next((line for line in self.lines(browser) if predicate(line)), None), TIMEOUT,
                          f"{browser.name}: {what}", lambda: self.lines(browser)[-8:])

    # ---- the checks, in order --------------------------------------------

    def page_loads_clean(self):
        self.b1 = self.open("browser1")
        self.console_is_clean(self.b1, "after loading /chat")
        ok("/chat loads the room list with every element of the page's contract, console clean")

    def a_room_is_opened(self):
        b1 = self.b1
        self.name(b1, "Ann")
        b1.driver.find_element(By.ID, "create").click()
        w = self.wait_in_room(b1)
        self.match = w["match"]
        url = b1.driver.current_url
        check(url.endswith(f"/chat?match={self.match}"), f"browser1's address names the room, got {url}")
        check(b1.driver.find_element(By.ID, "room").is_displayed(), "browser1: #room shows once in the room")
        wait_until(lambda: "Ann (you)" in b1.js(MEMBERS), TIMEOUT, "browser1: itself among the members",
                   lambda: b1.js(MEMBERS))
        ok(f"New room opens room {self.match} (POST /matches) and joins it as Ann; the address is {url}")

    def a_second_browser_joins_from_the_list(self):
        b2 = self.b2 = self.open("browser2")
        self.name(b2, "Bob")
        selector = f'#room-list button[data-match="{self.match}"]'

        def click():
            try:
                found = [b for b in b2.driver.find_elements(By.CSS_SELECTOR, selector) if b.is_displayed()]
                if found:
                    found[0].click()
                    return True
            except StaleElementReferenceException:
                pass  # the list was redrawn under us: look again
            return False
        wait_until(click, TIMEOUT, f"browser2: the list to show room {self.match}",
                   lambda: b2.driver.find_element(By.ID, "room-list").text)
        w = self.wait_in_room(b2)
        check(w["match"] == self.match, f"browser2 joins room {self.match}, got {w['match']}")
        for browser, other in [(self.b1, "Bob"), (b2, "Ann")]:
            wait_until(lambda: other in browser.js(MEMBERS), TIMEOUT, f"{browser.name}: {other} among the members",
                       lambda: browser.js(MEMBERS))
        self.wait_line(self.b1, lambda line: line["kind"] == "system" and "Bob joined" in line["text"],
                       "a line saying Bob joined")
        ok(f"browser2 joins room {self.match} from the list as Bob; both list Ann and Bob as members")

    def both_chat(self):
        self.say(self.b1, "hello from Ann")
        self.say(self.b2, "hi Ann, Bob here")
        for browser in [self.b1, self.b2]:
            for who, text in [("Ann", "hello from Ann"), ("Bob", "hi Ann, Bob here")]:
                self.wait_line(browser, lambda line: line["kind"] == "line" and line["who"] == who
                               and line["text"] == text, f"{who}'s line {text!r}")
        check(self.b1.driver.find_element(By.ID, "line").get_attribute("value") == "",
              "the line box is emptied once the line is sent")
        ok("Enter sends the line: each browser sees Ann's and Bob's lines")

    def a_banned_word_is_masked(self):
        self.say(self.b1, "what a frack of a day")
        self.wait_line(self.b2, lambda line: line["kind"] == "line" and line["text"] == "what a ***** of a day",
                       "Ann's line with the banned word masked")
        notice = self.wait_line(self.b1, lambda line: line["notice"] == "masked", "a notice that a word was masked")
        check(not any("frack" in line["text"] for line in self.lines(self.b2)),
              "the banned word never reaches browser2")
        ok(f"a banned word (--param banned=frack) reaches browser2 masked; browser1 is told: {notice['text']!r}")

    def a_flood_is_rate_limited(self):
        b1, b2 = self.b1, self.b2
        sent = [f"spam {i}" for i in range(1, FLOOD + 1)]
        for text in sent:
            self.say(b2, text)
        # Each line over the limit is answered by a notice: once all have
        # been answered, the room has decided about every line.
        said_by_bob = lambda browser: [line["text"] for line in self.lines(browser, "line")  # noqa: E731
                                       if line["who"] == "Bob" and line["text"].startswith("spam ")]
        notices = lambda: [line for line in self.lines(b2, "notice")  # noqa: E731
                           if line["notice"] in ("rate", "muted")]
        wait_until(lambda: len(said_by_bob(b2)) + len(notices()) >= FLOOD, TIMEOUT,
                   f"browser2: each of its {FLOOD} lines said or answered by a notice",
                   lambda: (said_by_bob(b2), [n["text"] for n in notices()]))
        passed = said_by_bob(b2)
        check(3 <= len(passed) <= 4 and passed == sent[:len(passed)],
              f"the first lines of the flood pass (4 in 5 s, Bob's earlier line counting), got {passed}")
        kinds = [n["notice"] for n in notices()]
        check("rate" in kinds and "muted" in kinds, f"browser2 is told it is over the limit, then muted: {kinds}")
        self.wait_line(b1, lambda line: line["kind"] == "system" and "Bob is muted" in line["text"],
                       "a line saying Bob is muted")
        wait_until(lambda: "muted" in b1.js("return document.querySelector('#members li.muted')?.textContent || ''"),
                   TIMEOUT, "browser1: Bob shown as muted among the members")
        # Events reach each member in order: once browser1 sees a line Ann
        # says now, it has seen every line the room let through before.
        self.say(b1, "after the flood")
        self.wait_line(b1, lambda line: line["kind"] == "line" and line["text"] == "after the flood",
                       "Ann's line after the flood")
        at_ann = said_by_bob(b1)
        check(at_ann == passed, f"browser1 sees exactly the lines that passed, {passed}, got {at_ann}")
        ok(f"a flood of {FLOOD} lines: {len(passed)} pass, browser2 is told {kinds[0]!r} then muted "
           f"({notices()[-1]['text']!r}); browser1 never sees the rest")

    def a_bot_chats(self):
        self.start_bots(["games/chat", "--connect", self.server.ws, "--players", "1",
                         "--duration", str(BOT_SECONDS), "--quiet"])
        joined = self.wait_line(self.b1, lambda line: line["kind"] == "system" and line["text"].startswith("bot-")
                                and "joined" in line["text"], "a line saying a bot joined")
        line = wait_until(lambda: next((line for line in self.lines(self.b1, "line")
                                        if (line["who"] or "").startswith("bot-")), None),
                          BOT_SECONDS, "browser1: a line said by the bot", lambda: self.lines(self.b1)[-8:])
        try:
            status = self.bots.wait(BOT_SECONDS + TIMEOUT)
        except subprocess.TimeoutExpired:
            raise CheckFailed(f"tickwire bots did not exit within {BOT_SECONDS + TIMEOUT:g} s")
        check(status == 0, f"tickwire bots exits with 0, got {status}:\n{self.bots_text()}")
        self.bots = None
        self.b1.driver.save_screenshot(os.path.join(self.artifacts, "chat.png"))
        ok(f"a network bot joins the room ({joined['text']!r}) and says {line['text']!r}; tickwire bots exits 0; "
           f"screenshot chat.png")

    def consoles_still_clean(self):
        for browser in self.browsers:
            self.console_is_clean(browser, "after chatting")
        ok(f"no console errors or warnings in {len(self.browsers)} browsers after chatting")

    def run(self):
        self.serve("chat-server", ["banned=frack"])
        self.page_loads_clean()
        self.a_room_is_opened()
        self.a_second_browser_joins_from_the_list()
        self.both_chat()
        self.a_banned_word_is_masked()
        self.a_flood_is_rate_limited()
        self.a_bot_chats()
        self.consoles_still_clean()


def main():
    run_suite(Suite, "chat browser", "The chat page in headless Chromium against a live server.", SUITE_LIMIT)


if __name__ == "__main__":
    main()
