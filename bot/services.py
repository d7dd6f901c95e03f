"""The core services a transport (CLI, Slack, console) works with, built once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.documents import Corpus, load_corpus
from bot.search import ClauseIndex

__all__ = ["Services", "build_services", "document_rows"]


@dataclass
class Services:
    """Everything handlers need: settings, the corpus and its clause index."""

    settings: Settings
    corpus: Corpus
    index: ClauseIndex


def build_services(settings: Settings) -> Services:
    """Load the corpus and build the index (raises CorpusError when unusable)."""
    corpus = load_corpus(settings.corpus_dir)
    return Services(
        settings=settings, corpus=corpus, index=ClauseIndex.from_documents(corpus.documents)
    )


def document_rows(
    corpus: Corpus, index: ClauseIndex, commitments: Any = ()
) -> list[dict[str, Any]]:
    """One row per indexed document: id, title, date, clause and commitment counts."""
    clause_counts: dict[str, int] = {}
    for c in index.clauses:
        clause_counts[c.doc_id] = clause_counts.get(c.doc_id, 0) + 1
    commit_counts: dict[str, int] = {}
    for c in commitments:
        commit_counts[c.doc_id] = commit_counts.get(c.doc_id, 0) + 1
    return [
        {
            "doc_id": d.doc_id,
            "title": d.title,
            "date": d.date.isoformat() if d.date else None,
            "parties": list(d.parties),
            "source": d.source,
            "clauses": clause_counts.get(d.doc_id, 0),
            "commitments": commit_counts.get(d.doc_id, 0),
        }
        for d in corpus.documents
    ]
