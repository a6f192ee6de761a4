"""Categories: the seed's list with kinds, custom ones, and kind checks."""

from __future__ import annotations

import pytest

from aoineco_ledger.errors import InvalidEntryError, UnknownCategoryError
from aoineco_ledger.ledger import DEFAULT_CATEGORIES, Category, CategoryRegistry


class TestDefaults:
    def test_seed_categories_in_order(self) -> None:
        """The pre-configured names are the seed's, in the seed's order."""
        assert [c.name for c in DEFAULT_CATEGORIES] == [
            "API/LLM",
            "API/Services",
            "Infrastructure",
            "Gas/Blockchain",
            "Marketing",
            "Tools",
            "Subscriptions",
            "Revenue/Gig",
            "Revenue/Tips",
            "Revenue/DeFi",
            "Revenue/Music",
            "Transfer",
            "Other",
        ]

    def test_kinds(self) -> None:
        """Revenue/* are revenue, Transfer is transfer, the rest are expense."""
        registry = CategoryRegistry()
        assert [c.name for c in registry.of_kind("revenue")] == [
            "Revenue/Gig",
            "Revenue/Tips",
            "Revenue/DeFi",
            "Revenue/Music",
        ]
        assert registry["Transfer"].kind == "transfer"
        assert registry["Other"].kind == "expense"


class TestRegistry:
    def test_unknown_category(self) -> None:
        """An unknown name is an UnknownCategoryError naming it."""
        with pytest.raises(UnknownCategoryError, match="Snacks"):
            CategoryRegistry().require("Snacks")

    def test_kind_mismatch(self) -> None:
        """Revenue into an expense category is refused."""
        with pytest.raises(InvalidEntryError, match="revenue cannot go into expense"):
            CategoryRegistry().require("API/LLM", direction="revenue")

    def test_add_custom(self) -> None:
        """A custom category is registered once and is listed as custom."""
        registry = CategoryRegistry()
        assert registry.add(Category("Compute/GPU", "expense"))
        assert not registry.add(Category("Compute/GPU", "expense"))
        assert registry.custom() == [Category("Compute/GPU", "expense")]
        assert len(registry) == len(DEFAULT_CATEGORIES) + 1

    def test_add_conflicting_kind(self) -> None:
        """A name cannot come back with another kind."""
        with pytest.raises(InvalidEntryError, match="already exists"):
            CategoryRegistry().add(Category("Other", "revenue"))

    def test_from_settings_reads_dicts_and_seed_names(self) -> None:
        """Settings may hold dicts or the seed's bare names (kind guessed)."""
        registry = CategoryRegistry.from_settings(
            [{"name": "Compute", "kind": "expense"}, "Revenue/Grants", "API/LLM", "Transfer"]
        )
        assert registry["Compute"].kind == "expense"
        assert registry["Revenue/Grants"].kind == "revenue"

    def test_from_settings_ignores_non_list(self) -> None:
        """No stored list means just the defaults."""
        assert len(CategoryRegistry.from_settings(None)) == len(DEFAULT_CATEGORIES)

    @pytest.mark.parametrize("item", [{"name": "X", "kind": "gift"}, 42])
    def test_from_settings_refuses_malformed(self, item: object) -> None:
        """A stored category without a valid kind is an error."""
        with pytest.raises(InvalidEntryError):
            CategoryRegistry.from_settings([item])


class TestCategory:
    @pytest.mark.parametrize(
        "name", ["", "  ", " padded", "a\tb", "a\x1b[31mb", "a\x7fb", "a\x85b", "x" * 65]
    )
    def test_bad_names(self, name: str) -> None:
        """Empty, padded, control characters and overlong names are refused."""
        with pytest.raises(InvalidEntryError):
            Category(name, "expense")

    def test_bad_kind(self) -> None:
        """Kinds are expense, revenue or transfer only."""
        with pytest.raises(InvalidEntryError, match="kind"):
            Category("Gifts", "gift")  # type: ignore[arg-type]

    def test_as_dict(self) -> None:
        """The stored form is a name and a kind."""
        assert Category("Tools", "expense").as_dict() == {"name": "Tools", "kind": "expense"}
