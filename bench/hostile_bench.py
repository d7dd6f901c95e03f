"""Hostile inputs against briefbot's fetching and parsing (issue 20): for each, the time
until it is refused, the reading child's peak memory (and how far above a normal
page's), the serving process's memory growth, and the worst wake-up delay of another
thread of that process meanwhile (what another user's ack would wait).

The issue's targets: refused within 30 s, at most 256 MiB above steady state, other
users' acks under 1 s. Everything is served on 127.0.0.1.

    python bench/hostile_bench.py [--only NAME ...] [--deadline S] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from hostile import (  # noqa: E402
    Heartbeat,
    fixed,
    flat_html,
    gzip_bomb,
    gzip_stack_bomb,
    hostile_server,
    response,
    shared_stream_pdf,
    slow_headers,
)
from webfixtures import STATEMENT_PAGE, make_pdf  # noqa: E402

from bot import sandbox  # noqa: E402
from bot.fetch import FETCH_DEADLINE, raw_from_bytes, read_source  # noqa: E402
from bot.ingest import IngestError  # noqa: E402

HEADER = (
    "| input | size sent | outcome | time to refusal s | child peak MiB "
    "| above a normal page MiB | parent growth MiB | worst ack delay s |"
)
TARGET_SECONDS, TARGET_MIB, TARGET_ACK = 30.0, 256.0, 1.0


@dataclass
class Row:
    name: str
    size: int
    outcome: str
    message: str
    seconds: float
    child_peak_mib: float
    above_normal_mib: float
    parent_growth_mib: float
    worst_ack_delay: float


class _Runs(logging.Handler):
    """Collects bot.sandbox's per-run records (wall time, child peak RSS)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.runs: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if hasattr(record, "sandbox_peak_rss_mib"):
            self.runs.append(
                {
                    "seconds": record.sandbox_seconds,
                    "peak": record.sandbox_peak_rss_mib,
                    "kind": record.sandbox_outcome,
                }
            )


PAGE = {"Content-Type": "text/html; charset=utf-8"}


def cases(server: Any, deadline: float) -> dict[str, tuple[int, Callable[[], object]]]:
    """name -> (bytes sent, the call that reads it)."""

    def url(path: str, data: bytes, headers: dict[str, str]) -> Callable[[], object]:
        address = server.add(path, fixed(response(data, headers)))
        return lambda: read_source(address, allow_private=True, deadline=deadline)

    stack, bomb = gzip_stack_bomb(1024), gzip_bomb(1024)
    pdf, flat = shared_stream_pdf(), flat_html(8_000_000)
    pages = make_pdf([], pages=[["A page of the statement."]] * 20_000)
    slow = server.add("/slow", slow_headers(interval=5.0))
    return {
        "gzip, gzip (1 GiB inside)": (
            len(stack),
            url("/stack.html", stack, {**PAGE, "Content-Encoding": "gzip, gzip"}),
        ),
        "gzip (1 GiB of zeros)": (
            len(bomb),
            url("/zeros.html", bomb, {**PAGE, "Content-Encoding": "gzip"}),
        ),
        "headers 1 byte / 5 s": (
            0,
            lambda: read_source(slow, allow_private=True, deadline=deadline),
        ),
        "PDF: 200 pages share a 60 MiB stream": (
            len(pdf),
            lambda: raw_from_bytes(pdf, content_type="application/pdf", deadline=deadline),
        ),
        "PDF: 20,000 pages": (
            len(pages),
            lambda: raw_from_bytes(pages, content_type="application/pdf", deadline=deadline),
        ),
        "flat HTML page, 8 MB": (len(flat), url("/flat.html", flat, PAGE)),
    }


def measure(name: str, size: int, call: Callable[[], object], runs: _Runs, normal: float) -> Row:
    runs.runs.clear()
    start = time.monotonic()
    with Heartbeat() as beat:
        try:
            call()
            outcome, message = "read", ""
        except IngestError as exc:
            outcome, message = "refused", str(exc)
    seconds = time.monotonic() - start
    peak = max((r["peak"] for r in runs.runs), default=0.0)
    kinds = ",".join(r["kind"] for r in runs.runs) or "-"
    return Row(
        name=name,
        size=size,
        outcome=f"{outcome} ({kinds})",
        message=message,
        seconds=seconds,
        child_peak_mib=peak,
        above_normal_mib=max(0.0, peak - normal),
        parent_growth_mib=max(0.0, beat.peak_rss - beat.base_rss),
        worst_ack_delay=beat.worst_gap,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="inputs whose name contains one of these")
    parser.add_argument("--deadline", type=float, default=FETCH_DEADLINE)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)

    runs = _Runs()
    log = logging.getLogger("bot.sandbox")
    log.addHandler(runs)
    log.setLevel(logging.DEBUG)
    rows: list[Row] = []
    try:
        with hostile_server() as server:
            # Steady state: a normal page read the same way.
            good = server.add("/good.html", fixed(response(STATEMENT_PAGE.encode(), PAGE)))
            runs.runs.clear()
            read_source(good, allow_private=True)
            normal = runs.runs[-1]["peak"] if runs.runs else 0.0
            normal_s = runs.runs[-1]["seconds"] if runs.runs else 0.0
            for name, (size, call) in cases(server, args.deadline).items():
                if args.only and not any(o.lower() in name.lower() for o in args.only):
                    continue
                rows.append(measure(name, size, call, runs, normal))
    finally:
        log.removeHandler(runs)

    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"Command: `python bench/hostile_bench.py {' '.join(argv or sys.argv[1:])}`".rstrip())
    print(
        f"Limits: deadline {args.deadline:.0f} s, {sandbox.CPU_SECONDS} CPU s, "
        f"{sandbox.MEMORY_MIB} MiB above the reader's start-up"
    )
    print(f"A normal page: {normal_s:.2f} s, child peak {normal:.0f} MiB")
    print()
    print(HEADER)
    print("|" + "---|" * 8)
    for r in rows:
        print(
            f"| {r.name} | {r.size:,} | {r.outcome} | {r.seconds:.1f} | {r.child_peak_mib:.0f} "
            f"| {r.above_normal_mib:.0f} | {r.parent_growth_mib:.0f} | {r.worst_ack_delay:.2f} |"
        )
    print()
    for r in rows:
        print(f"- {r.name}: {r.message or 'read'}")
    ok = all(
        r.outcome.startswith("refused")
        and r.seconds <= TARGET_SECONDS
        and r.above_normal_mib <= TARGET_MIB
        and r.worst_ack_delay < TARGET_ACK
        for r in rows
    )
    print()
    print(
        f"Within the issue's targets (refused, <= {TARGET_SECONDS:.0f} s, <= {TARGET_MIB:.0f} MiB "
        f"above a normal page, acks < {TARGET_ACK:.0f} s): {'yes' if ok else 'NO'}"
    )
    if args.json:
        payload = {"normal_peak_mib": normal, "rows": [asdict(r) for r in rows], "ok": ok}
        args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
