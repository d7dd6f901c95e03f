"""How fast the sentence encoder runs on onnxruntime and in NumPy, and what it holds.

    python bench/encoder_bench.py [--archive PATH] [--archive-clauses 5000]
                                  [--corpus-clauses N] [--queries 50] [--json FILE]

For each forward pass (``numpy``, ``onnxruntime``), one child process at a time (so
the two never share the CPU, and each one's memory is its own):

* **Clauses/s.** :meth:`Encoder.encode` of the bundled corpus's clause texts (what
  :class:`~bot.search.sentences.SentenceIndex` encodes; all unless
  ``--corpus-clauses``), then of the first
  ``--archive-clauses`` clause texts of the shared archive's statements (file-name
  order). One warm-up call first; ``time.perf_counter`` around each whole call.
* **Query latency.** Median and p95 of ``encode([query])`` over ``--queries`` real
  queries (the question table's), one at a time, as search embeds them.
* **Memory.** The process's resident memory (RSS) after loading the encoder and its
  peak (``ru_maxrss``) after encoding everything.
* **Agreement.** The largest difference between the two passes' vectors on every
  clause encoded (the onnxruntime child also runs the NumPy pass on them, untimed).

``--archive`` is the ``.tar.xz`` in ``../shared/archive/`` (the default) or a folder
of its ``.md`` statements. The figures depend on the machine and its load: the
machine line says what it was.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
from check_archive import iter_archive  # noqa: E402

DEFAULT_ARCHIVE = ROOT.parent / "shared" / "archive" / "statements-2021-2022.tar.xz"
RUNTIMES = ("numpy", "onnxruntime")
HEADER = (
    "| pass | corpus clauses/s | archive clauses/s | query ms (median, p95) "
    "| RSS after load (MiB) | peak RSS (MiB) | max diff vs NumPy |"
)


def rss_mib() -> float:
    """Resident memory of this process now (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mib() -> float:
    """Peak resident memory of this process (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def corpus_texts() -> list[str]:
    """The bundled corpus's clause texts, as the sentence index encodes them."""
    from bot.reading.documents import load_corpus
    from bot.search import ClauseIndex

    return ClauseIndex.from_documents(load_corpus(ROOT / "corpus").documents).sentence_texts()


def archive_texts(path: Path, limit: int) -> list[str]:
    """The first ``limit`` clause texts of the archive's statements."""
    from bot.reading.clauses import segment
    from bot.reading.documents import parse_document

    texts: list[str] = []
    for name, text in iter_archive(path):
        doc = parse_document(text, name, [])
        if doc is not None:
            texts.extend(c.text for c in segment(doc))
        if len(texts) >= limit:
            break
    return texts[:limit]


def queries() -> list[str]:
    from bot.search.evaluate import load_cases

    return [c.query for c in load_cases(ROOT / "tests" / "data" / "questions.tsv")]


def child(runtime: str, texts_file: Path, n_queries: int) -> dict[str, Any]:
    """Measure one forward pass in this process."""
    from bot.search.encoder import Encoder, _model_dir

    sets = json.loads(texts_file.read_text("utf-8"))
    folder = _model_dir()
    if folder is None:
        raise SystemExit("the model files are not installed (make .venv/.installed)")
    enc = Encoder(folder, runtime=runtime)
    row: dict[str, Any] = {"pass": runtime, "load_rss_mib": rss_mib()}
    enc.encode(["warm up the pass"])
    vectors = {}
    for name, texts in sets.items():
        started = time.perf_counter()
        vectors[name] = enc.encode(texts)
        seconds = time.perf_counter() - started
        row[f"{name}_clauses"] = len(texts)
        row[f"{name}_per_s"] = len(texts) / seconds
    times = []
    for q in queries()[:n_queries]:
        started = time.perf_counter()
        enc.encode([q])
        times.append((time.perf_counter() - started) * 1000)
    row["query_ms_median"] = statistics.median(times)
    row["query_ms_p95"] = float(np.percentile(times, 95))
    row["peak_rss_mib"] = peak_mib()
    row["max_diff"] = 0.0
    if runtime != "numpy":  # the reference, untimed, after the memory figures
        ref = Encoder(folder, runtime="numpy")
        row["max_diff"] = max(
            float(np.abs(ref.encode(texts) - vectors[name]).max()) for name, texts in sets.items()
        )
    return row


def table(rows: Sequence[dict[str, Any]]) -> str:
    lines = [HEADER, "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['pass']} | {r['corpus_per_s']:,.0f} | {r['archive_per_s']:,.0f} "
            f"| {r['query_ms_median']:.1f}, {r['query_ms_p95']:.1f} "
            f"| {r['load_rss_mib']:,.0f} | {r['peak_rss_mib']:,.0f} | {r['max_diff']:.1e} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--archive-clauses", type=int, default=5000)
    parser.add_argument("--corpus-clauses", type=int, default=0, help="default: all")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--child", choices=RUNTIMES, help=argparse.SUPPRESS)
    parser.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.archive_clauses < 1 or args.queries < 1:
        parser.error("--archive-clauses and --queries must be at least 1")
    if args.corpus_clauses < 0:
        parser.error("--corpus-clauses must be 0 (all) or more")
    if args.child:
        print(json.dumps(child(args.child, args.texts, args.queries)))
        return 0
    if not args.archive.exists():
        print(f"no archive at {args.archive} (--archive PATH)", file=sys.stderr)
        return 2
    from bot.search.encoder import _model_dir

    if _model_dir() is None:
        print("the model files are not installed (make .venv/.installed)", file=sys.stderr)
        return 2
    corpus = corpus_texts()[: args.corpus_clauses or None]
    sets = {"corpus": corpus, "archive": archive_texts(args.archive, args.archive_clauses)}
    if not sets["archive"]:
        print(f"no statement with a clause in {args.archive}", file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(sets), "utf-8")
        for runtime in RUNTIMES:
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    runtime,
                    "--texts",
                    str(texts_file),
                    "--queries",
                    str(args.queries),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                print(f"the {runtime} run failed:\n{proc.stderr}", file=sys.stderr)
                return 1
            rows.append(json.loads(proc.stdout.splitlines()[-1]))
    import onnxruntime

    print(table(rows))
    print()
    print(
        f"Clauses: {len(sets['corpus']):,} of the bundled corpus, {len(sets['archive']):,} "
        f"of {args.archive.name}; {min(args.queries, len(queries()))} queries."
    )
    speed = [rows[1][f"{k}_per_s"] / rows[0][f"{k}_per_s"] for k in ("corpus", "archive")]
    print(f"onnxruntime / NumPy: {speed[0]:.1f}x (corpus), {speed[1]:.1f}x (archive).")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}; Python {platform.python_version()}, NumPy "
        f"{np.__version__}, onnxruntime {onnxruntime.__version__}."
    )
    print(
        "Command: `python bench/encoder_bench.py"
        + "".join(f" {a}" for a in (argv or sys.argv[1:]))
        + "`"
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
