"""briefbot on a real archive: ingest, start, every CLI command, live pickup, memory.

Unpacks ../shared/archive (3,366 statements) to a temporary directory, ingests it
with ``briefbot ingest`` into a fresh SQLite database (``--repeat N``: N copies,
each with distinct ids and titles), then prints:

- the ingest rate (statements a second, clauses and dated items derived included;
  sentence vectors too with ``--encoder``, off by default: the encoder reads about
  20-50 clauses a second on 2 busy cores, over an hour for the archive);
- a process start to its first answer (``briefbot ask``): cold (nothing kept: an
  empty cache directory), first after the ingest (what the ingest kept), warm (a
  restart with everything kept);
- the wall time of each CLI command: ask, docs, commitments, status, show;
- live pickup: a served snapshot (``Services``) sees one more ingested statement
  (its ``refresh`` polled as the corpus watcher does), and the process's memory
  (PSS, else RSS) steady and at the peak during that refresh.

Every command runs as its own process, as a user runs it::

    python bench/archive_bench.py [--repeat N] [--encoder] [--keep DIR]

Measured 2026-12-07 at 1x (3,354 statements stored, 11 refused as the same text;
83,226 clauses; encoder off) on this 2-core machine with a load average of 5-10
(other work running): ingest 8.6 statements/s; first ``ask`` after the ingest
17.0 s (builds the index), warm restart 4.1 s, cold (nothing kept) 25.3 s; live
pickup: the refresh took 18.4 s (the whole index is rebuilt), PSS 291 MiB steady,
766 MiB at its peak (2.64x).

Measured 2026-12-08 with the refresh building a segment on the served base index
(``ClauseIndex.with_segment``), load average 5-8: at 1x (83,231 clauses) the refresh
2.27 s, PSS 290 -> 345 MiB (1.19x), where the whole rebuild took 51.1 s and went
307 -> 799 MiB (2.61x) in the same conditions; at ``--repeat 2`` (173,455 clauses)
2.14 s, 378 -> 439 MiB (1.16x).

CLI commands, measured 2026-12-08 on the same archive kept with ``--keep`` (3,361
statements, 83,231 clauses), each run 3 times as its own process, median (min), load
average 2.5-3 (.pyc files compiled): ask 1.73 s (1.64), docs 1.37 s (1.36),
commitments 1.59 s (1.56), status 1.30 s (1.27), show 1.07 s (1.06); the code before
(commands making the typo tables, party patterns and word model they never use) in
the same minutes: ask 3.66 s, docs 3.60 s, commitments 3.68 s, status 2.94 s, show
2.76 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ARCHIVE = ROOT.parent / "shared" / "archive" / "statements-2021-2022.tar.xz"
QUERY = "vaccination sites in communities"


def unpack(dest: Path, repeat: int) -> list[Path]:
    """The archive's statement files under ``dest`` (``repeat`` copies, distinct ids)."""
    with tarfile.open(ARCHIVE) as tar:
        tar.extractall(dest / "unpacked", filter="data")
    files = sorted((dest / "unpacked" / "statements").glob("*.md"))
    if repeat <= 1:
        return files
    out: list[Path] = []
    copies = dest / "copies"
    copies.mkdir()
    for k in range(1, repeat + 1):
        for f in files:
            text = f.read_text("utf-8")
            target = copies / f"{f.stem}-copy{k}.md"
            target.write_text(copy_of(text, k), "utf-8")
            out.append(target)
    return out


def copy_of(text: str, k: int) -> str:
    """Copy ``k`` of a statement file: a distinct title (so a distinct id), a distinct
    first paragraph (so not the same text) and a date ``k`` weeks later (so not the same
    statement retyped, which ingest refuses within a few days)."""
    head, sep, body = text.removeprefix("---\n").partition("\n---\n")
    try:
        meta = yaml.safe_load(head) if sep else None
    except yaml.YAMLError:
        meta = None
    if not isinstance(meta, dict):
        return f"Archive copy {k} of this statement.\n\n{text}"
    meta["title"] = f"{meta.get('title', 'Statement')} (copy {k})"
    when = meta.get("date")
    if isinstance(when, str):
        with contextlib.suppress(ValueError):
            when = date.fromisoformat(when[:10])
    if isinstance(when, date):
        meta["date"] = (when + timedelta(weeks=k)).isoformat()
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{front}---\n\nArchive copy {k} of this statement.\n\n{body}"


def briefbot(env: dict[str, str], *args: str, check: bool = True) -> tuple[float, str, str]:
    """Run ``briefbot ARGS``: (seconds, stdout, stderr)."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True, cwd=ROOT
    )
    took = time.perf_counter() - started
    if check and proc.returncode != 0:
        raise SystemExit(f"briefbot {' '.join(args[:3])} failed: {proc.stderr[-2000:]}")
    return took, proc.stdout, proc.stderr


def memory_mib() -> float:
    """This process's PSS (or RSS where smaps_rollup is missing), MiB."""
    try:
        text = Path("/proc/self/smaps_rollup").read_text()
        return int(re.search(r"^Pss:\s+(\d+) kB", text, re.M).group(1)) / 1024
    except (OSError, AttributeError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakMemory(threading.Thread):
    """Samples :func:`memory_mib` every 50 ms until stopped; ``peak`` is the highest."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = memory_mib()
        self._done = threading.Event()
        self.start()

    def run(self) -> None:
        while not self._done.wait(0.05):
            self.peak = max(self.peak, memory_mib())

    def stop(self) -> float:
        self._done.set()
        self.join()
        return max(self.peak, memory_mib())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="copies of the archive")
    parser.add_argument("--encoder", action="store_true", help="sentence vectors on")
    parser.add_argument("--limit", type=int, default=0, help="ingest only this many files")
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it (default: temp)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (median)")
    parser.add_argument(
        "--pickup-only",
        action="store_true",
        help="only the live pickup, on the database of an earlier --keep DIR run",
    )
    args = parser.parse_args(argv)
    if args.pickup_only:
        if args.keep is None:
            print("--pickup-only needs --keep DIR (a kept run)", file=sys.stderr)
            return 2
        return pickup_only(args.keep, args)
    if not ARCHIVE.exists():
        print(f"no archive at {ARCHIVE}", file=sys.stderr)
        return 2
    if args.repeat < 1 or args.limit < 0 or args.runs < 1:
        print("--repeat and --runs must be 1 or more, --limit 0 or more", file=sys.stderr)
        return 2
    work = Path(args.keep or tempfile.mkdtemp(prefix="archive-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return run(work, args)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def run(work: Path, args: argparse.Namespace) -> int:
    files = unpack(work, args.repeat)
    extra, files = files[-1], files[:-1]  # one held back: the live pickup adds it
    if args.limit:
        files = files[: args.limit]
    env = bench_env(work, args.encoder)
    print(
        f"archive: {len(files)} statements to ingest (x{args.repeat}); "
        f"sentence encoder {'on' if args.encoder else 'off'}"
    )

    # ------------------------------------------------------------------ ingest
    took = 0.0
    stored = refused = 0
    for lo in range(0, len(files), 500):
        part = [str(f) for f in files[lo : lo + 500]]
        t, out, err = briefbot(env, "ingest", "--by", "bench", *part, check=False)
        took += t
        stored += out.count(" -> stored as ")
        refused += err.count("error: ")
    print(
        f"ingest: {stored} stored, {refused} refused in {took:.1f} s = "
        f"{stored / took:.1f} statements/s"
    )

    # ------------------------------------------------------------------ starts
    t, _, _ = briefbot(env, "ask", QUERY, "--limit", "3")
    print(f"first command after the ingest (ask): {t:.2f} s")
    t, _, _ = briefbot(env, "ask", QUERY, "--limit", "3")
    print(f"warm restart to first answer (ask): {t:.2f} s")
    cold = dict(
        env,
        BRIEFBOT_INDEX_CACHE=str(work / "index-cold"),
        BRIEFBOT_CACHE_DIR=str(work / "cache-cold"),
    )
    if args.encoder:  # the vectors would take an hour again: keep them
        cold["BRIEFBOT_CACHE_DIR"] = env["BRIEFBOT_CACHE_DIR"]
    t, _, _ = briefbot(cold, "ask", QUERY, "--limit", "3")
    print(f"cold start to first answer (ask, nothing kept): {t:.2f} s")

    # ------------------------------------------------------------------ commands
    _, out, _ = briefbot(env, "commitments", "--json")
    items = json.loads(out)
    _, out, _ = briefbot(env, "docs", "--json")
    docs = json.loads(out)
    commands = {
        "ask": ["ask", QUERY],
        "docs": ["docs"],
        "commitments": ["commitments"],
        "status": ["status", items[0]["id"]] if items else None,
        "show": ["show", docs[-1]["doc_id"]],
    }
    print(
        f"served: {len(docs)} statements, {sum(d['clauses'] for d in docs)} clauses, "
        f"{len(items)} dated items"
    )
    for name, argv in commands.items():
        if argv is None:
            print(f"{name:>12}: skipped (no dated item)")
            continue
        times = sorted(briefbot(env, *argv)[0] for _ in range(args.runs))
        print(
            f"{name:>12}: {times[len(times) // 2]:.2f} s "
            f"(median of {len(times)}; min {times[0]:.2f})"
        )

    return pickup(env, extra)


def bench_env(work: Path, encoder: bool) -> dict[str, str]:
    """The environment every command of the run sees (its database and caches in
    ``work``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRIEFBOT_"))}
    env.update(
        {
            "BRIEFBOT_CORPUS": str(ROOT / "corpus"),
            "DATABASE_URL": f"sqlite:///{work / 'archive.db'}",
            "BRIEFBOT_INDEX_CACHE": str(work / "index"),
            "BRIEFBOT_CACHE_DIR": str(work / "cache"),
            "BRIEFBOT_SENTENCE_ENCODER": "on" if encoder else "off",
            "BRIEFBOT_ENV_FILE": str(work / "none.env"),
            "BRIEFBOT_LOG_LEVEL": "WARNING",
        }
    )
    return env


def pickup(env: dict[str, str], extra: Path) -> int:
    """Live pickup: a served snapshot sees ``extra`` ingested, then withdrawn."""
    from bot.config import Settings
    from bot.services import build_services

    settings = Settings.from_env(dict(env))
    services = build_services(settings)
    base = len(services.corpus.documents)
    steady = memory_mib()
    started = time.perf_counter()
    _, out, _ = briefbot(env, "ingest", "--by", "bench", str(extra))
    ingested = time.perf_counter() - started
    new_id = out.split("stored as ", 1)[1].split()[0]
    peak = PeakMemory()
    t0 = time.perf_counter()
    services.refresh()
    refreshed = time.perf_counter() - t0
    top = peak.stop()
    assert len(services.corpus.documents) == base + 1, "the new statement was not picked up"
    assert services.corpus.get(new_id) is not None
    title = services.corpus.get(new_id).title
    t0 = time.perf_counter()
    hits = services.index.search(title, limit=3).hits
    answered = time.perf_counter() - t0
    assert any(h.clause.doc_id == new_id for h in hits), "the new statement is not found"
    print(
        f"live pickup of one more statement: ingest {ingested:.2f} s, then the served "
        f"snapshot's refresh {refreshed:.2f} s and its first answer {answered:.2f} s "
        "(the watcher polls every 2 s)"
    )
    print(
        f"memory of a serving process (PSS): steady {steady:.0f} MiB, "
        f"peak during the refresh {top:.0f} MiB ({top / steady:.2f}x)"
    )
    briefbot(env, "remove", new_id)
    t0 = time.perf_counter()
    services.refresh()
    withdrawn = time.perf_counter() - t0
    assert services.corpus.get(new_id) is None
    assert services.index.clauses_of(new_id) == [], "the withdrawn statement is still served"
    print(f"live withdrawal of that statement: the refresh {withdrawn:.2f} s")
    return 0


def pickup_only(work: Path, args: argparse.Namespace) -> int:
    """``--pickup-only``: the live pickup on the database a ``--keep DIR`` run left."""
    files = sorted((work / "unpacked" / "statements").glob("*.md"))
    if not (work / "archive.db").is_file() or not files:
        print(f"--pickup-only needs a kept run in {work} (--keep DIR)", file=sys.stderr)
        return 2
    # A statement not stored yet: a copy with its own title, text and date.
    k = int(time.time()) % 100_000 + 100
    extra = work / f"pickup-{k}.md"
    extra.write_text(copy_of(files[-1].read_text("utf-8"), k), "utf-8")
    return pickup(bench_env(work, args.encoder), extra)


if __name__ == "__main__":
    sys.exit(main())
