"""The ``briefbot`` command line: argument parsing and printing only.

Exit codes: 0 success (an empty result is a success), 2 bad usage or bad
configuration (one line saying why), 1 anything else.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import logging
import os
import re
import shlex
import shutil
import sys
import textwrap
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, TextIO

from bot import library_cli, sources_cli
from bot.commitments import CurationError
from bot.config import ConfigError, Settings
from bot.kinds import kind_label
from bot.reading.documents import CorpusError
from bot.search import QueryError, SearchResult, Timeline, check_query, parse_period
from bot.tracking import TrackingError

log = logging.getLogger("bot.cli")

__all__ = ["main"]


class UsageError(Exception):
    """Bad command-line usage (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"briefbot: error: {message}\n")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _period(text: str) -> str:
    """A search date filter: YYYY, YYYY-MM or YYYY-MM-DD (checked, passed on as typed)."""
    try:
        parse_period(text)
    except QueryError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date-time (e.g. 2013-06-23T09:00)"
        ) from None
    if not 1900 <= value.year <= 2200:
        raise argparse.ArgumentTypeError(f"{text!r} is outside the years 1900-2200")
    return value


def _positive(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 50:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number from 1 to 50")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--corpus",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="statement directory (env BRIEFBOT_CORPUS, default ./corpus)",
    )
    common.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="database URL (env DATABASE_URL, default sqlite:///var/briefbot.db)",
    )
    p = _Parser(
        prog="briefbot",
        description="Quote, cite and track commitments in diplomatic statements.",
        parents=[common],
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    ask = sub.add_parser("ask", parents=[common], help="best clauses for a query")
    ask.add_argument(
        "query", nargs="*", help="words to look for; filters in:DOC after:DATE before:DATE"
    )
    ask.add_argument(
        "--limit", type=_positive, default=3, help="how many results (1-50, default 3)"
    )
    ask.add_argument("--json", action="store_true", help="machine-readable output")
    ask.add_argument(
        "--stdin", action="store_true", help="one query per input line, JSON lines out"
    )
    ask.add_argument(
        "--in", dest="doc", metavar="DOC", help="only this document (id prefix or title words)"
    )
    ask.add_argument(
        "--after",
        type=_period,
        metavar="D",
        help="only documents dated in or after D (YYYY, YYYY-MM or YYYY-MM-DD; inclusive)",
    )
    ask.add_argument(
        "--before",
        type=_period,
        metavar="D",
        help="only documents dated in or before D (YYYY, YYYY-MM or YYYY-MM-DD; inclusive)",
    )
    ask.add_argument(
        "--timeline",
        action="store_true",
        help="the best clause on the topic from each statement, oldest first, with wording diffs",
    )

    docs = sub.add_parser("docs", parents=[common], help="indexed documents")
    docs.add_argument("--json", action="store_true")

    show = sub.add_parser(
        "show",
        parents=[common],
        help="one statement as briefbot reads it: clauses, citations, what was removed",
    )
    show.add_argument("doc_id", metavar="DOC_ID", help="a document id (see 'briefbot docs')")
    show.add_argument("--json", action="store_true", help="machine-readable output")

    ing = sub.add_parser(
        "ingest",
        parents=[common],
        help="add raw statements (files, web pages, PDFs) to the database, or --out files",
    )
    ing.add_argument("files", nargs="+", metavar="FILE|URL")
    ing.add_argument(
        "--out", metavar="DIR", help="write clean corpus files to DIR instead of the database"
    )
    ing.add_argument("--force", action="store_true", help="with --out: replace existing files")
    ing.add_argument("--title", help="the statement's title (default: inferred)")
    ing.add_argument("--short-title", help="short title used in citations")
    ing.add_argument("--date", type=_iso_date, help="the statement's date (default: inferred)")
    ing.add_argument("--source", help="where the text came from")
    ing.add_argument("--parties", help="comma-separated signatories")
    library_cli.add_ingest_options(ing)
    library_cli.add_parsers(sub, common)
    sources_cli.add_parsers(sub, common)

    com = sub.add_parser("commitments", parents=[common], help="extracted commitments")
    com.add_argument(
        "query",
        nargs="*",
        help="upcoming | overdue | open | undated | due:YYYY | status:S | kind:K | words",
    )
    com.add_argument("--json", action="store_true", help="machine-readable output")
    com.add_argument("--ics", action="store_true", help="an RFC 5545 calendar of dated commitments")
    com.add_argument("--status", help="only this status")
    com.add_argument("--kind", help="only this kind: commitment, call, event or target")
    com.add_argument("--due-after", type=_iso_date, metavar="DATE", help="due on or after DATE")
    com.add_argument("--due-before", type=_iso_date, metavar="DATE", help="due on or before DATE")
    com.add_argument(
        "--team",
        metavar="TEAM_ID",
        help="the workspace (Slack team id) whose statuses to read, when installed into "
        "many workspaces (OAuth); default: the single-workspace ones",
    )

    st = sub.add_parser("status", parents=[common], help="show or set a commitment's status")
    st.add_argument("id", help="commitment id (see 'briefbot commitments')")
    st.add_argument("value", nargs="?", help="new status; without it, show the history")
    st.add_argument("--note", help="why (kept in the history)")
    st.add_argument("--by", default="cli", help="who is recording it (default: cli)")
    st.add_argument(
        "--team",
        metavar="TEAM_ID",
        help="the workspace (Slack team id) whose statuses to read or set, when installed into "
        "many workspaces (OAuth); default: the single-workspace ones",
    )

    rem = sub.add_parser("remind", parents=[common], help="reminders due at an instant")
    rem.add_argument(
        "--as-of",
        required=True,
        type=_instant,
        metavar="DATETIME",
        help="ISO date-time; without an offset it is in BRIEFBOT_TIMEZONE",
    )
    rem.add_argument("--dry-run", action="store_true", help="show, do not post or record")
    rem.add_argument("--json", action="store_true")

    sub.add_parser("scheduler", parents=[common], help="run only the reminder scheduler")

    srv = sub.add_parser("serve", parents=[common], help="run the bot (Slack or local console)")
    mode = srv.add_mutually_exclusive_group()
    mode.add_argument(
        "--http",
        dest="transport",
        action="store_const",
        const="http",
        help="HTTP mode: POST /slack/events, GET /healthz on $PORT",
    )
    mode.add_argument(
        "--socket",
        dest="transport",
        action="store_const",
        const="socket",
        help="Socket Mode (needs SLACK_APP_TOKEN)",
    )
    mode.add_argument(
        "--console",
        dest="transport",
        action="store_const",
        const="console",
        help="a local prompt, no Slack needed",
    )
    srv.add_argument("--no-scheduler", action="store_true", help="do not run reminders here")
    srv.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default 0.0.0.0)")
    return p


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        corpus_dir=Path(args.corpus) if getattr(args, "corpus", None) else None,
        database_url=getattr(args, "db", None),
    )


def _load_index(settings: Settings, err: TextIO) -> Any:
    """The served corpus: the corpus directory plus the statements added to the database
    (when there is one; a plain directory needs none)."""
    services = _served(settings, err)
    return services.corpus, services.index


def _served(settings: Settings, err: TextIO, *, sentences: bool = True) -> Any:
    """Services for a one-off read of the served corpus (no dated items)."""
    return _services(
        settings,
        err,
        with_store=library_cli.database_in_use(settings),
        lazy_store=True,
        with_dated_items=False,
        sentences=sentences,
    )


@functools.lru_cache(maxsize=16)
def _wrapper(width: int, initial: str, subsequent: str, hyphens: bool) -> textwrap.TextWrapper:
    return textwrap.TextWrapper(
        width, initial_indent=initial, subsequent_indent=subsequent, break_on_hyphens=hyphens
    )


def _fill(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "") -> str:
    """``textwrap.fill(text, width, ...)``, faster for a text without a hyphen: there
    it splits at whitespace only, as the hyphen-aware split would (hyphens are its only
    other places to break), which took a third of the time of printing every dated
    item of an archive."""
    return _wrapper(width, initial_indent, subsequent_indent, "-" in text).fill(text)


def _width() -> int:
    return max(40, min(100, shutil.get_terminal_size((100, 20)).columns) - 2)


def _print_reading(notes: Sequence[str], read_as: str, out: TextIO) -> None:
    """What search made of the query: its notes, then the one 'Read as' line."""
    for note in notes:
        print(f"note: {note}", file=out)
    if read_as:
        print(f"Read as: {read_as}", file=out)


def format_result(result: SearchResult, out: TextIO) -> None:
    """Human-readable answer: quote, citation, score."""
    width = _width()
    _print_reading(result.notes, result.read_as, out)
    if result.timeline_topic:
        print(
            "note: every statement on it, oldest first: briefbot ask --timeline "
            + shlex.quote(result.timeline_topic),
            file=out,
        )
    if result.corrections:
        fixes = ", ".join(f"{a} → {b}" for a, b in result.corrections.items())
        print(f"(read as: {fixes})", file=out)
    if not result.hits:
        print(f"No good match for {result.query!r}.", file=out)
        if result.suggestion:
            s = result.suggestion
            print("Closest clause (weak match):", file=out)
            print(
                _fill(f"“{s.clause.text}”", width, initial_indent="  ", subsequent_indent="   "),
                file=out,
            )
            print(f"   — {s.clause.citation} ({s.kind_label})  (score {s.score:.0f})", file=out)
        return
    for n, hit in enumerate(result.hits, start=result.offset + 1):
        c = hit.clause
        if c.lead_in:
            print(
                _fill(f"[{c.lead_in}]", width, initial_indent=f"{n}. ", subsequent_indent="   "),
                file=out,
            )
            prefix = "   "
        else:
            prefix = f"{n}. "
        print(
            _fill(f"“{c.text}”", width, initial_indent=prefix, subsequent_indent="   "),
            file=out,
        )
        print(f"   — {c.citation} ({hit.kind_label})  (score {hit.score:.0f})", file=out)
        for other, kind in zip(hit.also_in, _also_kinds(hit), strict=True):
            print(f"   also in: {other.citation} ({kind_label(kind)})", file=out)
        print(file=out)


def _also_kinds(hit: Any) -> tuple[str, ...]:
    """The kind of each clause in ``hit.also_in`` ('other' when not known)."""
    kinds = tuple(getattr(hit, "also_kinds", ()))
    return kinds if len(kinds) == len(hit.also_in) else ("other",) * len(hit.also_in)


def _runs(runs: list[str], limit: int = 8) -> str:
    shown = " · ".join(runs[:limit])
    return shown + (f" … (+{len(runs) - limit} more)" if len(runs) > limit else "")


def format_timeline(timeline: Timeline, out: TextIO) -> None:
    """Human-readable timeline: one quote per statement, oldest first, with diffs."""
    width = _width()
    _print_reading(timeline.notes, timeline.read_as, out)
    if not timeline.entries:
        print(f"No statement has a good match for {timeline.topic!r}.", file=out)
        return
    print(f"Timeline for {timeline.topic!r}: {len(timeline.entries)} statements", file=out)
    for n, entry in enumerate(timeline.entries, start=1):
        c = entry.hit.clause
        when = c.doc_date.isoformat() if c.doc_date else "undated"
        print(f"{n}. {when}  {c.citation}  (score {entry.hit.score:.0f})", file=out)
        print(
            _fill(f"“{c.text}”", width, initial_indent="   ", subsequent_indent="   "),
            file=out,
        )
        if not entry.first:
            if entry.added:
                print(f"   + added: {_runs(entry.added)}", file=out)
            if entry.dropped:
                print(f"   − dropped: {_runs(entry.dropped)}", file=out)
            if not entry.added and not entry.dropped:
                print("   (same wording as the previous statement)", file=out)
        print(file=out)


def result_json(result: SearchResult) -> dict[str, Any]:
    """The JSON object printed for one query."""
    return {
        "query": result.query,
        "hits": [h.to_json() for h in result.hits],
        "total": result.total,
        "suggestion": result.suggestion.to_json() if result.suggestion else None,
        "corrections": result.corrections,
        "notes": result.notes,
        "read_as": result.read_as,
        "timeline_topic": result.timeline_topic or None,
        "dates": {
            "after": result.dates.start.isoformat() if result.dates.start else None,
            "before": result.dates.end.isoformat() if result.dates.end else None,
        },
    }


def _cmd_ask(
    args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO, stdin: TextIO
) -> int:
    if args.stdin and args.query:
        raise UsageError("give queries as arguments or with --stdin, not both")
    if not args.stdin and not " ".join(args.query).strip():
        raise UsageError('ask needs a query, e.g. briefbot ask "navigation Heixiazi"')
    if not args.stdin:
        check_query(" ".join(args.query))
    if args.timeline and args.stdin:
        raise UsageError("--timeline takes its topic as arguments, not with --stdin")
    _, index = _load_index(settings, err)
    if args.timeline:
        from bot.search import build_timeline

        timeline = build_timeline(
            index, " ".join(args.query), doc=args.doc, after=args.after, before=args.before
        )
        if args.json:
            out.write(json.dumps(timeline.to_json(), ensure_ascii=False, indent=2) + "\n")
        else:
            format_timeline(timeline, out)
        return 0
    opts = {"limit": args.limit, "doc": args.doc, "after": args.after, "before": args.before}
    if args.stdin:
        for line in stdin:
            q = line.rstrip("\n")
            try:
                payload = result_json(index.search(q, **opts))
            except QueryError as exc:
                payload = {"query": q, "hits": [], "error": str(exc)}
            out.write(json.dumps(payload, ensure_ascii=False) + "\n")
            out.flush()
        return 0
    result = index.search(" ".join(args.query), **opts)
    if args.json:
        out.write(json.dumps(result_json(result), ensure_ascii=False, indent=2) + "\n")
    else:
        format_result(result, out)
    return 0


def _cmd_docs(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    services = _services(
        settings,
        err,
        with_store=library_cli.database_in_use(settings),
        lazy_store=True,
        sentences=False,
    )
    rows = services.document_rows()
    kinds = {d.doc_id: d.kind for d in services.snapshot.corpus.documents}
    for r in rows:
        r["kind"] = kinds.get(r["doc_id"], "other")
    if args.json:
        out.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    for r in rows:
        print(f"{r['doc_id']}", file=out)
        print(f"   {r['title']}", file=out)
        print(
            f"   {r['date'] or 'undated'} · {kind_label(r['kind'])} · {r['clauses']} clauses · "
            f"{r['commitments']} commitments" + (" · added" if r["origin"] == "added" else ""),
            file=out,
        )
    return 0


def _cmd_show(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    services = _served(settings, err, sentences=False)
    view = services.statement(args.doc_id)
    if view is None:
        import difflib

        ids = [d.doc_id for d in services.corpus.documents]
        close = difflib.get_close_matches(args.doc_id, ids, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}? " if close else ""
        raise UsageError(f"no statement {args.doc_id!r}; {hint}'briefbot docs' lists the ids")
    if args.json:
        out.write(json.dumps(view, ensure_ascii=False, indent=2) + "\n")
        return 0
    format_statement(view, out)
    return 0


def format_statement(view: dict[str, Any], out: TextIO) -> None:
    """``briefbot show``: the heading, each clause under its citation, then what was
    removed as debris, each with its reason."""
    width = _width()
    print(view["doc_id"], file=out)
    print(_fill(view["title"], width), file=out)
    facts = [view["date"] or "undated"]
    if view["parties"]:
        facts.append(", ".join(view["parties"]))
    facts.append(f"{len(view['clauses'])} clauses")
    print(" · ".join(facts), file=out)
    for c in view["clauses"]:
        print(file=out)
        print(f"— {c['citation']}", file=out)
        print(
            _fill(f"“{c['text']}”", width, initial_indent="   ", subsequent_indent="    "),
            file=out,
        )
    print(file=out)
    removed = view["removed"]
    if not removed:
        print("Removed as debris: nothing", file=out)
        return
    print(f"Removed as debris ({len(removed)}):", file=out)
    pad = "    "
    for r in removed:
        print(f"- {r['reason']}:", file=out)
        lines = [ln for ln in r["text"].splitlines() if ln.strip()]
        for line in lines:
            print(_fill(line, width, initial_indent=pad, subsequent_indent=pad), file=out)


def _cmd_ingest(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    return library_cli.run_ingest(args, settings, out, err)


def _services(
    settings: Settings,
    err: TextIO,
    *,
    with_store: bool = True,
    lazy_store: bool = False,
    with_dated_items: bool = True,
    sentences: bool = True,
) -> Any:
    """The served corpus for one command. ``sentences=False`` for a command that never
    searches: the clause sentence vectors are not attached (reading them is the largest
    part of a start on a big archive)."""
    from dataclasses import replace

    from sqlalchemy.exc import SQLAlchemyError

    from bot.services import build_services
    from bot.store import database_problem

    if not sentences:
        settings = replace(settings, sentence_encoder=False)

    try:
        services = build_services(
            settings,
            with_store=with_store,
            lazy_store=lazy_store,
            with_dated_items=with_dated_items,
        )
    except SQLAlchemyError as exc:
        raise ConfigError(str(database_problem(exc, settings.database_url))) from None
    for w in services.corpus.warnings:
        print(f"warning: {w}", file=err)
    return services


def _cmd_commitments(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from dataclasses import replace

    from bot.tracking import check_kind, check_status, parse_commitment_query, to_ics

    query = parse_commitment_query(" ".join(args.query))
    query = replace(
        query,
        status=check_status(args.status) if args.status else query.status,
        kind=check_kind(args.kind) if args.kind else query.kind,
        due_after=args.due_after or query.due_after,
        due_before=args.due_before or query.due_before,
    )
    _check_team(args, settings)
    services = _services(settings, err, sentences=bool(query.words))
    rows = services.commitment_rows(query, team_id=args.team)
    if args.ics:
        wanted = {r["id"] for r in rows}
        chosen = [c for c in services.commitments if c.id in wanted]
        out.write(to_ics(chosen, services.statuses(args.team)))
        return 0
    if args.json:
        out.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    if not rows:
        print("No commitments match.", file=out)
        return 0
    bold = out.isatty() if hasattr(out, "isatty") else False
    width = _width()
    for r in rows:
        flag = "  OVERDUE" if r["overdue"] else ""
        print(f"{r['due'] or 'undated':10}  {r['status'].replace('_', ' ')}{flag}", file=out)
        text = r["text"]
        if bold:
            text = text.replace(r["expression"], f"\033[1m{r['expression']}\033[0m", 1)
        print(
            _fill(f"“{text}”", width, initial_indent="   ", subsequent_indent="    "),
            file=out,
        )
        print(f"   time phrase: “{r['expression']}” ({r['kind']})", file=out)
        print(f"   — {r['citation']}", file=out)
        print(f"   id: {r['id']}", file=out)
        print(file=out)
    return 0


def _check_team(args: argparse.Namespace, settings: Settings) -> None:
    """``--team`` names a workspace only when installed into many (OAuth)."""
    if args.team is None:
        return
    if not settings.oauth:
        raise UsageError(
            "--team: this briefbot serves one workspace (no SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET); leave --team out"
        )
    if not re.fullmatch(r"[TE][A-Z0-9]{2,30}", args.team):
        raise UsageError(f"--team: {args.team[:40]!r} is not a Slack team id (e.g. T0123ABCD)")


def _cmd_status(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    _check_team(args, settings)
    services = _services(settings, err, sentences=False)
    try:
        commitment = services.get_commitment(args.id)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    status_of = services.status_of(args.team)
    if args.value is None:
        print(f"{commitment.id}: {status_of(commitment.id)}", file=out)
        for ch in services.history(commitment.id, args.team):
            note = f" — {ch.note}" if ch.note else ""
            print(f"   {ch.changed_at:%Y-%m-%d %H:%M}Z  {ch.status}  by {ch.actor}{note}", file=out)
        return 0
    before = status_of(commitment.id)
    row = services.record_status(
        commitment.id, args.value, actor=args.by, note=args.note, team_id=args.team
    )
    print(f"{commitment.id}: {before} → {row['status']}", file=out)
    return 0


def _as_of(value: datetime, settings: Settings) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=settings.timezone)


def _cmd_remind(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from bot.reminders import default_owner, run_due

    now = _as_of(args.as_of, settings)
    if not args.dry_run and now > datetime.now(now.tzinfo) + timedelta(hours=1):
        raise UsageError(
            "--as-of is in the future: posting now would mark reminders that are not due yet "
            "as done; use --dry-run to preview"
        )
    if settings.oauth:
        return _remind_workspaces(args, settings, now, out, err)
    services = _services(settings, err)
    poster = None
    if not args.dry_run:
        settings.require("bot_token", "reminder_channel")
        poster = _slack_poster(settings, services)
    report = run_due(
        services.store,
        services.commitments,
        now=now,
        settings=settings,
        poster=poster or _NoPoster(),
        owner=default_owner(),
        dry_run=args.dry_run,
    )
    if args.json:
        out.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
        return 1 if report.failed else 0
    _print_reminders(report, now, settings, out, dry_run=args.dry_run)
    return _print_outcome(report, out, err) if not args.dry_run else 0


def _remind_workspaces(
    args: argparse.Namespace, settings: Settings, now: datetime, out: TextIO, err: TextIO
) -> int:
    """``briefbot remind`` when installed into many workspaces (OAuth): each workspace's
    due reminders, to its own channel with its own token, as the scheduler posts them."""
    from bot.reminders import default_owner
    from bot.workspaces import effective_settings, load, run_workspaces
    from handlers.install import installed_workspaces, open_stores, workspace_posters

    services = _services(settings, err)
    installed = list(installed_workspaces(open_stores(settings, services)))
    teams = [team for team, _ in installed]
    own = {team: effective_settings(settings, load(services.store, team)) for team in teams}
    posters = (
        ((team, _NoPoster()) for team in teams)
        if args.dry_run
        else workspace_posters(settings, services, installed)
    )
    reports = run_workspaces(
        services.store,
        services.commitments,
        posters,
        now=now,
        settings=settings,
        owner=default_owner(),
        dry_run=args.dry_run,
        hidden=services.hidden_docs,
    )
    # A workspace with a channel but no report: its run failed (run_workspaces logged it).
    broken = [t for t in teams if own[t].reminder_channel and t not in reports]
    failed = bool(broken) or any(r.failed for r in reports.values())

    def why_not(team: str) -> str:
        if team in broken:
            return "its run failed (the log says why); the next run tries again"
        return "no reminder channel: an admin sets one in App Home"

    if args.json:
        data = {
            team: reports[team].to_json() if team in reports else {"skipped": why_not(team)}
            for team in teams
        }
        out.write(json.dumps({"workspaces": data}, ensure_ascii=False, indent=2) + "\n")
        return 1 if failed else 0
    if not teams:
        print("No workspace has installed briefbot yet: no reminders.", file=out)
    for team in teams:
        channel = own[team].reminder_channel
        print(f"Workspace {team}" + (f" (channel {channel})" if channel else ""), file=out)
        if team not in reports:
            print(f"   skipped: {why_not(team)}", file=out)
            continue
        _print_reminders(reports[team], now, own[team], out, dry_run=args.dry_run)
        if not args.dry_run:
            _print_outcome(reports[team], out, err)
    return 1 if failed else 0


def _print_reminders(
    report: Any, now: datetime, settings: Settings, out: TextIO, *, dry_run: bool
) -> None:
    tz = settings.timezone
    print(
        f"Reminders due at {now.astimezone(tz):%Y-%m-%d %H:%M %Z}"
        + (" (dry run: nothing posted or recorded)" if dry_run else ""),
        file=out,
    )
    if not report.plan.post and not report.plan.summarize:
        print("   none", file=out)
    for r in report.plan.post:
        c = r.commitment
        what = "due date passed" if r.kind == "overdue" else f"due {c.due} ({_lead(r)} ahead)"
        print(f"- {what}: “{c.expression}”", file=out)
        print(
            _fill(f"“{c.text}”", _width(), initial_indent="   ", subsequent_indent="    "),
            file=out,
        )
        print(f"   — {c.citation}", file=out)
    if report.plan.summarize:
        print(
            f"- one 'while I was offline' summary of {len(report.plan.summarize)} reminder(s)",
            file=out,
        )
    if report.plan.skip:
        print(
            f"({len(report.plan.skip)} older reminder(s) from before the first run are not "
            "posted; they show as overdue in 'briefbot commitments overdue')",
            file=out,
        )


def _print_outcome(report: Any, out: TextIO, err: TextIO) -> int:
    """The posted / summarized / failed counts; 1 when something failed."""
    print(
        f"posted {len(report.posted)}, summarized {len(report.summarized)}, "
        f"failed {len(report.failed)}",
        file=out,
    )
    for key, reason in report.failed:
        print(f"   failed: {key}: {reason}", file=err)
    return 1 if report.failed else 0


def _lead(reminder: Any) -> str:
    from bot.reminders import lead_label

    return lead_label(reminder.lead) if reminder.lead is not None else "0d"


class _NoPoster:
    """Used for dry runs: posting is a bug."""

    def post(self, reminder: Any, channel: str) -> str:
        raise AssertionError("dry run must not post")

    post_summary = find_posted = post  # type: ignore[assignment]


def _slack_poster(settings: Settings, services: Any, client: Any = None) -> Any:
    from handlers.client import build_client
    from handlers.reminders import SlackPoster

    return SlackPoster(
        client or build_client(settings, idempotent=True), status_of=services.store.current_status
    )


def _cmd_scheduler(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from bot.reminders import default_owner
    from bot.scheduler import build_scheduler, make_tick

    if settings.oauth:  # installed into many workspaces: each its own channel and token
        from handlers.install import open_stores, workspaces_tick

        services = _services(settings, err)
        stores = open_stores(settings, services)
        tick = workspaces_tick(settings, services, stores, owner=default_owner())
        log.warning("briefbot scheduler: posting reminders to every installed workspace")
        from handlers.sources import follow_workspaces_sources

        scheduler = build_scheduler(settings, tick, blocking=True)
        follow_workspaces_sources(scheduler, settings, services, stores)
        with contextlib.suppress(KeyboardInterrupt, SystemExit):
            scheduler.start()
        return 0
    settings.require("bot_token", "reminder_channel")
    services = _services(settings, err)
    tick = make_tick(
        services.store,
        services.fresh_commitments,
        settings=settings,
        poster=_slack_poster(settings, services),
        owner=default_owner(),
    )
    scheduler = build_scheduler(settings, tick, blocking=True)
    from handlers.sources import follow_sources

    follow_sources(scheduler, settings, services)
    log.warning("briefbot scheduler: posting reminders to %s", settings.reminder_channel)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
    return 0


def _cmd_serve(
    args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO, stdin: TextIO
) -> int:
    from bot.serve import choose_transport, serve

    transport = choose_transport(settings, args.transport)
    # A server must start, and search, even while its database is down.
    services = _services(settings, err, lazy_store=transport != "console")
    return serve(
        settings,
        services,
        transport,
        host=args.host,
        with_scheduler=not args.no_scheduler,
        stdin=stdin,
        stdout=out,
    )


def _database_problem(exc: BaseException, args: argparse.Namespace) -> str | None:
    """A one-line configuration error when ``exc`` came from the database."""
    from bot.config import DEFAULT_DB_URL
    from bot.store import database_problem

    url = getattr(args, "db", None) or os.environ.get("DATABASE_URL") or DEFAULT_DB_URL
    return database_problem(exc, url)


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Entry point of ``briefbot`` and ``python -m bot``; returns the exit code."""
    out, err, inp = stdout or sys.stdout, stderr or sys.stderr, stdin or sys.stdin
    if argv is None:
        from dotenv import load_dotenv

        load_dotenv(os.environ.get("BRIEFBOT_ENV_FILE", ".env"), override=False)
    parser = build_parser()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    level = os.environ.get("BRIEFBOT_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=level if level in {"DEBUG", "INFO", "WARNING", "ERROR"} else "INFO",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=err,
    )
    if not args.command:
        parser.print_help(out)
        return 2
    try:
        settings = _settings(args)
        if args.command == "ask":
            return _cmd_ask(args, settings, out, err, inp)
        if args.command == "docs":
            return _cmd_docs(args, settings, out, err)
        if args.command == "show":
            return _cmd_show(args, settings, out, err)
        if args.command == "ingest":
            return _cmd_ingest(args, settings, out, err)
        if args.command == "export":
            return library_cli.run_export(args, settings, out, err)
        if args.command == "remove":
            return library_cli.run_remove(args, settings, out, err)
        if args.command == "reindex":
            return library_cli.run_reindex(args, settings, out, err)
        if args.command == "sources":
            return sources_cli.run_sources(args, settings, out, err)
        if args.command == "commitments":
            return _cmd_commitments(args, settings, out, err)
        if args.command == "status":
            return _cmd_status(args, settings, out, err)
        if args.command == "remind":
            return _cmd_remind(args, settings, out, err)
        if args.command == "scheduler":
            return _cmd_scheduler(args, settings, out, err)
        if args.command == "serve":
            return _cmd_serve(args, settings, out, err, inp)
        raise UsageError(f"unknown command {args.command!r}")
    except (UsageError, QueryError, ConfigError, CorpusError, CurationError, TrackingError) as exc:
        print(f"briefbot: {' '.join(str(exc).split())}", file=err)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last resort: one line, traceback only in the debug log
        log.debug("unexpected error", exc_info=True)
        problem = _database_problem(exc, args)
        if problem:
            print(f"briefbot: {problem}", file=err)
            return 2
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        print(f"briefbot: internal error: {type(exc).__name__}: {first}", file=err)
        return 1
