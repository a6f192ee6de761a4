"""The chain registry and address handling."""

from __future__ import annotations

import pytest

from aoineco_ledger import chains
from aoineco_ledger.chains import (
    ChainRegistry,
    ChainSpec,
    address_topic,
    chain_from_config,
    get_chain,
    same_address,
    to_address,
    to_addresses,
)
from aoineco_ledger.errors import ConfigError, InvalidAddressError
from aoineco_ledger.typing import ChainId

USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"


class TestRegistry:
    @pytest.mark.parametrize("key", [8453, "8453", "base", "BASE", " base "])
    def test_lookup_by_id_or_name(self, key: int | str) -> None:
        """Base is found by id, decimal string or name in any case."""
        assert get_chain(key).chain_id == 8453

    def test_poa_chains(self) -> None:
        """Polygon and BNB need the POA extraData middleware; the others do not."""
        assert {spec.chain_id for spec in ChainRegistry() if spec.poa} == {137, 56}

    def test_polygon_native_is_not_priced_by_eth_feed(self) -> None:
        """On Polygon the ETH/USD feed is known but does not price the native POL."""
        spec = get_chain("polygon")
        assert (spec.native_symbol, spec.native_usd_feed) == ("POL", None)
        assert spec.eth_usd_feed is not None

    def test_unknown_chain_message_lists_known(self) -> None:
        """An unknown chain is a ConfigError that names the known chains."""
        with pytest.raises(ConfigError, match=r"unknown chain 'zora'.*base \(8453\)"):
            get_chain("zora")

    def test_register_a_chain_from_config(self) -> None:
        """An unknown chain built from config values can be registered and found."""
        registry = ChainRegistry()
        spec = chain_from_config(chain_id=7777777, name="zora", fee_model="op-stack")
        registry.register(spec)
        assert registry.get("zora").fee_model == "op-stack"

    def test_config_overrides_keep_known_defaults(self) -> None:
        """Overriding finality on Base keeps its fee model and feed."""
        spec = chain_from_config(chain_id=8453, finality="12")
        assert (spec.finality, spec.fee_model, spec.native_usd_feed) == (
            12,
            "op-stack",
            get_chain(8453).native_usd_feed,
        )

    @pytest.mark.parametrize(
        ("key", "value"),
        [("fee_model", "magic"), ("finality", "soon"), ("native_usd_feed", "0x12")],
    )
    def test_bad_config_value_names_the_key(self, key: str, value: str) -> None:
        """A bad configuration value raises ConfigError naming the key."""
        with pytest.raises(ConfigError, match=f"chains.{key}"):
            chain_from_config(chain_id=5, **{key: value})  # type: ignore[arg-type]

    def test_taken_name_is_refused(self) -> None:
        """Registering another chain under an existing name is refused."""
        with pytest.raises(ConfigError, match="already chain 8453"):
            ChainRegistry().register(ChainSpec(chain_id=ChainId(5), name="base"))

    def test_public_names_are_pinned(self) -> None:
        """The package's __all__ is sorted and every name exists."""

        def isort_key(name: str) -> tuple[int, str]:
            return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

        assert list(chains.__all__) == sorted(chains.__all__, key=isort_key)
        assert all(hasattr(chains, name) for name in chains.__all__)


class TestAddresses:
    def test_lowercase_is_accepted_and_checksummed(self) -> None:
        """A lowercase address comes out in EIP-55 form."""
        assert to_address(USDC.lower()) == USDC

    def test_bad_checksum_says_so(self) -> None:
        """Mixed case with a wrong checksum is refused with a message saying the checksum."""
        typo = "0x833589fcD6eDb6E08f4c7C32D4f71b54bdA02913"
        with pytest.raises(InvalidAddressError, match="checksum is wrong"):
            to_address(typo)

    @pytest.mark.parametrize(
        "value", ["", "0x123", "833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", 5, None]
    )
    def test_not_an_address(self, value: object) -> None:
        """Wrong length, no 0x or not a string: InvalidAddressError (a ValueError)."""
        with pytest.raises(ValueError, match="not an address"):
            to_address(value)

    def test_duplicates_in_any_case_collapse(self) -> None:
        """to_addresses drops a second spelling of the same address."""
        assert to_addresses([USDC, USDC.lower(), USDC.upper().replace("0X", "0x")]) == (USDC,)

    def test_same_address_ignores_case(self) -> None:
        """Addresses compare case-insensitively."""
        assert same_address(USDC, USDC.lower())

    def test_topic_is_padded_lowercase(self) -> None:
        """A log topic is 32 bytes, left padded, lowercase."""
        topic = address_topic(USDC)
        assert topic == "0x" + "0" * 24 + USDC[2:].lower()
