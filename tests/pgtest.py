"""PostgreSQL for tests: the server URL, a reachability check, a fresh schema per test.

Without a server the tests skip with the reason, except under ``CI=true``, where they
must run and so fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from bot.store import safe_url

PG_URL = os.environ.get("BRIEFBOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def unreachable() -> str | None:
    """None if the server answers, else the reason (password masked)."""
    try:
        import psycopg  # noqa: F401
        from sqlalchemy import create_engine

        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        finally:
            engine.dispose()
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL not reachable at {safe_url(PG_URL)}: {first}"
    return None


def require_server() -> None:
    """Skip (or, under CI=true, fail) when the server is unreachable."""
    reason = unreachable()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)


def fresh_schema_url() -> Iterator[str]:
    """Yield a URL whose connections use a new schema (and a non-UTC session time
    zone, to exercise time handling); the schema is dropped afterwards."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    schema = f"bb_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(PG_URL).update_query_dict(
        {"options": f"-csearch_path={schema} -ctimezone=Pacific/Auckland"}
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()
