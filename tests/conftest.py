"""Shared fixtures: the bundled corpus and its index, built once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `import fakeslack` from any test dir

from paths import CORPUS


@pytest.fixture(scope="session")
def corpus():
    from bot.documents import load_corpus

    return load_corpus(CORPUS)


@pytest.fixture(scope="session")
def index(corpus):
    from bot.search import ClauseIndex

    return ClauseIndex.from_documents(corpus.documents)
