"""Known EVM chains and their differences, as data (``ChainSpec``), not subclasses.

A chain's differences that matter here: how a transaction's fee is made up
(``fee_model``), the native coin, whether block headers carry the long POA
``extraData`` that web3 must be told about, how final a block must be before it
is booked, and which contracts are there to help (Multicall3, a Chainlink feed).

Chains not listed are built from configuration values with :func:`chain_from_config`
and may be added to a :class:`ChainRegistry` with :meth:`ChainRegistry.register`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, get_args

from aoineco_ledger.chains._addresses import to_address
from aoineco_ledger.errors import ConfigError
from aoineco_ledger.typing import Address, ChainId

__all__ = [
    "KNOWN_CHAINS",
    "MULTICALL3",
    "ChainRegistry",
    "ChainSpec",
    "FeeModel",
    "Finality",
    "chain_from_config",
    "get_chain",
    "register_chain",
]

FeeModel = Literal["op-stack", "l1-blob", "arbitrum", "plain"]
"""How a fee is made up: OP stack (L2 + l1Fee + operator fee), Ethereum with EIP-4844
blobs, Arbitrum (gasUsed already covers L1), or plain ``gasUsed * effectiveGasPrice``."""

Finality = Literal["latest", "safe", "finalized"] | int
"""A block tag, or a number of confirmations below ``latest``."""

MULTICALL3 = Address("0xcA11bde05977b3631167028862bE2a173976CA11")
"""Multicall3's address, the same on every chain that has it."""

_FEE_MODELS: tuple[str, ...] = get_args(FeeModel)
_TAGS = ("latest", "safe", "finalized")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainSpec:
    """What this package needs to know about one EVM chain.

    Attributes:
        chain_id: the EIP-155 chain id.
        name: the canonical short name (``base``).
        fee_model: see :data:`FeeModel`.
        native_symbol: the native coin (``ETH``, ``POL``, ``BNB``).
        native_decimals: the native coin's decimals (18 on every chain here).
        poa: True when headers carry POA ``extraData`` (web3's ``ExtraDataToPOAMiddleware``).
        finality: the default finality target for scanning.
        multicall3: Multicall3's address when deployed, else None.
        native_usd_feed: a Chainlink-style feed pricing the *native* coin in USD, or None.
        eth_usd_feed: a Chainlink ETH/USD feed on this chain (on Polygon ETH is not native).
        jovian_time: OP stack only: the unix time Jovian activated, when known; decides the
            operator-fee formula for receipts that do not show their era by their fields.
        aliases: other names :func:`get_chain` accepts.
    """

    chain_id: ChainId
    name: str
    fee_model: FeeModel = "plain"
    native_symbol: str = "ETH"
    native_decimals: int = 18
    poa: bool = False
    finality: Finality = "latest"
    multicall3: Address | None = None
    native_usd_feed: Address | None = None
    eth_usd_feed: Address | None = None
    jovian_time: int | None = None
    aliases: tuple[str, ...] = ()

    @property
    def is_op_stack(self) -> bool:
        """True for OP-stack chains (L1 data fee, operator fee, deposits)."""
        return self.fee_model == "op-stack"

    def names(self) -> tuple[str, ...]:
        """Every name this chain answers to, lowercase."""
        return (self.name.lower(), *(alias.lower() for alias in self.aliases))


def _feed(address: str) -> Address:
    return to_address(address)


_ETH_USD = {
    "base": _feed("0x71041dddad3595F9CEd3DcCFBe3D1F4b0a16Bb70"),
    "ethereum": _feed("0x5f4ec3df9cbd43714fe2740f5e3616155c5b8419"),
    "optimism": _feed("0x13e3ee699d1909e989722e753853ae30b17e08c5"),
    "arbitrum": _feed("0x639fe6ab55c921f74e7fac1ee960c0b6293ba612"),
    "polygon": _feed("0xf9680d99d6c9589e2a93a78a04a279e509205945"),
}

KNOWN_CHAINS: tuple[ChainSpec, ...] = (
    ChainSpec(
        chain_id=ChainId(8453),
        name="base",
        fee_model="op-stack",
        finality="safe",
        multicall3=MULTICALL3,
        native_usd_feed=_ETH_USD["base"],
        eth_usd_feed=_ETH_USD["base"],
        aliases=("base-mainnet",),
    ),
    ChainSpec(
        chain_id=ChainId(84532),
        name="base-sepolia",
        fee_model="op-stack",
        finality="safe",
        multicall3=MULTICALL3,
        aliases=("basesepolia",),
    ),
    ChainSpec(
        chain_id=ChainId(10),
        name="optimism",
        fee_model="op-stack",
        finality="safe",
        multicall3=MULTICALL3,
        native_usd_feed=_ETH_USD["optimism"],
        eth_usd_feed=_ETH_USD["optimism"],
        aliases=("op", "op-mainnet"),
    ),
    ChainSpec(
        chain_id=ChainId(1),
        name="ethereum",
        fee_model="l1-blob",
        finality="finalized",
        multicall3=MULTICALL3,
        native_usd_feed=_ETH_USD["ethereum"],
        eth_usd_feed=_ETH_USD["ethereum"],
        aliases=("mainnet", "eth"),
    ),
    ChainSpec(
        chain_id=ChainId(42161),
        name="arbitrum",
        fee_model="arbitrum",
        finality="safe",
        multicall3=MULTICALL3,
        native_usd_feed=_ETH_USD["arbitrum"],
        eth_usd_feed=_ETH_USD["arbitrum"],
        aliases=("arbitrum-one", "arb1"),
    ),
    ChainSpec(
        chain_id=ChainId(137),
        name="polygon",
        native_symbol="POL",
        poa=True,
        finality="finalized",
        multicall3=MULTICALL3,
        eth_usd_feed=_ETH_USD["polygon"],
        aliases=("matic", "polygon-pos"),
    ),
    ChainSpec(
        chain_id=ChainId(56),
        name="bnb",
        native_symbol="BNB",
        poa=True,
        finality="finalized",
        multicall3=MULTICALL3,
        aliases=("bsc", "binance"),
    ),
    # Local development chains: anvil/hardhat and eth-tester (py-evm in process).
    ChainSpec(chain_id=ChainId(31337), name="anvil", aliases=("hardhat", "localhost")),
    ChainSpec(chain_id=ChainId(131277322940537), name="eth-tester", aliases=("tester",)),
)


class ChainRegistry:
    """A lookup of chains by id or name. The package keeps one default instance."""

    def __init__(self, chains: Iterable[ChainSpec] = KNOWN_CHAINS) -> None:
        self._by_id: dict[int, ChainSpec] = {}
        for spec in chains:
            self.register(spec)

    def register(self, spec: ChainSpec, *, replace: bool = False) -> ChainSpec:
        """Add a chain; with ``replace`` an existing chain id is overwritten.

        Raises:
            ConfigError: the chain id or one of its names is already taken.
        """
        old = self._by_id.get(spec.chain_id)
        if old is not None and old != spec and not replace:
            raise ConfigError(
                f"chains: chain id {spec.chain_id} is already registered as {old.name}"
            )
        for name in spec.names():
            other = self._find_name(name)
            if other is not None and other.chain_id != spec.chain_id:
                raise ConfigError(f"chains: name {name!r} is already chain {other.chain_id}")
        self._by_id[spec.chain_id] = spec
        return spec

    def get(self, chain_id_or_name: int | str) -> ChainSpec:
        """The chain with this id (int or decimal string) or name.

        Raises:
            ConfigError: no such chain is known.
        """
        key = chain_id_or_name
        if isinstance(key, str) and key.strip().isdigit():
            key = int(key.strip())
        if isinstance(key, int) and not isinstance(key, bool):
            spec = self._by_id.get(key)
        else:
            spec = self._find_name(str(key).strip().lower())
        if spec is None:
            raise ConfigError(
                f"chains: unknown chain {chain_id_or_name!r}; known: "
                + ", ".join(f"{s.name} ({s.chain_id})" for s in self)
                + "; give chain_id and fee_model in the config for another chain"
            )
        return spec

    def _find_name(self, name: str) -> ChainSpec | None:
        return next((spec for spec in self._by_id.values() if name in spec.names()), None)

    def __iter__(self) -> Iterator[ChainSpec]:
        return iter(sorted(self._by_id.values(), key=lambda spec: spec.chain_id))

    def __contains__(self, chain_id_or_name: object) -> bool:
        try:
            self.get(chain_id_or_name)  # type: ignore[arg-type]
        except ConfigError:
            return False
        return True


_DEFAULT = ChainRegistry()


def get_chain(chain_id_or_name: int | str) -> ChainSpec:
    """Look a chain up in the default registry by id or name (``8453``, ``"base"``).

    Raises:
        ConfigError: the chain is unknown.
    """
    return _DEFAULT.get(chain_id_or_name)


def register_chain(spec: ChainSpec, *, replace: bool = False) -> ChainSpec:
    """Add a chain to the default registry (see :meth:`ChainRegistry.register`)."""
    return _DEFAULT.register(spec, replace=replace)


def _check_finality(value: object) -> Finality:
    if isinstance(value, bool):
        raise ConfigError(f"chains.finality: {value!r} is not latest, safe, finalized or a number")
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, str) and value.strip().lower() in _TAGS:
        tag: Finality = value.strip().lower()  # type: ignore[assignment]
        return tag
    raise ConfigError(f"chains.finality: {value!r} is not latest, safe, finalized or a number")


def chain_from_config(
    *,
    chain_id: int,
    name: str | None = None,
    fee_model: str | None = None,
    native_symbol: str | None = None,
    poa: bool | None = None,
    finality: object = None,
    native_usd_feed: str | None = None,
    multicall3: str | None = None,
    registry: ChainRegistry | None = None,
) -> ChainSpec:
    """Build a ChainSpec from configuration values; known chains keep their defaults.

    Values given override the registry's; for an unknown chain the defaults are a
    plain fee model, ETH, no POA and ``latest`` finality.

    Raises:
        ConfigError: a value is invalid (the message names the key).
    """
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
        raise ConfigError(f"chains.chain_id: {chain_id!r} is not a positive integer")
    known = (registry or _DEFAULT)._by_id.get(chain_id)
    base = known or ChainSpec(chain_id=ChainId(chain_id), name=name or f"chain-{chain_id}")
    changes: dict[str, object] = {}
    if name is not None and name != base.name:
        changes["name"] = name
    if fee_model is not None:
        if fee_model not in _FEE_MODELS:
            raise ConfigError(f"chains.fee_model: {fee_model!r} is not one of {_FEE_MODELS}")
        changes["fee_model"] = fee_model
    if native_symbol is not None:
        changes["native_symbol"] = native_symbol
    if poa is not None:
        changes["poa"] = bool(poa)
    if finality is not None:
        changes["finality"] = _check_finality(finality)
    for key, value in (("native_usd_feed", native_usd_feed), ("multicall3", multicall3)):
        if value is not None:
            changes[key] = _config_address(key, value)
    return dataclasses.replace(base, **changes) if changes else base  # type: ignore[arg-type]


def _config_address(key: str, value: str) -> Address:
    try:
        return to_address(value)
    except ValueError as exc:
        raise ConfigError(f"chains.{key}: {exc}") from None
