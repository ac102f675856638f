#!/usr/bin/env python3
"""A cluster's failover as a browser sees it: web/tickwire.js's `matchmake`
option in headless Chromium, driven by Selenium, against two real
`tickwire serve --cluster` nodes on one throwaway PostgreSQL
(Tests/browser/postgres.py), all on 127.0.0.1.

    python3 Tests/browser/test_cluster.py --tickwire .build/debug/tickwire

In order: PostgreSQL starts with an empty database; nodes A and B of one
cluster start on it (each also serving web/); a chat room is made on A
(POST /matches), so that matchmaking, which puts a new match on the node
with the fewest, puts the next arena match on B; the page, loaded from A,
imports the SDK and connects a `TickwireClient({matchmake: true})` whose
url is A: it asks A's POST /matchmake, is sent to B and plays there (the
test fails, saying so, when the match is not on B); once the database
holds Ann's resume token and two seconds of the match's log, B is killed
with SIGKILL; A takes the match over from its log (about 4 s: B's heartbeat
stops, B counts as dead after 3 s) while the client asks A's /matchmake
with its resume token, is told to wait while the match moves (503), and
plays again in the same match with the same player id and
`welcome.resumed` set, now on A; A lists the match among its own
(GET /matches?scope=node); snapshots keep arriving; the console holds no
errors or warnings but those of reaching the dead node and of the 503s
while the match moved.

Prints one line per check; at the first failure a line starting with FAIL,
a screenshot, the page and the console log of the browser in the artifacts
folder ($TICKWIRE_ARTIFACTS, default .build/test-artifacts), the nodes'
logs and PostgreSQL's, and exit status 1. Every wait is bounded; the whole
run is stopped after SUITE_LIMIT seconds. Needs chromium, chromium-driver,
postgresql (apt) and selenium (pip); PostgreSQL runs as the `postgres`
user when the tests run as root.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# harness first: without selenium it ends the run with a FAIL line.
from harness import ROOT, TIMEOUT, BrowserSuite, CheckFailed, Server, check, free_port, ok, run_suite, wait_until  # noqa: E402
from postgres import ThrowawayPostgres  # noqa: E402

#: Seconds the whole suite may take before it is stopped as hung.
SUITE_LIMIT = 90
#: Seconds from the SIGKILL until the client must play again: the takeover
#: takes about 4 s, the client's backoff adds at most 5 s a try.
FAILOVER = 30.0
#: The database the nodes share.
DATABASE = "tickwire_cluster"
#: Chunks of the match's log the database must hold before B is killed:
#: the header, the game's files, then one a second of play.
LOG_CHUNKS = 4
#: Snapshots that must arrive after the resume (arena sends 30 a second).
MORE_SNAPSHOTS = 30

# Imports the page's SDK and connects a matchmaking client, kept on
# window.tw with the welcomes, statuses and snapshots it reports.
CONNECT = """
    const [url, done] = arguments;
    (async () => {
      const sdk = await import('/tickwire.js');
      const client = new sdk.TickwireClient({url, game: 'arena', name: 'Ann', matchmake: true});
      const tw = window.tw = {client, welcomes: [], statuses: [], snapshots: 0};
      client.on('welcome', (w) => tw.welcomes.push({player: w.player, match: w.match, resumed: w.resumed}));
      client.on('status', (s) => tw.statuses.push({state: s.state, message: s.message}));
      client.on('snapshot', () => { tw.snapshots += 1; });
      client.connect();
      return true;
    })().then(done, (e) => done({error: String((e && e.stack) || e)}));"""
# What the client is doing now.
CLIENT = """const tw = window.tw;
    if (!tw) return null;
    const c = tw.client;
    return {state: c.status.state, message: c.status.message,
            welcome: c.welcome && {player: c.welcome.player, match: c.welcome.match, resumed: c.welcome.resumed},
            socket: c.socket ? c.socket.url : null, snapshots: c.stats.snapshots, reconnects: c.stats.reconnects,
            heard: tw.snapshots, welcomes: tw.welcomes.length};"""
STATUSES = "return window.tw ? window.tw.statuses : null;"


def http_json(url, body=None):
    """GET `url`, or POST `body` as JSON, and the JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",
                                     headers={} if body is None else {"content-type": "application/json"})
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=TIMEOUT) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise CheckFailed(f"{request.method} {url} answered {error.code}: {error.read().decode(errors='replace').strip()}")


class Suite(BrowserSuite):
    def __init__(self, binary, artifacts):
        super().__init__(binary, artifacts)
        self.postgres = None
        self.nodes = []
        #: The nodes killed on purpose: close() does not stop them.
        self.killed = set()
        #: What the nodes are told to do at SIGTERM (`on_stop()`), once asked.
        self.stop_option = None

    # ---- the cluster -------------------------------------------------------

    def on_stop(self):
        """`--on-stop end` when the binary has --on-stop: its default, drain,
        lets a node's matches play on for up to 10 minutes after SIGTERM (the
        chat room never ends), and close() stops the nodes with SIGTERM and
        a 10 s wait. `end` ends them at once, as a single server's. Binaries
        from before --on-stop end their matches at SIGTERM anyway."""
        if self.stop_option is None:
            try:
                shown = subprocess.run([self.binary, "serve", "--help"], cwd=ROOT, stdin=subprocess.DEVNULL,
                                       capture_output=True, text=True, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                raise CheckFailed(f"tickwire serve --help did not answer within {TIMEOUT:g} s")
            self.stop_option = ["--on-stop", "end"] if "--on-stop" in shown.stdout + shown.stderr else []
        return self.stop_option

    def node(self, name, cluster):
        port = free_port()
        node = Server(self.binary, port, self.artifacts, name=name, arguments=[
            "serve", "--host", "127.0.0.1", "--port", str(port), "--games", "games", "--web", "web",
            "--log-level", "info", "--cluster", cluster] + self.on_stop())
        self.nodes.append(node)
        node.start()
        return node

    def owned(self, node):
        """The ids of the matches `node` runs itself."""
        return [m["id"] for m in http_json(f"{node.http}/matches?scope=node")]

    def live_nodes(self):
        """The advertised URLs of the nodes that heartbeat now, from the cluster's table."""
        text = self.postgres.psql("SELECT advertise FROM tickwire_nodes"
                                  " WHERE heartbeat_at > now() - interval '2 seconds' ORDER BY advertise", DATABASE)
        return sorted(text.split())

    def cluster_node(self, match):
        """The node A's GET /matches (the cluster's) says runs `match`, or None."""
        return next((m.get("node") for m in http_json(f"{self.a.http}/matches") if m["id"] == match), None)

    def client(self):
        return self.browser.js(CLIENT)

    # ---- the checks, in order --------------------------------------------

    def the_cluster_starts(self):
        self.postgres = ThrowawayPostgres()
        self.postgres.createdb(DATABASE)
        ok(f"a throwaway PostgreSQL on 127.0.0.1:{self.postgres.port} ({self.postgres.bin}), database {DATABASE}")
        cluster = self.postgres.url(DATABASE)
        self.a = self.node("node-a", cluster)
        self.b = self.node("node-b", cluster)
        both = sorted([self.a.ws, self.b.ws])
        wait_until(lambda: self.live_nodes() == both, TIMEOUT, f"both nodes ({', '.join(both)}) to heartbeat",
                   self.live_nodes)
        stop = " ".join(self.on_stop()) or "no --on-stop (this binary has none)"
        ok(f"nodes A ({self.a.http}) and B ({self.b.http}) of one cluster ({cluster}; {stop}) both heartbeat")

    def a_is_made_busier(self):
        # Matchmaking fills the fullest open match of the game first, else
        # starts one on the node with the fewest matches: a room of another
        # game on A makes that B, whatever the nodes' order.
        room = http_json(f"{self.a.http}/matches", {"game": "chat"})["id"]
        check(room in self.owned(self.a), f"A runs the chat room {room} it made, got {self.owned(self.a)}")

        def listed():
            return any(m["id"] == room and m.get("node") == self.a.ws for m in http_json(f"{self.b.http}/matches"))
        wait_until(listed, TIMEOUT, f"B's GET /matches to list chat room {room} on A",
                   lambda: http_json(f"{self.b.http}/matches"))
        ok(f"chat room {room} made on A (POST /matches), listed cluster-wide, so a new arena match goes to B")

    def the_page_plays_on_b(self):
        browser = self.browser = self.open_browser("cluster-browser")
        browser.driver.get(self.a.http + "/index.html")
        wait_until(lambda: browser.js("return document.readyState") == "complete", TIMEOUT,
                   "the page at A's /index.html to load")
        self.console_is_clean(browser, "after loading A's /index.html")
        result = browser.driver.execute_async_script(CONNECT, self.a.ws)
        check(result is True, f"the page imports /tickwire.js and connects a TickwireClient, got {result!r}")
        playing = wait_until(lambda: (lambda c: c if c and c["state"] == "playing" and c["welcome"] else None)(
            self.client()), TIMEOUT, "the client to play (status playing, with a welcome)", self.client)
        w = playing["welcome"]
        self.match, self.player = w["match"], w["player"]
        check(self.player > 0 and self.match, f"a welcome with a player id and a match, got {w}")
        check(w["resumed"] is False, f"the first welcome is not a resume, got {w}")
        on_a, on_b = self.match in self.owned(self.a), self.match in self.owned(self.b)
        check(on_a != on_b, f"exactly one node runs match {self.match}: A {on_a}, B {on_b}")
        check(on_b, f"matchmaking placed the arena match {self.match} on B (A had a chat room more), "
              f"but A runs it: the failover below needs A, the node the client asks, to survive")
        # B publishes its matches to the cluster at each heartbeat (1 s).
        wait_until(lambda: self.cluster_node(self.match) == self.b.ws, TIMEOUT,
                   f"A's GET /matches to list match {self.match} on {self.b.ws}", lambda: self.cluster_node(self.match))
        check((playing["socket"] or "").startswith(self.b.ws + "/play?"),
              f"the client's WebSocket goes to B, got {playing['socket']!r}")
        wait_until(lambda: self.client()["snapshots"] > 0, TIMEOUT, "a first snapshot", self.client)
        ok(f"the page (from A) matchmakes through A's POST /matchmake and plays on B: match {self.match}, "
           f"player {self.player}, socket {playing['socket'].split('?')[0]}")

    def the_database_holds_the_seat(self):
        # B stores the match's log (flushed every second of play) and its
        # resume tokens at each heartbeat: a seat taken just before B dies
        # is not in the database yet, and the node that takes the match over
        # would not know it (the client, told its token is unknown, would
        # take a new seat). Wait, as ClusterFailoverTests does, for the
        # token and four chunks of log: the header and the game's files
        # (written as the match starts) and two seconds of play, which hold
        # Ann's join.
        token = self.browser.js("return window.tw.client.welcome.resume")
        # Both go into SQL literals below: only the characters they are made of.
        check(isinstance(token, str) and re.fullmatch(r"[A-Za-z0-9_.~-]+", token),
              f"a resume token in the welcome, got {token!r}")
        check(re.fullmatch(r"[A-Za-z0-9_-]+", self.match), f"a match id of letters, digits, _ and -, got {self.match!r}")

        def stored():
            row = self.postgres.psql(
                f"SELECT (SELECT count(*) FROM tickwire_resume WHERE match_id = '{self.match}' AND token = '{token}'"
                f" AND player = {int(self.player)}), (SELECT count(*) FROM tickwire_match_logs"
                f" WHERE match_id = '{self.match}')", DATABASE).strip()
            tokens, chunks = (int(n) for n in row.split("|"))
            return (tokens, chunks) if tokens == 1 and chunks >= LOG_CHUNKS else None
        _, chunks = wait_until(stored, TIMEOUT, f"the database to hold match {self.match}'s log and Ann's "
                                    f"resume token", lambda: self.postgres.psql(
                                        f"SELECT seq, length(bytes) FROM tickwire_match_logs WHERE match_id = "
                                        f"'{self.match}' ORDER BY seq", DATABASE))
        ok(f"the database holds Ann's resume token (player {self.player}) and {chunks} chunks of the match's log")

    def b_dies_and_the_client_resumes_on_a(self):
        self.b.process.kill()
        self.b.process.wait()
        self.killed.add(self.b.name)
        killed = time.monotonic()

        def back():
            c = self.client()
            w = c and c["welcome"]
            return c if (w and c["state"] == "playing" and c["welcomes"] >= 2 and w["resumed"] is True) else None
        c = wait_until(back, FAILOVER, "the client to play again after B's SIGKILL, resumed", self.client)
        took = time.monotonic() - killed
        w = c["welcome"]
        check(w["match"] == self.match, f"the client is back in match {self.match}, got {w['match']}")
        check(w["player"] == self.player, f"the client has its player id {self.player} back, got {w['player']}")
        check((c["socket"] or "").startswith(self.a.ws + "/play?resume="),
              f"the client resumes on A with its token, its socket is {c['socket']!r}")
        check(self.match in self.owned(self.a), f"A lists match {self.match} among its own now, got {self.owned(self.a)}")
        wait_until(lambda: self.cluster_node(self.match) == self.a.ws, TIMEOUT,
                   f"A's GET /matches to list match {self.match} on {self.a.ws}", lambda: self.cluster_node(self.match))
        states = [s["state"] for s in self.browser.js(STATUSES)]
        check("reconnecting" in states, f"the client said it was reconnecting on the way, states: {states}")
        self.resumed_at = c
        ok(f"after B's SIGKILL the client plays again in {took:.1f} s: match {self.match}, player {self.player}, "
           f"welcome.resumed, on A (GET /matches?scope=node lists it); {c['reconnects']} reconnect, "
           f"{states.count('reconnecting')} reconnecting statuses")

    def snapshots_keep_coming(self):
        before = self.resumed_at

        def more():
            c = self.client()
            return c if c["snapshots"] >= before["snapshots"] + MORE_SNAPSHOTS and c["heard"] > before["heard"] else None
        c = wait_until(more, TIMEOUT, f"{MORE_SNAPSHOTS} more snapshots after the resume", self.client)
        check(c["state"] == "playing" and c["welcome"]["match"] == self.match, f"still playing match {self.match}: {c}")
        ok(f"snapshots keep arriving after the resume ({c['snapshots'] - before['snapshots']} more, "
           f"the snapshot event fired {c['heard'] - before['heard']} more times)")

    def console_is_clean_but_for_the_dead_node(self):
        entries = self.browser.new_console()
        dead = re.escape(f"127.0.0.1:{self.b.port}/")
        matchmake = re.escape(f"{self.a.http}/matchmake")
        expected = [
            # Chromium logs each WebSocket it cannot open: the client tries the URL it was given, the dead
            # node's, until A knows B is dead; the SDK cannot keep the browser from saying so.
            re.compile(rf"WebSocket connection to 'ws://{dead}play\?resume=[^']*' failed"),
            # ... and the plain GET diagnose() makes of the same URL to ask why, refused too.
            re.compile(rf"{dead}play\?resume=\S* - Failed to load resource: net::ERR_CONNECTION_REFUSED"),
            # While the match moves, A's POST /matchmake answers 503 (retry-after), which Chromium logs as
            # an error; the client waits and asks again, as it should.
            re.compile(rf"^{matchmake} - Failed to load resource: the server responded with a status of 503"),
        ]
        known = [e for e in self.browser.console if any(p.search(e.get("message", "")) for p in expected)]
        self.browser.console = [e for e in self.browser.console if e not in known]
        self.console_is_clean(self.browser, "after the failover (but the dead node's refusals and the 503s)")
        kinds = sorted({next(i for i, p in enumerate(expected) if p.search(e["message"])) for e in known})
        ok(f"the console is clean: {len(entries)} entries since loading, {len(known)} of them the known ones "
           f"of the failover ({', '.join(['WebSocket to B failed', 'GET of B refused', '503 from A'][i] for i in kinds) or 'none'})")

    def run(self):
        self.the_cluster_starts()
        self.a_is_made_busier()
        self.the_page_plays_on_b()
        self.the_database_holds_the_seat()
        self.b_dies_and_the_client_resumes_on_a()
        self.snapshots_keep_coming()
        self.console_is_clean_but_for_the_dead_node()

    # ---- the end ----------------------------------------------------------------

    def close(self):
        problems = []
        for browser in self.browsers:
            browser.quit()
        for node in self.nodes:
            if node.name in self.killed:
                continue
            try:
                node.stop()
            except CheckFailed as error:
                problems.append(f"{node.name}: {error}")
        if self.postgres:
            problem = self.postgres.stop()
            if problem:
                problems.append(problem)
        return "; ".join(problems) or None

    def failure_logs(self):
        logs = [(f"{node.name} log", node.log_text()) for node in self.nodes]
        if self.postgres:
            logs.append(("PostgreSQL log (tail)", self.postgres.log_text()))
        return logs


def main():
    run_suite(Suite, "cluster browser", "A cluster's failover in headless Chromium against two live nodes.",
              SUITE_LIMIT, stale=lambda name: name.startswith(("node-a-", "node-b-", "failure-cluster-browser")))


if __name__ == "__main__":
    main()
