"""Running the real CLI in-process against a throwaway database, for the tests."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from paths import CORPUS

from bot.cli import main

#: Settings a developer's shell may hold that must not leak into a test.
CLEARED = ("BRIEFBOT_CORPUS", "DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")


def use_fresh_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bundled corpus and a new SQLite database under ``tmp_path``."""
    for k in CLEARED:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("BRIEFBOT_CORPUS", str(CORPUS))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    """``briefbot ARGS``: exit code, standard output, standard error."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()
