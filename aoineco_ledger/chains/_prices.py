"""USD prices for what the chain moved: a feed read at the block, or a fixed price.

Every observation carries a :class:`Price` and its ``source``. A price that
cannot be had is ``Price(usd=None, source="missing: <why>")``, never $0: a zero
would quietly book real money as worthless.

Arithmetic uses :data:`PRICE_CONTEXT`, this package's own ``decimal.Context``
(vyper forbids touching the global one, and so do we).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from aoineco_ledger.chains._abi import DECIMALS, LATEST_ROUND_DATA, decode_round, decode_uint
from aoineco_ledger.chains._addresses import to_address
from aoineco_ledger.chains._observations import Price
from aoineco_ledger.chains.rpc._errors import CallRevertedError
from aoineco_ledger.errors import ChainError, ConfigError
from aoineco_ledger.typing import Address

if TYPE_CHECKING:
    from aoineco_ledger.chains.rpc import RpcClient

__all__ = [
    "MAX_DECIMALS",
    "PRICE_CONTEXT",
    "AggregatorPrice",
    "MissingPrice",
    "PriceSource",
    "StaticPrice",
    "missing_price",
    "to_price",
]

PRICE_CONTEXT = Context(prec=80, traps=[InvalidOperation])
"""Enough digits for any uint256 scaled by any decimals here: results stay exact."""

MAX_DECIMALS = 77
"""10**78 passes 2**256: a uint256 amount can never use more decimals than 77."""


@runtime_checkable
class PriceSource(Protocol):
    """Where a USD price per whole unit comes from, at a given block."""

    def price_at(self, block_number: int) -> Price:
        """The price valid at ``block_number`` (a missing price is a Price, not an error)."""
        ...


def missing_price(reason: str, block_number: int | None = None) -> Price:
    """A price that could not be had, saying why."""
    return Price(usd=None, source=f"missing: {reason}", block_number=block_number)


def to_price(value: Decimal | int | str | float, *, key: str = "price_usd") -> Decimal:
    """A USD price from config: exact, finite, positive (a float goes through ``str``).

    Raises:
        ConfigError: not a positive finite number (the message names ``key``).
    """
    if isinstance(value, bool):
        raise ConfigError(f"{key}: {value!r} is not a price")
    try:
        price = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ConfigError(f"{key}: {value!r} is not a number") from None
    if not price.is_finite() or price <= 0:
        raise ConfigError(f"{key}: {value!r} must be a positive finite number")
    return price


class StaticPrice:
    """A fixed USD price (from config, or 1 for a stablecoin)."""

    def __init__(self, usd: Decimal | int | str | float, *, source: str | None = None) -> None:
        """Args:
        usd: the price per whole unit.
        source: how to name it in entries (default ``static:<usd>``).

        Raises:
            ConfigError: not a positive finite number.
        """
        self.usd = to_price(usd)
        self.source = source or f"static:{self.usd}"

    def price_at(self, block_number: int) -> Price:
        """The same price at every block."""
        return Price(usd=self.usd, source=self.source, block_number=block_number)

    def __repr__(self) -> str:
        return f"StaticPrice({str(self.usd)!r})"


class MissingPrice:
    """No price source: every price is missing, for the given reason."""

    def __init__(self, reason: str = "no price source configured") -> None:
        self.reason = reason

    def price_at(self, block_number: int) -> Price:
        """A missing price naming the reason."""
        return missing_price(self.reason, block_number)


class AggregatorPrice:
    """A Chainlink-style feed (``decimals``, ``latestRoundData``) read at the block.

    A round older than ``max_age`` relative to the block's own timestamp is
    returned with ``stale=True`` (still a price: the caller decides). A feed that
    reverts, answers zero or negative, or gives absurd decimals yields a missing
    price; only transport failures raise.
    """

    def __init__(
        self,
        client: RpcClient,
        feed: str,
        *,
        max_age: timedelta | None = timedelta(hours=25),
        label: str = "chainlink",
        cache_size: int = 4096,
    ) -> None:
        self.client = client
        self.feed: Address = to_address(feed)
        self.max_age = max_age
        self.label = label
        self._decimals: int | None = None
        self._cache: OrderedDict[int, Price] = OrderedDict()
        self._cache_size = cache_size

    def _source(self) -> str:
        return f"{self.label}:{self.client.chain.chain_id}:{self.feed}"

    def price_at(self, block_number: int) -> Price:
        """The feed's answer as of ``block_number``.

        Raises:
            RpcError: no endpoint could be asked.
        """
        cached = self._cache.get(block_number)
        if cached is not None:
            self._cache.move_to_end(block_number)
            return cached
        price = self._read(block_number)
        self._cache[block_number] = price
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return price

    def _read(self, block_number: int) -> Price:
        try:
            decimals, data, timestamp = self._fetch(block_number)
        except CallRevertedError:
            return missing_price(f"feed {self.feed} reverted at block {block_number}", block_number)
        except ChainError as exc:
            if type(exc) is not ChainError:
                raise
            return missing_price(f"feed {self.feed}: {exc}", block_number)
        if decimals > MAX_DECIMALS:
            return missing_price(f"feed {self.feed} says {decimals} decimals", block_number)
        _, answer, _, updated, _ = decode_round(data)
        if answer <= 0:
            return missing_price(f"feed {self.feed} answered {answer}", block_number)
        usd = PRICE_CONTEXT.scaleb(Decimal(answer), -decimals)
        updated_at = datetime.fromtimestamp(updated, tz=UTC)
        stale = self.max_age is not None and timestamp - updated > self.max_age.total_seconds()
        return Price(
            usd=usd,
            source=self._source(),
            block_number=block_number,
            updated_at=updated_at,
            stale=stale,
        )

    def _fetch(self, block_number: int) -> tuple[int, bytes, int]:
        requests = [
            lambda w3: w3.eth.call({"to": self.feed, "data": LATEST_ROUND_DATA}, block_number),
            lambda w3: w3.eth.get_block(block_number, False),
        ]
        if self._decimals is None:
            requests.append(
                lambda w3: w3.eth.call({"to": self.feed, "data": DECIMALS}, block_number)
            )
        results = self.client.call_many("price feed", requests)
        if self._decimals is None:
            self._decimals = decode_uint(bytes(results[2]), what="decimals()")
        return self._decimals, bytes(results[0]), int(results[1]["timestamp"])

    def __repr__(self) -> str:
        return f"AggregatorPrice({self.feed!r})"
