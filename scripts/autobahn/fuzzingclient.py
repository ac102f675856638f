#!/usr/bin/env python3
"""Run Autobahn TestSuite cases against a WebSocket server, through kosoku.

Prints one JSON object per case on stdout (id, behavior, behaviorClose,
duration in ms, close codes), which Tests/WebSocketTests/AutobahnTests.swift
reads. With --report-dir, also writes Autobahn's HTML and JSON reports there.

    python3 scripts/autobahn/fuzzingclient.py ws://127.0.0.1:9001 --case '1.*'

Needs `pip install kosoku`. Exits 0 whatever the verdicts: judging them is the
caller's job. Exits 2 if kosoku cannot be imported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

try:
    from kosoku import FailureError, run_fuzzingclient
except ImportError as error:  # pragma: no cover - depends on the machine
    print(f"kosoku is not importable: {error} (pip install kosoku)", file=sys.stderr)
    sys.exit(2)


def case_summary(result) -> dict:
    return {
        "id": result.case_id,
        "behavior": result.behavior.value,
        "behaviorClose": result.behavior_close.value,
        "duration": result.duration,
        "remoteCloseCode": result.remote_close_code,
        "localCloseCode": result.local_close_code,
        "result": result.result,
        "resultClose": result.result_close,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="ws:// address of the server under test")
    parser.add_argument("--case", action="append", dest="cases", help="case id or glob, e.g. '9.*' (repeatable)")
    parser.add_argument("--exclude", action="append", help="case id or glob to leave out (repeatable)")
    parser.add_argument("--concurrency", type=int, default=1, help="cases run at once")
    parser.add_argument("--report-dir", help="also write Autobahn's reports here")
    args = parser.parse_args()

    try:
        results = await run_fuzzingclient(args.url, args.cases, args.exclude, concurrency=args.concurrency)
    except FailureError as failure:
        results = failure.results
    for result in results:
        print(json.dumps(case_summary(result)), flush=True)
    if args.report_dir:
        from kosoku._report import write_reports

        write_reports(results, args.report_dir)


if __name__ == "__main__":
    asyncio.run(main())
