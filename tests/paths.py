"""Paths and document ids used across the tests (importable from any test directory)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
STATEMENT = "2012-06-06_china-russia-joint-statement"
COMMUNIQUE = "2012-12-06_china-russia-joint-communique"
