"""The reconciler service: every chain's cycle, run once or on a schedule.

:func:`build` is the one wiring function: from a validated configuration it opens
the ledger, installs the configured categories and budgets, and builds for each
chain an RPC client, price sources, a scanner and a :class:`ChainCycle`. The
:class:`Service` it returns runs them (``run_once`` for ``reconcile --once``,
``run_forever`` for the daemon) and catches failures at the job boundary only.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from aoineco_ledger.chains import (
    AggregatorPrice,
    BlockScanner,
    ChainSpec,
    Price,
    ProbeScanner,
    RpcClient,
    StaticPrice,
    TokenSpec,
    chain_from_config,
)
from aoineco_ledger.chains._prices import PriceSource
from aoineco_ledger.config import AppConfig, ChainConfig, TokenConfig
from aoineco_ledger.daemon._cycle import ChainCycle, CycleResult
from aoineco_ledger.daemon._health import ChainHealth
from aoineco_ledger.daemon._logging import SecretScrubber, secrets_of
from aoineco_ledger.daemon._report import usd_text
from aoineco_ledger.daemon._squad import Squad
from aoineco_ledger.errors import (
    ConfigError,
    InvalidEntryError,
    InvalidPeriodError,
    LedgerError,
    RpcError,
)
from aoineco_ledger.ledger import Alert, Ledger
from aoineco_ledger.ledger.store.base import Statement

__all__ = ["ChainRun", "FirstPrice", "Service", "build", "install", "lease_seconds", "open_ledger"]

log = structlog.get_logger("aoineco_ledger.daemon")


@dataclass(frozen=True, slots=True)
class ChainRun:
    """One chain's outcome in a run: its result, or the error that stopped it."""

    chain_id: int
    chain: str
    result: CycleResult | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        """True when the cycle raised."""
        return self.error is not None


class FirstPrice:
    """The first non-missing price of several sources (a feed, then a static price)."""

    def __init__(self, sources: Sequence[PriceSource]) -> None:
        self.sources = tuple(sources)

    def price_at(self, block_number: int) -> Price:
        """The first source's price that is not missing (else the last missing one)."""
        price = Price(usd=None, source="no price source configured")
        for source in self.sources:
            price = source.price_at(block_number)
            if not price.missing:
                return price
        return price


def lease_seconds(poll_seconds: float) -> float:
    """How long a chain's lease lasts: three polls, at least 10 s (renewed per chunk)."""
    return max(10.0, 3.0 * poll_seconds)


class Service:
    """Runs the cycles of every configured chain against one ledger.

    Args:
        ledger: the ledger all chains write to.
        cycles: one cycle per chain, in configuration order.
        poll_seconds: seconds between cycles, per chain id.
        scrub: masks secrets in error texts (see :class:`SecretScrubber`).
        clients: the chains' RPC clients, by chain id (for checks and counters).
        clock: the time source for health records.
    """

    def __init__(
        self,
        *,
        ledger: Ledger,
        cycles: Sequence[ChainCycle],
        poll_seconds: Mapping[int, float],
        scrub: Callable[[str], str] = str,
        clients: Mapping[int, RpcClient] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.ledger = ledger
        self.cycles = tuple(cycles)
        self.poll_seconds = dict(poll_seconds)
        self.clients = dict(clients or {})
        self.stopping = threading.Event()
        self._scrub = scrub
        self._clock = clock
        started = clock()
        self.health = {
            c.squad.chain_id: ChainHealth(
                chain_id=c.squad.chain_id,
                chain=c.squad.chain,
                poll_seconds=self.poll_seconds.get(c.squad.chain_id, 30.0),
                started_at=started,
                client=self.clients.get(c.squad.chain_id),
            )
            for c in self.cycles
        }

    def run_chain(self, cycle: ChainCycle, *, log_errors: bool = True) -> ChainRun:
        """One cycle of one chain; a failure is logged and returned, never raised.

        This is the job boundary: the next scheduled run retries.

        Args:
            cycle: the chain's cycle.
            log_errors: log an expected failure (``reconcile --once`` prints it itself).
        """
        squad = cycle.squad
        health = self.health[squad.chain_id]
        started = time.monotonic()
        # Every line of this cycle (the ledger core's and the reorg check's too) names the chain.
        try:
            with structlog.contextvars.bound_contextvars(
                chain=squad.chain, chain_id=squad.chain_id
            ):
                result = cycle.run(should_stop=self.stopping.is_set)
        except LedgerError as exc:
            error = self._scrub(str(exc))
            if log_errors:
                log.error("cycle_failed", chain=squad.chain, error=error, kind=type(exc).__name__)
        except Exception as exc:  # the job boundary: anything else is a bug, logged in full
            log.exception("cycle_crashed", chain=squad.chain)
            error = self._scrub(f"{type(exc).__name__}: {exc}")
        else:
            health.succeeded(result, now=self._clock())
            _log_result(result)
            return ChainRun(squad.chain_id, squad.chain, result=result)
        health.failed(error, seconds=time.monotonic() - started, now=self._clock())
        return ChainRun(squad.chain_id, squad.chain, error=error)

    def verify_chains(self) -> None:
        """Check each endpoint serves its configured chain, before the first cycle.

        An endpoint that cannot be reached now is only logged (the cycles retry),
        as ``rpc_unreachable`` naming every configured endpoint (masked), since the
        check stops at the first one that fails; one that serves another chain is
        a configuration mistake and stops the start.

        Raises:
            ChainIdMismatchError: an endpoint serves a different chain.
        """
        for chain_id, client in self.clients.items():
            try:
                client.connect()
            except RpcError as exc:
                health = self.health.get(chain_id)
                log.warning(
                    "rpc_unreachable",
                    chain=health.chain if health is not None else client.chain.name,
                    chain_id=chain_id,
                    error=self._scrub(f"{exc} (configured: {', '.join(client.endpoints)})"),
                )

    def chains_status(self) -> list[dict[str, Any]]:
        """Every chain's health record (the API's ``chains_status`` provider)."""
        return [health.as_dict() for health in self.health.values()]

    def run_once(self) -> list[ChainRun]:
        """One cycle of every chain, in order."""
        return [self.run_chain(cycle) for cycle in self.cycles]

    def statements(self) -> list[Statement]:
        """The latest statement of every wallet and asset on the configured chains."""
        ids = {cycle.squad.chain_id for cycle in self.cycles}
        return [s for s in self.ledger.reconciliation() if s.chain_id in ids]

    def stop(self) -> None:
        """Ask running cycles to stop after their current chunk."""
        self.stopping.set()

    def close(self) -> None:
        """Release the chains' leases and close the ledger."""
        for cycle in self.cycles:
            try:
                cycle.release()
            except LedgerError as exc:
                log.warning("lease_release_failed", chain=cycle.squad.chain, error=str(exc))
        self.ledger.close()


def build(
    config: AppConfig,
    *,
    ledger: Ledger | None = None,
    clients: Mapping[int, RpcClient] | None = None,
    holder: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Service:
    """Wire the service from a configuration.

    Args:
        config: the validated configuration.
        ledger: an open ledger to use (default: open ``config.ledger.store``).
        clients: ready RPC clients by chain id (the demo's in-process chain);
            chains not in it get one built from their ``rpc_urls``.
        holder: this replica's lease name (default host, pid and a random part).
        clock: the time source for statements and checkpoints.

    Returns:
        The service, ready to run.

    Raises:
        ConfigError: the configuration cannot be applied (a bad chain setting).
        StoreError: the store cannot be opened.
    """
    now = clock or (lambda: datetime.now(UTC))
    ledger = ledger or open_ledger(config)
    install(ledger, config)
    name = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    cycles = []
    built: dict[int, RpcClient] = {}
    for chain in config.chains:
        spec = _spec(chain)
        client = (clients or {}).get(chain.chain_id) or RpcClient(
            [u.get_secret_value() for u in chain.rpc_urls], chain=spec
        )
        built[chain.chain_id] = client
        cycles.append(
            ChainCycle(
                ledger=ledger,
                squad=Squad.from_config(config, chain, native_symbol=spec.native_symbol),
                scanner=_scanner(chain, client, smart_accounts=_smart_accounts(config)),
                target=_target(client, chain),
                start_block=chain.start_block,
                max_blocks=chain.max_blocks_per_cycle,
                holder=name,
                lease_seconds=lease_seconds(chain.poll_seconds),
                clock=now,
                block_hash=_hash_of(client),
            )
        )
    polls = {chain.chain_id: chain.poll_seconds for chain in config.chains}
    scrub = SecretScrubber(secrets_of(config)).text
    return Service(
        ledger=ledger, cycles=cycles, poll_seconds=polls, scrub=scrub, clients=built, clock=now
    )


def open_ledger(config: AppConfig) -> Ledger:
    """Open the ledger the configuration names, with budget alerts sent to the log.

    Raises:
        StoreError: the store cannot be opened.
    """
    return Ledger.open(
        config.ledger.store,
        timezone=config.ledger.timezone,
        seed_amount=config.ledger.seed_amount,
        alert_sinks=[_log_alert],
    )


def install(ledger: Ledger, config: AppConfig) -> None:
    """Add the configured categories and set the configured budgets in the ledger."""
    for category in config.categories:
        ledger.add_category(category.name, category.kind)
    for index, budget in enumerate(config.budgets):
        try:
            ledger.set_budget(
                category=budget.category,
                limit=budget.limit,
                period=budget.period,
                agent=budget.agent,
                warn_at=budget.warn_at,
            )
        except (InvalidEntryError, InvalidPeriodError) as exc:
            raise ConfigError(f"budgets[{index}]: {exc}") from None


def _spec(chain: ChainConfig) -> ChainSpec:
    return chain_from_config(
        chain_id=chain.chain_id,
        name=chain.name,
        native_symbol=chain.native_symbol,
        finality=chain.finality,
    )


def _hash_of(client: RpcClient) -> Callable[[int], str]:
    def block_hash(number: int) -> str:
        value = client.block(number, full=False)["hash"]
        return "0x" + bytes(value).hex() if isinstance(value, bytes) else str(value).lower()

    return block_hash


def _target(client: RpcClient, chain: ChainConfig) -> Callable[[], int]:
    return lambda: int(client.target_block(chain.finality))


def _smart_accounts(config: AppConfig) -> list[str]:
    """Wallets configured as ERC-4337 accounts (the probe scanner also detects them by code)."""
    return [w for a in config.agents if a.kind != "eoa" for w in a.wallets]


def _scanner(
    chain: ChainConfig, client: RpcClient, *, smart_accounts: list[str]
) -> BlockScanner | ProbeScanner:
    """The chain's scanner: ``probe`` (the default; cost follows the squad) or ``blocks``."""
    tokens = [_token(t) for t in chain.tokens]
    price = _native_price(chain, client)
    if chain.scan == "probe":
        return ProbeScanner(
            client,
            tokens=tokens,
            native_price=price,
            smart_accounts=smart_accounts,
            mode=chain.probe_mode,
        )
    return BlockScanner(client, tokens=tokens, native_price=price)


def _token(token: TokenConfig) -> TokenSpec:
    if token.price_usd is None:
        return TokenSpec(address=token.address, symbol=token.symbol, decimals=token.decimals)
    return TokenSpec(
        address=token.address,
        symbol=token.symbol,
        decimals=token.decimals,
        price=StaticPrice(token.price_usd, source="config"),
    )


def _native_price(chain: ChainConfig, client: RpcClient) -> PriceSource | None:
    sources: list[PriceSource] = []
    feed = chain.price_feed or client.chain.native_usd_feed
    if feed is not None:
        sources.append(AggregatorPrice(client, feed))
    if chain.price_usd is not None:
        sources.append(StaticPrice(chain.price_usd, source="config"))
    return FirstPrice(sources) if sources else None


def _log_alert(alert: Alert) -> None:
    log.warning(
        "budget_alert",
        kind=alert.kind,
        message=alert.message,
        spent=usd_text(alert.spent),
        limit=usd_text(alert.limit),
        agent=alert.entry.agent,
        chain=alert.entry.chain,
        tx_hash=alert.entry.tx_hash,
    )


def _log_result(result: CycleResult) -> None:
    log.info(
        "cycle",
        chain=result.chain,
        chain_id=result.chain_id,
        status=result.status,
        from_block=result.from_block,
        block=result.to_block,
        target=result.target,
        chunks=result.chunks,
        entries=result.entries_seen,
        added=result.entries_added,
        statements=len(result.statements),
        differences=len(result.differences),
        seconds=round(result.seconds, 3),
    )
