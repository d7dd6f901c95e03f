"""bot.sandbox: a job runs in a child process that cannot take more memory, CPU or time
than it is given, sees none of the parent's secrets, and is stopped with a clear reason.

Figures for real hostile inputs: ``python bench/hostile_bench.py``."""

from __future__ import annotations

import threading
import time

import pytest

from bot import sandbox

PROBE = "bot.sandbox:probe"


def test_a_job_runs_in_a_child_with_limits_and_a_clean_environment(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-for-children")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:pw@db/briefbot")
    outcome = sandbox.run(PROBE, {"do": "env"}, b"12345", limits=sandbox.Limits(memory_mib=64))
    assert outcome.kind == "done" and outcome.error == ""
    seen = outcome.answer
    assert "SLACK_BOT_TOKEN" not in seen["env"] and "DATABASE_URL" not in seen["env"]
    assert seen["input_bytes"] == 5
    assert seen["file_size"] == 0  # it cannot write files
    assert 0 < seen["address_space"] < 2 << 30
    assert 0 < seen["cpu"] <= sandbox.CPU_SECONDS + 60
    assert outcome.peak_rss_mib > 0


def test_memory_over_the_limit_is_refused_and_within_it_is_fine():
    limits = sandbox.Limits(memory_mib=64)
    ok = sandbox.run(PROBE, {"do": "allocate", "mib": 16}, limits=limits)
    assert ok.answer == {"allocated_mib": 16}
    over = sandbox.run(PROBE, {"do": "allocate", "mib": 1024}, what="the PDF", limits=limits)
    assert over.kind == "memory" and over.answer is None
    assert over.error == "the PDF needs more memory than 64 MiB; stopped"
    assert over.peak_rss_mib < 64 + 200  # the GiB was never taken


def test_cpu_over_the_limit_is_stopped():
    limits = sandbox.Limits(cpu_seconds=1, deadline=120)
    outcome = sandbox.run(PROBE, {"do": "spin", "seconds": 100}, what="the page", limits=limits)
    assert outcome.kind == "cpu"
    assert outcome.error == "the page needs more than 1 s of processing; stopped"
    assert outcome.seconds < 100


def test_the_wall_clock_deadline_covers_a_job_that_only_waits():
    limits = sandbox.Limits(deadline=3)
    start = time.monotonic()
    outcome = sandbox.run(PROBE, {"do": "sleep", "seconds": 300}, what="the page", limits=limits)
    assert outcome.kind == "deadline"
    assert outcome.error == "the page took longer than 3 s; stopped"
    assert time.monotonic() - start < 60


def test_the_waiting_thread_leaves_the_rest_of_the_process_free():
    """A job that burns CPU in its child does not hold the parent: another thread's
    small tasks keep running meanwhile (generous bound: the machine is shared)."""
    limits = sandbox.Limits(cpu_seconds=2, deadline=30)
    worker = threading.Thread(
        target=sandbox.run, args=(PROBE, {"do": "spin", "seconds": 100}), kwargs={"limits": limits}
    )
    worker.start()
    gaps = []
    while worker.is_alive():
        t = time.monotonic()
        sum(range(10_000))
        time.sleep(0.05)
        gaps.append(time.monotonic() - t)
    worker.join()
    assert gaps and max(gaps) < 2.0


def test_a_child_that_crashes_is_a_one_line_reason():
    outcome = sandbox.run("bot.sandbox:no_such_function", {}, what="the page")
    assert outcome.kind == "crashed" and "\n" not in outcome.error
    assert outcome.error.startswith("the page could not be read")


def test_too_many_jobs_at_once_wait_for_a_place(monkeypatch):
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(sandbox, "_slots", slots)
    assert slots.acquire(timeout=5)  # another job holds the only place
    busy = sandbox.run(PROBE, {"do": "env"}, what="the page", limits=sandbox.Limits(deadline=0.5))
    assert busy.kind == "busy" and busy.error.startswith("the page could not be read: too many")
    slots.release()
    assert sandbox.run(PROBE, {"do": "env"}).kind == "done"


@pytest.mark.parametrize("argv", [[], ["no-colon"], ["a:b", "c"]])
def test_the_child_entry_point_checks_its_arguments(argv, capsys):
    assert sandbox.main(argv) == 2
    assert "usage: python -m bot.sandbox MODULE:FUNCTION" in capsys.readouterr().err


def test_the_readme_states_the_limits_in_force():
    import re

    from paths import ROOT

    readme = " ".join((ROOT / "README.md").read_text().split())
    limits = re.search(
        r"run in a separate process stopped after (\d+) s, (\d+) CPU seconds "
        r"or (\d+) MiB",
        readme,
    )
    assert limits is not None
    assert limits.groups() == (
        f"{sandbox.DEADLINE:.0f}",
        str(sandbox.CPU_SECONDS),
        str(sandbox.MEMORY_MIB),
    )


def test_a_child_killed_by_a_signal_says_which():
    """Not a limit of ours (an outside kill, a crash in C code): named, not guessed."""
    outcome = sandbox.run(PROBE, {"do": "signal", "signal": 11}, what="the PDF")
    assert outcome.kind == "crashed"
    assert outcome.error == "the PDF could not be read (the reader stopped with signal SIGSEGV)"
