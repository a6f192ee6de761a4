"""Categories: the seed's pre-configured list, each with a kind, plus custom ones.

A category's *kind* says which direction of entry may use it: an ``expense``
category takes expenses, a ``revenue`` category revenue, ``transfer`` transfers.
Logging revenue into ``API/LLM`` is therefore an error, not a negative cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from aoineco_ledger.errors import InvalidEntryError, UnknownCategoryError
from aoineco_ledger.ledger._text import has_control

_AS_NOUN = {"expense": "an expense", "revenue": "revenue", "transfer": "a transfer"}

__all__ = [
    "DEFAULT_CATEGORIES",
    "Category",
    "CategoryKind",
    "CategoryRegistry",
]

CategoryKind = Literal["expense", "revenue", "transfer"]
"""Which direction of entry a category accepts."""

_KINDS: tuple[str, ...] = get_args(CategoryKind)
_MAX_NAME = 64


@dataclass(frozen=True, slots=True)
class Category:
    """A named bucket for entries of one kind.

    Attributes:
        name: shown in reports, e.g. ``API/LLM``.
        kind: ``expense``, ``revenue`` or ``transfer``.
    """

    name: str
    kind: CategoryKind

    def __post_init__(self) -> None:
        name = self.name
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            raise InvalidEntryError(f"category name must be non-empty text, got {name!r}")
        if len(name) > _MAX_NAME:
            raise InvalidEntryError(
                f"a category name is at most {_MAX_NAME} characters (got {len(name):,})"
            )
        if has_control(name):
            raise InvalidEntryError(
                f"category name {name!r} must not contain control characters "
                "(a newline, tab or escape)"
            )
        if self.kind not in _KINDS:
            raise InvalidEntryError(
                f"category kind must be one of {', '.join(_KINDS)}, got {self.kind!r}"
            )

    def as_dict(self) -> dict[str, str]:
        """JSON-able form, as settings store it."""
        return {"name": self.name, "kind": self.kind}


DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category("API/LLM", "expense"),
    Category("API/Services", "expense"),
    Category("Infrastructure", "expense"),
    Category("Gas/Blockchain", "expense"),
    Category("Marketing", "expense"),
    Category("Tools", "expense"),
    Category("Subscriptions", "expense"),
    Category("Revenue/Gig", "revenue"),
    Category("Revenue/Tips", "revenue"),
    Category("Revenue/DeFi", "revenue"),
    Category("Revenue/Music", "revenue"),
    Category("Transfer", "transfer"),
    Category("Other", "expense"),
)
"""The seed's categories, in the seed's order."""


def guess_kind(name: str) -> CategoryKind:
    """The kind a bare seed v1 category name implies (``Revenue/...`` is revenue)."""
    if name.startswith("Revenue"):
        return "revenue"
    if name == "Transfer":
        return "transfer"
    return "expense"


class CategoryRegistry(Mapping[str, Category]):
    """The categories one ledger knows: the defaults plus the ones users added.

    It is a read-only mapping from name to :class:`Category`; :meth:`add` is the
    one way to grow it.
    """

    def __init__(self, categories: Iterable[Category] = DEFAULT_CATEGORIES) -> None:
        self._by_name: dict[str, Category] = {}
        for category in categories:
            self.add(category)

    @classmethod
    def from_settings(cls, stored: object) -> CategoryRegistry:
        """The defaults plus custom categories as settings keep them.

        ``stored`` is a list whose items are ``{"name", "kind"}`` dicts or, as seed
        v1 ``config.json`` wrote them, bare names (their kind is guessed).

        Raises:
            InvalidEntryError: an item is malformed or contradicts a default's kind.
        """
        registry = cls()
        if not isinstance(stored, list):
            return registry
        for item in stored:
            registry.add(_category_from_stored(item), replace_ok=True)
        return registry

    def add(self, category: Category, *, replace_ok: bool = False) -> bool:
        """Register ``category``; True if it is new.

        Raises:
            InvalidEntryError: the name exists with another kind.
        """
        known = self._by_name.get(category.name)
        if known is not None:
            if known.kind != category.kind and not replace_ok:
                raise InvalidEntryError(
                    f"category {category.name!r} already exists as a {known.kind} category"
                )
            return False
        self._by_name[category.name] = category
        return True

    def require(self, name: object, *, direction: str | None = None) -> Category:
        """The category called ``name``, checked against an entry's ``direction``.

        Raises:
            UnknownCategoryError: no such category.
            InvalidEntryError: the category's kind does not match ``direction``.
        """
        category = self._by_name.get(name) if isinstance(name, str) else None
        if category is None:
            raise UnknownCategoryError(
                f"unknown category {name!r}; known: {', '.join(self._by_name)}"
                " (add your own under [[categories]] in the configuration file,"
                " or with the library's add_category)"
            )
        if direction is not None and category.kind != direction:
            raise InvalidEntryError(
                f"{_AS_NOUN.get(direction, direction)} cannot go into {category.kind} category "
                f"{category.name!r}"
            )
        return category

    def custom(self) -> list[Category]:
        """The categories that are not among the defaults."""
        return [c for c in self._by_name.values() if c not in DEFAULT_CATEGORIES]

    def of_kind(self, kind: CategoryKind) -> list[Category]:
        """The categories of one kind, in registration order."""
        return [c for c in self._by_name.values() if c.kind == kind]

    def __getitem__(self, name: str) -> Category:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)


def _category_from_stored(item: Any) -> Category:
    """One stored category (a dict or a seed v1 bare name)."""
    if isinstance(item, str):
        return Category(item, guess_kind(item))
    if isinstance(item, dict):
        kind = item.get("kind")
        if kind not in _KINDS:
            raise InvalidEntryError(f"stored category {item!r} has no valid kind")
        return Category(str(item.get("name", "")), cast(CategoryKind, kind))
    raise InvalidEntryError(f"stored category {item!r} is neither a name nor a dict")
