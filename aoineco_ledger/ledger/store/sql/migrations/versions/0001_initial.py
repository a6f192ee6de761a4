"""The first schema: entries, rollups, checkpoints, statements, settings, marks, leases.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aoineco_ledger.ledger.store.sql._types import BaseUnits, JsonText, Money, UtcDateTime

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_Id = sa.String().with_variant(sa.String(collation="C"), "postgresql")


def _text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _entries() -> None:
    op.create_table(
        "entries",
        sa.Column("id", _Id, primary_key=True),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        *(_text(n) for n in ("category", "agent", "vendor", "description")),
        *(_text(n) for n in ("account", "context", "receipt_url")),
        sa.Column("tags", JsonText(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        _text("ref", nullable=True),
        sa.Column("flags", JsonText(), nullable=False),
        _text("reverses", nullable=True),
        sa.Column("meta", JsonText(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=True),
        *(_text(n, nullable=True) for n in ("chain", "wallet", "counterparty", "tx_hash")),
        sa.Column("log_index", sa.BigInteger(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        _text("block_hash", nullable=True),
        _text("asset", nullable=True),
        sa.Column("asset_amount", BaseUnits(), nullable=True),
        sa.Column("asset_decimals", sa.Integer(), nullable=True),
        sa.Column("price_usd", Money(), nullable=True),
        _text("price_source", nullable=True),
        *(
            sa.Column(n, BaseUnits(), nullable=True)
            for n in ("l2_fee_wei", "l1_fee_wei", "operator_fee_wei", "blob_fee_wei")
        ),
        sa.UniqueConstraint("ref", name="uq_entries_ref"),
        sa.CheckConstraint(
            "direction IN ('expense', 'revenue', 'transfer')", name="ck_entries_direction"
        ),
    )
    op.create_index("ix_entries_ts_id", "entries", ["ts", "id"])
    op.create_index("ix_entries_agent_ts", "entries", ["agent", "ts"])
    op.create_index("ix_entries_category_ts", "entries", ["category", "ts"])
    op.create_index("ix_entries_direction_ts", "entries", ["direction", "ts"])
    op.create_index("ix_entries_chain_id_wallet_ts", "entries", ["chain_id", "wallet", "ts"])


def _rollups() -> None:
    op.create_table(
        "rollups",
        sa.Column("grain", sa.String(1), primary_key=True),
        sa.Column("bucket", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("direction", sa.String(16), primary_key=True),
        sa.Column("category", sa.String(), primary_key=True),
        sa.Column("agent", sa.String(), primary_key=True),
        sa.Column("amount_sum", Money(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("min_ts", UtcDateTime(), nullable=False),
        sqlite_with_rowid=False,
    )


def _reconciler() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("chain_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(), nullable=False),
        sa.Column("wallets", JsonText(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.Column("state", JsonText(), nullable=False),
    )
    amounts = ("opening", "inflow", "outflow", "fees", "expected_closing")
    op.create_table(
        "statements",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        *(_text(n) for n in ("wallet", "asset", "agent")),
        sa.Column("from_block", sa.BigInteger(), nullable=False),
        sa.Column("to_block", sa.BigInteger(), nullable=False),
        *(sa.Column(n, BaseUnits(), nullable=False) for n in amounts),
        sa.Column("onchain_closing", BaseUnits(), nullable=False),
        sa.Column("difference", BaseUnits(), nullable=False),
        sa.Column("reconciled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("asset_decimals", sa.Integer(), nullable=False),
        sa.UniqueConstraint(
            "chain_id",
            "wallet",
            "asset",
            "from_block",
            "to_block",
            "created_at",
            name="uq_statements_natural",
        ),
    )
    op.create_table(
        "statement_heads",
        sa.Column("chain_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("wallet", sa.String(), primary_key=True),
        sa.Column("asset", sa.String(), primary_key=True),
        sa.Column("statement_id", sa.Integer(), nullable=False),
    )


def _small_tables() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("value", JsonText(), nullable=False),
    )
    op.create_table(
        "marks",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("renewed_at", UtcDateTime(), nullable=False),
    )


def upgrade() -> None:
    """Create every table of the first schema."""
    _entries()
    _rollups()
    _reconciler()
    _small_tables()


def downgrade() -> None:
    """Drop them all (the ledger with them)."""
    for name in (
        "leases",
        "marks",
        "settings",
        "statement_heads",
        "statements",
        "checkpoints",
        "rollups",
        "entries",
    ):
        op.drop_table(name)
