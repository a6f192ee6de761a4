"""The squad as classification sees it on one chain: who owns which wallet, who is outside.

:class:`Squad` is plain data built once from the configuration
(:meth:`Squad.from_config`) so that the classification and statement functions
are pure and can be tested with a squad written inline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aoineco_ledger.config import AppConfig, ChainConfig
from aoineco_ledger.ledger import Category, CategoryRegistry
from aoineco_ledger.typing import Address

__all__ = ["Counterparty", "Member", "Squad"]


@dataclass(frozen=True, slots=True)
class Member:
    """One squad wallet's owner: the agent and where its income is booked."""

    agent: str
    revenue_category: str = "Revenue/Gig"


@dataclass(frozen=True, slots=True)
class Counterparty:
    """A known address outside the squad, with the category its flows go to."""

    name: str
    category: str = "Other"


@dataclass(frozen=True, slots=True, kw_only=True)
class Squad:
    """Everything classification needs to know about the squad on one chain.

    Attributes:
        chain_id: the chain's EIP-155 id.
        chain: the chain's name as configured (``base``).
        native_symbol: the native coin's symbol (``ETH``).
        native_decimals: the native coin's decimals.
        members: squad wallets (EIP-55 checksum keys) and their owners.
        counterparties: known outside addresses (checksum keys).
        categories: the categories entries may use, with their kinds.
        tokens: allow-listed token symbols and their decimals.
    """

    chain_id: int
    chain: str
    native_symbol: str = "ETH"
    native_decimals: int = 18
    members: Mapping[str, Member] = field(default_factory=dict)
    counterparties: Mapping[str, Counterparty] = field(default_factory=dict)
    categories: CategoryRegistry = field(default_factory=CategoryRegistry)
    tokens: Mapping[str, int] = field(default_factory=dict)
    _members_lower: dict[str, Member] = field(init=False, repr=False, compare=False)
    _parties_lower: dict[str, Counterparty] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_members_lower", {a.lower(): m for a, m in self.members.items()})
        object.__setattr__(
            self, "_parties_lower", {a.lower(): p for a, p in self.counterparties.items()}
        )

    @classmethod
    def from_config(
        cls, config: AppConfig, chain: ChainConfig, *, native_symbol: str = "ETH"
    ) -> Squad:
        """The squad of ``config`` on ``chain`` (every agent's wallets, every counterparty).

        Args:
            config: the whole validated configuration.
            chain: the chain section this squad view is for.
            native_symbol: the chain's native coin, when the config does not name it.
        """
        registry = CategoryRegistry()
        for custom in config.categories:
            registry.add(Category(custom.name, custom.kind), replace_ok=True)
        return cls(
            chain_id=chain.chain_id,
            chain=chain.name,
            native_symbol=chain.native_symbol or native_symbol,
            members={
                wallet: Member(agent.name, agent.revenue_category)
                for agent in config.agents
                for wallet in agent.wallets
            },
            counterparties={
                party.address: Counterparty(party.name, party.category)
                for party in config.counterparties
            },
            categories=registry,
            tokens={token.symbol: token.decimals for token in chain.tokens},
        )

    @property
    def wallets(self) -> tuple[Address, ...]:
        """The squad's wallets, checksum form, in configuration order."""
        return tuple(Address(w) for w in self.members)

    def member(self, address: str | None) -> Member | None:
        """The owner of ``address`` when it is a squad wallet, else None."""
        return self._members_lower.get(address.lower()) if address else None

    def counterparty(self, address: str | None) -> Counterparty | None:
        """The configured counterparty at ``address``, if any."""
        return self._parties_lower.get(address.lower()) if address else None

    def kind_of(self, category: str) -> str:
        """The kind (expense, revenue, transfer) of a known category."""
        return self.categories.require(category).kind
