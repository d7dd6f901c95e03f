"""The command line of followed sources: ``briefbot sources add|list|remove|check``.
Argument parsing and printing only; the work is in :mod:`bot.sources`."""

from __future__ import annotations

import argparse
import json
import re
from datetime import timedelta
from typing import Any, TextIO

from bot.config import Settings

__all__ = ["add_parsers", "parse_backfill", "parse_interval", "run_sources"]

_INTERVAL = re.compile(r"^\s*(\d{1,6})\s*([smhd])\s*$", re.I)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_interval(text: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``1d``; argparse.ArgumentTypeError otherwise."""
    m = _INTERVAL.match(text or "")
    if not m:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an interval; use a number and s, m, h or d (e.g. 15m)"
        )
    return timedelta(**{_UNITS[m.group(2).lower()]: int(m.group(1))})


def parse_backfill(text: str) -> int:
    """A whole number from 0 to MAX_BACKFILL; argparse.ArgumentTypeError otherwise."""
    from bot.sources import MAX_BACKFILL

    value = (text or "").strip()
    if not value.isdigit() or int(value) > MAX_BACKFILL:
        raise argparse.ArgumentTypeError(
            f"{text[:20]!r} is not a backfill; use a whole number from 0 to {MAX_BACKFILL}"
        )
    return int(value)


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """``sources`` and its four commands."""
    src = sub.add_parser(
        "sources",
        parents=[common],
        help="follow feeds and listing pages: new statements arrive by themselves",
    )
    team = argparse.ArgumentParser(add_help=False)
    team.add_argument(
        "--team",
        metavar="TEAM_ID",
        help="the workspace the source belongs to (default: the single workspace)",
    )
    cmds = src.add_subparsers(dest="sources_command", metavar="COMMAND")
    cmds.required = True
    add = cmds.add_parser("add", parents=[common, team], help="follow a feed or listing page")
    add.add_argument("url", metavar="URL")
    add.add_argument("--name", help="a short name (default: the site's host name)")
    add.add_argument(
        "--match",
        default="",
        metavar="WORDS",
        help="keep items whose title or summary has all these words",
    )
    add.add_argument(
        "--kinds",
        default="",
        metavar="KINDS",
        help="keep only these kinds, e.g. joint-statement,communique,declaration,readout",
    )
    add.add_argument(
        "--selector",
        default="",
        metavar="CSS",
        help="a listing page's statement links (default: the links in its <main>)",
    )
    add.add_argument(
        "--every",
        type=parse_interval,
        default=None,
        metavar="INTERVAL",
        help="how often the scheduler checks it (default 15m)",
    )
    add.add_argument(
        "--backfill",
        type=parse_backfill,
        default=None,
        metavar="N",
        help=(
            "the first check stores the N newest items the source already lists, without "
            "announcing them, and records the rest as seen (default 20, at most 50; 0 "
            "stores none): only items that appear after it are announced"
        ),
    )
    lst = cmds.add_parser("list", parents=[common, team], help="the sources followed")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    rem = cmds.add_parser("remove", parents=[common, team], help="stop following a source")
    rem.add_argument("name", metavar="NAME")
    chk = cmds.add_parser(
        "check", parents=[common, team], help="fetch what is new now (all sources, or NAME)"
    )
    chk.add_argument("name", nargs="?", metavar="NAME")
    chk.add_argument(
        "--dry-run", action="store_true", help="show what would be added; store nothing"
    )
    chk.add_argument("--json", action="store_true", help="machine-readable output")


def _library(settings: Settings) -> Any:
    from bot.library_cli import _library as library_of

    return library_of(settings)


def run_sources(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """``briefbot sources …``: 0 done, 2 bad input (one line), 1 a check that failed."""
    from bot.library_cli import cli_actor
    from bot.sources import (
        DEFAULT_BACKFILL,
        DEFAULT_INTERVAL,
        SourceError,
        add_source,
        check_source,
        get_source,
        list_sources,
        remove_source,
    )
    from bot.store import DEFAULT_TEAM

    team = args.team or DEFAULT_TEAM
    library = _library(settings)
    store = library.store
    try:
        if args.sources_command == "add":
            src = add_source(
                store,
                args.url,
                name=args.name,
                match=args.match,
                kinds=args.kinds,
                selector=args.selector,
                interval=DEFAULT_INTERVAL if args.every is None else args.every,
                team_id=team,
                added_by=cli_actor(None),
                allow_private=True,  # the operator's own call, as with `briefbot ingest`
                backfill=DEFAULT_BACKFILL if args.backfill is None else args.backfill,
            )
            print(
                f"following {src.name}: {src.to_json()['url']} "
                f"(checked every {_shown(src.interval)}; first check at the next scheduler run"
                f", storing the {src.backfill} newest items it lists without announcing them)",
                file=out,
            )
            return 0
        if args.sources_command == "list":
            sources = list_sources(store, team_id=team)
            if args.json:
                out.write(json.dumps([s.to_json() for s in sources], indent=2) + "\n")
                return 0
            if not sources:
                print("No sources followed yet: 'briefbot sources add URL' adds one.", file=out)
            for s in sources:
                data = s.to_json()
                state = (
                    f"last error: {s.last_error}"
                    if s.last_error
                    else (
                        f"last checked {s.last_checked_at:%Y-%m-%d %H:%M} UTC"
                        if s.last_checked_at
                        else f"not checked yet (backfill {s.backfill})"
                    )
                )
                extra = "".join(
                    f"; {label} {value}"
                    for label, value in (
                        ("match", s.match),
                        ("kinds", ",".join(s.kinds)),
                        ("selector", s.selector),
                    )
                    if value
                )
                print(
                    f"{s.name}  {data['url']}  {s.kind or '?'} every {_shown(s.interval)}"
                    f"{extra}; {state}",
                    file=out,
                )
            return 0
        if args.sources_command == "remove":
            src = remove_source(store, args.name, team_id=team)
            print(f"stopped following {src.name} (the statements it added stay)", file=out)
            return 0
        # check
        if args.name:
            one = get_source(store, args.name, team_id=team)
            if one is None:
                raise SourceError(
                    f"no source named {args.name!r}; 'briefbot sources list' shows them"
                )
            sources = [one]
        else:
            sources = list_sources(store, team_id=team)
        reports = [check_source(library, s, dry_run=args.dry_run) for s in sources]
    except SourceError as exc:
        print(f"briefbot: {exc}", file=err)
        return 2
    if args.json:
        out.write(json.dumps([r.to_json() for r in reports], ensure_ascii=False, indent=2) + "\n")
        return 1 if any(r.error for r in reports) else 0
    if not sources:
        print("No sources followed yet: 'briefbot sources add URL' adds one.", file=out)
    for r in reports:
        head = f"{r.source}" + (" (dry run: nothing stored)" if args.dry_run else "")
        print(head, file=out)
        if r.error:
            print(f"   check failed: {r.error}", file=out)
        elif r.not_modified:
            print("   not modified since the last check", file=out)
        elif not r.items:
            print("   nothing new", file=out)
        for item in r.items:
            print(f"   {item.line()}", file=out)
        for problem in r.problems:
            print(f"   skipped: {problem}", file=out)
        if r.waiting:
            print(f"   {r.waiting} more new item(s) wait for the next check", file=out)
    return 1 if any(r.error for r in reports) else 0


def _shown(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
