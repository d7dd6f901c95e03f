"""Load benchmark: signed Slack traffic against `briefbot serve --http`, on loopback only.

    python bench/load_bench.py [--concurrency 1,10,50,100] [--requests 400]
                               [--modes normal,slow,429] [--json FILE] [--quick]

What it does:

* Starts a fake Slack Web API (``tests/fakeslack.py``) and a real ``briefbot serve
  --http --no-scheduler`` process (SQLite in a temporary folder), both on 127.0.0.1.
* For each Slack **mode** and each **concurrency** level, sends a bounded number of
  requests, signed as Slack signs them, from that many client threads, each on a new
  connection. Requests alternate between ``/brief <query>`` (answered in the ack) and an
  ``app_mention`` event (acknowledged at once, answered with ``chat.postMessage``).
* Modes: ``normal`` (the fake answers at once), ``slow`` (every ``chat.postMessage``
  and response_url call takes 8 s) and ``429`` (the first calls to
  ``chat.postMessage`` get HTTP 429 with ``Retry-After: 5``).
* Reports per cell: ack p50 / p99 / max (the HTTP round trip of the request Slack
  sends), connection errors (refused, reset, timed out), acks (HTTP 200 within 3 s),
  answers delivered exactly once (each /brief ack carries blocks; each mention gets
  exactly one successful ``chat.postMessage`` in its thread, waited for up to 120 s),
  and the server's resident memory (VmRSS now, VmHWM peak) after the cell.

Bounded in count (``--requests`` per cell) and time (every wait has a deadline); the
whole default run takes about three minutes. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from fakeslack import event_body, slash_command_body  # noqa: E402
from served_app import RemoteFake, Server, percentile, post, server_rss_mib  # noqa: E402

QUERIES = ["navigation talks heixiazi", "Skolkovo", "Kofi Annan", "energy cooperation"]
ACK_LIMIT = 3.0  # Slack's deadline for an acknowledgement
HEADER = (
    "| mode | concurrency | requests | ack p50 ms | ack p99 ms | ack max ms "
    "| conn errors | acks ≤3 s | answered once | RSS MiB (peak) |"
)


@dataclass
class Cell:
    mode: str
    concurrency: int
    requests: int
    ack_p50_ms: float
    ack_p99_ms: float
    ack_max_ms: float
    connection_errors: int
    acks: int
    answered_once: int
    answers_expected: int
    rss_mib: float
    peak_rss_mib: float


def run_cell(
    server: Server, fake: RemoteFake, mode: str, concurrency: int, requests: int, tag: str
) -> Cell:
    """Send ``requests`` signed requests from ``concurrency`` threads; wait for answers."""
    fake.reset()
    if mode == "slow":
        fake.slow("chat.postMessage", 8)
        fake.slow("response_url", 8)
    elif mode == "429":
        fake.fail_next("chat.postMessage", status=429, retry_after=5, times=min(20, requests))

    async def one(i: int) -> tuple[str, str, float, bool]:
        async with gate:
            return await send(i)

    async def send(i: int) -> tuple[str, str, float, bool]:
        if i % 2 == 0:
            body = slash_command_body(
                "/brief", QUERIES[i % len(QUERIES)], response_url=fake.response_url(f"{tag}{i}")
            )
            outcome, took, text = await post(server.port, body, "application/x-www-form-urlencoded")
            answered = outcome == "ok" and '"blocks"' in text
            return "brief", outcome, took, answered
        ts = f"1700000000.{i:06d}"
        event = {
            "type": "app_mention",
            "user": "U123",
            "text": f"<@UBOT> {QUERIES[i % len(QUERIES)]}",
            "ts": ts,
            "channel": "C123",
            "event_ts": ts,
        }
        outcome, took, _ = await post(
            server.port, event_body(event, event_id=f"Ev{tag}{i}"), "application/json"
        )
        return "mention", outcome, took, False

    async def all_requests() -> list[tuple[str, str, float, bool]]:
        return list(await asyncio.gather(*(one(i) for i in range(requests))))

    gate = asyncio.Semaphore(concurrency)
    results = asyncio.run(all_requests())
    mentions = [i for i in range(requests) if i % 2 == 1]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = set(fake.answered_threads())
        if len(done) >= len(mentions):
            break
        time.sleep(0.2)
    time.sleep(0.5)  # a late duplicate would show up now
    per_thread = Counter(fake.answered_threads())
    once_mentions = sum(1 for i in mentions if per_thread.get(f"1700000000.{i:06d}") == 1)
    once_briefs = sum(1 for kind, _, _, answered in results if kind == "brief" and answered)
    acks = [took for _, outcome, took, _ in results if outcome == "ok"]
    rss, peak = server_rss_mib(server.proc.pid)
    return Cell(
        mode=mode,
        concurrency=concurrency,
        requests=requests,
        ack_p50_ms=percentile(acks, 50) * 1000,
        ack_p99_ms=percentile(acks, 99) * 1000,
        ack_max_ms=max(acks, default=float("nan")) * 1000,
        connection_errors=sum(1 for _, outcome, _, _ in results if outcome == "conn"),
        acks=sum(1 for _, outcome, took, _ in results if outcome == "ok" and took <= ACK_LIMIT),
        answered_once=once_mentions + once_briefs,
        answers_expected=requests,
        rss_mib=rss,
        peak_rss_mib=peak,
    )


def row(c: Cell) -> str:
    return (
        f"| {c.mode} | {c.concurrency} | {c.requests:,} | {c.ack_p50_ms:.1f} | "
        f"{c.ack_p99_ms:.1f} | {c.ack_max_ms:.0f} | {c.connection_errors} | "
        f"{c.acks / c.requests:.0%} | {c.answered_once}/{c.answers_expected} | "
        f"{c.rss_mib:.0f} ({c.peak_rss_mib:.0f}) |"
    )


def verdicts(cells: list[Cell]) -> list[tuple[str, bool]]:
    """The issue's targets, each with whether this run met it."""
    top = max(c.concurrency for c in cells)
    at_top = [c for c in cells if c.concurrency == top]
    normal50 = [c for c in cells if c.mode == "normal" and c.concurrency == 50]
    slow = [c for c in cells if c.mode == "slow"]
    out = [
        (
            f"0 connection errors and 100% acks at concurrency {top}",
            all(c.connection_errors == 0 and c.acks == c.requests for c in at_top),
        ),
        ("every answer delivered exactly once", all(c.answered_once == c.requests for c in cells)),
    ]
    if normal50:
        out.append(("ack p99 < 300 ms at 50 concurrent", normal50[0].ack_p99_ms < 300))
    if slow:
        out.append(("every ack < 3 s while Slack is slow", all(c.ack_max_ms < 3000 for c in slow)))
    return out


def _ints(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of numbers"
        ) from None
    if not values or any(not 1 <= v <= 200 for v in values):
        raise argparse.ArgumentTypeError("concurrency levels must be between 1 and 200")
    return values


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--concurrency", type=_ints, default=[1, 10, 50, 100])
    p.add_argument("--requests", type=int, default=400, help="requests per cell (max 2000)")
    p.add_argument("--modes", default="normal,slow,429")
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    p.add_argument("--quick", action="store_true", help="a smoke run: normal mode, 1 and 10")
    p.add_argument(
        "--workers", type=int, default=2, help="BRIEFBOT_WEB_WORKERS of the server (default 2)"
    )
    args = p.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if any(m not in {"normal", "slow", "429"} for m in modes):
        p.error(f"--modes: use normal, slow and 429 (got {args.modes!r})")
    if not 1 <= args.workers <= 8:
        p.error("--workers must be between 1 and 8")
    if not 1 <= args.requests <= 2000:
        p.error("--requests must be between 1 and 2000")
    if args.quick:
        modes, args.concurrency, args.requests = ["normal"], [1, 10], 40
    cells: list[Cell] = []
    fake = RemoteFake()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(fake.url, Path(tmp), args.workers)
        try:
            for mode in modes:
                for level in args.concurrency:
                    # Slow answers take 8 s each: fewer requests keep the run bounded.
                    n = args.requests if mode == "normal" else min(args.requests, 100)
                    cells.append(run_cell(server, fake, mode, level, n, f"{mode}{level}-"))
        finally:
            server.stop()
            fake.close()
    print(HEADER)
    print("|" + "---|" * HEADER.count(" | ") + "---|")
    for c in cells:
        print(row(c))
    print()
    for text, ok in verdicts(cells):
        print(f"- {'met' if ok else 'NOT MET'}: {text}")
    print()
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; server: {args.workers} worker process(es), each with "
        "the default 8 HTTP, 16 listener and 32 answer threads; client, fake Slack and server "
        "share the machine."
    )
    command = " ".join(["python bench/load_bench.py", shlex.join(argv or sys.argv[1:])])
    print(f"Command: `{command.strip()}`")
    if args.json:
        Path(args.json).write_text(json.dumps({"cells": [asdict(c) for c in cells]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
