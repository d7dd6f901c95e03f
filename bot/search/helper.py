"""A second process for a large index build: its independent steps on another core.

Most of a build is Python string work (folding texts, the date and place flags) that
one interpreter runs on one core, and threads do not help (measured: both steps got
slower side by side). For a large corpus :class:`BuildHelper` starts one helper
process, ``python -m bot.search.helper``, a clean interpreter (safe to start from a
server with threads running, and it never re-runs the caller's script, as
multiprocessing's "spawn" would), and hands it steps that need nothing but their
arguments. The build goes on meanwhile and collects each result when it needs it.

Only the steps named in :data:`STEPS` run there. Small corpora, one-core machines,
or a helper that cannot start or dies: the step is done in this process instead
(logged), with the same result.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any, TypeVar

from bot.reading.clauses import search_text
from bot.reading.clean import fold_words
from bot.search.columns import StringColumn
from bot.search.flags import clause_flags
from bot.search.lexical import WordTokens

__all__ = ["HELPER_SHARE", "PARALLEL_MIN", "STEPS", "BuildHelper", "fold_texts"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Clauses from which a build uses a helper process (below, starting one costs more
#: than it saves: about half a second).
PARALLEL_MIN = 150_000
#: The share of the texts the helper folds: less than half, as it starts later and
#: sends its part back (measured at 1M clauses: at one half the build waited for it).
HELPER_SHARE = 0.4


def fold_texts(sections: Sequence[str], texts: Sequence[str]) -> tuple[StringColumn, WordTokens]:
    """Each clause's :func:`bot.reading.clauses.search_text` folded by
    :func:`bot.reading.clean.normalise`, as a column, and its words as ids (each text
    split once for both)."""
    if len(sections) != len(texts):
        raise ValueError(f"{len(sections)} sections for {len(texts)} texts")
    folded: list[str] = []
    keep = folded.append

    def words() -> Iterator[list[str]]:
        for s, t in zip(sections, texts, strict=True):
            w = fold_words(search_text(s, t))
            keep(" ".join(w))
            yield w

    tokens = WordTokens.of_words(words(), len(texts))
    return StringColumn.of(folded), tokens


#: What a helper may be asked to run, by name.
STEPS: dict[str, Callable[..., Any]] = {
    "fold_texts": fold_texts,
    "clause_flags": clause_flags,
}


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _peak_rss_mib(pid: int) -> float | None:
    """A live process's peak RSS (Linux's ``VmHWM``), or None where that is unknown."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


class BuildHelper:
    """One helper process for a build of ``size`` items (none when not worth it).

    Use as a context manager; :meth:`submit` returns a function that gives the step's
    result (from the helper, or computed here if there is none or it failed). Steps
    run in the helper in the order submitted."""

    def __init__(self, size: int, *, minimum: int | None = None) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._sender: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._results: list[tuple[bool, Any]] = []
        self._asked = 0
        if size < (PARALLEL_MIN if minimum is None else minimum) or _cores() < 2:
            return
        boot = (
            "import sys; sys.path[:0] = "
            + repr([p for p in sys.path if p])
            + "; from bot.search.helper import serve; serve()"
        )
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", boot],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                close_fds=True,
            )
        except OSError as exc:
            log.warning("index build: no helper process (%s); building on one core", exc)
            return
        self._sender = ThreadPoolExecutor(1, thread_name_prefix="briefbot-helper-send")

    @property
    def active(self) -> bool:
        """Whether a helper process takes submitted steps."""
        return self._proc is not None

    def submit(self, fn: Callable[..., T], *args: Any) -> Callable[[], T]:
        """Start ``fn(*args)`` in the helper; call the returned function for its value."""
        name = next((k for k, f in STEPS.items() if f is fn), None)
        if self._proc is None or self._sender is None or name is None:
            return lambda: fn(*args)
        sent: Future[None] = self._sender.submit(self._send, name, args)
        number = self._asked
        self._asked += 1

        def result() -> T:
            try:
                sent.result()
                ok, value = self._result(number)
            except Exception as exc:  # died, or could not take the arguments
                log.warning(
                    "index build: helper step %s failed (%s: %s); doing it here",
                    name,
                    type(exc).__name__,
                    exc,
                )
                return fn(*args)
            if not ok:
                log.warning("index build: helper step %s raised %s; doing it here", name, value)
                return fn(*args)
            return value

        return result

    def _send(self, name: str, args: tuple[Any, ...]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        pickle.dump((name, args), self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self._proc.stdin.flush()

    def _result(self, number: int) -> tuple[bool, Any]:
        """The ``number``-th answer (answers come back in order)."""
        with self._lock:
            assert self._proc is not None and self._proc.stdout is not None
            while len(self._results) <= number:
                self._results.append(pickle.load(self._proc.stdout))
            answer = self._results[number]
            self._results[number] = (True, None)  # let the value go with the caller
            return answer

    def close(self) -> None:
        """Stop the helper (it ends when its input closes; killed if it does not)."""
        if self._sender is not None:
            self._sender.shutdown(wait=True, cancel_futures=True)
            self._sender = None
        proc, self._proc = self._proc, None
        if proc is None:
            return
        peak = _peak_rss_mib(proc.pid)
        log.info(
            "index build: helper process ran %d steps, peak RSS %s MiB",
            self._asked,
            f"{peak:.0f}" if peak is not None else "unknown",
            extra={"helper_peak_mib": peak},
        )
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> BuildHelper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(inp: IO[bytes] | None = None, out: IO[bytes] | None = None) -> None:
    """The helper's loop: read ``(step name, args)``, write ``(ok, value)``, until EOF.

    Its standard output carries the answers, so anything printed goes to stderr."""
    if out is None:
        out = os.fdopen(os.dup(1), "wb")
        os.dup2(2, 1)
    if inp is None:
        inp = sys.stdin.buffer
    while True:
        try:
            name, args = pickle.load(inp)
        except EOFError:
            return
        try:
            answer: tuple[bool, Any] = (True, STEPS[name](*args))
        except Exception as exc:
            answer = (False, f"{type(exc).__name__}: {exc}")
        pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()
        del answer, args
