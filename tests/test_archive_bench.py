"""Smoke test of bench/archive_bench.py on a few archive statements: it runs end to end
and prints every figure (no timing asserted)."""

from __future__ import annotations

import re

import pytest
from benchscripts import bench_script
from paths import SHARED

ARCHIVE = SHARED / "archive" / "statements-2021-2022.tar.xz"


@pytest.mark.skipif(not ARCHIVE.exists(), reason="needs ../shared/archive")
def test_a_small_run_prints_every_figure(tmp_path, capsys):
    with bench_script("archive_bench") as bench:
        rc = bench.main(
            ["--limit", "4", "--runs", "1", "--requests", "10", "--keep", str(tmp_path / "work")]
        )
    assert rc == 0
    out = capsys.readouterr().out
    assert re.search(r"^ingest: 4 stored, 0 refused in [\d.]+ s = [\d.]+ statements/s$", out, re.M)
    for label in (
        "first command after the ingest (ask)",
        "warm restart to first answer (ask)",
        "cold start to first answer (ask, nothing kept)",
    ):
        assert re.search(rf"^{re.escape(label)}: [\d.]+ s$", out, re.M), label
    for command in ("ask", "docs", "commitments", "status", "show"):
        assert re.search(rf"^ *{command}: ([\d.]+ s \(median of 1|skipped)", out, re.M), command
    assert re.search(r"^served: 10 statements, \d+ clauses, \d+ dated items$", out, re.M)
    assert re.search(r"^live pickup of one more statement: ingest [\d.]+ s", out, re.M)
    assert re.search(r"steady \d+ MiB, peak during the refresh \d+ MiB", out)
    assert re.search(r"^live withdrawal of that statement: the refresh [\d.]+ s$", out, re.M)
    assert re.search(r"^first command after one more statement \(ask\): [\d.]+ s$", out, re.M)
    # Served by two workers over HTTP (a fake Slack on loopback, signed requests):
    served = (
        r"^served \(2 workers\): warm restart to the first answered /brief: [\d.]+ s "
        r"\(/healthz after [\d.]+ s\)$",
        r"^served: /brief ack through HTTP p50 [\d.]+ ms, p99 [\d.]+ ms "
        r"\(10 of 10 answered, one at a time\)$",
        r"^served: live pickup of one more statement: ingest to the first /brief answer "
        r"from it [\d.]+ s$",
        r"^served: PSS of the parent \+ 2 workers: steady \d+ MiB, peak during the refresh "
        r"\d+ MiB \([\d.]+x\)$",
    )
    for line in served:
        assert re.search(line, out, re.M), line
    # The statement added beside the server is stored (it is what the pickup answered from).
    assert (tmp_path / "work" / "served-extra.md").read_text().count(bench.SERVED_MARK) == 1

    # Again on the kept run: only the live pickup (a new statement each time).
    with bench_script("archive_bench") as bench:
        rc = bench.main(["--pickup-only", "--keep", str(tmp_path / "work")])
    assert rc == 0
    out = capsys.readouterr().out
    assert "ingest:" not in out
    assert re.search(r"^live pickup of one more statement: .* first answer [\d.]+ s", out, re.M)
    assert re.search(r"^live withdrawal of that statement: the refresh [\d.]+ s$", out, re.M)
    assert re.search(r"^first command after one more statement \(ask\): [\d.]+ s$", out, re.M)


def test_bad_options_are_refused_in_one_line(capsys):
    with bench_script("archive_bench") as bench:
        assert bench.main(["--runs", "0"]) == 2
        assert bench.main(["--requests", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("--runs and --requests must be 1 or more") == 2


def test_pickup_only_needs_a_kept_run(tmp_path, capsys):
    with bench_script("archive_bench") as bench:
        assert bench.main(["--pickup-only"]) == 2
        assert "needs --keep DIR" in capsys.readouterr().err
        assert bench.main(["--pickup-only", "--keep", str(tmp_path / "empty")]) == 2
    assert "needs a kept run" in capsys.readouterr().err
