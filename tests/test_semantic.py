"""The semantic signal: wordllama's bundled weights, loaded with the network unusable."""

from __future__ import annotations

import numpy as np
from offline import run_offline

from bot.search.semantic import SemanticIndex, load_model


def test_model_loads_from_the_wheel_with_sockets_refused():
    proc = run_offline(
        """
        from bot.search.semantic import load_model
        model = load_model()
        assert model is not None
        print(model.embed(["sea lanes"]).shape)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert "(1, 256)" in proc.stdout


def test_vectors_are_unit_length_and_neighbours_make_sense():
    assert load_model() is not None
    texts = ["nuclear war cannot be won", "cancer moonshot partnership", "trade in goods"]
    sem = SemanticIndex(texts, ["cancer", "nuclear", "trade", "goods"])
    norms = np.linalg.norm(sem.full.astype(np.float32), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-2)
    assert sem.neighbours("tumours")[0][0] == "cancer"
    q = sem.embed_query("atomic conflict")
    assert q is not None and int(np.argmax(sem.similarity(q, np.arange(3)))) == 0
    assert list(sem.nearest(q, 1)) == [0]
    assert sem.embed_query("   ") is None


def test_word_by_word_tokens_equal_whole_text_tokens(index):
    sem = index.semantic
    assert sem is not None
    for text in [index._norm[i] for i in range(0, len(index), 7)]:
        whole = sem._tokenizer.encode(text, add_special_tokens=False).ids
        by_word = [
            i for w in text.split() for i in sem._tokenizer.encode(w, add_special_tokens=False).ids
        ]
        assert whole == by_word, text
