"""Benchmark briefbot's clause search against a plain rapidfuzz scan.

    python bench/search_bench.py [--sizes 10000,100000] [--queries 200] [--seed 7] [--json FILE]

What it measures (see GUIDE §7 for the reference figures):

* **Corpora.** For each size N, a synthetic corpus of N clauses: the real clauses of
  ``corpus/`` plus near-duplicate "decoys" of them. A decoy is a real clause (or the
  head of one joined to the tail of another) with 20–40% of its content words swapped
  for random words of the real vocabulary. Decoys belong to ~N/50 synthetic documents.
* **Queries.** Targets are real clauses, so the same queries run against every size
  and the hit@1 difference between sizes is the cost of more decoys. Kinds alternate:
  a "typo'd phrase" (4–8 consecutive words of the target with 1–2 character typos in
  words of 5+ letters) and "keywords" (3–4 distinct rare-ish content words of the
  target, shuffled).
* **hit@1.** The top result is right when it is the target, or when its normalised
  text contains the un-typo'd phrase / every keyword (a decoy with those words is an
  equally good answer). Near-identical clauses folded into the top hit (``also_in``)
  count as the top result too. For briefbot an empty ``hits`` list is a miss, even if
  its ``suggestion`` is right.
* **Timing.** Single thread, ``time.perf_counter`` per query after one warm-up query.
  The baseline is ``process.extract(normalise(q), normalised_texts, scorer=WRatio,
  limit=1)``; its "build" is normalising the texts. When all queries would exceed
  ``--baseline-budget`` seconds, only the first 50 run (kinds alternate, so 25 each).
* **Memory.** tracemalloc peak during a second, separate build (tracemalloc slows
  allocation, so the timed build runs without it), and the process max RSS.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import os
import platform
import random
import re
import resource
import shlex
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

import bot.search
from bot.reading.clauses import Clause, segment_all
from bot.reading.clean import normalise
from bot.reading.documents import load_corpus
from bot.search import ClauseIndex
from bot.search.columns import ClauseColumns

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT / "corpus"
BASELINE_CAP = 50
CLAUSES_PER_DOC = 50
MIB = 1024 * 1024

# Words never swapped in decoys nor picked as keywords (kept local on purpose: the
# benchmark must not change when the search module's own list is tuned).
STOP = frozenset(
    """
    a an and are as at be been being both but by can could did do does for from had has have
    he her his how i if in into is it its may might more most must no not of on or our shall
    should so such than that the their them then there these they this those to too up was
    we were what when where which while who whom why will with would you your also any all
    each other over under about after before between
    """.split()
)
_WORD = re.compile(r"([^A-Za-z]*)([A-Za-z]+)([^A-Za-z]*)")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- corpora


def real_clauses(corpus_dir: Path) -> list[Clause]:
    corpus = load_corpus(corpus_dir)
    return list(segment_all(corpus.documents))


def content_vocabulary(clauses: Sequence[Clause]) -> list[str]:
    """Lower-case alphabetic content words of the real clauses, sorted (deterministic)."""
    vocab = set()
    for c in clauses:
        for tok in c.text.split():
            m = _WORD.fullmatch(tok)
            if m and len(m.group(2)) >= 3 and m.group(2).lower() not in STOP:
                vocab.add(m.group(2).lower())
    return sorted(vocab)


def _swap_words(tokens: list[str], vocab: list[str], rng: random.Random) -> list[str]:
    slots = []
    for i, tok in enumerate(tokens):
        m = _WORD.fullmatch(tok)
        if m and len(m.group(2)) >= 3 and m.group(2).lower() not in STOP:
            slots.append(i)
    if not slots:
        return tokens
    share = rng.uniform(0.2, 0.4)
    k = max(1, round(share * len(slots)))
    out = list(tokens)
    for i in rng.sample(slots, k):
        m = _WORD.fullmatch(out[i])
        assert m is not None
        word = rng.choice(vocab)
        if m.group(2)[0].isupper():
            word = word.capitalize()
        out[i] = m.group(1) + word + m.group(3)
    return out


def synthetic_corpus(
    real: Sequence[Clause], size: int, vocab: list[str], seed: int
) -> ClauseColumns:
    """``size`` clauses: every real clause plus decoys, shuffled, in ~size/50 documents.

    Held as columns (:class:`ClauseColumns`), as ``ClauseIndex.from_documents`` holds a
    corpus's clauses: a million clause objects would be the largest thing in memory."""
    n_decoys = max(0, size - len(real))
    base_day = date(2000, 1, 1)

    def decoys_of(d: int) -> Iterator[Clause]:
        # Each document's decoys from its own generator: made as the columns are
        # filled, never all held as objects or strings.
        rng = random.Random(f"corpus-{seed}-{size}-{d}")
        doc_id = f"synthetic-{d:05d}"
        title = f"Synthetic Statement {d}"
        when = base_day + timedelta(days=(d * 37) % 9000)
        for j in range(d * CLAUSES_PER_DOC, min(n_decoys, (d + 1) * CLAUSES_PER_DOC)):
            src = rng.choice(real)
            tokens = src.text.split()
            if len(tokens) >= 6 and rng.random() < 0.3:
                # Recombine: the head of this clause with the tail of another.
                other = rng.choice(real).text.split()
                cut = rng.randint(len(tokens) * 2 // 5, len(tokens) * 7 // 10)
                tail_from = rng.randint(
                    len(other) * 3 // 10, max(len(other) * 3 // 10, len(other) - 2)
                )
                tokens = tokens[:cut] + other[tail_from:]
            pos = j % CLAUSES_PER_DOC + 1
            yield Clause(
                clause_id=f"{doc_id}#p{pos}.1",
                doc_id=doc_id,
                doc_title=title,
                doc_date=when,
                text=" ".join(_swap_words(tokens, vocab, rng)),
                paragraph=str(pos),
                block=pos,
                sentence=1,
            )

    # Keep each document's clauses together (as a real corpus is), but interleave the
    # real documents' clauses with the synthetic documents in a random order.
    groups: dict[str, Callable[[], Iterable[Clause]]] = {}
    real_groups: dict[str, list[Clause]] = {}
    for c in real:
        real_groups.setdefault(c.doc_id, []).append(c)
    for doc_id, members in real_groups.items():
        groups[doc_id] = lambda members=members: members
    for d in range((n_decoys + CLAUSES_PER_DOC - 1) // CLAUSES_PER_DOC):
        groups[f"synthetic-{d:05d}"] = lambda d=d: decoys_of(d)
    order = sorted(groups)
    random.Random(f"corpus-{seed}-{size}").shuffle(order)
    return ClauseColumns.of(c for doc_id in order for c in groups[doc_id]())


# --------------------------------------------------------------------------- queries


@dataclass
class Query:
    kind: str  # "typo" or "keywords"
    text: str
    target: Clause
    expect_phrase: str = ""  # normalised, un-typo'd (typo'd phrases)
    expect_words: tuple[str, ...] = ()  # normalised (keyword queries)
    typos: list[str] = field(default_factory=list)


def _typo(word: str, rng: random.Random) -> tuple[str, str]:
    """One character-level typo in ``word``: deletion, transposition or substitution."""
    while True:
        kind = rng.choice(("deletion", "transposition", "substitution"))
        if kind == "deletion":
            i = rng.randrange(len(word))
            out = word[:i] + word[i + 1 :]
        elif kind == "transposition":
            i = rng.randrange(len(word) - 1)
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        else:
            i = rng.randrange(len(word))
            ch = rng.choice(_LETTERS.replace(word[i].lower(), ""))
            out = word[:i] + (ch.upper() if word[i].isupper() else ch) + word[i + 1 :]
        if out.lower() != word.lower():
            return out, kind


def make_typo_query(target: Clause, rng: random.Random) -> Query | None:
    tokens = target.text.split()
    if len(tokens) < 4:
        return None
    for _ in range(20):
        k = rng.randint(4, min(8, len(tokens)))
        start = rng.randrange(len(tokens) - k + 1)
        span = tokens[start : start + k]
        long_words = [
            i for i, t in enumerate(span) if (m := _WORD.fullmatch(t)) and len(m.group(2)) >= 5
        ]
        if not long_words:
            continue
        phrase = normalise(" ".join(span))
        if len(phrase.split()) < 4:
            continue
        typod = list(span)
        notes = []
        for i in rng.sample(long_words, min(len(long_words), rng.randint(1, 2))):
            m = _WORD.fullmatch(typod[i])
            assert m is not None
            bad, kind = _typo(m.group(2), rng)
            typod[i] = m.group(1) + bad + m.group(3)
            notes.append(f"{m.group(2)}->{bad} ({kind})")
        text = " ".join(typod).strip(" \t,;:.()\"'“”‘’—–-")
        return Query("typo", text, target, expect_phrase=phrase, typos=notes)
    return None


def make_keyword_query(target: Clause, df: Counter[str], rng: random.Random) -> Query | None:
    words = sorted(
        {w for w in normalise(target.text).split() if len(w) >= 4 and w.isalpha()} - STOP
    )
    if len(words) < 3:
        return None
    words.sort(key=lambda w: (df[w], w))
    k = rng.randint(3, min(4, len(words)))
    rare = words[: max(k, (len(words) + 1) // 2)]  # the rarer half of the clause's words
    picked = rng.sample(rare, k)
    rng.shuffle(picked)
    return Query("keywords", " ".join(picked), target, expect_words=tuple(picked))


def make_queries(real: Sequence[Clause], n: int, seed: int) -> list[Query]:
    """``n`` queries, kinds alternating (typo'd phrase first), targets real clauses."""
    rng = random.Random(f"queries-{seed}")
    df: Counter[str] = Counter()
    for c in real:
        df.update(set(normalise(c.text).split()))
    queries: list[Query] = []
    while len(queries) < n:
        target = rng.choice(real)
        if len(queries) % 2 == 0:
            q = make_typo_query(target, rng)
        else:
            q = make_keyword_query(target, df, rng)
        if q is not None:
            queries.append(q)
    return queries


def is_correct(q: Query, clause: Clause) -> bool:
    if clause.clause_id == q.target.clause_id:
        return True
    norm = normalise(clause.text)
    if q.kind == "typo":
        return f" {q.expect_phrase} " in f" {norm} "
    have = set(norm.split())
    return all(w in have for w in q.expect_words)


# --------------------------------------------------------------------------- measuring


@dataclass
class Row:
    method: str
    clauses: int
    build_s: float
    p50_ms: float
    p99_ms: float
    peak_mib: float
    retained_mib: float
    hit1_typo: float
    hit1_keywords: float
    typo_hits: int
    typo_total: int
    keyword_hits: int
    keyword_total: int
    queries_timed: int
    queries_total: int
    empty_results: int = 0
    max_rss_mib: float = 0.0
    semantic_mib: float = 0.0  # clause and word vectors held by the semantic signal
    note: str = ""
    warm_s: float = 0.0  # a fresh process loading the persisted index
    key_s: float = 0.0  # hashing the clauses for the cache key (in this process)
    load_rss_mib: float = 0.0  # that fresh process's RSS after loading
    build_rss_mib: float = 0.0  # this process's peak RSS during the cold build
    helper_rss_mib: float = 0.0  # the build's helper process's peak RSS (0: none ran)


@dataclass
class Failure:
    clauses: int
    kind: str
    query: str
    typos: list[str]
    expected: str
    target_id: str
    target_text: str
    returned_id: str | None
    returned_text: str | None
    score: float | None
    suggestion_correct: bool
    correct_rank: int | None  # 1-based rank of the first right answer with min_score=0


def _max_rss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (MIB if sys.platform == "darwin" else 1024)


@contextlib.contextmanager
def _helper_peaks() -> Iterator[list[float]]:
    """The peak RSS of each build helper process that ends inside the block (from the
    line :mod:`bot.search.helper` logs as it stops one)."""
    import logging

    peaks: list[float] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            peak = getattr(record, "helper_peak_mib", None)
            if peak is not None:
                peaks.append(float(peak))

    logger = logging.getLogger("bot.search.helper")
    handler, level = Catch(logging.INFO), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield peaks
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _rss_mib(field: str = "VmRSS") -> float:
    """This process's RSS (or its peak since the last reset, ``VmHWM``), from /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _reset_peak_rss() -> bool:
    """Reset VmHWM (Linux 4.0+), so the next peak is this step's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


_WARM = """
import json, resource, sys, time
t0 = time.perf_counter()
from bot.search import ClauseIndex
t1 = time.perf_counter()
index = ClauseIndex.load_saved(sys.argv[1], sys.argv[2])
t2 = time.perf_counter()
index.search(sys.argv[3], limit=1)
t3 = time.perf_counter()
rss = 0.0
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        rss = int(line.split()[1]) / 1024
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "first_query_s": t3 - t2,
                  "rss_mib": rss, "clauses": len(index)}))
"""


def warm_start(entry: Path, key: str, query: str) -> dict[str, float]:
    """Load the persisted index in a fresh Python process: seconds and RSS after."""
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", _WARM, str(entry), key, query],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(f"warm start failed: {out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _build(factory: Callable[[], Any]) -> tuple[Any, float, float, float]:
    """Build twice: timed without tracemalloc, then traced for peak/retained memory."""
    gc.collect()
    t0 = time.perf_counter()
    obj = factory()
    build_s = time.perf_counter() - t0
    del obj
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    obj = factory()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return obj, build_s, (peak - base) / MIB, (current - base) / MIB


def _scores(
    method: str,
    size: int,
    queries: Sequence[Query],
    latencies: list[float],
    correct: list[bool],
    build_s: float,
    peak: float,
    retained: float,
) -> Row:
    done = queries[: len(correct)]
    typo = [ok for q, ok in zip(done, correct, strict=True) if q.kind == "typo"]
    kw = [ok for q, ok in zip(done, correct, strict=True) if q.kind == "keywords"]
    lat = np.asarray(latencies) * 1000
    return Row(
        method=method,
        clauses=size,
        build_s=build_s,
        p50_ms=float(np.percentile(lat, 50)),
        p99_ms=float(np.percentile(lat, 99)),
        peak_mib=peak,
        retained_mib=retained,
        hit1_typo=sum(typo) / max(len(typo), 1),
        hit1_keywords=sum(kw) / max(len(kw), 1),
        typo_hits=sum(typo),
        typo_total=len(typo),
        keyword_hits=sum(kw),
        keyword_total=len(kw),
        queries_timed=len(correct),
        queries_total=len(queries),
    )


def bench_briefbot(
    clauses: list[Clause],
    queries: Sequence[Query],
    failures: list[Failure],
    *,
    semantic: bool = True,
) -> Row:
    size = len(clauses)
    method = "briefbot" if semantic else "briefbot, words only"
    log(f"[{size}] {method}: building ClauseIndex (cold, into an empty cache) …")
    import shutil
    import tempfile

    from bot.search import persist

    cache = Path(tempfile.mkdtemp(prefix="briefbot-bench-cache-"))
    try:
        gc.collect()
        tracked = _reset_peak_rss()
        with _helper_peaks() as helper_peaks:
            t0 = time.perf_counter()
            index = ClauseIndex.cached(clauses, cache_dir=cache / "a", semantic=semantic)
            build_s = time.perf_counter() - t0
        build_rss = _rss_mib("VmHWM") if tracked else 0.0
        helper_rss = max(helper_peaks, default=0.0)
        log(
            f"[{size}] {method}: cold build {build_s:.2f} s (peak RSS {build_rss:.0f} MiB, "
            f"helper process {helper_rss:.0f} MiB)"
        )
        t0 = time.perf_counter()
        key = persist.clauses_key(
            clauses, candidates=index.candidates, semantic=index.semantic is not None
        )
        key_s = time.perf_counter() - t0
        (entry,) = [p for p in (cache / "a").iterdir() if not p.name.startswith(".")]
        warm = warm_start(entry, key, queries[0].text)
        log(
            f"[{size}] {method}: key {key_s:.2f} s; "
            f"warm start {warm['load_s']:.2f} s in a fresh process (RSS {warm['rss_mib']:.0f} MiB,"
            f" imports {warm['import_s']:.2f} s, first query {warm['first_query_s']:.3f} s)"
        )
        # Memory allocated by a build (tracemalloc; memory-mapped vectors not included).
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        traced = ClauseIndex.cached(clauses, cache_dir=cache / "b", semantic=semantic)
        current, peak_b = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        peak, retained = (peak_b - base) / MIB, (current - base) / MIB
        del traced
        gc.collect()
    finally:
        shutil.rmtree(cache, ignore_errors=True)  # the loaded index keeps its mappings
    log(f"[{size}] briefbot: built in {build_s:.2f} s (traced peak {peak:.0f} MiB); querying …")
    index.search(queries[0].text, limit=1)  # warm-up
    latencies: list[float] = []
    correct: list[bool] = []
    results = []
    t_start = time.perf_counter()
    for n, q in enumerate(queries, 1):
        t0 = time.perf_counter()
        res = index.search(q.text, limit=1)
        latencies.append(time.perf_counter() - t0)
        results.append(res)
        ok = bool(res.hits) and any(
            is_correct(q, c) for c in (res.hits[0].clause, *res.hits[0].also_in)
        )
        correct.append(ok)
        if n % 50 == 0:
            log(f"[{size}] briefbot: {n}/{len(queries)} ({time.perf_counter() - t_start:.1f} s)")
    row = _scores(method, size, queries, latencies, correct, build_s, peak, retained)
    row.empty_results = sum(1 for r in results if not r.hits)
    row.warm_s, row.key_s = warm["load_s"], key_s
    row.load_rss_mib, row.build_rss_mib = warm["rss_mib"], build_rss
    row.helper_rss_mib = helper_rss
    if index.semantic is not None:
        row.semantic_mib = index.semantic.nbytes / MIB
    for q, res, ok in zip(queries, results, correct, strict=True):
        if ok or not semantic:
            continue
        top = res.hits[0] if res.hits else None
        sugg = res.suggestion
        rank = None
        deep = index.search(q.text, limit=20, min_score=0)
        for r, h in enumerate(deep.hits, 1):
            if any(is_correct(q, c) for c in (h.clause, *h.also_in)):
                rank = r
                break
        failures.append(
            Failure(
                clauses=size,
                kind=q.kind,
                query=q.text,
                typos=q.typos,
                expected=q.expect_phrase or " + ".join(q.expect_words),
                target_id=q.target.clause_id,
                target_text=q.target.text,
                returned_id=top.clause.clause_id if top else None,
                returned_text=top.clause.text if top else None,
                score=(top or sugg).score if (top or sugg) else None,
                suggestion_correct=bool(sugg and is_correct(q, sugg.clause)),
                correct_rank=rank,
            )
        )
    del index
    gc.collect()
    row.max_rss_mib = _max_rss_mib()
    return row


def bench_baseline(clauses: list[Clause], queries: Sequence[Query], budget_s: float) -> Row:
    size = len(clauses)
    log(f"[{size}] rapidfuzz: normalising {size} clause texts …")
    choices, build_s, peak, retained = _build(lambda: [normalise(c.text) for c in clauses])
    process.extract(normalise(queries[0].text), choices, scorer=fuzz.WRatio, limit=1)  # warm-up
    latencies: list[float] = []
    correct: list[bool] = []
    limit = len(queries)
    note = ""
    t_start = time.perf_counter()
    for n, q in enumerate(queries, 1):
        if n > limit:
            break
        t0 = time.perf_counter()
        best = process.extract(normalise(q.text), choices, scorer=fuzz.WRatio, limit=1)
        latencies.append(time.perf_counter() - t0)
        correct.append(bool(best) and is_correct(q, clauses[best[0][2]]))
        if n == 5 and limit > BASELINE_CAP:
            projected = sum(latencies) / len(latencies) * len(queries)
            if projected > budget_s:
                limit = BASELINE_CAP
                note = (
                    f"first {BASELINE_CAP} of {len(queries)} queries only "
                    f"(all would take ~{projected:.0f} s > --baseline-budget {budget_s:g} s)"
                )
                log(f"[{size}] rapidfuzz: timing the {note}")
        if n % 25 == 0:
            log(f"[{size}] rapidfuzz: {n}/{limit} ({time.perf_counter() - t_start:.1f} s)")
    row = _scores(
        "rapidfuzz WRatio scan", size, queries, latencies, correct, build_s, peak, retained
    )
    row.note = note
    del choices
    gc.collect()
    row.max_rss_mib = _max_rss_mib()
    return row


# --------------------------------------------------------------------------- report

HEADER = (
    "| method | clauses | build s | p50 ms | p99 ms | peak MiB | hit@1 typo'd | hit@1 keywords |"
)


def _ms(v: float) -> str:
    return f"{v:.2f}" if v < 10 else f"{v:.0f}"


def table(rows: Sequence[Row]) -> str:
    lines = [HEADER, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        mark = " *" if r.note else ""
        lines.append(
            f"| {r.method}{mark} | {r.clauses:,} | {r.build_s:.2f} | {_ms(r.p50_ms)} | "
            f"{_ms(r.p99_ms)} | {r.peak_mib:.1f} | "
            f"{r.hit1_typo:.2f} ({r.typo_hits}/{r.typo_total}) | "
            f"{r.hit1_keywords:.2f} ({r.keyword_hits}/{r.keyword_total}) |"
        )
    for r in rows:
        if r.note:
            lines.append(f"\n\\* {r.method} at {r.clauses:,} clauses: {r.note}.")
    return "\n".join(lines)


STARTUP_HEADER = (
    "| method | clauses | cold build s | warm start s | RSS after load MiB | "
    "peak RSS in build MiB | helper peak RSS MiB | traced peak MiB | p50 ms | p99 ms |"
)


def startup_table(rows: Sequence[Row]) -> str:
    lines = [STARTUP_HEADER, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        helper = f"{r.helper_rss_mib:.0f}" if r.helper_rss_mib else "–"
        lines.append(
            f"| {r.method} | {r.clauses:,} | {r.build_s:.2f} | {r.warm_s:.2f} | "
            f"{r.load_rss_mib:.0f} | {r.build_rss_mib:.0f} | {helper} | {r.peak_mib:.0f} | "
            f"{_ms(r.p50_ms)} | {_ms(r.p99_ms)} |"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }


def search_version() -> str:
    """Short hash of the bot/search package as loaded, to tell runs of different code apart."""
    folder = Path(bot.search.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"bot/search/*.py sha256 {digest.hexdigest()[:12]}"


# --------------------------------------------------------------------------- questions

QUESTIONS = ROOT / "tests" / "data" / "questions.tsv"
HELD_OUT = ROOT / "tests" / "data" / "paraphrases_heldout.tsv"
FRESH = ROOT / "tests" / "data" / "paraphrases_fresh.tsv"
SAMPLES_TSV = ROOT / "tests" / "data" / "samples.tsv"
SAMPLES_DIR = ROOT.parent / "shared" / "corpus-samples"


def bench_questions(tmp: Path, *, encoder: bool = True) -> list[dict[str, Any]]:
    """hit@1 on the question/paraphrase table (bundled corpus + the 2024 samples), with
    and without the semantic signal, with build time, memory and query latency."""
    from bot.search.encoder import load_encoder
    from bot.search.evaluate import evaluate, load_cases, prepare_corpus, read_samples

    cases = load_cases(QUESTIONS)
    held_out = load_cases(HELD_OUT)
    fresh = load_cases(FRESH)
    docs = load_corpus(
        prepare_corpus(DEFAULT_CORPUS, SAMPLES_DIR, read_samples(SAMPLES_TSV), tmp / "corpus")
    ).documents
    out = []

    from bot.search.sentences import SEED_DIR

    variants = [(True, True), (True, False), (False, False)]
    if load_encoder() is None or not encoder:
        log("sentence encoder not installed or --no-encoder: its row is left out")
        variants = variants[1:]
    cache = Path(os.environ.get("BRIEFBOT_CACHE_DIR") or tmp / "cache")
    for semantic, sentences in variants:
        index, build_s, peak, _ = _build(
            lambda a=semantic: ClauseIndex.from_documents(docs, semantic=a)
        )
        encoding = ""
        if sentences:
            # Timed on its own (tracemalloc slows NumPy code badly): the bundled clauses'
            # vectors ship in corpus/.vectors, the others come from the cache or are
            # encoded now.
            gc.collect()
            t0 = time.perf_counter()
            index.build_sentences(cache_dir=cache, seeds=[DEFAULT_CORPUS / SEED_DIR])
            took = time.perf_counter() - t0
            build_s += took
            done = index.sentences.encoded
            rate = f", {done / took:.0f} a second" if done and took else ""
            encoding = f"{done} clauses encoded in {took:.1f} s{rate}; the rest read from files"
            peak += index.sentences.nbytes / MIB
        index.search(cases[0].query)  # warm-up
        t0 = time.perf_counter()
        report = evaluate(index, cases)
        per_query_ms = (time.perf_counter() - t0) * 1000 / len(cases)
        held = evaluate(index, held_out)
        unseen = evaluate(index, fresh)
        method = "briefbot, words only"
        if semantic:
            method = "briefbot" if sentences else "briefbot, no encoder"
        out.append(
            {
                "method": method,
                "encoding": encoding,
                "hit1_held_out": held.hit1("paraphrase"),
                "held_out": held.totals.get("paraphrase", 0),
                "hit1_fresh": unseen.hit1("paraphrase"),
                "fresh": unseen.totals.get("paraphrase", 0),
                "clauses": len(index),
                "build_s": build_s,
                "peak_mib": peak,
                "mean_ms": per_query_ms,
                "questions": report.totals.get("question", 0),
                "paraphrases": report.totals.get("paraphrase", 0),
                "hit1_question": report.hit1("question"),
                "hit1_paraphrase": report.hit1("paraphrase"),
                "shown1_question": report.shown1("question"),
                "shown1_paraphrase": report.shown1("paraphrase"),
                "misses": [f"{c.kind}: {c.query} -> {shown}" for c, shown in report.misses],
            }
        )
    return out


QUESTION_HEADER = (
    "| method | clauses | build s | peak MiB | mean ms | hit@1 questions | "
    "hit@1 paraphrases | first shown right (paraphrases) | hit@1 held-out paraphrases | "
    "hit@1 fresh paraphrases |"
)


def question_table(rows: Sequence[dict[str, Any]]) -> str:
    lines = [QUESTION_HEADER, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['clauses']:,} | {r['build_s']:.2f} | {r['peak_mib']:.1f} | "
            f"{r['mean_ms']:.2f} | {r['hit1_question']:.2f} of {r['questions']} | "
            f"{r['hit1_paraphrase']:.2f} of {r['paraphrases']} | "
            f"{r['shown1_paraphrase']:.2f} | {r['hit1_held_out']:.2f} of {r['held_out']} | "
            f"{r['hit1_fresh']:.2f} of {r['fresh']} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10000,100000", help="comma-separated corpus sizes (clauses)")
    p.add_argument("--queries", type=int, default=200, help="number of queries (kinds alternate)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON here")
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the real corpus")
    p.add_argument(
        "--baseline-budget",
        type=float,
        default=120.0,
        metavar="S",
        help=f"time only the first {BASELINE_CAP} baseline queries if all would take longer",
    )
    p.add_argument(
        "--failures", type=int, default=5, metavar="K", help="briefbot misses to print per size"
    )
    p.add_argument(
        "--no-words-only",
        action="store_true",
        help="skip the words-only briefbot row (the semantic signal's cost and effect)",
    )
    p.add_argument(
        "--no-encoder",
        action="store_true",
        help="leave the sentence encoder's row out of the question table",
    )
    p.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the rapidfuzz scan (hours at 1M clauses)",
    )
    p.add_argument(
        "--no-questions",
        action="store_true",
        help="skip the question/paraphrase table (needs ../shared/corpus-samples)",
    )
    args = p.parse_args(argv)
    try:
        args.size_list = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        p.error(f"--sizes must be comma-separated integers, not {args.sizes!r}")
    if not args.size_list or min(args.size_list) < 1 or args.queries < 2:
        p.error("need at least one positive size and --queries >= 2")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    command = shlex.join(["python", "bench/search_bench.py", *argv])
    t_all = time.perf_counter()
    code = search_version()
    real = real_clauses(args.corpus)
    vocab = content_vocabulary(real)
    queries = make_queries(real, args.queries, args.seed)
    log(
        f"{len(real)} real clauses, {len(vocab)} content words; {len(queries)} queries "
        f"({sum(q.kind == 'typo' for q in queries)} typo'd phrases)"
    )
    rows: list[Row] = []
    failures: list[Failure] = []
    for size in args.size_list:
        if size < len(real):
            log(f"size {size} < {len(real)} real clauses: using {len(real)}")
        t0 = time.perf_counter()
        clauses = synthetic_corpus(real, size, vocab, args.seed)
        log(f"[{len(clauses)}] corpus generated in {time.perf_counter() - t0:.1f} s")
        rows.append(bench_briefbot(clauses, queries, failures))
        if not args.no_words_only:
            rows.append(bench_briefbot(clauses, queries, failures, semantic=False))
        if not args.no_baseline:
            rows.append(bench_baseline(clauses, queries, args.baseline_budget))
        del clauses
        gc.collect()
    order = {"briefbot": 0, "briefbot, words only": 1}
    rows.sort(key=lambda r: (order.get(r.method, 2), r.clauses))
    question_rows: list[dict[str, Any]] = []
    if not args.no_questions and SAMPLES_DIR.is_dir():
        import tempfile

        log("question/paraphrase table: building the evaluation corpus …")
        with tempfile.TemporaryDirectory() as tmp:
            question_rows = bench_questions(Path(tmp), encoder=not args.no_encoder)
    info = machine()
    rss = _max_rss_mib()
    print("## Clause search benchmark\n")
    print(table(rows))
    print(
        f"\nMachine: {info['cpu_count']} CPUs (os.cpu_count), {info['platform']}, "
        f"{info['implementation']} {info['python']}. Single-threaded."
    )
    print("\n### Start-up and memory (persisted index)\n")
    print(startup_table([r for r in rows if r.method.startswith("briefbot")]))
    print(
        "\nCold build: index built, saved to an empty cache directory and loaded back "
        "(what the first start does). Warm start: a fresh Python process loading that "
        "cache (arrays memory-mapped; the wordllama model included, the Python imports "
        "not). Peak RSS: this process during the cold build, the benchmark's own corpus "
        "(held as columns, as ClauseIndex.from_documents holds one) included; helper: "
        "the build's second process, from 150,000 clauses on a machine with 2+ cores "
        "(it runs beside this one for the build only); traced: tracemalloc peak of "
        "the build alone. Query times are on the memory-mapped index."
    )
    semantic_rows = [r for r in rows if r.semantic_mib]
    if semantic_rows:
        cost = ", ".join(f"{r.clauses:,} clauses {r.semantic_mib:.1f} MiB" for r in semantic_rows)
        print(f"Semantic signal vectors (wordllama, float16 + 64-dim float32): {cost}.")
    if question_rows:
        print("\n### Questions and paraphrases (tests/data/questions.tsv)\n")
        print(question_table(question_rows))
        print(
            "\nCorpus: the bundled statements plus the 2024 samples of "
            "../shared/corpus-samples. A paraphrase counts only when the clause found "
            "shares no content word with it; 'first shown' also counts the weak "
            "'closest clause' suggestion given when nothing reaches the score threshold. "
            "Held-out paraphrases (tests/data/paraphrases_heldout.tsv) were written "
            "before the fusion was first tuned, and looked at when it was tuned again; "
            "fresh paraphrases (tests/data/paraphrases_fresh.tsv) were written before "
            "that second tuning and never used for it."
        )
        for r in question_rows:
            if r.get("encoding"):
                print(f"Sentence encoder ({r['method']} row): {r['encoding']}.")
    print(f"Search code: {code}.")
    print(f"Process max RSS: {rss:.0f} MiB (resource.getrusage, whole run).")
    print(f"Command: `{command}` (total {time.perf_counter() - t_all:.0f} s)")
    if failures and args.failures > 0:
        print(f"\n### briefbot misses (first {args.failures} per size)\n")
        shown: Counter[int] = Counter()
        for f in failures:
            if shown[f.clauses] >= args.failures:
                continue
            shown[f.clauses] += 1
            typos = f" [{'; '.join(f.typos)}]" if f.typos else ""
            got = (
                f"{f.returned_id} (score {f.score}): {f.returned_text}"
                if f.returned_id
                else f"no hit (suggestion score {f.score}, right: {f.suggestion_correct})"
            )
            print(
                f"- {f.clauses:,} clauses, {f.kind}: `{f.query}`{typos}\n"
                f"  - expected: `{f.expected}` — target {f.target_id}: {f.target_text}\n"
                f"  - returned: {got}\n"
                f"  - first right answer at rank: {f.correct_rank or '>20 / none'}"
            )
    if args.json:
        payload = {
            "command": command,
            "machine": info,
            "search_code": code,
            "max_rss_mib": rss,
            "args": {
                "sizes": args.size_list,
                "queries": args.queries,
                "seed": args.seed,
                "baseline_budget": args.baseline_budget,
            },
            "rows": [asdict(r) for r in rows],
            "questions": question_rows,
            "failures": [asdict(f) for f in failures],
        }
        Path(args.json).write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
