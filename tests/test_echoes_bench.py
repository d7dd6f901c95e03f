"""Smoke test of bench/echoes_bench.py on a hand-made archive: it runs, prints its
table, and folding puts the statement first (no timing assertions)."""

from __future__ import annotations

from benchscripts import bench_script

from bot.reading.documents import render_document

AGREED = (
    "The two sides agreed to lower reciprocal tariffs on steel, aluminium and copper by "
    "ninety percent within one hundred days, and to establish a standing mechanism for "
    "consultations on economic and trade relations."
)
ECHO = "The leaders welcomed that " + AGREED[0].lower() + AGREED[1:]


def test_bench_prints_the_table_and_folding_puts_the_statement_first(tmp_path, capsys):
    files = {
        "2025-05-12_freedonia-sylvania-joint-statement": (
            "Joint Statement on Freedonia-Sylvania Trade Talks in Lisbon",
            "2025-05-12",
            "Freedonia and Sylvania held talks in Lisbon on 10 and 11 May.\n\n" + AGREED,
        ),
        "2025-05-13_readout-call-sylvania": (
            "Readout of the President’s Call with the Prime Minister of Sylvania",
            "2025-05-13",
            "The President spoke today with the Prime Minister of Sylvania.\n\n" + ECHO,
        ),
    }
    for doc_id, (title, when, text) in files.items():
        meta = {"title": title, "date": when, "parties": ["Freedonia", "Sylvania"]}
        (tmp_path / f"{doc_id}.md").write_text(render_document(meta, text), encoding="utf-8")
    with bench_script("echoes_bench") as bench:
        assert bench.main(["--archive", str(tmp_path), "--words", "12"]) == 0
    out = capsys.readouterr().out
    assert "echo pairs (token_set_ratio >= 90" in out
    rows = {
        line.split("|")[1].strip(): line.split("|")[2].strip()
        for line in out.splitlines()
        if line.startswith("| ") and line.count("|") == 6
    }
    assert rows["off"].startswith("0/1")
    assert rows["on"].startswith("1/1") and rows["on, again"].startswith("1/1")
    wrong = [line.split("|")[4].strip() for line in out.splitlines() if line.count("|") == 6]
    assert wrong[2:] == ["0", "0", "0"]  # after the header and separator rows
