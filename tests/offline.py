"""Run Python code in a subprocess whose sockets refuse every connection.

Proves that a model loads from its installed wheel and never reaches for a hub.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from paths import ROOT

REFUSE = """
import socket

def refuse(*args, **kwargs):
    raise OSError("network use attempted")

socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
"""


def run_offline(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` run after every socket connect and lookup has been made to fail."""
    env = {"HF_HUB_OFFLINE": "0", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", REFUSE + textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
