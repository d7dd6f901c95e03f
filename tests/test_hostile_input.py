"""Hostile files and configuration (issue 7, rows 2, 5, 9 and 10): each is refused with one
line and the right exit code, quickly, with nothing written and no secret echoed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time

import pytest
import yaml
from paths import CORPUS, ROOT

from bot.cli import main
from bot.ingest import IngestError, ingest_file
from bot.reading.documents import load_corpus
from bot.reading.safeio import RefusedFile, load_yaml, read_text_file

#: 411 bytes that a YAML loader expanding aliases turns into 9^9 strings (gigabytes).
ALIAS_BOMB = """---
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
title: &t [*h,*h,*h,*h,*h,*h,*h,*h,*h]
date: 2013-01-02
---

The two sides will meet in 2013.
"""


def run(*argv: str) -> tuple[int, str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# -- YAML ----------------------------------------------------------------------------------


def test_yaml_aliases_are_refused_not_expanded():
    started = time.monotonic()
    with pytest.raises(yaml.YAMLError, match="aliases"):
        load_yaml(ALIAS_BOMB.split("---")[1], limit=64 * 1024)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [("x: " + "a" * 70_000, "larger than 64 KiB"), ("[" * 50_000 + "]" * 50_000, "nested")],
)
def test_yaml_size_and_depth_caps(text, problem):
    with pytest.raises(yaml.YAMLError) as exc:
        load_yaml(text, limit=64 * 1024 if "KiB" in problem else 1_000_000)
    assert problem in str(exc.value)


def test_plain_yaml_still_loads():
    assert load_yaml("title: T\nparties: [A, B]\n", limit=1024) == {
        "title": "T",
        "parties": ["A", "B"],
    }


def test_ingest_of_an_alias_bomb_fails_fast_with_one_line(tmp_path):
    src = tmp_path / "bomb.md"
    src.write_text(ALIAS_BOMB, "utf-8")
    started = time.monotonic()
    code, _, err = run("ingest", str(src), "--out", str(tmp_path / "out"))
    assert time.monotonic() - started < 5
    assert code == 2, err
    assert err.count("\n") == 1 and "aliases" in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_alias_bomb_in_the_corpus_skips_that_file_only(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "2013-01-02_bomb.md").write_text(ALIAS_BOMB, "utf-8")
    loaded = load_corpus(corpus)
    assert "2013-01-02_bomb" not in {d.doc_id for d in loaded.documents}
    assert any("2013-01-02_bomb.md" in w and "aliases" in w for w in loaded.warnings)
    assert len(loaded.documents) == len(load_corpus(CORPUS).documents)


def test_alias_bomb_in_commitments_yml_is_one_line_exit_2(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "commitments.yml").write_text(ALIAS_BOMB.split("---")[1], "utf-8")
    started = time.monotonic()
    code, _, err = run("--corpus", str(corpus), "commitments", "--json")
    assert time.monotonic() - started < 30
    assert code == 2 and err.count("\n") == 1 and "aliases" in err, err


# -- files that are not text files ---------------------------------------------------------


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "statement.txt"
    os.mkfifo(fifo)
    result: dict[str, object] = {}

    def attempt():
        result["out"] = run("ingest", str(fifo), "--out", str(tmp_path / "out"))

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "ingest blocked on a FIFO"
    code, _, err = result["out"]
    assert code == 2 and "a FIFO, not a regular file" in err and err.count("\n") == 1


def test_device_is_refused():
    with pytest.raises(RefusedFile, match="a device"):
        read_text_file("/dev/zero")


def test_nul_bytes_are_refused(tmp_path):
    src = tmp_path / "2013-01-02_x.txt"
    src.write_bytes(b"The two sides will meet\x00 in 2013.\n")
    with pytest.raises(IngestError, match="NUL byte at character 23"):
        ingest_file(src, tmp_path / "out")


def test_oversized_statement_is_refused(tmp_path):
    src = tmp_path / "big.txt"
    src.write_bytes(b"The two sides will meet in 2013. " * 300_000)
    with pytest.raises(IngestError, match="larger than 8192 KiB"):
        ingest_file(src, tmp_path / "out")


def test_ingest_respects_the_umask(tmp_path):
    src = tmp_path / "2013-01-02_statement.txt"
    src.write_text("Leaders meet\n\nThe two sides will meet in 2013.\n", "utf-8")
    old = os.umask(0o022)
    try:
        report = ingest_file(src, tmp_path / "out", parties=["A", "B"])
    finally:
        os.umask(old)
    assert report.target.stat().st_mode & 0o777 == 0o644


# -- configuration ---------------------------------------------------------------------------


def test_unsupported_database_driver_is_configuration_exit_2():
    code, _, err = run("--db", "mysql://root:hunter2@127.0.0.1/test", "commitments")
    assert code == 2 and err.count("\n") == 1
    assert "DATABASE_URL: 'mysql' is not supported" in err and "hunter2" not in err


def run_process(tmp_path, *argv: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGV`` with no Slack or briefbot setting but ``env_extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRIEFBOT_"))}
    env.pop("DATABASE_URL", None)
    env.update(BRIEFBOT_ENV_FILE=str(tmp_path / "none.env"), **env_extra)
    return subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_password_in_slack_api_url_is_masked_in_errors(tmp_path):
    proc = run_process(tmp_path, "docs", SLACK_API_URL="ftp://admin:hunter2@example.invalid/api/")
    assert proc.returncode == 2
    assert "SLACK_API_URL" in proc.stderr and "hunter2" not in proc.stderr
    assert "admin:***@" in proc.stderr


def test_hung_database_makes_the_cli_exit_2_within_15_seconds(silent_database, tmp_path):
    url = f"postgresql+psycopg://briefbot:hunter2@127.0.0.1:{silent_database}/db"
    started = time.monotonic()
    proc = run_process(tmp_path, "commitments", DATABASE_URL=url)
    assert time.monotonic() - started < 15
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "did not answer in time" in lines[0], proc.stderr
    assert "hunter2" not in proc.stderr


def test_unknown_setting_values_name_the_variable():
    from bot.config import ConfigError, Settings

    for name, value in [
        ("BRIEFBOT_HTTP_MAX_BODY", "lots"),
        ("BRIEFBOT_ANSWER_THREADS", "0"),
        ("BRIEFBOT_DB_TIMEOUT", "-1"),
    ]:
        with pytest.raises(ConfigError, match=f"^{name}: "):
            Settings.from_env({name: value})
    assert Settings.from_env({"BRIEFBOT_HTTP_MAX_BODY": "2m"}).http_max_body == 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("https://user:pa@ss@host/api/", "pa@ss"),
        ("https://xoxb-123-abc@host/api/", "xoxb-123-abc"),
        ("https://host/api/?token=xoxb-123-abc&x=1", "xoxb-123-abc"),
        ("postgresql+psycopg://u:hunter2@h/db", "hunter2"),
    ],
)
def test_mask_url_hides_credentials(text, secret):
    from bot.config import mask_url

    masked = mask_url(text)
    assert secret not in masked and "***" in masked


def test_settings_repr_hides_the_database_password():
    from bot.config import Settings

    s = Settings.from_env({"DATABASE_URL": "postgresql+psycopg://u:hunter2@h/db"})
    assert "hunter2" not in repr(s)
