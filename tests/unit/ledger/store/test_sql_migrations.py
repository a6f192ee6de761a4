"""Schema migrations of the SQL store: create, record, refuse the future."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from aoineco_ledger.errors import SchemaVersionError
from aoineco_ledger.ledger.store.sql import SqlStore, migrate
from aoineco_ledger.ledger.store.sql._engine import normalize_url
from aoineco_ledger.ledger.store.sql._schema import metadata
from tests._support.postgres import postgres_url_fixture  # noqa: F401 - fixture
from tests.unit.ledger.store._sql_support import DIALECTS, entry, sql_url_for

_TABLES = {
    "alembic_version",
    "checkpoints",
    "entries",
    "leases",
    "marks",
    "rollups",
    "settings",
    "statement_heads",
    "statements",
}


@pytest.fixture(name="sql_url", params=DIALECTS)
def _sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return sql_url_for(request, request.param, tmp_path)


def _stamp(url: str, revision: str) -> None:
    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


class TestSchema:
    def test_empty_database_gets_the_schema(self, sql_url: str) -> None:
        """Opening an empty database creates every table and records the revision."""
        store = SqlStore.from_url(sql_url)
        tables = set(inspect(store.engine).get_table_names())
        revision = store.schema_revision()
        store.close()
        assert tables == _TABLES
        assert revision == "0001"

    def test_migrations_match_the_table_metadata(self, sql_url: str) -> None:
        """What the migrations build is what the code's metadata describes."""
        store = SqlStore.from_url(sql_url)
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        store.close()
        assert diff == []

    def test_reopening_keeps_the_data(self, sql_url: str) -> None:
        """A second open finds the schema current and the entries in place."""
        with SqlStore.from_url(sql_url) as first:
            first.append([entry()])
        store = SqlStore.from_url(sql_url, auto_migrate=False)
        count = store.count()
        store.close()
        assert count == 1

    def test_newer_database_is_refused(self, sql_url: str) -> None:
        """A revision this code does not know means a newer release wrote it: refuse to open."""
        SqlStore.from_url(sql_url).close()
        _stamp(sql_url, "9999_from_the_future")
        with pytest.raises(SchemaVersionError, match=r"9999_from_the_future.*newer"):
            SqlStore.from_url(sql_url)

    def test_migrate_refuses_a_newer_database_too(self, sql_url: str) -> None:
        """``migrate`` never touches a database from a newer release."""
        SqlStore.from_url(sql_url).close()
        _stamp(sql_url, "9999_from_the_future")
        with pytest.raises(SchemaVersionError):
            migrate(sql_url)


class TestMigrate:
    def test_migrate_creates_then_has_nothing_to_do(self, sql_url: str) -> None:
        """The first migrate applies the schema; the second finds it current."""
        first, second = migrate(sql_url), migrate(sql_url)
        assert (first.before, first.after, first.applied) == (None, "0001", True)
        assert (second.before, second.applied) == ("0001", False)

    def test_concurrent_first_opens_do_not_race(self, sql_url: str) -> None:
        """Three openers of one new database at once all get a working store."""
        errors: list[BaseException] = []

        def open_one() -> None:
            try:
                SqlStore.from_url(sql_url).close()
            except BaseException as e:  # collected and asserted below
                errors.append(e)

        threads = [threading.Thread(target=open_one) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []


class TestRevisionList:
    def test_known_revisions_match_the_scripts(self) -> None:
        """The revision list the store checks on open is the Alembic scripts' history."""
        from alembic.script import ScriptDirectory

        from aoineco_ledger.ledger.store.sql._migrate import REVISIONS, alembic_config

        scripts = ScriptDirectory.from_config(alembic_config())
        history = [s.revision for s in reversed(list(scripts.walk_revisions()))]
        assert (tuple(history), scripts.get_heads()) == (REVISIONS, [REVISIONS[-1]])
