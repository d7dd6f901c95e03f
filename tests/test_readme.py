"""Every command the README shows is run here (or by CI: make test, make lint, make bench)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from paths import CORPUS, ROOT

README = (ROOT / "README.md").read_text("utf-8")
RUN_BY_CI = {"make test", "make lint", "make bench", "make bench-load"}  # .ci/run runs these


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


def commands() -> list[str]:
    out = []
    for block in blocks("sh"):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(line)
    return out


def test_quick_start_is_exactly_two_commands():
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    block = re.search(r"```sh\n(.*?)```", quick, re.S).group(1)
    assert block.split("\n")[:-1] == ["make run", "make test"]


def test_ci_runs_the_readme_make_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    assert all(cmd in ci for cmd in RUN_BY_CI)


def test_every_readme_command_is_known():
    known = {
        "make run",
        "cp .env.example .env",
        "python bench/dated_eval.py",
        "python bench/dated_fresh.py",
    } | RUN_BY_CI
    unknown = [c for c in commands() if c not in known and not c.startswith("briefbot ")]
    assert unknown == []


# `briefbot sources …` commands build on each other (add, then check, then remove):
# tests/test_sources_cli.py runs them in order, against a local publisher.
@pytest.mark.parametrize(
    "command",
    [c for c in commands() if c.startswith("briefbot ") and not c.startswith("briefbot sources ")],
)
def test_readme_briefbot_command_runs(tmp_path, command):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRIEFBOT_"))}
    env.update(
        {
            "BRIEFBOT_CORPUS": str(CORPUS),
            "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite",
            "BRIEFBOT_ENV_FILE": str(tmp_path / "none.env"),
        }
    )
    args = command.split(" ", 1)[1]
    proc = subprocess.run(
        f"{sys.executable} -m bot {args}",
        shell=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()


def test_cp_env_example_gives_a_valid_configuration(tmp_path):
    shutil.copy(ROOT / ".env.example", tmp_path / ".env.example")
    subprocess.run("cp .env.example .env", shell=True, cwd=tmp_path, check=True)
    from dotenv import dotenv_values

    from bot.config import Settings

    Settings.from_env({k: v or "" for k, v in dotenv_values(tmp_path / ".env").items()})


@pytest.mark.skipif(
    not (ROOT / ".venv" / ".installed").exists(),
    reason="make run needs the .venv that make test creates",
)
def test_make_run_starts_the_console():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRIEFBOT_"))}
    env["BRIEFBOT_ENV_FILE"] = "/nonexistent.env"
    proc = subprocess.run(
        ["make", "-s", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        input="/brief navgation talks heixiazi\nquit\n",
    )
    assert proc.returncode == 0, proc.stderr
    assert "Heixiazi Island" in proc.stdout


def test_readme_curation_example_applies_cleanly(corpus, index, tmp_path):
    from bot.commitments import extract_all

    (example,) = blocks("yaml")
    path = tmp_path / "commitments.yml"
    path.write_text(example)
    warnings: list[str] = []
    found = {c.id: c for c in extract_all(corpus.documents, index.clauses, path, warnings)}
    assert warnings == []
    data = yaml.safe_load(example)
    assert data["suppress"][0]["id"] not in found
    assert str(found[data["redate"][0]["id"]].due) == "2013-09-30"


def test_postgres_extra_exists():
    text = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^postgres = \["psycopg\[binary\]', text, re.M)


def _bench_output(script: str) -> str:
    """What ``python bench/<script>`` prints (it must succeed)."""
    proc = subprocess.run(
        [sys.executable, f"bench/{script}"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_readme_dated_eval_command_prints_the_readme_figures():
    output = _bench_output("dated_eval.py")
    figures = dict(line.split(":", 1) for line in output.splitlines() if ":" in line)
    recall = figures["recall"].split()[0]
    precision = figures["precision"].split()[0]
    wrong = figures["wrong dates"].strip()
    assert f"| {recall} (" in README and f"| {precision} (" in README
    assert f"| {wrong} |" in README


def test_readme_dated_fresh_command_prints_the_readme_figures():
    output = _bench_output("dated_fresh.py")
    lines = {line.split()[0]: line for line in output.splitlines() if line.strip()}
    tuned = re.search(r"recall (\S+ \(\d+/\d+\)) +wrong dates (\d+)", lines["tuned"])
    held = re.search(r"recall (\S+ \(\d+/\d+\)) +wrong dates (\d+)", lines["held-out"])
    assert tuned and held, output
    assert f"| tuned (35 rows) | {tuned.group(1)} | {tuned.group(2)} |" in README
    assert f"| held out, now | {held.group(1)} | {held.group(2)} |" in README
