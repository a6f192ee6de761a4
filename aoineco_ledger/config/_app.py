"""The whole configuration: :class:`AppConfig`, and the rules that span sections.

``AppConfig`` is a pydantic-settings ``BaseSettings`` whose only source is its
keyword arguments: :func:`~aoineco_ledger.config.load_config` reads the TOML file
and lays the ``AOINECO_`` environment over it first (list indexes included,
which pydantic-settings' own environment source cannot do), so tests build a
config from plain keywords and nothing reads the environment behind their back.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from aoineco_ledger.config._fields import mask_password, mask_url
from aoineco_ledger.config._models import (
    AgentConfig,
    ApiConfig,
    BudgetConfig,
    CategoryConfig,
    ChainConfig,
    CounterpartyConfig,
    LedgerConfig,
    LogConfig,
)
from aoineco_ledger.typing import Address

__all__ = ["DEFAULT_CATEGORY_KINDS", "AppConfig", "Settings"]

DEFAULT_CATEGORY_KINDS: dict[str, str] = {
    "API/LLM": "expense",
    "API/Services": "expense",
    "Infrastructure": "expense",
    "Gas/Blockchain": "expense",
    "Marketing": "expense",
    "Tools": "expense",
    "Subscriptions": "expense",
    "Other": "expense",
    "Revenue/Gig": "revenue",
    "Revenue/Tips": "revenue",
    "Revenue/DeFi": "revenue",
    "Revenue/Music": "revenue",
    "Transfer": "transfer",
}
"""DESIGN.md's pre-configured categories and kinds (the ledger's own list wins if importable)."""


def _default_kinds() -> dict[str, str]:
    try:
        from aoineco_ledger.ledger import DEFAULT_CATEGORIES  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return dict(DEFAULT_CATEGORY_KINDS)
    return {str(c.name): str(c.kind) for c in DEFAULT_CATEGORIES}


class AppConfig(BaseSettings):
    """Everything the daemon, the API and the command line are told.

    Attributes:
        ledger: ``[ledger]`` (store URL, seed amount, time zone).
        chains: ``[[chains]]`` with their ``[[chains.tokens]]``.
        agents: ``[[agents]]``, each with its wallets.
        counterparties: ``[[counterparties]]``, known outside addresses.
        budgets: ``[[budgets]]``, installed into the ledger by the daemon.
        categories: ``[[categories]]``, custom categories beyond the defaults.
        api: ``[api]``; log: ``[log]``.
    """

    model_config = SettingsConfigDict(
        env_prefix="AOINECO_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    ledger: LedgerConfig = Field(default_factory=LedgerConfig)
    chains: list[ChainConfig] = Field(default_factory=list)
    agents: list[AgentConfig] = Field(default_factory=list)
    counterparties: list[CounterpartyConfig] = Field(default_factory=list)
    budgets: list[BudgetConfig] = Field(default_factory=list)
    categories: list[CategoryConfig] = Field(default_factory=list)
    api: ApiConfig = Field(default_factory=ApiConfig)
    log: LogConfig = Field(default_factory=LogConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword arguments only: ``load_config`` has merged file and environment already."""
        return (init_settings,)

    def chain_names(self) -> dict[int, str]:
        """The configured ``[[chains]] name`` of each chain id (``{8453: "base"}``)."""
        return {chain.chain_id: chain.name for chain in self.chains}

    @model_validator(mode="after")
    def _check_squad(self) -> AppConfig:
        _check_unique(self.chains, "chains", lambda c: str(c.chain_id), "chain id")
        _check_unique(self.chains, "chains", lambda c: c.name.lower(), "name")
        _check_unique(self.agents, "agents", lambda a: a.name, "name")
        owners: dict[Address, str] = {}
        for index, agent in enumerate(self.agents):
            for w_index, wallet in enumerate(agent.wallets):
                if wallet in owners:
                    raise ValueError(
                        f"@agents[{index}].wallets[{w_index}]: {wallet} already belongs to "
                        f"agent {owners[wallet]!r}; a wallet has one owner"
                    )
                owners[wallet] = agent.name
        for index, party in enumerate(self.counterparties):
            if party.address in owners:
                raise ValueError(
                    f"@counterparties[{index}].address: {party.address} is a squad wallet "
                    f"(agent {owners[party.address]!r}), not a counterparty"
                )
        self._check_budget_agents()
        self._check_categories()
        return self

    def _check_budget_agents(self) -> None:
        """A budget's agent must be a configured one, when any agents are configured.

        With no ``[[agents]]`` at all (a config that only sets budgets for entries
        logged by hand), any name is allowed: there is no list to check it against.
        """
        names = [agent.name for agent in self.agents]
        if not names:
            return
        for index, budget in enumerate(self.budgets):
            if budget.agent and budget.agent not in names:
                raise ValueError(
                    f"@budgets[{index}].agent: {budget.agent!r} is not an agent under "
                    f"[[agents]] (known: {', '.join(sorted(names))})"
                )

    def _check_categories(self) -> None:
        kinds = _default_kinds()
        for index, custom in enumerate(self.categories):
            known = kinds.get(custom.name)
            if known is not None and known != custom.kind:
                raise ValueError(
                    f"@categories[{index}].kind: {custom.name!r} is already {_a(known)} category"
                )
            kinds[custom.name] = custom.kind
        for index, agent in enumerate(self.agents):
            _check_category(
                kinds, agent.revenue_category, f"agents[{index}].revenue_category", "revenue"
            )
        for index, party in enumerate(self.counterparties):
            _check_category(kinds, party.category, f"counterparties[{index}].category", None)
        for index, budget in enumerate(self.budgets):
            if budget.category is not None:
                _check_category(kinds, budget.category, f"budgets[{index}].category", "expense")

    def category_kinds(self) -> dict[str, str]:
        """Every category this config may use (defaults and custom), name to kind."""
        kinds = _default_kinds()
        kinds.update({c.name: c.kind for c in self.categories})
        return kinds

    def wallet_owners(self) -> dict[Address, AgentConfig]:
        """Each squad wallet (checksum form) and the agent that owns it."""
        return {wallet: agent for agent in self.agents for wallet in agent.wallets}

    def masked(self) -> dict[str, Any]:
        """The effective configuration as JSON-able data, every secret masked.

        RPC URLs keep scheme and host (``https://host/***``), the API token becomes
        ``***`` and a store URL's password is hidden; money stays a decimal string.
        """
        data = self.model_dump(mode="json")
        if data["ledger"].get("store"):
            data["ledger"]["store"] = mask_password(data["ledger"]["store"])
        for chain, model in zip(data["chains"], self.chains, strict=True):
            chain["rpc_urls"] = [mask_url(u.get_secret_value()) for u in model.rpc_urls]
        if self.api.token is not None:
            data["api"]["token"] = "***"
        return data


Settings = AppConfig
"""The pydantic-settings name for :class:`AppConfig` (one class, two names)."""


def _check_unique(items: list[Any], section: str, key: Any, what: str) -> None:
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        value = key(item)
        if value in seen:
            raise ValueError(
                f"@{section}[{index}]: the {what} {value!r} is already used by "
                f"{section}[{seen[value]}]"
            )
        seen[value] = index


def _check_category(kinds: dict[str, str], name: str, where: str, kind: str | None) -> None:
    known = kinds.get(name)
    if known is None:
        choices = ", ".join(sorted(n for n, k in kinds.items() if kind is None or k == kind))
        raise ValueError(
            f"@{where}: unknown category {name!r} "
            f"(known: {choices}; add your own under [[categories]])"
        )
    if kind is not None and known != kind:
        raise ValueError(
            f"@{where}: {name!r} is {_a(known)} category; {_a(kind)} one is needed here"
        )


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
