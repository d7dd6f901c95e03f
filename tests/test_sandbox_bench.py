"""Smoke test of bench/hostile_bench.py: it runs, prints its table and a verdict.

No timing assertions beyond the refusal itself (figures are the bench's job)."""

from __future__ import annotations

import json

import pytest
from benchscripts import bench_script


@pytest.fixture(scope="module")
def hostile_bench():
    with bench_script("hostile_bench") as module:
        yield module


def test_the_bench_prints_one_row_per_input_and_a_verdict(hostile_bench, tmp_path, capsys):
    out_json = tmp_path / "hostile.json"
    rc = hostile_bench.main(["--only", "gzip, gzip", "--deadline", "20", "--json", str(out_json)])
    assert rc == 0
    lines = capsys.readouterr().out.splitlines()
    assert hostile_bench.HEADER in lines
    rows = [ln for ln in lines if ln.startswith("| gzip, gzip (1 GiB inside) | 1,8")]
    assert len(rows) == 1 and "| refused (refused) |" in rows[0]
    assert any(ln.startswith("Within the issue's targets") for ln in lines)
    data = json.loads(out_json.read_text())
    (row,) = data["rows"]
    assert row["outcome"] == "refused (refused)" and "stacked 2 content encodings" in row["message"]
    assert data["normal_peak_mib"] > 0 and row["child_peak_mib"] > 0
