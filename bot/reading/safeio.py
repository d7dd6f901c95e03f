"""Reading files and YAML that users hand us, as if they were hostile.

Statement files, their front matter and ``commitments.yml`` come from people and the
web. One place decides what is refused, each with a one-line reason:

* only regular files are read (a FIFO would block forever, a device never ends);
* size caps on files and on YAML documents;
* NUL bytes mean "not a text file";
* YAML aliases (``*name``) are refused, so an "alias bomb" of a few hundred bytes cannot
  expand into gigabytes, and nesting deeper than Python's recursion limit is refused.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "MAX_CURATION_BYTES",
    "MAX_FRONT_MATTER_BYTES",
    "MAX_STATEMENT_BYTES",
    "RefusedFile",
    "current_umask",
    "load_yaml",
    "read_text_file",
]

#: A statement file (the G20 Bali declaration, one of the longest, is ~100 KB).
MAX_STATEMENT_BYTES = 8 * 1024 * 1024
#: A statement's front matter.
MAX_FRONT_MATTER_BYTES = 64 * 1024
#: The analysts' ``commitments.yml``.
MAX_CURATION_BYTES = 2 * 1024 * 1024


class RefusedFile(ValueError):
    """A file was refused; the message says why in one line (without the path)."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_text_file(path: str | Path, *, limit: int = MAX_STATEMENT_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes.

    Raises :class:`RefusedFile` (not a regular file, too large, NUL bytes),
    ``UnicodeDecodeError`` and ``OSError`` (``FileNotFoundError`` included).
    """
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise RefusedFile(f"{_kind(mode)}, not a regular file; refused")
    # O_NONBLOCK: should a FIFO be swapped in after the check, open() must not hang.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise RefusedFile("not a regular file; refused")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise RefusedFile(f"larger than {limit // 1024} KiB; refused")
    text = data.decode("utf-8")  # first: a UTF-16 file is better called "not UTF-8"
    nul = text.find("\x00")
    if nul >= 0:
        raise RefusedFile(f"contains a NUL byte at character {nul}: not a text file")
    return text


#: Integers longer than this (in characters as written) are kept as the text written:
#: Python refuses to print integers of over 4,300 digits, and no field needs one.
_MAX_INT_CHARS = 64


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases instead of expanding them."""

    def construct_yaml_int(self, node: Any) -> Any:
        text = self.construct_scalar(node)
        if len(str(text)) > _MAX_INT_CHARS:
            return str(text)
        return super().construct_yaml_int(node)

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed here", event.start_mark
            )
        return super().compose_node(parent, index)


def load_yaml(text: str, *, limit: int) -> Any:
    """Parse untrusted YAML (safe types only, no aliases, at most ``limit`` bytes).

    Every refusal is a ``yaml.YAMLError`` whose ``problem`` says why, so callers
    report it like any other YAML error. Dates such as 2012-02-30 still raise
    ``ValueError`` (from PyYAML's date constructor), as before.
    """
    if len(text.encode("utf-8")) > limit:
        raise yaml.MarkedYAMLError(problem=f"larger than {limit // 1024} KiB")
    if _FastLoader is not None and "*" not in text:
        # No alias can be written without "*": libyaml reads it the same way, about ten
        # times faster. Anything it refuses is read again below, for the same message.
        with contextlib.suppress(Exception):
            return yaml.load(text, Loader=_FastLoader)
    try:
        return yaml.load(text, Loader=_NoAliasLoader)
    except RecursionError:
        raise yaml.MarkedYAMLError(problem="nested too deeply") from None
    except (KeyError, AttributeError, IndexError, TypeError):
        # PyYAML's constructors fail this way on tagged values they cannot read
        # ("!!bool x", "!!timestamp x", an empty "!!int").
        raise yaml.MarkedYAMLError(problem="a tagged value (!!…) that cannot be read") from None


_NoAliasLoader.add_constructor("tag:yaml.org,2002:int", _NoAliasLoader.construct_yaml_int)

_FastLoader: Any = None
if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """libyaml's SafeLoader with :class:`_NoAliasLoader`'s integers (for texts
        without aliases)."""

        def construct_yaml_int(self, node: Any) -> Any:
            text = self.construct_scalar(node)
            if len(str(text)) > _MAX_INT_CHARS:
                return str(text)
            return super().construct_yaml_int(node)

    _FastLoader.add_constructor("tag:yaml.org,2002:int", _FastLoader.construct_yaml_int)


def current_umask() -> int:
    """The process's umask (read without changing it, where /proc tells)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
