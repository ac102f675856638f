#!/usr/bin/env python3
"""The cards page (web/cards.html) and games/cards in a real browser:
headless Chromium driven by Selenium, against the real `tickwire serve`
started here on 127.0.0.1 (with `--param lobby=1 --param turn_time=60`, so
the cards are dealt a second after the second player sits down and no turn
runs out while the test plays).

    python3 Tests/browser/test_cards.py --tickwire .build/debug/tickwire

In order: /cards loads with a clean console; browser1 opens a table and its
address becomes /cards?match=ID; browser2 finds the table in the list and
sits down; the cards are dealt: each page shows its own 7 cards as buttons,
the top card, the opponent's count of 7 and whose turn it is, and neither
page's client holds or shows a card of the other's hand; a move out of turn
is refused to its player alone; the players play eight moves by clicking
(a card that follows, an 8 and a suit from the picker, or the deck), and
after each both pages agree on the top card and the counts; a third
browser that tries to sit down is sent back to the list with the game's
reason, and watches instead: it sees the table and the counts and no card
but the top one (screenshots: cards.png of a player's page, cards-watch.png
of the spectator's, in the artifacts folder); the consoles are still clean.

Prints one line per check; at the first failure a line starting with FAIL,
a screenshot, the page and the console log of each browser in the artifacts
folder ($TICKWIRE_ARTIFACTS, default .build/test-artifacts), the server's
log, and exit status 1. Every wait is bounded; the whole run is stopped
after SUITE_LIMIT seconds. Needs chromium, chromium-driver (apt) and
selenium (pip).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# harness first: without selenium it ends the run with a FAIL line.
from harness import TIMEOUT, BrowserSuite, check, ok, run_suite, wait_until
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

#: Seconds the whole suite may take before it is stopped as hung.
SUITE_LIMIT = 90
#: Moves the two players make by clicking.
MOVES = 8

# Read from the page: what its client holds (the SDK's state) ...
CLIENT = """const c = window.cards && window.cards.client;
    if (!c || !c.welcome || !c.state) return null;
    const cards = [...c.state.entities.values()].filter((e) => e.kind === 'card')
      .map((e) => ({id: e.id, owner: e.fields.owner, rank: e.fields.rank, suit: e.fields.suit}));
    const seats = [...c.state.entities.values()].filter((e) => e.kind === 'seat')
      .map((e) => ({player: e.fields.player, name: e.fields.name, cards: e.fields.cards}));
    return {player: c.welcome.player, spectator: c.welcome.spectator, match: c.welcome.match,
            tick: c.state.tick, m: c.state.match, cards, seats};"""
# ... and what it shows.
PAGE = """const text = (id) => (document.getElementById(id) || {}).textContent || '';
    return {
      hand: [...document.querySelectorAll('#hand button[data-card]')].map((b) => ({
        id: Number(b.dataset.card), rank: Number(b.dataset.rank), suit: Number(b.dataset.suit),
        text: b.textContent, enabled: !b.disabled})),
      top: document.getElementById('top').dataset.card || '',
      suit: Number(document.getElementById('suit').dataset.suit || 0),
      deck: text('deck'), phase: text('phase'),
      mine: document.getElementById('phase').dataset.mine === 'true',
      draw: !document.getElementById('draw').disabled,
      picker: !document.getElementById('suit-picker').hidden,
      seats: [...document.querySelectorAll('#seats li')].map((li) => ({
        player: Number(li.dataset.player), cards: Number(li.dataset.cards), turn: li.classList.contains('turn'),
        text: li.textContent})),
      log: [...document.querySelectorAll('#log li')].map((li) => ({text: li.textContent, kind: li.className,
        card: li.dataset.card || null}))};"""

SUITS = {1: "♣", 2: "♦", 3: "♥", 4: "♠"}
RANKS = {1: "A", 11: "J", 12: "Q", 13: "K"}


def card_text(card):
    return f"{RANKS.get(card['rank'], str(card['rank']))}{SUITS[card['suit']]}"


class Suite(BrowserSuite):
    # ---- the page --------------------------------------------------------

    def open(self, name):
        browser = self.open_browser(name)
        browser.driver.get(self.server.http + "/cards")
        wait_until(lambda: browser.js("return document.readyState") == "complete", TIMEOUT,
                   f"{name}: the page at /cards to load")
        for selector in ["#tables", "#name", "#create", "#table-list", "#table", "#seats", "#top", "#suit",
                         "#deck", "#draw", "#hand", "#suit-picker", "#log", "#phase", "#leave", "#status"]:
            check(browser.driver.find_elements(By.CSS_SELECTOR, selector), f"{name}: the page has {selector}")
        # The list has answered once it shows tables or says there are none: the modules have run.
        wait_until(lambda: browser.js("return document.getElementById('table-list').textContent.trim() !== ''"),
                   TIMEOUT, f"{name}: the table list to answer")
        return browser

    def name(self, browser, name):
        field = browser.driver.find_element(By.ID, "name")
        field.clear()
        field.send_keys(name)

    def status(self, browser):
        return browser.js("return document.getElementById('status').dataset.state || null")

    def wait_at_table(self, browser, state="playing"):
        wait_until(lambda: self.status(browser) == state, TIMEOUT, f"{browser.name}: #status[data-state={state}]",
                   lambda: self.status(browser))
        return wait_until(lambda: browser.js(CLIENT), TIMEOUT, f"{browser.name}: a welcome and a first state")

    def client(self, browser):
        return browser.js(CLIENT)

    def page(self, browser):
        return browser.js(PAGE)

    def click_in_list(self, browser, selector, what):
        def click():
            try:
                found = [b for b in browser.driver.find_elements(By.CSS_SELECTOR, selector) if b.is_displayed()]
                if found:
                    found[0].click()
                    return True
            except StaleElementReferenceException:
                pass  # the list was redrawn under us: look again
            return False
        wait_until(click, TIMEOUT, f"{browser.name}: {what}", lambda: browser.driver.find_element(By.ID, "table-list").text)

    def hidden_hands_hold(self, when):
        """Each player's client holds its own cards and the top one, nothing
        more; the page shows exactly the cards it owns; the two hands share
        no card and neither page names a card of the other's hand."""
        states = {b.name: self.client(b) for b in self.players}
        pages = {b.name: self.page(b) for b in self.players}
        hands = {}
        for b in self.players:
            s, p = states[b.name], pages[b.name]
            top = s["m"]["top"]
            strangers = [c for c in s["cards"] if c["owner"] != s["player"] and c["id"] != top]
            check(not strangers, f"{b.name} holds no card of another hand or of the deck {when}, got {strangers}")
            owned = sorted(c["id"] for c in s["cards"] if c["owner"] == s["player"])
            shown = sorted(c["id"] for c in p["hand"])
            check(owned == shown, f"{b.name} shows exactly its own cards {when}: owns {owned}, shows {shown}")
            seat = next(x for x in s["seats"] if x["player"] == s["player"])
            check(seat["cards"] == len(owned), f"{b.name}'s public count is its hand's size {when}")
            hands[b.name] = {c["id"]: c for c in s["cards"] if c["owner"] == s["player"]}
        a, b = self.players
        check(not set(hands[a.name]) & set(hands[b.name]), f"the two hands share no card {when}")
        for me, other in [(a, b), (b, a)]:
            shown = {c["id"] for c in pages[me.name]["hand"]}
            check(not shown & set(hands[other.name]), f"{me.name} shows none of {other.name}'s cards {when}")
        return states, pages

    # ---- the checks, in order --------------------------------------------

    def page_loads_clean(self):
        self.b1 = self.open("browser1")
        self.console_is_clean(self.b1, "after loading /cards")
        ok("/cards loads the table list with every element of the page's contract, console clean")

    def a_table_is_opened(self):
        b1 = self.b1
        self.name(b1, "Ann")
        b1.driver.find_element(By.ID, "create").click()
        s = self.wait_at_table(b1)
        self.match = s["match"]
        url = b1.driver.current_url
        check(url.endswith(f"/cards?match={self.match}"), f"browser1's address names the table, got {url}")
        check(b1.driver.find_element(By.ID, "table").is_displayed(), "browser1: #table shows once at the table")
        phase = wait_until(lambda: "Waiting for 1 more player" in self.page(b1)["phase"] and self.page(b1)["phase"],
                           TIMEOUT, "browser1: the table waiting for a second player", lambda: self.page(b1)["phase"])
        ok(f"New table opens table {self.match} (POST /matches) and sits Ann down: {phase!r}")

    def a_second_browser_sits_down(self):
        b2 = self.b2 = self.open("browser2")
        self.name(b2, "Bob")
        self.click_in_list(b2, f'#table-list button[data-action="join"][data-match="{self.match}"]',
                           f"the list to show table {self.match} with Join")
        s = self.wait_at_table(b2)
        check(s["match"] == self.match, f"browser2 sits at table {self.match}, got {s['match']}")
        self.players = [self.b1, b2]
        ok(f"browser2 sits down at table {self.match} from the list as Bob")

    def the_cards_are_dealt(self):
        for b in self.players:
            wait_until(lambda: len(self.page(b)["hand"]) == 7, TIMEOUT, f"{b.name}: a hand of 7 cards",
                       lambda: self.page(b))
        states, pages = self.hidden_hands_hold("after the deal")
        for b in self.players:
            s, p = states[b.name], pages[b.name]
            top = next(c for c in s["cards"] if c["id"] == s["m"]["top"])
            check(p["top"] == card_text(top), f"{b.name} shows the top card {card_text(top)}, got {p['top']!r}")
            check(sorted(x["cards"] for x in p["seats"]) == [7, 7], f"{b.name} shows both counts of 7: {p['seats']}")
            turn = s["m"]["turn"]
            check(p["mine"] == (turn == s["player"]), f"{b.name} says whose turn it is: {p['phase']!r}")
            check(any("The cards are dealt: 2 players, 7 cards each." == line["text"] for line in p["log"]),
                  f"{b.name}'s log tells of the deal: {p['log']}")
        self.top = pages["browser1"]["top"]
        ok(f"the cards are dealt: each page shows its own 7 cards, the top card {self.top}, both counts of 7 "
           f"and whose turn it is; neither client holds nor shows a card of the other's hand")

    def whose_turn(self):
        s = self.client(self.b1)
        return next(b for b in self.players if self.client(b)["player"] == s["m"]["turn"])

    def a_move_out_of_turn_is_refused_to_its_player(self):
        mover = self.whose_turn()
        idle = next(b for b in self.players if b is not mover)
        check(not self.page(idle)["draw"] and not any(c["enabled"] for c in self.page(idle)["hand"]),
              f"{idle.name}: the deck and every card are disabled out of turn")
        idle.js("window.cards.client.sendEvent('draw', {})")
        line = wait_until(lambda: next((x for x in self.page(idle)["log"] if x["kind"] == "refused"), None), TIMEOUT,
                          f"{idle.name}: a refusal in the log", lambda: self.page(idle)["log"])
        check(line["text"] == "Not taken: it is not your turn.", f"the refusal says why, got {line['text']!r}")
        check(not any(x["kind"] == "refused" for x in self.page(mover)["log"]), f"{mover.name} is not told")
        ok(f"a draw sent out of turn is refused to {idle.name} alone: {line['text']!r}")

    def click(self, browser, selector):
        browser.driver.find_element(By.CSS_SELECTOR, selector).click()

    def one_move(self, number):
        mover = self.whose_turn()
        other = next(b for b in self.players if b is not mover)
        before = self.client(mover)
        turns = before["m"]["turns"]
        page = wait_until(lambda: (lambda p: p if p["mine"] else None)(self.page(mover)), TIMEOUT,
                          f"{mover.name}: its page to say it is its turn")
        playable = [c for c in page["hand"] if c["enabled"]]
        plain = [c for c in playable if c["rank"] != 8]
        if plain:
            card = plain[0]
            self.click(mover, f'#hand button[data-card="{card["id"]}"]')
            move = f"plays {card['text']}"
        elif playable:
            card = playable[0]
            self.click(mover, f'#hand button[data-card="{card["id"]}"]')
            wait_until(lambda: self.page(mover)["picker"], TIMEOUT, f"{mover.name}: the suit picker for an 8")
            self.click(mover, '#suit-picker button[data-suit="3"]')
            move = f"plays {card['text']} naming hearts"
        else:
            card = None
            self.click(mover, "#draw")
            move = "draws"
        over = lambda s: s["m"]["phase"] == 3  # noqa: E731
        after = wait_until(lambda: (lambda s: s if s["m"]["turns"] > turns or over(s) else None)(self.client(other)),
                           TIMEOUT, f"move {number}: {mover.name} {move}, seen by {other.name}")
        if card:
            wait_until(lambda: self.page(other)["top"] == card["text"], TIMEOUT,
                       f"{other.name}: the top card to become {card['text']}", lambda: self.page(other)["top"])
            wait_until(lambda: self.page(mover)["top"] == card["text"], TIMEOUT,
                       f"{mover.name}: the top card to become {card['text']}", lambda: self.page(mover)["top"])
            if card["rank"] == 8:
                check(after["m"]["suit"] == 3, f"hearts is the suit to follow after the 8, got {after['m']['suit']}")
            for b in self.players:
                wait_until(lambda: any(x["card"] == card["text"] for x in self.page(b)["log"]), TIMEOUT,
                           f"{b.name}: a log line saying {card['text']} was played", lambda: self.page(b)["log"][-3:])
        size = len([c for c in self.client(mover)["cards"] if c["owner"] == before["player"]])
        wait_until(lambda: next(x["cards"] for x in self.page(other)["seats"] if x["player"] == before["player"]) == size,
                   TIMEOUT, f"{other.name}: {mover.name}'s count to become {size}", lambda: self.page(other)["seats"])
        self.hidden_hands_hold(f"after move {number}")
        return f"{mover.name} {move}", over(after)

    def they_play(self):
        moves = []
        for number in range(1, MOVES + 1):
            move, over = self.one_move(number)
            moves.append(move)
            if over:
                break
        self.b1.driver.save_screenshot(os.path.join(self.artifacts, "cards.png"))
        ok(f"{len(moves)} moves clicked, each seen on both pages (top card, counts, log), hands still hidden: "
           + "; ".join(moves) + "; screenshot cards.png")

    def a_late_player_is_refused_and_watches(self):
        b3 = self.b3 = self.open("browser3")
        self.name(b3, "Cy")
        self.click_in_list(b3, f'#table-list button[data-action="join"][data-match="{self.match}"]',
                           f"the list to show table {self.match} with Join")
        notice = wait_until(lambda: b3.js("const n = document.getElementById('notice'); return n.hidden ? null : n.textContent"),
                            TIMEOUT, "browser3: a notice over the list saying why it was refused")
        check("this table's game has started: watch it, or open a new table" in notice,
              f"the game's reason reaches the page, got {notice!r}")
        self.click_in_list(b3, f'#table-list button[data-action="watch"][data-match="{self.match}"]',
                           f"the list to show table {self.match} with Watch")
        s = self.wait_at_table(b3, "spectating")
        check(s["spectator"] and s["player"] == 0, f"browser3 watches without a seat: {s['player']}")
        wait_until(lambda: len(self.page(b3)["seats"]) == 2, TIMEOUT, "browser3: both players' seats")
        s, p = self.client(b3), self.page(b3)
        check([c["id"] for c in s["cards"]] == [s["m"]["top"]], f"a spectator holds the top card alone, got {s['cards']}")
        check(p["hand"] == [] and p["top"] != "", f"a spectator's page shows no hand and the top card {p['top']!r}")
        counts = {x["player"]: x["cards"] for x in p["seats"]}
        b3.driver.save_screenshot(os.path.join(self.artifacts, "cards-watch.png"))
        ok(f"a third browser is refused ({notice!r}) and watches: counts {counts}, top {p['top']}, no hand; "
           f"screenshot cards-watch.png")

    def consoles_still_clean(self):
        for browser in self.browsers:
            self.console_is_clean(browser, "after playing")
        ok(f"no console errors or warnings in {len(self.browsers)} browsers after playing")

    def run(self):
        self.serve("cards-server", ["lobby=1", "turn_time=60"])
        self.page_loads_clean()
        self.a_table_is_opened()
        self.a_second_browser_sits_down()
        self.the_cards_are_dealt()
        self.a_move_out_of_turn_is_refused_to_its_player()
        self.they_play()
        self.a_late_player_is_refused_and_watches()
        self.consoles_still_clean()


def main():
    run_suite(Suite, "cards browser", "The cards page in headless Chromium against a live server.", SUITE_LIMIT)


if __name__ == "__main__":
    main()
