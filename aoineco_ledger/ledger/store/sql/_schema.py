"""The tables of a SQL ledger, as SQLAlchemy Core metadata.

``entries`` is the ledger itself, append-only. ``rollups`` keeps, for every
``(direction, category, agent)``, the exact sum and count of amounts per UTC
hour, day and month and for all time (grain ``h``, ``d``, ``m``, ``a``); it is
updated in the same transaction as the entries, so metrics and summaries read a
handful of rows instead of a million. The partial hours at the edges of an
arbitrary window come from ``entries`` through the ``(ts, id)`` index.

The Alembic migrations in ``migrations/versions`` create exactly these tables;
a unit test compares the two, so change both together.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from aoineco_ledger.ledger.store.sql._types import BaseUnits, JsonText, Money, UtcDateTime

__all__ = [
    "checkpoints",
    "entries",
    "leases",
    "marks",
    "metadata",
    "rollups",
    "settings",
    "statement_heads",
    "statements",
]

metadata = MetaData()
"""Every table of a SQL ledger (constraints and indexes named explicitly)."""

# ids sort byte-wise in PostgreSQL too, so (ts, id) order matches every other store.
_Id = String().with_variant(String(collation="C"), "postgresql")

entries = Table(
    "entries",
    metadata,
    Column("id", _Id, primary_key=True),
    Column("ts", UtcDateTime(), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("amount", Money(), nullable=False),
    Column("currency", String(16), nullable=False),
    Column("category", String(), nullable=False),
    Column("agent", String(), nullable=False),
    Column("vendor", String(), nullable=False),
    Column("description", String(), nullable=False),
    Column("account", String(), nullable=False),
    Column("context", String(), nullable=False),
    Column("receipt_url", String(), nullable=False),
    Column("tags", JsonText(), nullable=False),
    Column("source", String(16), nullable=False),
    Column("ref", String(), nullable=True),
    Column("flags", JsonText(), nullable=False),
    Column("reverses", String(), nullable=True),
    Column("meta", JsonText(), nullable=False),
    Column("chain_id", BigInteger(), nullable=True),
    Column("chain", String(), nullable=True),
    Column("wallet", String(), nullable=True),
    Column("counterparty", String(), nullable=True),
    Column("tx_hash", String(), nullable=True),
    Column("log_index", BigInteger(), nullable=True),
    Column("block_number", BigInteger(), nullable=True),
    Column("block_hash", String(), nullable=True),
    Column("asset", String(), nullable=True),
    Column("asset_amount", BaseUnits(), nullable=True),
    Column("asset_decimals", Integer(), nullable=True),
    Column("price_usd", Money(), nullable=True),
    Column("price_source", String(), nullable=True),
    Column("l2_fee_wei", BaseUnits(), nullable=True),
    Column("l1_fee_wei", BaseUnits(), nullable=True),
    Column("operator_fee_wei", BaseUnits(), nullable=True),
    Column("blob_fee_wei", BaseUnits(), nullable=True),
    UniqueConstraint("ref", name="uq_entries_ref"),
    CheckConstraint("direction IN ('expense', 'revenue', 'transfer')", name="ck_entries_direction"),
    Index("ix_entries_ts_id", "ts", "id"),
    Index("ix_entries_agent_ts", "agent", "ts"),
    Index("ix_entries_category_ts", "category", "ts"),
    Index("ix_entries_direction_ts", "direction", "ts"),
    Index("ix_entries_chain_id_wallet_ts", "chain_id", "wallet", "ts"),
)

rollups = Table(
    "rollups",
    metadata,
    Column("grain", String(1), primary_key=True),
    Column("bucket", BigInteger(), primary_key=True, autoincrement=False),
    Column("direction", String(16), primary_key=True),
    Column("category", String(), primary_key=True),
    Column("agent", String(), primary_key=True),
    Column("amount_sum", Money(), nullable=False),
    Column("n", BigInteger(), nullable=False),
    Column("min_ts", UtcDateTime(), nullable=False),
    sqlite_with_rowid=False,  # one B-tree: the key is the row
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("chain_id", BigInteger(), primary_key=True, autoincrement=False),
    Column("block_number", BigInteger(), nullable=False),
    Column("block_hash", String(), nullable=False),
    Column("wallets", JsonText(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=True),
    Column("state", JsonText(), nullable=False),
)

statements = Table(
    "statements",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("chain_id", BigInteger(), nullable=False),
    Column("wallet", String(), nullable=False),
    Column("asset", String(), nullable=False),
    Column("agent", String(), nullable=False),
    Column("from_block", BigInteger(), nullable=False),
    Column("to_block", BigInteger(), nullable=False),
    Column("opening", BaseUnits(), nullable=False),
    Column("inflow", BaseUnits(), nullable=False),
    Column("outflow", BaseUnits(), nullable=False),
    Column("fees", BaseUnits(), nullable=False),
    Column("expected_closing", BaseUnits(), nullable=False),
    Column("onchain_closing", BaseUnits(), nullable=False),
    Column("difference", BaseUnits(), nullable=False),
    Column("reconciled", Boolean(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("asset_decimals", Integer(), nullable=False),
    UniqueConstraint(
        "chain_id",
        "wallet",
        "asset",
        "from_block",
        "to_block",
        "created_at",
        name="uq_statements_natural",
    ),
)

statement_heads = Table(
    "statement_heads",
    metadata,
    Column("chain_id", BigInteger(), primary_key=True, autoincrement=False),
    Column("wallet", String(), primary_key=True),
    Column("asset", String(), primary_key=True),
    Column("statement_id", Integer(), nullable=False),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(), primary_key=True),
    Column("value", JsonText(), nullable=False),
)

marks = Table(
    "marks",
    metadata,
    Column("key", String(), primary_key=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(), primary_key=True),
    Column("holder", String(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("renewed_at", UtcDateTime(), nullable=False),
)
