"""Add and remove statements from Slack: ``/brief add``, the "Add a statement" global
shortcut, a file sent to briefbot in a DM, and App Home's Remove button.

The modal has two steps: the text or URL (and optional metadata), then a preview with
the inferred metadata pre-filled; the second submit saves through :mod:`bot.library`.
Only editors (``BRIEFBOT_EDITORS``) get the modal; the rest get a polite refusal.
A modal submission must be answered within 3 s: each step works for up to
:data:`STEP_BUDGET` seconds and answers in the acknowledgement (``update`` or
``errors`` on the right field); a slow page or PDF gets a "reading…" view that
``views.update`` replaces when the work is done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.adding import (
    DATE,
    PARTIES,
    SHORT_TITLE,
    SOURCE,
    TITLE,
    Form,
    FormProblem,
    draft_of,
    duplicate_of,
    forget,
    read_input,
    stash,
    unstash,
)
from bot.fetch import MAX_FETCH_BYTES, RawSource, is_url, raw_from_bytes
from bot.ingest import IngestError
from bot.library import Draft, DuplicateStatement, LibraryError, StoredStatement
from bot.services import Services
from bot.slacktext import plain_text
from handlers import blocks
from handlers import library_views as V
from handlers.later import APOLOGY

log = logging.getLogger(__name__)

__all__ = ["offer_files", "register", "wants_add"]

#: Seconds a modal step may work before its acknowledgement must go (Slack allows 3).
STEP_BUDGET = 2.2
FIELDS = (SOURCE, TITLE, SHORT_TITLE, DATE, PARTIES)
_FILE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
_FILE_TYPES = {"text", "markdown", "html", "pdf"}

Step = tuple[dict[str, Any], Callable[[], None] | None]


def wants_add(text: str) -> str | None:
    """For ``/brief add`` (optionally ``add URL``) the URL or ""; None for a search."""
    words = plain_text(text).split()
    if not words or words[0].lower() != "add":
        return None
    if len(words) == 1:
        return ""
    return words[1] if len(words) == 2 and is_url(words[1]) else None


def _values(view: dict[str, Any]) -> dict[str, str | None]:
    state = (view.get("state") or {}).get("values") or {}
    return {f: ((state.get(f) or {}).get(f) or {}).get("value") for f in FIELDS}


def _within(later: Any, work: Callable[[], Step], on_late: Callable[[Any], None]) -> Any:
    """Run ``work`` on the answer pool for up to :data:`STEP_BUDGET` seconds. Returns its
    result (a Step, a FormProblem or another exception), or None when it is still running;
    then ``on_late`` gets the result when it comes."""
    box: dict[str, Any] = {}
    lock, done = threading.Lock(), threading.Event()

    def run() -> None:
        try:
            result: Any = work()
        except FormProblem as problem:
            result = problem
        except Exception as exc:
            log.error("adding a statement failed: %s", type(exc).__name__, exc_info=exc)
            result = exc
        with lock:
            box["result"] = result
            done.set()
            late = box.get("late", False)
        if late:
            on_late(result)

    later.submit(run, what="add statement")
    done.wait(STEP_BUDGET)
    with lock:
        if done.is_set():
            return box["result"]
        box["late"] = True
    return None


def _problem_view(result: Any) -> dict[str, Any]:
    if isinstance(result, FormProblem):
        return V.message_view(f":warning: {blocks.escape(result.message)}")
    return V.message_view(APOLOGY)


def _answer(ack: Any, later: Any, result: Any, *, waiting: str) -> None:
    """The acknowledgement of a modal step."""
    if result is None:
        ack(response_action="update", view=V.message_view(f":hourglass_flowing_sand: {waiting}"))
    elif isinstance(result, FormProblem):
        ack(response_action="errors", errors={result.field: blocks.cut(result.message, 300)[0]})
    elif isinstance(result, Exception):
        ack(response_action="update", view=V.message_view(APOLOGY))
    else:
        view, then = result
        ack(response_action="update", view=view)
        if then is not None:
            later.submit(then, what="statement saved")


def _late(client: Any, view_id: str, retry: Callable[[FormProblem], dict[str, Any]]) -> Any:
    """What a step that outlived its acknowledgement does with its result."""

    def finish(result: Any) -> None:
        then = None
        if isinstance(result, FormProblem):
            view = retry(result)
        elif isinstance(result, Exception):
            view = V.message_view(APOLOGY)
        else:
            view, then = result
        client.views_update(view_id=view_id, view=view)
        if then is not None:
            then()

    return finish


def _already(services: Services, existing: str, team: str | None, what: str = "statement") -> str:
    """Why a duplicate is refused, without naming another workspace's statement."""
    if existing in services.hidden_docs(team):
        return (
            f"The same {what} is already stored by another workspace; the operator can "
            "share statements between workspaces (BRIEFBOT_SHARE_STATEMENTS)."
        )
    return f"The same {what} is already stored as {existing}."


def _previewed(
    services: Services, raw: RawSource, form: Form, user: str, team: str | None = None, **m: str
) -> Step:
    """A preview step for ``raw``, its text kept for the save."""
    draft = draft_of(raw, form)
    existing = duplicate_of(services.library, draft)
    if existing:
        raise FormProblem(SOURCE, _already(services, existing, team))
    token = stash(services.store, raw, user=user)
    origin = raw.url or ("pasted text" if raw.name == "statement" else raw.name)
    return V.preview_view(draft, origin=origin, p=token, **m), None


def _channel_for(services: Services, team_id: str | None) -> str | None:
    """The reminder channel: the workspace's own when installed into many (OAuth)."""
    settings = services.settings
    if settings.oauth and team_id and services.store is not None:
        from bot import workspaces

        own = workspaces.effective_settings(settings, workspaces.load(services.store, team_id))
        return own.reminder_channel
    return settings.reminder_channel


def after_save(
    services: Services,
    client: Any,
    stored: StoredStatement,
    draft: Draft,
    user: str,
    *,
    channel: str | None,
    team_id: str | None,
) -> None:
    """Serve the new statement here at once, post "New statement" in the reminder channel
    and confirm to the editor (ephemeral where they started, else in their DM)."""
    try:
        services.refresh()
    except (SQLAlchemyError, OSError) as exc:
        log.warning("refresh after an add failed (%s); the watcher will pick it up", exc)
    items = [c for c in services.commitments if c.doc_id == stored.doc_id] or list(
        draft.dated_items
    )
    confirm = V.saved_text(stored)
    target = _channel_for(services, team_id)
    if target:
        try:
            client.chat_postMessage(channel=target, **V.new_statement_message(stored, items, user))
            confirm += f" Announced in <#{target}>."
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("New statement post to %s failed: %s", target, error)
            confirm += f" (The post in <#{target}> failed: {blocks.escape(str(error))}.)"
    if channel:
        try:
            client.chat_postEphemeral(channel=channel, user=user, text=confirm)
            return
        except SlackApiError as exc:  # e.g. /brief add in a channel briefbot is not in
            log.info(
                "confirmation in %s failed (%s); sent as a DM", channel, exc.response.get("error")
            )
    client.chat_postMessage(channel=user, text=confirm)


def _save(services: Services, client: Any, view: dict[str, Any], user: str, team: Any) -> Step:
    m = V.read_meta(view)
    form = Form.parse(_values(view))
    token = m.get("p")
    if not token:
        raise FormProblem(TITLE, "This preview has expired; close it and add the statement again.")
    draft = draft_of(unstash(services.store, token, user=user), form, field=TITLE)
    try:
        stored = services.library.add(draft, added_by=user, team_id=services.team_key(team))
    except DuplicateStatement as exc:
        what = "statement" if exc.near else "text"
        raise FormProblem(TITLE, _already(services, exc.existing_id, team, what)) from None
    except LibraryError as exc:
        raise FormProblem(TITLE, str(exc)) from None
    forget(services.store, token)
    channel = m.get("c")

    def then() -> None:
        after_save(services, client, stored, draft, user, channel=channel, team_id=team)

    return V.message_view(V.saved_text(stored)), then


def download_file(client: Any, file_id: str, services: Services) -> RawSource:
    """A file's bytes from Slack (``files.info``, then its private URL with the bot
    token, sent only to Slack's own hosts) as raw statement text."""
    import httpx

    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError as exc:
        error = exc.response.get("error")
        raise FormProblem(SOURCE, f"Slack would not give me the file ({error})") from None
    name = str(info.get("name") or "file")
    if int(info.get("size") or 0) > MAX_FETCH_BYTES:
        raise FormProblem(SOURCE, f"{name} is larger than {MAX_FETCH_BYTES // 1024} KiB")
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    host = urlsplit(url).hostname or ""
    own = urlsplit(services.settings.api_url).hostname
    if not (host == own or host == "slack.com" or host.endswith((".slack.com", ".slack-gov.com"))):
        raise FormProblem(SOURCE, f"{name}: not a Slack file address")
    try:
        with (
            httpx.Client(timeout=services.settings.slack_timeout, follow_redirects=True) as http,
            http.stream("GET", url, headers={"Authorization": f"Bearer {client.token}"}) as r,
        ):
            if r.status_code != 200:
                raise FormProblem(SOURCE, f"{name}: Slack answered HTTP {r.status_code}")
            data = b""
            for chunk in r.iter_bytes():
                data += chunk
                if len(data) > MAX_FETCH_BYTES:
                    raise FormProblem(SOURCE, f"{name} is larger than {MAX_FETCH_BYTES >> 10} KiB")
        return raw_from_bytes(data, content_type=str(info.get("mimetype") or ""), name=name)
    except httpx.HTTPError as exc:
        raise FormProblem(SOURCE, f"{name}: download failed ({type(exc).__name__})") from None
    except IngestError as exc:
        raise FormProblem(SOURCE, str(exc)) from None


def _is_statement_file(f: dict[str, Any]) -> bool:
    name = str(f.get("name") or "").lower()
    return name.endswith(_FILE_SUFFIXES) or str(f.get("filetype") or "") in _FILE_TYPES


def offer_files(
    services: Services, event: dict[str, Any], say: Any, team_id: str | None = None
) -> None:
    """Answer files sent in a DM: to an editor an "Add this statement" button per statement
    file (txt, md, html, pdf); to anyone else the polite refusal."""
    thread = event.get("thread_ts") or event["ts"]
    if not services.is_editor(team_id or event.get("team"), event.get("user")):
        say(thread_ts=thread, text=V.REFUSAL)
        return
    for f in (event.get("files") or [])[:5]:
        name = str(f.get("name") or "file")
        if _is_statement_file(f) and f.get("id"):
            say(thread_ts=thread, **V.file_offer(name, str(f["id"])))
        else:
            text = f"I can add .txt, .md, .html and .pdf files; {blocks.escape(name)} is not one."
            say(thread_ts=thread, text=text)


def register(app: Any, services: Services, later: Any) -> None:
    """The shortcut, the two modal steps, the file button and App Home's Remove."""
    from handlers.home import home_for

    def refuse(client: Any, user: str) -> None:
        client.chat_postMessage(channel=user, text=V.REFUSAL)

    @app.shortcut(V.SHORTCUT_ADD)
    def shortcut(ack, shortcut, client, context):
        ack()
        user, trigger = shortcut["user"]["id"], shortcut["trigger_id"]
        if not services.is_editor(context.team_id, user):
            later.submit(lambda: refuse(client, user), what="add refusal")
            return
        later.submit(lambda: client.views_open(trigger_id=trigger, view=V.input_view()), what="add")

    @app.view(V.VIEW_INPUT)
    def preview(ack, body, view, client, context):
        user = body["user"]["id"]
        if not services.is_editor(context.team_id, user):
            ack(response_action="update", view=V.message_view(V.REFUSAL))
            return
        values, m, team = _values(view), V.read_meta(view), context.team_id

        def work() -> Step:
            form = Form.parse(values)
            raw = read_input(values[SOURCE], allow_private=services.settings.allow_private_urls)
            return _previewed(services, raw, form, user, team, c=m.get("c", ""))

        def retry(problem: FormProblem) -> dict[str, Any]:
            return V.input_view(initial=values[SOURCE], notice=problem.message, **m)

        result = _within(later, work, _late(client, view["id"], retry))
        _answer(ack, later, result, waiting="Reading the statement…")

    @app.view(V.VIEW_PREVIEW)
    def save(ack, body, view, client, context):
        user = body["user"]["id"]
        if not services.is_editor(context.team_id, user):
            ack(response_action="update", view=V.message_view(V.REFUSAL))
            return
        team = context.team_id
        result = _within(
            later,
            lambda: _save(services, client, view, user, team),
            _late(client, view["id"], _problem_view),
        )
        _answer(ack, later, result, waiting="Saving…")

    @app.action(V.ACTION_ADD_FILE)
    def add_file(ack, body, action, client, respond, context):
        ack()
        user = body["user"]["id"]
        if not services.is_editor(context.team_id, user):
            later.submit(
                lambda: respond(response_type="ephemeral", replace_original=False, text=V.REFUSAL),
                what="add refusal",
            )
            return
        trigger, channel = body["trigger_id"], (body.get("channel") or {}).get("id", "")
        team = context.team_id

        def run() -> None:
            reading = V.message_view(":hourglass_flowing_sand: Reading the file…")
            opened = client.views_open(trigger_id=trigger, view=reading)
            try:
                raw = download_file(client, str(action.get("value", "")), services)
                view, _ = _previewed(services, raw, Form(), user, team, c=channel)
            except FormProblem as problem:
                view = _problem_view(problem)
            except Exception:  # the modal must never stay on "Reading…"
                log.exception("adding a file failed")
                view = V.message_view(APOLOGY)
            client.views_update(view_id=opened["view"]["id"], view=view)

        later.submit(run, what="add file", respond=respond)

    @app.action(V.ACTION_REMOVE)
    def remove(ack, body, action, client, context):
        ack()
        user, team, doc_id = body["user"]["id"], context.team_id, str(action.get("value", ""))

        def run() -> None:
            if services.is_editor(team, user):
                try:
                    owner = services.team_key(team) if services.settings.oauth else None
                    services.library.remove(doc_id, by=user, team_id=owner)
                except LibraryError as exc:  # removed meanwhile, or bundled
                    log.info("remove %s from App Home: %s", doc_id, exc)
                services.refresh()
            else:
                log.warning("remove %s refused: %s is not an editor", doc_id, user)
            client.views_publish(user_id=user, view=home_for(services, team_id=team, user_id=user))

        later.submit(run, what="remove statement")


def start_from_command(
    services: Services, later: Any, ack: Any, command: dict[str, Any], client: Any, url: str
) -> None:
    """``/brief add [URL]``: the modal for an editor, a polite refusal for anyone else."""
    user = command.get("user_id")
    if not services.is_editor(command.get("team_id"), user):
        ack(response_type="ephemeral", text=V.REFUSAL)
        return
    ack()
    view = V.input_view(initial=url or None, c=command.get("channel_id", ""))
    later.submit(lambda: client.views_open(trigger_id=command["trigger_id"], view=view), what="add")
