"""How the end-to-end scripts (Tests/e2e/play.py, Tests/browser/) report:
one `ok   …` line per check passed, and a `CheckFailed` naming what was
wrong at the first one that fails."""


class CheckFailed(Exception):
    """A check of an end-to-end test failed; the message says what was seen."""


def check(condition, what):
    if not condition:
        raise CheckFailed(what)


def ok(what):
    print(f"ok   {what}", flush=True)
