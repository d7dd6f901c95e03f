"""Packaging (issue 20): ``pip install .`` gives a working install without the dev extras,
and the dev tools are pinned.

The wheel is built from a copy of the source tree (with the build backend pyproject.toml
names, as ``pip install .`` does) and installed into a fresh venv. Its dependencies come
from this test venv, but only those the wheel declares (and theirs, recursively): a
symlink farm of exactly that closure is put on the fresh venv's path, so an import the
wheel does not declare fails there as it would on a user's machine. A real install from
the package index is slower (3½ minutes measured here, mostly downloads); set
``BRIEFBOT_TEST_FULL_INSTALL=1`` to run that instead.
"""

from __future__ import annotations

import base64
import importlib.metadata as md
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
FULL_INSTALL = os.environ.get("BRIEFBOT_TEST_FULL_INSTALL") == "1"


# --------------------------------------------------------------------------- dev pins


def test_dev_tools_are_pinned_to_what_is_installed():
    dev = [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]]
    assert {r.name for r in dev} >= {"pytest", "hypothesis", "ruff"}
    for req in dev:
        (spec,) = req.specifier  # exactly one specifier...
        assert spec.operator == "==", f"{req}: pin an exact version"  # ...an exact one
        assert md.version(req.name) == spec.version, f"{req}: the venv has another version"


def test_pip_check_is_clean_in_this_venv():
    # The encoder's model wheel declares sentence-transformers: the Makefile unpacks its
    # files instead of installing it (bot/search/encoder.py), so nothing is left unmet.
    out = subprocess.run(
        [sys.executable, "-m", "pip", "check"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr


# --------------------------------------------------------------------------- the wheel


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False, **kw)
    assert out.returncode == 0, f"{cmd[:4]} failed ({out.returncode}):\n{out.stderr[-3000:]}"
    return out


def _closure(requirements: list[Requirement]) -> list[md.Distribution]:
    """The distributions of this venv that ``requirements`` need, recursively (markers
    and extras honoured; the root's requirements are read without any extra)."""
    found: dict[str, md.Distribution] = {}
    done: set[tuple[str, str]] = set()
    todo = [(r, "") for r in requirements]  # (requirement, the extra that asked for it)
    while todo:
        req, under = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": under}):
            continue
        dist = md.distribution(req.name)
        name = dist.metadata["Name"].lower().replace("_", "-")
        found[name] = dist
        for extra in ["", *sorted(req.extras)]:
            if (name, extra) not in done:
                done.add((name, extra))
                todo.extend((Requirement(r), extra) for r in dist.requires or [])
    return list(found.values())


def _installed_files(dist: md.Distribution) -> list[Path]:
    """``dist``'s files relative to its site directory (not its scripts, not caches)."""
    assert dist.files is not None, f"{dist.metadata['Name']} lists no files"
    return [Path(f) for f in dist.files if f.parts[0] != ".." and "__pycache__" not in f.parts]


def _link_farm(dists: list[md.Distribution], farm: Path) -> None:
    """``dists``'s installed files, and nothing else, as symlinks under ``farm``: a top-level
    name only ``dists`` install into is linked whole, a shared one file by file."""
    owners: dict[str, set[str]] = {}
    for dist in md.distributions():
        name = dist.metadata["Name"]
        for f in _installed_files(dist) if dist.files is not None else []:
            owners.setdefault(f.parts[0], set()).add(name)
    farm.mkdir(parents=True)
    for dist in dists:
        name = dist.metadata["Name"]
        links = {
            Path(f.parts[0]) if owners[f.parts[0]] == {name} else f: None
            for f in _installed_files(dist)
        }
        for rel in links:
            src, dst = Path(dist.locate_file(rel)), farm / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(src)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel of this tree, built as ``pip install .`` builds it."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for package in ("bot", "handlers"):
        shutil.copytree(ROOT / package, src / package, ignore=ignore)
    out = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)])
    (built,) = out.glob("briefbot-*.whl")
    return built


def test_the_wheel_holds_every_module_and_data_file(wheel):
    with zipfile.ZipFile(wheel) as z:
        inside = {n for n in z.namelist() if not n.startswith("briefbot-")}
    ignore = {"__pycache__", ".pytest_cache"}
    source = {
        p.relative_to(ROOT).as_posix()
        for package in ("bot", "handlers")
        for p in (ROOT / package).rglob("*")
        if p.is_file() and not ignore & set(p.parts) and p.suffix != ".pyc"
    }
    assert source - inside == set()  # a new subpackage or data file not in pyproject.toml


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Iterator[Path]:
    """A fresh venv with the wheel installed (no dev extras): its bin directory."""
    venv = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    if FULL_INSTALL:
        _run([*pip, "install", "-q", str(wheel)])
    else:
        _run([*pip, "install", "-q", "--no-deps", "--no-index", str(wheel)])
        purelib = _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).stdout.strip()
        (meta,) = Path(purelib).glob("briefbot-*.dist-info")
        needs = [Requirement(r) for r in md.Distribution.at(meta).requires or []]
        farm = venv / "deps"
        _link_farm(_closure(needs), farm)
        (Path(purelib) / "briefbot-test-deps.pth").write_text(f"{farm}\n")
    yield venv / "bin"


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRIEFBOT_"))}
    env.pop("DATABASE_URL", None)
    env.pop("PYTHONPATH", None)
    env.update(
        {
            "BRIEFBOT_ENV_FILE": str(tmp / "no.env"),
            "BRIEFBOT_CACHE_DIR": str(tmp / "cache"),
            "BRIEFBOT_INDEX_CACHE": "off",
            "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite'}",
        }
    )
    env.update(extra)
    return env


def test_the_wheel_installs_and_runs_from_its_own_files(installed, tmp_path):
    where = _run(
        [str(installed / "python"), "-c", "import bot, handlers; print(bot.__file__)"],
        cwd=tmp_path,
        env=_env(tmp_path),
    ).stdout
    assert str(installed.parent) in where and str(ROOT) not in where  # not this checkout
    help_text = _run([str(installed / "briefbot"), "--help"], cwd=tmp_path, env=_env(tmp_path))
    assert "serve" in help_text.stdout and "ingest" in help_text.stdout
    _run([sys.executable, "-m", "pip", "--python", str(installed / "python"), "check"])


def test_the_wheel_carries_the_manifest_oauth_mode_reads(installed, tmp_path):
    code = "from handlers.install import manifest_scopes; print(','.join(manifest_scopes()))"
    scopes = _run([str(installed / "python"), "-c", code], cwd=tmp_path, env=_env(tmp_path))
    assert "chat:write" in scopes.stdout.strip().split(",")


STATEMENT = """---
title: Joint Statement on Undersea Cables
date: '2024-05-01'
source: test
parties: [Atlantis, Lemuria]
---

1. The two sides will lay a new undersea cable by the end of 2026.
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_installed_wheel_serves_the_oauth_install_page(installed, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "2024-05-01_cables.md").write_text(STATEMENT, "utf-8")
    port = _free_port()
    env = _env(
        tmp_path,
        BRIEFBOT_CORPUS=str(corpus),
        SLACK_CLIENT_ID="1234.5678",
        SLACK_CLIENT_SECRET="client-secret-for-tests",
        SLACK_SIGNING_SECRET="signing-secret-for-tests",
        SLACK_API_URL=f"http://127.0.0.1:{_free_port()}/api/",  # nothing listens there
        BRIEFBOT_TOKEN_KEY=base64.urlsafe_b64encode(bytes(range(32))).decode(),
        PORT=str(port),
    )
    log = tmp_path / "serve.log"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [str(installed / "briefbot"), "serve", "--http", "--no-scheduler"],
            cwd=tmp_path,
            env=env,
            stdout=err,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 120
        while True:  # wait until it listens (or has exited)
            try:
                with opener.open(f"http://127.0.0.1:{port}/slack/install", timeout=5) as page:
                    html = page.read().decode()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the installed briefbot did not serve:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        assert "oauth/v2/authorize" in html
        assert "chat:write" in html or "chat%3Awrite" in html  # the scopes of the manifest
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_the_installed_wheel_ingests_html(installed, tmp_path):
    page = tmp_path / "statement.html"
    page.write_text(
        "<html><head><title>Joint Statement on Undersea Cables</title></head><body>"
        "<article><h1>Joint Statement on Undersea Cables</h1><p>May 1, 2024</p>"
        "<p>1. The two sides will lay a new undersea cable by the end of 2026.</p>"
        "<p>2. They will meet again in Lisbon in 2025.</p></article></body></html>",
        "utf-8",
    )
    out = tmp_path / "out"
    _run(
        [str(installed / "briefbot"), "ingest", str(page), "--out", str(out)],
        cwd=tmp_path,
        env=_env(tmp_path),
    )
    (written,) = out.glob("*.md")
    assert "undersea cable" in written.read_text("utf-8")
