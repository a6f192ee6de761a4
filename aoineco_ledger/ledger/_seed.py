"""The seed's API: :class:`AoinecoLedger`, with the seed engine's names and shapes.

Existing agents call ``log_expense``, ``log_api_cost`` and friends and read dicts
back; they keep working unchanged. The differences are the fixes: amounts are
exact ``Decimal`` (a float argument goes through ``str()``), budgets really
block, periods are calendar periods, and every log call takes ``ref=`` for
idempotency.

The default directory, when none is given, is ``$AOINECO_LEDGER_DIR``, else the
seed's ``$OPENCLAW_WORKSPACE/ledger``, else ``~/.openclaw/workspace/ledger``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger._ledger import Ledger
from aoineco_ledger.ledger._metrics import BootstrapMetrics

__all__ = ["AoinecoLedger", "default_ledger_dir"]


def default_ledger_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the ledger lives when nobody says.

    Args:
        environ: the environment to read (default ``os.environ``).

    Returns:
        ``$AOINECO_LEDGER_DIR``, else ``$OPENCLAW_WORKSPACE/ledger``, else
        ``~/.openclaw/workspace/ledger``.
    """
    env = os.environ if environ is None else environ
    if env.get("AOINECO_LEDGER_DIR"):
        return Path(env["AOINECO_LEDGER_DIR"]).expanduser()
    if env.get("OPENCLAW_WORKSPACE"):
        return Path(env["OPENCLAW_WORKSPACE"]).expanduser() / "ledger"
    return Path("~/.openclaw/workspace/ledger").expanduser()


class AoinecoLedger(Ledger):
    """The seed engine's interface on the new core.

    Args:
        ledger_dir: a directory (JSONL store) or any store URL; default
            :func:`default_ledger_dir`.
        read_only: open for reading only: nothing is created or written, and a
            store that does not exist is refused (see :func:`open_store`).
        **options: :class:`Ledger` options (``timezone``, ``seed_amount``,
            ``clock``, ``alert_sinks``).

    Raises:
        StoreError: the store cannot be opened.
    """

    def __init__(
        self,
        ledger_dir: str | os.PathLike[str] | None = None,
        *,
        read_only: bool = False,
        **options: Any,
    ) -> None:
        from aoineco_ledger.ledger.store import open_store

        target = os.fspath(ledger_dir) if ledger_dir is not None else str(default_ledger_dir())
        self.ledger_dir = target
        super().__init__(open_store(target, read_only=read_only), **options)

    def log_expense(
        self,
        amount: object,
        vendor: str,
        description: str = "",
        category: str = "Other",
        agent: str = "",
        currency: str = "USD",
        account: str = "",
        context: str = "",
        tags: Iterable[str] | None = None,
        *,
        ref: str | None = None,
        force: bool = False,
        **fields: Any,
    ) -> Entry:
        """Log an expense; a budget past its limit raises ``BudgetExceeded`` unless ``force``."""
        return self.record(
            direction="expense",
            amount=amount,
            category=category,
            vendor=vendor,
            description=description,
            agent=agent,
            currency=currency,
            account=account,
            context=context,
            tags=tags or (),
            ref=ref,
            force=force,
            **fields,
        )

    def log_revenue(
        self,
        amount: object,
        source: str,
        description: str = "",
        category: str = "Revenue/Gig",
        agent: str = "",
        currency: str = "USD",
        account: str = "",
        context: str = "",
        tags: Iterable[str] | None = None,
        *,
        ref: str | None = None,
        **fields: Any,
    ) -> Entry:
        """Log revenue; ``source`` (who paid) is kept as the entry's ``vendor``."""
        return self.record(
            direction="revenue",
            amount=amount,
            category=category,
            vendor=source,
            description=description,
            agent=agent,
            currency=currency,
            account=account,
            context=context,
            tags=tags or (),
            ref=ref,
            **fields,
        )

    def log_api_cost(
        self,
        amount: object,
        provider: str,
        model: str = "",
        tokens_used: int = 0,
        agent: str = "",
        *,
        ref: str | None = None,
        force: bool = False,
        **fields: Any,
    ) -> Entry:
        """Log an LLM API cost into ``API/LLM`` (model and tokens kept in ``meta``)."""
        meta = {"model": model} if model else {}
        if tokens_used:
            meta["tokens_used"] = str(tokens_used)
        return self.log_expense(
            amount,
            provider,
            _api_description(model, tokens_used),
            category="API/LLM",
            agent=agent,
            context=f"tokens={tokens_used}" if tokens_used else "",
            tags=["api", "llm", model] if model else ["api", "llm"],
            ref=ref,
            force=force,
            meta=meta,
            **fields,
        )

    def log_gas(
        self,
        amount: object,
        chain: str = "base",
        tx_hash: str = "",
        agent: str = "",
        *,
        ref: str | None = None,
        force: bool = False,
        **fields: Any,
    ) -> Entry:
        """Log a gas fee into ``Gas/Blockchain``."""
        return self.log_expense(
            amount,
            f"Gas ({chain})",
            f"tx: {tx_hash[:16]}..." if tx_hash else "",
            category="Gas/Blockchain",
            agent=agent,
            tags=["gas", chain],
            ref=ref,
            force=force,
            chain=chain,
            tx_hash=tx_hash or None,
            **fields,
        )

    def get_summary(self, period: str = "all") -> dict[str, Any]:
        """The seed's summary dict (Decimal amounts)."""
        return self.summary(period).as_dict()

    def get_bootstrap_metrics(self) -> BootstrapMetrics:
        """The Bootstrap metrics: ``print()`` it for the seed's block, or read it as a mapping."""
        return self.bootstrap_metrics()

    def get_agent_costs(self) -> dict[str, dict[str, Any]]:
        """Per agent: ``total``, ``count``, ``categories`` (Decimal), biggest spender first."""
        return {name: cost.as_dict() for name, cost in self.agent_costs().items()}

    def export_csv(self, period: str = "all") -> str:
        """Every entry of a period as CSV text (formula-like text cells get a leading ``'``)."""
        out = io.StringIO()
        self.export("csv", out, period=period)
        return out.getvalue()

    def export_json(self, period: str = "all") -> str:
        """Every entry of a period as a JSON array."""
        out = io.StringIO()
        self.export("json", out, period=period)
        return out.getvalue()

    def get_status(self) -> dict[str, Any]:
        """The seed's status dict, plus the store URL and timezone."""
        return {
            "ledger_dir": self.ledger_dir,
            "total_transactions": self.store.count(),
            "budgets_set": len(self.budgets()),
            "categories": list(self.categories),
            "seed_amount": self.seed_amount,
            "store": self.url,
            "timezone": self.timezone,
        }


def _api_description(model: str, tokens_used: int) -> str:
    """``gemini-3-flash — 150,000 tokens``; the model alone when no count was given."""
    if model and tokens_used:
        return f"{model} — {tokens_used:,} tokens"
    return model
