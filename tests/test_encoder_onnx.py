"""The encoder's forward pass on onnxruntime (bot/search/encoder_graph.onnx, fed the
safetensors weights) against the NumPy pass it reproduces, and the fall-back to NumPy.

Agreement is asserted to 1e-5 per vector component; the ranks the two passes give the
right clause of every paraphrase row are asserted identical.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from paths import CORPUS, ROOT, SHARED

from bot.search import encoder as module
from bot.search.encoder import MAX_TOKENS, Encoder, describe, graph_path, load_encoder
from bot.search.evaluate import is_right, load_cases, prepare_corpus, read_samples

TOLERANCE = 1e-5
DATA = ROOT / "tests" / "data"
SAMPLES = SHARED / "corpus-samples"


def _need(thing: object, what: str) -> None:
    if thing is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} (the Makefile installs it)")
        pytest.skip(what)


@pytest.fixture(scope="module")
def folder():
    found = module._model_dir()
    _need(found, "the all-MiniLM-L6-v2 model files are not installed")
    return found


@pytest.fixture(scope="module")
def onnx_pass(folder):
    """The encoder search uses (load_encoder), which runs on onnxruntime."""
    enc = load_encoder()
    _need(enc, "the sentence encoder did not load")
    assert enc.runtime == "onnxruntime"
    return enc


@pytest.fixture(scope="module")
def numpy_pass(folder):
    return Encoder(folder, runtime="numpy")


def _close(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape and a.dtype == b.dtype == np.float32
    return float(np.abs(a - b).max()) if a.size else 0.0


def test_search_uses_the_onnxruntime_pass(onnx_pass):
    assert describe(onnx_pass) == "all-MiniLM-L6-v2 (6 layers, 384 dims, onnxruntime)"
    assert onnx_pass._session is not None


def test_the_graph_is_small_and_holds_no_weights():
    data = graph_path().read_bytes()
    # 22.7 million float32 weights would be 87 MiB; the graph is nodes and names.
    assert 0 < len(data) < 100_000
    assert b"weights-fed-at-load-time" in data  # every weight is declared external


def test_the_graph_is_what_the_build_script_writes(tmp_path, folder):
    pytest.importorskip("onnx", reason="the dev extra's onnx package builds the graph")
    out = tmp_path / "graph.onnx"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "build_encoder_graph.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == graph_path().read_bytes(), (
        "bot/search/encoder_graph.onnx is stale: python bench/build_encoder_graph.py"
    )


class Vectors:
    """Each text encoded once by each pass (the NumPy pass is the slow one)."""

    def __init__(self, onnx_pass: Encoder, numpy_pass: Encoder) -> None:
        self.passes = (onnx_pass, numpy_pass)
        self.done: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        todo = list(dict.fromkeys(t for t in texts if t not in self.done))
        if todo:
            both = [p.encode(todo) for p in self.passes]
            for k, t in enumerate(todo):
                self.done[t] = (both[0][k], both[1][k])
        return tuple(np.stack([self.done[t][i] for t in texts]) for i in (0, 1))


@pytest.fixture(scope="module")
def vectors(onnx_pass, numpy_pass):
    return Vectors(onnx_pass, numpy_pass)


def test_every_bundled_clause_gets_the_same_vector(vectors, index):
    texts = index.sentence_texts()
    assert len(texts) > 500
    got, want = vectors(texts)
    assert _close(got, want) < TOLERANCE


@pytest.mark.parametrize(
    "texts",
    [
        pytest.param([""], id="empty"),
        pytest.param(["fentanyl"], id="one-word"),
        pytest.param(["a " * 400], id="max-length"),
        pytest.param(
            ["jabs", "", "We condemn the illicit trafficking of firearms. " * 30, "sea lanes"],
            id="batch-with-padding",
        ),
        pytest.param(["naïve café — 中国 🇺🇸 ∑"], id="non-ascii"),
    ],
)
def test_edge_cases_match(onnx_pass, numpy_pass, texts):
    ids = onnx_pass.tokens(texts)
    if texts == ["a " * 400]:
        assert len(ids[0]) == MAX_TOKENS  # truncated to the longest input the model takes
    got, want = onnx_pass.encode(texts), numpy_pass.encode(texts)
    assert got.shape == (len(texts), 384)
    assert _close(got, want) < TOLERANCE
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_padded_rows_read_only_their_own_tokens(onnx_pass, numpy_pass):
    """One batch: a single [CLS] token, a padded short row and a full row, as the
    forward passes get them (the tokens of each row, zeros after, the mask saying so)."""
    long = onnx_pass.tokens(["We will expand trade in agricultural goods. " * 20])[0]
    short = onnx_pass.tokens(["farm exports"])[0]
    n = len(long)
    ids = np.zeros((3, n), dtype=np.int64)
    mask = np.zeros((3, n), dtype=np.int64)
    for row, toks in enumerate([long[:1], short, long]):
        ids[row, : len(toks)] = toks
        mask[row, : len(toks)] = 1
    got = onnx_pass._forward(ids, mask)
    assert onnx_pass.runtime == "onnxruntime"  # it did run there
    assert _close(got, numpy_pass._numpy(ids, mask)) < TOLERANCE
    alone = onnx_pass._forward(np.array([short]), np.ones((1, len(short)), dtype=np.int64))
    assert _close(got[1:2], alone) < TOLERANCE  # padding changes nothing


# -- ranks on the paraphrase tables ------------------------------------------------------


@pytest.fixture(scope="module")
def eval_clauses(tmp_path_factory):
    if not SAMPLES.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SAMPLES} is missing")
        pytest.skip(f"{SAMPLES} is missing")
    from bot.reading.documents import load_corpus
    from bot.search import ClauseIndex

    out = prepare_corpus(
        CORPUS, SAMPLES, read_samples(DATA / "samples.tsv"), tmp_path_factory.mktemp("eval")
    )
    return ClauseIndex.from_documents(load_corpus(out).documents).clauses


def _rank(matrix: np.ndarray, qvec: np.ndarray, case, clauses) -> int:
    """1-based rank of the first right clause by cosine alone (0: none)."""
    order = np.argsort(-(matrix @ qvec), kind="stable")
    for r, i in enumerate(order, 1):
        if is_right(case, clauses[int(i)]):
            return r
    return 0


def test_paraphrases_rank_their_clause_the_same(vectors, eval_clauses):
    cases = [
        c
        for table in ("questions.tsv", "paraphrases_heldout.tsv", "paraphrases_fresh.tsv")
        for c in load_cases(DATA / table)
        if c.kind == "paraphrase"
    ]
    assert len(cases) >= 60
    texts = [c.text for c in eval_clauses]
    queries = [c.query for c in cases]
    m_onnx, m_numpy = vectors(texts)  # the bundled clauses' from the test above
    q_onnx, q_numpy = vectors(queries)
    assert _close(m_onnx, m_numpy) < TOLERANCE and _close(q_onnx, q_numpy) < TOLERANCE
    ranks = [
        (
            _rank(m_onnx, q_onnx[k], case, eval_clauses),
            _rank(m_numpy, q_numpy[k], case, eval_clauses),
        )
        for k, case in enumerate(cases)
    ]
    differ = [(c.query, r) for c, r in zip(cases, ranks, strict=True) if r[0] != r[1]]
    assert not differ
    assert sum(a == 1 for a, _ in ranks) >= 10  # the table does exercise the encoder


# -- falling back to NumPy ---------------------------------------------------------------


def _warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.search.encoder" and r.levelno >= logging.WARNING
    ]


def test_without_onnxruntime_the_numpy_pass_runs(folder, numpy_pass, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime fails
    with caplog.at_level(logging.INFO, logger="bot.search.encoder"):
        enc = Encoder(folder)
    assert enc.runtime == "numpy" and describe(enc).endswith("NumPy)")
    (line,) = _warnings(caplog)
    assert "runs in NumPy" in line and "onnxruntime" in line
    texts = ["sea lanes", "fentanyl trafficking"]
    assert np.array_equal(enc.encode(texts), numpy_pass.encode(texts))
    with pytest.raises(ImportError):
        Encoder(folder, runtime="onnxruntime")  # asked for explicitly: no silent fall-back


def test_a_graph_onnxruntime_refuses_falls_back(folder, tmp_path, monkeypatch, caplog, capfd):
    broken = tmp_path / "encoder_graph.onnx"
    broken.write_bytes(graph_path().read_bytes()[:5000])  # cut short
    monkeypatch.setattr(module, "graph_path", lambda: broken)
    with caplog.at_level(logging.INFO, logger="bot.search.encoder"):
        enc = Encoder(folder)
    assert enc.runtime == "numpy"
    (line,) = _warnings(caplog)
    assert "runs in NumPy" in line and "\n" not in line and len(line) < 400
    assert capfd.readouterr().err == ""  # and nothing from onnxruntime's own logger
    assert enc.encode(["sea lanes"]).shape == (1, 384)


def test_a_failing_run_falls_back_once_and_for_good(folder, numpy_pass, caplog):
    enc = Encoder(folder)
    assert enc.runtime == "onnxruntime"

    class Failing:
        calls = 0

        def run(self, *args, **kwargs):
            Failing.calls += 1
            raise RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : out of memory")

    enc._session = Failing()
    texts = ["freedom of navigation", "a longer clause about the freedom of navigation"]
    with caplog.at_level(logging.INFO, logger="bot.search.encoder"):
        first = enc.encode(texts)
        second = enc.encode(texts)
    assert np.array_equal(first, numpy_pass.encode(texts))
    assert np.array_equal(second, first)
    assert Failing.calls == 1 and enc.runtime == "numpy"
    (line,) = _warnings(caplog)
    assert "from now on" in line and "out of memory" in line


def test_an_unknown_runtime_is_refused(folder):
    with pytest.raises(ValueError, match="runtime 'gpu' is not one of auto, onnxruntime, numpy"):
        Encoder(folder, runtime="gpu")


def test_run_time_needs_no_onnx_package_and_no_network():
    """A fresh process with ``import onnx`` made to fail and every socket refused."""
    code = textwrap.dedent(
        """
        import socket, sys
        def refuse(*a, **k):
            raise OSError("network use attempted")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        sys.modules["onnx"] = None
        from bot.search.encoder import load_encoder, describe
        enc = load_encoder()
        print(describe(enc), enc.encode(["sea lanes"]).shape)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if module._model_dir() is None:
        pytest.skip("the model files are not installed")
    assert proc.returncode == 0, proc.stderr
    assert "onnxruntime) (1, 384)" in proc.stdout
    assert proc.stderr == ""  # not a word from onnxruntime either


# -- bench/encoder_bench.py --------------------------------------------------------------


def test_the_encoder_bench_prints_both_passes(onnx_pass, tmp_path, capsys):
    """A small run (figures are for the bench, not asserted): both rows, agreement."""
    from benchscripts import bench_script

    archive = tmp_path / "archive"
    archive.mkdir()
    for f in sorted(CORPUS.glob("*.md"))[:2]:
        (archive / f.name).write_text(f.read_text("utf-8"), "utf-8")
    out_json = tmp_path / "rows.json"
    with bench_script("encoder_bench") as bench:
        args = ["--archive", str(archive), "--archive-clauses", "12", "--corpus-clauses", "8"]
        assert bench.main([*args, "--queries", "3", "--json", str(out_json)]) == 0
        printed = capsys.readouterr().out
        assert bench.HEADER in printed.splitlines()
        assert bench.main(["--archive", str(tmp_path / "nowhere")]) == 2
        assert "no archive at" in capsys.readouterr().err
    rows = json.loads(out_json.read_text("utf-8"))
    assert [r["pass"] for r in rows] == ["numpy", "onnxruntime"]
    for r in rows:
        assert r["corpus_clauses"] == 8 and r["archive_clauses"] == 12
        assert r["corpus_per_s"] > 0 and r["peak_rss_mib"] >= r["load_rss_mib"] > 0
    assert rows[1]["max_diff"] < TOLERANCE
    assert "Clauses: 8 of the bundled corpus, 12 of archive; 3 queries." in printed
