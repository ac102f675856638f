"""A throwaway PostgreSQL server for the browser tests, as
Tests/TestSupport/TestPostgres.swift is for the Swift ones: its own
directory /tmp/tickwire-pg-py-<pid>-XXXX (data, log, Unix socket),
superuser `tickwire` with trust authentication, 127.0.0.1 on a free port,
fsync off.

    pg = ThrowawayPostgres()        # initdb, start, wait until it accepts TCP
    pg.createdb("cluster")
    url = pg.url("cluster")         # postgres://tickwire@127.0.0.1:PORT/cluster?sslmode=disable
    pg.psql("select 1", "cluster")  # "1\n"
    pg.stop()                       # SIGINT (fast shutdown), SIGKILL after 30 s; the directory removed

The binaries are Debian's: the newest /usr/lib/postgresql/<version>/bin
(else initdb, postgres and psql on PATH); scripts/test installs them. When
they are missing the constructor fails with a sentence saying so.

PostgreSQL refuses to run as root, and the tests run as root: then initdb
and the server run as the `postgres` system user (Debian's package makes
it) and the directory is theirs. Not through `runuser -u postgres --`: that
stays the parent of the program, ignores SIGINT and does not pass it on,
so the server would never hear it. Popen switches user itself before the
exec (user=, group=, extra_groups=), so the Popen pid is the server's own
and SIGINT reaches it. psql runs as whoever runs the tests, over TCP.

Every wait is bounded, and an error says what ran, its output and the
tail of the server's log. A test process killed before `stop()` leaves a
directory (and perhaps a server) behind: the next `ThrowawayPostgres()`
stops and removes those of /tmp/tickwire-pg-py-<pid>-… whose process is
gone, and nothing else.
"""

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from harness import CheckFailed, free_port, wait_until

#: The user the server runs as when this process is root.
SERVER_USER = "postgres"
#: Seconds initdb, psql and a start may take; `stop()` waits this long for SIGINT before SIGKILL.
LIMIT = 30.0
PREFIX = "tickwire-pg-py-"
TOOLS = ("initdb", "postgres", "psql")


def find_bin():
    """The directory holding initdb, postgres and psql: the newest
    /usr/lib/postgresql/<version>/bin, else PATH; None when there is none."""
    root = "/usr/lib/postgresql"
    try:
        versions = os.listdir(root)
    except OSError:
        versions = []

    def key(version):  # "9.6" < "15" < "16.1"
        return [int(part) if part.isdigit() else -1 for part in version.split(".")]
    candidates = [os.path.join(root, v, "bin") for v in sorted(versions, key=key, reverse=True)]
    candidates += [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    for directory in candidates:
        if all(os.access(os.path.join(directory, tool), os.X_OK) for tool in TOOLS):
            return directory
    return None


def _environment():
    """This process's environment without PG* variables, which could point the programs elsewhere."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    environment["PGCONNECT_TIMEOUT"] = "10"
    return environment


def _tail(path, size=4000):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - size))
            return f.read().decode("utf-8", "replace")
    except OSError as error:
        return f"(no log: {error})"


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


class ThrowawayPostgres:
    """A PostgreSQL server of its own, running and accepting TCP
    connections once constructed; `stop()` ends it and removes its
    directory (safe to call again)."""

    host = "127.0.0.1"
    username = "tickwire"

    def __init__(self):
        self.bin = find_bin()
        if self.bin is None:
            raise CheckFailed("PostgreSQL is not installed (no initdb, postgres and psql together in "
                              "/usr/lib/postgresql/*/bin or on PATH): apt-get install postgresql (scripts/test does)")
        self.user = self._server_user()
        self._remove_stale()
        self.process = None
        self.port = None
        self.last_log = "(no log)"
        self.directory = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir="/tmp")
        self.data = os.path.join(self.directory, "data")
        self.log = os.path.join(self.directory, "log")
        try:
            os.chmod(self.directory, 0o755)
            if self.user:
                os.chown(self.directory, self.user.pw_uid, self.user.pw_gid)
            self._run_as_server([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", self.username,
                                 "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"], "initdb")
            # The port is free when picked but may be taken before the server binds it: then another.
            for attempt in range(1, 6):
                if self._start(free_port()):
                    break
                if attempt == 5:
                    raise CheckFailed(f"PostgreSQL could not bind a free port in 5 tries; its log (tail):\n{_tail(self.log)}")
        except BaseException:
            self.stop()
            raise

    # ---- what the tests use -----------------------------------------------

    def url(self, db="postgres"):
        return f"postgres://{self.username}@{self.host}:{self.port}/{db}?sslmode=disable"

    def createdb(self, name):
        """Creates database `name`, owned by `tickwire`."""
        quoted = '"' + name.replace('"', '""') + '"'
        self.psql(f"CREATE DATABASE {quoted}")

    def psql(self, sql, db="postgres"):
        """Runs `sql` in `db` and returns psql's output: unaligned, tuples
        only ("select 1" gives "1\\n"). Fails on the first SQL error."""
        command = [os.path.join(self.bin, "psql"), "-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1",
                   "-h", self.host, "-p", str(self.port), "-U", self.username, "-d", db, "-c", sql]
        try:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  env=_environment(), timeout=LIMIT)
        except subprocess.TimeoutExpired:
            raise CheckFailed(f"psql did not finish within {LIMIT:g} s: {sql!r}\n--- server log (tail):\n{_tail(self.log)}")
        if done.returncode != 0:
            raise CheckFailed(f"psql exited with {done.returncode} on {sql!r}:\n{done.stdout}{done.stderr}"
                              f"--- server log (tail):\n{_tail(self.log)}")
        return done.stdout

    def log_text(self):
        """The tail of the server's log; after `stop()`, as it was then."""
        return self.last_log if self.directory is None else _tail(self.log)

    def stop(self):
        """SIGINT (a fast shutdown), at most LIMIT seconds' wait, then
        SIGKILL; then the directory is removed. What went wrong, or None."""
        problem = None
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(LIMIT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                problem = f"PostgreSQL did not stop within {LIMIT:g} s of SIGINT (killed)"
        if self.directory:
            self.last_log = _tail(self.log)
        if self.directory and os.path.isdir(self.directory):
            # A server started by someone else in this directory (none should be) is not ours to leave running.
            self._kill_server_in(self.directory)
            shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None
        return problem

    # ---- starting ------------------------------------------------------------

    def _server_user(self):
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise CheckFailed(f"running as root, PostgreSQL must run as another user, and there is no user "
                              f"{SERVER_USER!r} (Debian's postgresql package creates it)")

    def _as_server(self):
        """Popen's arguments that run the program as the server's user (when root)."""
        if not self.user:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}

    def _run_as_server(self, command, what):
        try:
            done = subprocess.run(command, cwd=self.directory, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, env=_environment(), timeout=LIMIT, **self._as_server())
        except subprocess.TimeoutExpired:
            raise CheckFailed(f"{what} did not finish within {LIMIT:g} s: {' '.join(command)}")
        if done.returncode != 0:
            raise CheckFailed(f"{what} exited with {done.returncode}: {' '.join(command)}\n{done.stdout}{done.stderr}")

    def _start(self, port):
        """Starts the server on `port`; False when the port was taken."""
        self.port = port
        command = [os.path.join(self.bin, "postgres"), "-D", self.data, "-p", str(port), "-k", self.directory,
                   "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, cwd=self.directory, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, env=_environment(), **self._as_server())

        def accepting():
            if self.process.poll() is not None:
                return "exited"
            try:
                with socket.create_connection((self.host, port), timeout=1):
                    return "up"
            except OSError:
                return None
        try:
            state = wait_until(accepting, LIMIT, f"PostgreSQL to accept connections on {self.host}:{port}")
        except CheckFailed as error:
            raise CheckFailed(f"{error}; its log (tail):\n{_tail(self.log)}")
        if state == "up":
            return True
        status, self.process = self.process.returncode, None
        if "already in use" in _tail(self.log, 1000):
            return False
        raise CheckFailed(f"PostgreSQL exited with {status} while starting: {' '.join(command)}\n"
                          f"--- its log (tail):\n{_tail(self.log)}")

    # ---- what earlier runs left ----------------------------------------------

    @staticmethod
    def _server_pid(directory):
        """The running server of `directory`: the pid in data/postmaster.pid when
        that process is alive and works in that data directory; else None."""
        data = os.path.join(directory, "data")
        try:
            with open(os.path.join(data, "postmaster.pid")) as f:
                pid = int(f.readline().strip())
            if pid <= 0 or not _alive(pid):
                return None
            return pid if os.path.realpath(os.readlink(f"/proc/{pid}/cwd")) == os.path.realpath(data) else None
        except (OSError, ValueError):
            return None

    @classmethod
    def _kill_server_in(cls, directory):
        pid = cls._server_pid(directory)
        if pid is None:
            return
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + LIMIT
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    @classmethod
    def _remove_stale(cls):
        """Stops and removes the servers of /tmp/tickwire-pg-py-<pid>-… whose process is gone."""
        for name in os.listdir("/tmp"):
            found = re.fullmatch(re.escape(PREFIX) + r"(\d+)-\w+", name)
            if not found or int(found.group(1)) == os.getpid() or _alive(int(found.group(1))):
                continue
            directory = os.path.join("/tmp", name)
            cls._kill_server_in(directory)
            shutil.rmtree(directory, ignore_errors=True)
