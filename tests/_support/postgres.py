"""PostgreSQL for tests: one fresh database per test run, one schema per test.

The server is ``AOINECO_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``). The first test that needs it
creates a database ``aoineco_test_<pid>_<random>`` there and exports its URL in
``AOINECO_TEST_POSTGRES_SESSION_URL``, so child processes (``spawn``) find the
same database; the process that created it drops it at exit. Each test gets its
own schema (``search_path`` in the URL's ``options``), so stores of two tests
never meet and no test waits on another's advisory locks.

Without a reachable server the tests skip with a message naming
``AOINECO_TEST_POSTGRES_URL``, or fail when ``AOINECO_REQUIRE_POSTGRES=1``.

Use the fixtures by importing them into a test module or ``conftest.py``::

    from tests._support.postgres import postgres_url_fixture  # noqa: F401
"""

from __future__ import annotations

import atexit
import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from tests._support.requirements import missing

__all__ = [
    "DEFAULT_URL",
    "ENV_URL",
    "create_schema",
    "drop_schema",
    "postgres_url_fixture",
    "require_postgres",
    "server_url",
    "session_database_url",
    "url_for_directory",
]

ENV_URL = "AOINECO_TEST_POSTGRES_URL"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
_SESSION_ENV = "AOINECO_TEST_POSTGRES_SESSION_URL"
_state: dict[str, str | bool] = {}


def server_url() -> URL:
    """The server tests may use (from ``AOINECO_TEST_POSTGRES_URL``), as plain libpq."""
    return make_url(os.environ.get(ENV_URL) or DEFAULT_URL).set(drivername="postgresql")


def _conninfo(url: URL) -> str:
    return url.set(query={}).render_as_string(hide_password=False)


def require_postgres() -> None:
    """Skip (or fail, in CI) unless the server answers.

    Raises:
        pytest.skip.Exception: the server is unreachable and not required.
        pytest.fail.Exception: the server is unreachable and ``AOINECO_REQUIRE_POSTGRES=1``.
    """
    if "reachable" not in _state:
        try:
            with psycopg.connect(_conninfo(server_url()), connect_timeout=3):
                _state["reachable"] = True
        except psycopg.Error as e:
            _state["reachable"] = False
            _state["reason"] = str(e).strip().splitlines()[0] if str(e).strip() else repr(e)
    if not _state["reachable"]:
        masked = server_url().render_as_string(hide_password=True)
        missing(
            "POSTGRES",
            f"PostgreSQL is not reachable at {masked} ({_state.get('reason')}); start it or "
            f"point {ENV_URL} at a server where this user may create databases",
        )


def _admin(url: URL) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(_conninfo(url), autocommit=True, connect_timeout=5)


def _drop_database(name: str) -> None:
    try:
        with _admin(server_url()) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    except psycopg.Error:  # the server went away first: nothing left to clean
        pass


def session_database_url() -> URL:
    """This test run's database (created on first use, dropped when its creator exits)."""
    inherited = os.environ.get(_SESSION_ENV)
    if inherited:
        return make_url(inherited)
    require_postgres()
    name = f"aoineco_test_{os.getpid()}_{secrets.token_hex(4)}"
    with _admin(server_url()) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    atexit.register(_drop_database, name)
    url = server_url().set(database=name, query={})
    os.environ[_SESSION_ENV] = url.render_as_string(hide_password=False)
    return url


def create_schema(schema: str) -> str:
    """Create ``schema`` in the run's database if needed; a store URL that uses it."""
    base = session_database_url()
    with _admin(base) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    url = base.set(query={"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def drop_schema(schema: str) -> None:
    """Drop ``schema`` and everything in it."""
    with _admin(session_database_url()) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def url_for_directory(directory: Path) -> str:
    """A store URL whose schema is named after ``directory`` (same directory, same data)."""
    digest = hashlib.blake2b(str(directory.resolve()).encode(), digest_size=8).hexdigest()
    return create_schema(f"t_{digest}")


@pytest.fixture(name="postgres_url")
def postgres_url_fixture() -> Iterator[str]:
    """A ``postgresql://`` URL on a fresh, empty schema, dropped after the test."""
    require_postgres()
    schema = f"t_{secrets.token_hex(6)}"
    url = create_schema(schema)
    yield url
    drop_schema(schema)
