"""The README's "Adding statements" commands, run in order on a fresh database."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from paths import CORPUS, ROOT

README = (ROOT / "README.md").read_text("utf-8")


def library_commands() -> list[str]:
    section = README.split("## Adding statements", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, re.S)
    return [line.strip() for line in block.splitlines() if line.strip()]


def test_adding_statements_commands_run_in_order(tmp_path):
    (tmp_path / "tests").symlink_to(ROOT / "tests")  # the paths the README uses
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRIEFBOT_"))}
    env.pop("DATABASE_URL", None)  # the default database, ./var/briefbot.db
    env.update({"BRIEFBOT_CORPUS": str(CORPUS), "BRIEFBOT_ENV_FILE": str(tmp_path / "no.env")})
    outputs = []
    commands = library_commands()
    assert [c.split()[1] for c in commands] == [
        "ingest", "ask", "docs", "ingest", "export", "remove", "--corpus",
    ]  # fmt: skip
    for command in commands:
        assert command.startswith("briefbot ")
        proc = subprocess.run(
            f"{sys.executable} -m bot {command.split(' ', 1)[1]}",
            shell=True,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, (command, proc.stderr)
        outputs.append(proc.stdout)
    ingest, ask, docs, replace, export, remove, ask_export = outputs
    assert "1 statement(s) written to review" in export
    doc_id = "2024-04-15_us-iraq-joint-statement"
    assert f"stored as {doc_id}" in ingest
    assert "Jordan" in ask and "U.S.–Iraq Joint Statement" in ask
    assert f"{doc_id}\n" in docs and "· added" in docs
    assert f"replaced {doc_id} (version 2)" in replace and "US–Iraq Joint Statement" in replace
    assert (tmp_path / "review" / f"{doc_id}.md").exists()
    assert f"removed {doc_id}" in remove
    assert "Jordan" in ask_export and "US–Iraq Joint Statement" in ask_export
    assert (tmp_path / "var" / "briefbot.db").exists()
    assert not (CORPUS / f"{doc_id}.md").exists()
