"""What the browser tests stand on: the real `tickwire serve` in a child
process, headless Chromium driven by Selenium through Debian's chromedriver,
bounded waits, the artifacts folder, and `run_suite`, the `main()` every
suite shares.

Every wait here has a deadline and fails with a sentence saying what did not
happen; nothing sleeps longer than a short poll.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.request

try:
    from selenium import webdriver
    from selenium.common.exceptions import JavascriptException, WebDriverException
    from selenium.webdriver.chrome.service import Service
except ImportError as error:
    # Imported first by every suite, so a missing selenium fails each one with this line.
    print(f"FAIL cannot import selenium ({error}): pip install selenium", flush=True)
    sys.exit(1)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from checks import CheckFailed, check, ok  # noqa: E402,F401  (re-exported to the browser tests)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: One size for every window, so screenshots and layouts are the same each run.
WINDOW = (1280, 800)
#: Seconds one wait may take unless it says otherwise: a page load, a state
#: change, a server start.
TIMEOUT = 10.0
#: How often a wait looks again.
POLL = 0.05


def wait_until(probe, timeout, what, seen=None):
    """Polls `probe` until it returns something truthy, which it returns;
    `what` says what was awaited, and `seen()` (if given) what there was
    instead when the time ran out."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            instead = f" (instead: {seen()!r})" if seen else ""
            raise CheckFailed(f"timed out after {timeout:g} s waiting for {what}{instead}")
        time.sleep(POLL)


def artifacts_dir():
    path = os.environ.get("TICKWIRE_ARTIFACTS") or os.path.join(ROOT, ".build", "test-artifacts")
    os.makedirs(path, exist_ok=True)
    return path


def free_port():
    """A port nothing listens on now: bound to 0, read, closed. The server
    binds it with SO_REUSEADDR, so it can take it again after a restart."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`tickwire serve` on 127.0.0.1:`port` from the repository root, with
    the games of games/ and the page of web/. Each start logs to its own
    file in the artifacts folder."""

    def __init__(self, binary, port, artifacts, arguments=None, name="server", params=()):
        self.binary, self.port, self.artifacts = binary, port, artifacts
        #: The command after the binary; `tickwire serve` of games/ and web/ by default, with a
        #: `--param` for each of `params` ("key=value").
        self.arguments = arguments or ["serve", "--host", "127.0.0.1", "--port", str(port),
                                       "--games", "games", "--web", "web", "--log-level", "info"]
        if not arguments:
            for param in params:
                self.arguments += ["--param", param]
        self.name = name
        self.process = None
        self.starts = 0
        self.logs = []

    @property
    def http(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self):
        return f"ws://127.0.0.1:{self.port}"

    def start(self):
        self.starts += 1
        log_path = os.path.join(self.artifacts, f"{self.name}-{self.starts}.log")
        self.logs.append(log_path)
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                [self.binary] + self.arguments,
                cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._healthy, TIMEOUT, f"the server (start {self.starts}) to answer {self.http}/healthz")

    def _healthy(self):
        if self.process.poll() is not None:
            raise CheckFailed(f"the server exited with {self.process.returncode} while starting:\n{self.log_text()}")
        try:
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                    f"{self.http}/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self, timeout=TIMEOUT):
        """SIGTERM, and the exit status; a server that does not exit in
        time is killed and that is a failure."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise CheckFailed(f"the server did not exit within {timeout:g} s of SIGTERM (killed)")

    def log_text(self):
        parts = []
        for path in self.logs:
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    parts.append(f"--- {os.path.basename(path)}\n{f.read()}")
            except OSError as error:
                parts.append(f"--- {os.path.basename(path)}: {error}")
        return "\n".join(parts)


class Browser:
    """One headless Chromium window. Console entries are kept as they are
    read (chromedriver hands each out once), so a failure can save them all."""

    def __init__(self, name):
        self.name = name
        self.console = []
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ["--headless=new", "--disable-dev-shm-usage", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                         "--no-proxy-server", "--no-first-run", "--disable-extensions",
                         "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                         "--disable-backgrounding-occluded-windows"]:
            options.add_argument(argument)
        if os.geteuid() == 0:
            options.add_argument("--no-sandbox")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(TIMEOUT)
        self.driver.set_script_timeout(TIMEOUT * 2)

    def new_console(self):
        """Console entries logged since the last call."""
        entries = self.driver.get_log("browser")
        self.console.extend(entries)
        return entries

    def js(self, script, *arguments):
        return self.driver.execute_script(script, *arguments)

    def js_or_none(self, script, *arguments):
        """The script's value, or None while it throws (a page still loading)."""
        try:
            return self.js(script, *arguments)
        except JavascriptException:
            return None

    def save_failure(self, artifacts):
        """A screenshot, the page's DOM and the console so far, for a failed run."""
        saved = []
        try:
            path = os.path.join(artifacts, f"failure-{self.name}.png")
            self.driver.save_screenshot(path)
            saved.append(path)
            path = os.path.join(artifacts, f"failure-{self.name}.html")
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.driver.page_source)
            saved.append(path)
            self.new_console()
        except WebDriverException as error:
            saved.append(f"(browser {self.name} could not be read: {error.msg})")
        path = os.path.join(artifacts, f"failure-{self.name}-console.log")
        with open(path, "w", encoding="utf-8") as f:
            for entry in self.console:
                f.write(f"{entry.get('level')} {entry.get('source')} {entry.get('message')}\n")
        saved.append(path)
        return saved

    def quit(self):
        try:
            self.driver.quit()
        except WebDriverException:
            pass


def require_tools():
    """Chromium and chromedriver where Debian puts them."""
    for path, package in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")]:
        check(shutil.which(path) is not None, f"{path} is missing: apt-get install {package} (scripts/test does)")


def log_text(path):
    """A child's log as text, or why there is none."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError as error:
        return f"(no log: {error})"


class BrowserSuite:
    """What `run_suite` drives: a suite's checks in `run()`, and the
    browsers, server and network bots it starts on the way, which it saves
    artifacts of on a failure and ends (by their own handles) in `close()`.
    A suite subclasses it and adds its checks; one that starts more (a
    spectator, a temporary folder) extends `close()`."""

    def __init__(self, binary, artifacts):
        self.binary, self.artifacts = binary, artifacts
        self.browsers = []
        #: The `tickwire serve` under test, once `serve()` (or the suite) starts it.
        self.server = None
        #: The `tickwire bots --connect` child, while it runs.
        self.bots = None
        #: Where the bots log; a suite that starts bots names it, and a failure prints it.
        self.bots_log = None

    def run(self):
        raise NotImplementedError

    def serve(self, name, params=()):
        """Starts `tickwire serve` of games/ and web/ on a free port, with a
        `--param` for each of `params` ("key=value")."""
        self.server = Server(self.binary, free_port(), self.artifacts, name=name, params=params)
        self.server.start()
        shown = ", ".join(["games/", "web/"] + ([" ".join(f"--param {p}" for p in params)] if params else []))
        ok(f"tickwire serve on {self.server.http} ({shown})")

    def start_bots(self, arguments):
        """`tickwire bots` with `arguments`, logging to `bots_log`; `close()` kills it if it still runs."""
        with open(self.bots_log, "wb") as log:
            self.bots = subprocess.Popen([self.binary, "bots"] + arguments, cwd=ROOT, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)

    def bots_text(self):
        return log_text(self.bots_log)

    def open_browser(self, name):
        browser = Browser(name)
        self.browsers.append(browser)
        return browser

    def console_is_clean(self, browser, when):
        """Fails if `browser` has logged an error or a warning so far; the number of entries new since the last look."""
        entries = browser.new_console()
        bad = [e for e in browser.console if e.get("level") in ("SEVERE", "WARNING")]
        check(not bad, f"{browser.name}: no console errors or warnings {when}, got:\n"
              + "\n".join(f"  {e['level']} {e.get('source')}: {e['message']}" for e in bad))
        return len(entries)

    def save_failure(self):
        for browser in self.browsers:
            for path in browser.save_failure(self.artifacts):
                print(f"     saved {path}", flush=True)

    def close(self):
        """Kills the bots, quits the browsers and stops the server; what went
        wrong stopping it, or None."""
        if self.bots and self.bots.poll() is None:
            self.bots.kill()
            self.bots.wait()
        for browser in self.browsers:
            browser.quit()
        if self.server:
            try:
                self.server.stop()
            except CheckFailed as error:
                return str(error)
        return None

    def failure_logs(self):
        """(title, text) of each child's log, printed after a failure."""
        logs = [("server log", self.server.log_text())] if self.server else []
        if self.bots_log:
            logs.append(("bots log", self.bots_text()))
        return logs


class OverTime(Exception):
    pass


def run_suite(make_suite, what, description, limit, stale=None):
    """The `main()` of a browser suite: reads `--tickwire BINARY`, makes the
    suite with `make_suite(binary, artifacts)` and runs it within `limit`
    seconds (SIGALRM), after checking Chromium and chromedriver are there.

    On a failure it prints `FAIL …`, saves each browser's screenshot, page
    and console in the artifacts folder, prints the children's logs and
    exits 1; otherwise it prints how long the checks took. Either way the
    suite's children are ended by `close()`. `what` names the suite in those
    lines ("chat browser": "the chat browser suite ran over …", "all chat
    browser checks passed …"); `stale(name)` says which files of an earlier
    run to remove from the artifacts folder first."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--tickwire", required=True, help="the tickwire binary (swift build --show-bin-path)")
    args = parser.parse_args()
    binary = os.path.abspath(args.tickwire)
    if not os.access(binary, os.X_OK):
        print(f"FAIL {binary} is not an executable tickwire (swift build first)", flush=True)
        sys.exit(1)

    artifacts = artifacts_dir()
    if stale:
        for old in os.listdir(artifacts):
            if stale(old):
                os.remove(os.path.join(artifacts, old))

    def over_time(signum, frame):
        raise OverTime(f"the {what} suite ran over {limit} s")
    signal.signal(signal.SIGALRM, over_time)
    signal.alarm(limit)

    started = time.monotonic()
    suite = make_suite(binary, artifacts)
    failure = None
    try:
        require_tools()
        suite.run()
    except (CheckFailed, OverTime) as error:
        failure = str(error)
    except WebDriverException as error:
        failure = f"the browser failed: {error.msg}"
        traceback.print_exc()
    except Exception as error:
        failure = f"{type(error).__name__}: {error}"
        traceback.print_exc()
    finally:
        signal.alarm(0)
        if failure:
            print(f"FAIL {failure}", flush=True)
            suite.save_failure()
        stopping = suite.close()
        failure = failure or stopping
        if failure:
            for title, text in suite.failure_logs():
                print(f"{title}:\n{text}", flush=True)
    if failure:
        sys.exit(1)
    print(f"all {what} checks passed in {time.monotonic() - started:.1f} s", flush=True)
