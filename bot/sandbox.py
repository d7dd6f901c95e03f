"""Run one job on untrusted input in a child process with hard limits.

Fetching a URL and parsing what a user hands over (a page, a PDF, an uploaded file)
can take unbounded memory and time: a gzip bomb, headers trickled a byte at a time, a
PDF whose pages share one huge content stream. :func:`run` does such a job in a fresh
``python -m bot.sandbox MODULE:FUNCTION`` process:

- the child sets its own limits before it reads any input: address space (its size
  after start-up plus ``memory_mib``), CPU seconds, no file writes, no core files;
- a wall-clock deadline covers everything (start-up, connect, headers, body, parsing):
  the child stops itself at the deadline and the parent kills it shortly after;
- the job and its bytes go in on stdin and the answer comes back on stdout as JSON
  (never pickle); the child gets a minimal environment (no tokens, no database URL);
- at most :data:`MAX_JOBS` children run at once, so many hostile inputs at a time cannot
  take the machine's memory; the others wait (within their own deadline).

The calling thread only waits. Each run logs, at DEBUG on this module's logger, its
wall time and the child's peak resident memory (``extra``: ``sandbox_seconds``,
``sandbox_peak_rss_mib``, ``sandbox_outcome``) for ``bench/hostile_bench.py``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

__all__ = [
    "CPU_SECONDS",
    "DEADLINE",
    "MAX_JOBS",
    "MEMORY_MIB",
    "Limits",
    "Outcome",
    "main",
    "probe",
    "run",
]

log = logging.getLogger(__name__)

#: Wall-clock seconds a job may take: start-up, connect, headers, body and parsing.
DEADLINE = 25.0
#: CPU seconds a job may use (after the child's start-up).
CPU_SECONDS = 20
#: Address space (MiB) a job may add to what the child had after start-up.
MEMORY_MIB = 256
#: Children running at once; more wait for a free place, within their deadline.
MAX_JOBS = 4

_GRACE = 1.5  # after the deadline, for the child to stop itself, before it is killed
_MAX_ANSWER = 64 << 20  # bytes of JSON read back from a child
_MAX_ERRORS = 16 << 10  # bytes of a child's stderr kept for the log
_ENV_KEPT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR")
_slots = threading.BoundedSemaphore(MAX_JOBS)


@dataclass(frozen=True)
class Limits:
    """What one job may use."""

    deadline: float = DEADLINE
    cpu_seconds: int = CPU_SECONDS
    memory_mib: int = MEMORY_MIB


@dataclass(frozen=True)
class Outcome:
    """How a job ended: ``answer`` (the job function's JSON result) when it finished,
    else ``error``, a one-line reason for the user."""

    answer: Any = None
    error: str = ""
    #: ``done``, ``refused`` (the job said why), ``deadline``, ``cpu``, ``memory``,
    #: ``busy`` or ``crashed``.
    kind: str = "done"
    seconds: float = 0.0
    #: The child's peak resident memory (0 when it never started).
    peak_rss_mib: float = 0.0


def run(
    target: str,
    job: dict[str, Any],
    data: bytes = b"",
    *,
    what: str = "the input",
    limits: Limits | None = None,
    scrub: Callable[[str], str] = lambda text: text,
) -> Outcome:
    """Run ``target`` (``"package.module:function"``, called as ``function(job, data)``
    and returning JSON-able data) in a limited child process; never raises for what the
    child does. ``what`` names the input in messages ("the page", "the PDF"); ``scrub``
    cleans text from the child before it is logged."""
    limits = limits or Limits()
    start = time.monotonic()
    deadline_at = start + limits.deadline
    if not _slots.acquire(timeout=limits.deadline):
        return _done(
            Outcome(
                error=f"{what} could not be read: too many are being read at once; "
                "try again in a minute",
                kind="busy",
            ),
            start,
            target,
        )
    try:
        return _done(_run(target, job, data, what, limits, deadline_at, scrub), start, target)
    finally:
        _slots.release()


def _done(outcome: Outcome, start: float, target: str) -> Outcome:
    seconds = time.monotonic() - start
    outcome = Outcome(outcome.answer, outcome.error, outcome.kind, seconds, outcome.peak_rss_mib)
    log.debug(
        "sandbox %s: %s in %.2f s, child peak %.0f MiB",
        target,
        outcome.kind,
        seconds,
        outcome.peak_rss_mib,
        extra={
            "sandbox_seconds": seconds,
            "sandbox_peak_rss_mib": outcome.peak_rss_mib,
            "sandbox_outcome": outcome.kind,
        },
    )
    return outcome


def _child_env() -> dict[str, str]:
    """Only what Python needs: the parent's secrets stay with the parent."""
    env = {k: os.environ[k] for k in _ENV_KEPT if k in os.environ}
    here = str(Path(__file__).resolve().parent.parent)  # the directory holding ``bot``
    env["PYTHONPATH"] = here
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONHASHSEED"] = "random"
    env["MALLOC_ARENA_MAX"] = "2"  # per-thread arenas would reserve address space
    return env


def _run(
    target: str,
    job: dict[str, Any],
    data: bytes,
    what: str,
    limits: Limits,
    deadline_at: float,
    scrub: Callable[[str], str],
) -> Outcome:
    header = {
        "job": job,
        "size": len(data),
        "deadline_at": deadline_at,  # CLOCK_MONOTONIC is one clock for the whole machine
        "cpu_seconds": limits.cpu_seconds,
        "memory_mib": limits.memory_mib,
    }
    proc = subprocess.Popen(
        [sys.executable, "-P", "-m", "bot.sandbox", target],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_child_env(),
        cwd="/",
        close_fds=True,
        start_new_session=True,  # a terminal's Ctrl-C goes to the parent, which kills it
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    child = _Child(proc.pid)
    out: list[bytes] = []
    err: list[bytes] = []
    overflow: list[bool] = []
    threads = [
        threading.Thread(
            target=_feed, args=(proc.stdin, json.dumps(header).encode() + b"\n", data)
        ),
        threading.Thread(target=_drain, args=(proc.stdout, out, _MAX_ANSWER, overflow, child)),
        threading.Thread(target=_drain, args=(proc.stderr, err, _MAX_ERRORS, [], None)),
    ]
    for t in threads:
        t.daemon = True
        t.start()
    killed = False
    watched = _PeakWatch(proc.pid)
    try:
        status_usage = _wait(proc.pid, deadline_at + _GRACE - time.monotonic(), watched.look)
        if status_usage is None:
            killed = True
            child.kill()
            status_usage = _wait(proc.pid, None)
    except BaseException:
        child.kill()
        child.reaped(_wait(proc.pid, None))
        proc.returncode = -signal.SIGKILL
        raise
    assert status_usage is not None
    child.reaped(status_usage)
    status, usage = status_usage
    # Popen never reaps it (its poll() would race with wait4): it only learns the code.
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in threads:
        t.join(timeout=5)
    cpu = usage.ru_utime + usage.ru_stime
    stderr_tail = b"".join(err).decode("utf-8", "replace").strip()
    answer: dict[str, Any] | None = None
    with contextlib.suppress(ValueError):
        answer = json.loads(b"".join(out))
    # The child's own high-water mark when it answered; else the last one seen while it
    # ran. (wait4's ru_maxrss would count the parent's pages from before the exec.)
    peak = watched.peak_mib
    if isinstance(answer, dict) and isinstance(answer.get("vmhwm"), int):
        peak = max(peak, answer["vmhwm"] / (1 << 20))
    if killed:
        return Outcome(
            error=f"{what} took longer than {limits.deadline:.0f} s; stopped",
            kind="deadline",
            peak_rss_mib=peak,
        )
    if overflow:
        return Outcome(
            error=f"{what} gave too much text; refused", kind="crashed", peak_rss_mib=peak
        )
    if isinstance(answer, dict) and "why" in answer:
        why = answer["why"]
        if why == "done":
            return Outcome(answer=answer.get("result"), peak_rss_mib=peak)
        if why == "refused":
            return Outcome(error=str(answer.get("message", "")), kind="refused", peak_rss_mib=peak)
        if why == "deadline":
            return Outcome(
                error=f"{what} took longer than {limits.deadline:.0f} s; stopped",
                kind="deadline",
                peak_rss_mib=peak,
            )
        if why == "memory":
            return Outcome(
                error=f"{what} needs more memory than {limits.memory_mib} MiB; stopped",
                kind="memory",
                peak_rss_mib=peak,
            )
        if why == "cpu":
            return _cpu(what, limits, peak)
    # No answer: the child died. Which limit, if any, stopped it?
    if proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL) and cpu >= limits.cpu_seconds - 1:
        return _cpu(what, limits, peak)
    last = scrub(stderr_tail.splitlines()[-1] if stderr_tail else "")[:300]
    log.warning("sandbox %s: child ended with %s (%s)", target, proc.returncode, last)
    if "MemoryError" in stderr_tail:  # raised where the child could not answer
        return Outcome(
            error=f"{what} needs more memory than {limits.memory_mib} MiB; stopped",
            kind="memory",
            peak_rss_mib=peak,
        )
    code = proc.returncode
    how = f"code {code}"
    if code < 0:
        with contextlib.suppress(ValueError):
            how = f"signal {signal.Signals(-code).name}"
    return Outcome(
        error=f"{what} could not be read (the reader stopped with {how})",
        kind="crashed",
        peak_rss_mib=peak,
    )


def _cpu(what: str, limits: Limits, peak: float) -> Outcome:
    return Outcome(
        error=f"{what} needs more than {limits.cpu_seconds} s of processing; stopped",
        kind="cpu",
        peak_rss_mib=peak,
    )


class _Child:
    """Kills the child until it is reaped, never after (its pid could be reused)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._lock = threading.Lock()
        self._reaped = False

    def kill(self) -> None:
        with self._lock:
            if not self._reaped:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)

    def reaped(self, _: object = None) -> None:
        with self._lock:
            self._reaped = True


def _feed(pipe: BinaryIO, header: bytes, data: bytes) -> None:
    with contextlib.suppress(OSError):  # BrokenPipeError: the child stopped early
        pipe.write(header)
        view = memoryview(data)
        for i in range(0, len(view), 1 << 16):
            pipe.write(view[i : i + (1 << 16)])
    with contextlib.suppress(OSError):
        pipe.close()


def _drain(
    pipe: BinaryIO,
    into: list[bytes],
    limit: int,
    overflow: list[bool],
    child: _Child | None,
) -> None:
    """Read ``pipe`` to its end, keeping ``limit`` bytes; past them, kill ``child`` (the
    answer is useless) or, without one, read on and drop the rest (so it never blocks)."""
    size = 0
    with contextlib.suppress(OSError, ValueError):
        while chunk := pipe.read1(1 << 16):  # type: ignore[attr-defined]
            size += len(chunk)
            if size <= limit:
                into.append(chunk)
            elif child is not None:
                overflow.append(True)
                child.kill()
                break
    with contextlib.suppress(OSError):
        pipe.close()


class _PeakWatch:
    """The child's resident high-water mark (VmHWM), read while it runs."""

    def __init__(self, pid: int) -> None:
        self.path = f"/proc/{pid}/status"
        self.peak_mib = 0.0

    def look(self) -> None:
        with contextlib.suppress(OSError, ValueError), open(self.path, encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    self.peak_mib = max(self.peak_mib, int(line.split()[1]) / 1024)
                    return


def _wait(
    pid: int, timeout: float | None, tick: Callable[[], None] = lambda: None
) -> tuple[int, resource.struct_rusage] | None:
    """Reap ``pid`` with its resource usage; None when ``timeout`` passed first.
    ``tick`` runs about every 0.1 s while waiting."""
    if timeout is not None:
        try:
            fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            fd = -1
        try:
            end = time.monotonic() + max(0.0, timeout)
            while True:
                pid_done, status, usage = os.wait4(pid, os.WNOHANG)
                if pid_done:
                    return status, usage
                tick()
                left = end - time.monotonic()
                if left <= 0:
                    return None
                if fd >= 0:
                    select.select([fd], [], [], min(left, 0.1))
                else:
                    time.sleep(min(left, 0.02))
        finally:
            if fd >= 0:
                os.close(fd)
    _, status, usage = os.wait4(pid, 0)
    return status, usage


# ----------------------------------------------------------------------- the child


class _Overtime(BaseException):
    """The wall-clock deadline passed (a BaseException: no library's ``except
    Exception`` swallows it)."""


class _OverCpu(BaseException):
    """The CPU limit's soft part was reached (SIGXCPU)."""


def _raise_overtime(signum: int, frame: object) -> None:
    raise _Overtime


def _raise_overcpu(signum: int, frame: object) -> None:
    raise _OverCpu


def _status_bytes(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _near_limit() -> bool:
    """True when this process's address space came within 32 MiB of its limit."""
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    return limit != resource.RLIM_INFINITY and _status_bytes("VmPeak") > limit - (32 << 20)


def _limit_self(cpu_seconds: int, memory_mib: int) -> None:
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime) + 1 + cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    space = _status_bytes("VmSize") + (memory_mib << 20)
    resource.setrlimit(resource.RLIMIT_AS, (space, space))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails (EFBIG) instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def main(argv: list[str] | None = None) -> int:
    """The child: ``python -m bot.sandbox MODULE:FUNCTION``, a JSON header line and the
    input bytes on stdin, one JSON answer on stdout."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or ":" not in args[0]:
        print("usage: python -m bot.sandbox MODULE:FUNCTION", file=sys.stderr)
        return 2
    logging.disable(logging.CRITICAL)  # a malformed PDF can warn once per object
    warnings.simplefilter("ignore")
    module_name, func_name = args[0].split(":", 1)
    module = importlib.import_module(module_name)
    func = getattr(module, func_name)
    for name in getattr(module, "SANDBOX_PRELOAD", ()):
        importlib.import_module(name)  # before the limits: start-up is not the input's cost
    stdin = sys.stdin.buffer
    header = json.loads(stdin.readline(1 << 20))
    _limit_self(int(header["cpu_seconds"]), int(header["memory_mib"]))
    signal.signal(signal.SIGXCPU, _raise_overcpu)
    signal.signal(signal.SIGALRM, _raise_overtime)
    answer: dict[str, Any]
    try:
        left = float(header["deadline_at"]) - time.monotonic()
        if left <= 0:
            raise _Overtime
        signal.setitimer(signal.ITIMER_REAL, left)
        data = stdin.read(int(header["size"]))
        answer = {"why": "done", "result": func(header["job"], data)}
    except _Overtime:
        answer = {"why": "deadline"}
    except _OverCpu:
        answer = {"why": "cpu"}
    except MemoryError:
        answer = {"why": "memory"}
    except Exception as exc:
        if _is_refusal(exc):
            answer = {"why": "refused", "message": str(exc)}
        elif _near_limit():
            # A C library (libxml2 under lxml, zlib) that cannot allocate often says
            # so with an error of its own, not MemoryError.
            answer = {"why": "memory"}
        else:
            raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    answer["vmhwm"] = _status_bytes("VmHWM")
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()
    return 0


def probe(job: dict[str, Any], data: bytes) -> dict[str, Any]:
    """A job that shows the child's limits hold here (``bot.sandbox:probe``):
    ``{"do": "env"}`` names the environment variables it sees and its limits;
    ``"allocate"`` takes ``mib`` MiB, ``"spin"`` burns CPU, ``"sleep"`` waits, each
    for ``seconds`` at most (a platform without working limits finishes them);
    ``"signal"`` sends itself one (how a crash looks)."""
    do = job.get("do")
    if do == "allocate":
        block = bytearray(int(job["mib"]) << 20)
        return {"allocated_mib": len(block) >> 20}
    if do == "spin":
        end = time.process_time() + float(job["seconds"])
        while time.process_time() < end:
            pass
        return {"spun": True}
    if do == "signal":
        os.kill(os.getpid(), int(job["signal"]))
        time.sleep(5)
        return {"alive": True}
    if do == "sleep":
        time.sleep(float(job["seconds"]))
        return {"slept": True}
    return {
        "env": sorted(os.environ),
        "address_space": resource.getrlimit(resource.RLIMIT_AS)[0],
        "cpu": resource.getrlimit(resource.RLIMIT_CPU)[0],
        "file_size": resource.getrlimit(resource.RLIMIT_FSIZE)[0],
        "input_bytes": len(data),
    }


def _is_refusal(exc: Exception) -> bool:
    """The project's one-line refusals (IngestError and its kind) travel back as such."""
    from bot.ingest import IngestError

    return isinstance(exc, IngestError)


if __name__ == "__main__":
    sys.exit(main())
