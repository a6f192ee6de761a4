"""Environment overrides: ``AOINECO_`` variables laid over the TOML data.

``AOINECO_LEDGER__STORE=sqlite:///x.db`` sets ``[ledger] store``; a number
between ``__`` picks a list item (``AOINECO_CHAINS__0__RPC_URLS`` is the first
chain's endpoints, and the index one past the end appends a new item). A list
value is JSON (``["0xa", "0xb"]``) or comma-separated (``0xa,0xb``); a section
or a list of tables is JSON. The program's own variables that are not settings
(:data:`NON_CONFIG_NAMES`, and the ``AOINECO_REQUIRE_*`` / ``AOINECO_TEST_*``
families the test suite reads) are left alone; any other ``AOINECO_`` variable
whose section is unknown (``AOINECO_LEDGR__STORE``, ``AOINECO_API_TOKEN`` with
one underscore) is refused, with the likely intended name, rather than ignored.
"""

from __future__ import annotations

import difflib
import json
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from aoineco_ledger.errors import ConfigError

__all__ = ["NON_CONFIG_FAMILIES", "NON_CONFIG_NAMES", "PREFIX", "apply_env", "env_paths"]

PREFIX = "AOINECO_"
_DELIMITER = "__"

NON_CONFIG_NAMES = frozenset({"AOINECO_CONFIG", "AOINECO_LEDGER_DIR", "AOINECO_CRASH_SEED"})
"""``AOINECO_`` variables that are not settings: the config file, the library's default
ledger directory, and the crash test's replay seed."""

NON_CONFIG_FAMILIES = ("AOINECO_REQUIRE_", "AOINECO_TEST_")
"""Prefixes of the test suite's own variables (``AOINECO_REQUIRE_ANVIL``,
``AOINECO_TEST_POSTGRES_URL``, ...): not settings either."""


def env_paths(model: type[BaseModel], environ: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """The configuration variables in ``environ``: variable name to key path (lowercase).

    Raises:
        ConfigError: an ``AOINECO_`` variable that is neither a setting of a known
            section nor one of the program's own (a typo would otherwise be ignored).
    """
    sections = set(model.model_fields)
    found: dict[str, tuple[str, ...]] = {}
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(PREFIX) or _is_own(upper):
            continue
        path = tuple(part.lower() for part in name[len(PREFIX) :].split(_DELIMITER))
        if path[0] not in sections or not all(path):
            raise ConfigError(_unknown_variable(name, path, sections))
        found[name] = path
    return found


def _is_own(upper: str) -> bool:
    return upper in NON_CONFIG_NAMES or upper.startswith(NON_CONFIG_FAMILIES)


def _unknown_variable(name: str, path: tuple[str, ...], sections: set[str]) -> str:
    """One line naming the variable and, where it is clear, the one meant."""
    guess = _guess(path, sections)
    if guess:
        return f"{name} is not a setting: did you mean {guess}?"
    known = ", ".join(s.upper() for s in sorted(sections))
    return f"{name} is not a setting (an {PREFIX}SECTION__KEY with SECTION one of {known})"


def _guess(path: tuple[str, ...], sections: set[str]) -> str | None:
    head, rest = path[0], path[1:]
    if not head:
        return None
    if head in sections:  # an empty part: AOINECO_LEDGER____STORE, AOINECO_LEDGER__
        parts = [head, *(p for p in rest if p)]
        return _name(parts) if len(parts) > 1 else None
    for section in sorted(sections, key=len, reverse=True):  # one underscore: AOINECO_API_TOKEN
        if head.startswith(section + "_") and len(head) > len(section) + 1:
            return _name([section, head[len(section) + 1 :], *rest])
    close = difflib.get_close_matches(head, sorted(sections), n=1, cutoff=0.6)
    return _name([close[0], *rest]) if close and rest else None


def _name(parts: list[str]) -> str:
    return PREFIX + _DELIMITER.join(parts).upper()


def apply_env(
    data: dict[str, Any], model: type[BaseModel], environ: Mapping[str, str]
) -> dict[str, tuple[str, ...]]:
    """Lay the ``AOINECO_`` variables of ``environ`` over ``data``, in place.

    Args:
        data: the TOML document (a dict of sections), changed in place.
        model: the settings model, whose annotations say which keys are lists.
        environ: the environment (``os.environ`` at the edge, a dict in tests).

    Returns:
        Which variables were applied, name to key path, so that an error can say
        where a bad value came from.

    Raises:
        ConfigError: a list index out of range, or JSON that does not parse.
    """
    applied = env_paths(model, environ)
    for name, path in applied.items():
        annotation = _annotation_at(model, path)
        value = _decode(name, environ[name], annotation)
        _set(data, path, value, name)
    return applied


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any, name: str) -> None:
    node: Any = data
    for depth, key in enumerate(path[:-1]):
        following = path[depth + 1]
        node = _child(node, key, name, want_list=following.isdigit())
    last = path[-1]
    if isinstance(node, list):
        index = _index(node, last, name)
        if index == len(node):
            node.append(value)
        else:
            node[index] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ConfigError(f"{name}: {'.'.join(path[:-1])} is not a table")


def _child(node: Any, key: str, name: str, *, want_list: bool) -> Any:
    empty: Any = [] if want_list else {}
    if isinstance(node, list):
        index = _index(node, key, name)
        if index == len(node):
            node.append(empty)
        return node[index]
    if not isinstance(node, dict):
        raise ConfigError(f"{name}: cannot set a key inside a plain value")
    child = node.setdefault(key, empty)
    if want_list and not isinstance(child, list):
        raise ConfigError(f"{name}: {key} is not a list, so it takes no index")
    return child


def _index(items: list[Any], key: str, name: str) -> int:
    if not key.isdigit():
        raise ConfigError(f"{name}: {key!r} must be a list index (0, 1, ...)")
    index = int(key)
    if index > len(items):
        raise ConfigError(
            f"{name}: index {index} is out of range (the list has {len(items)} items; "
            f"use {len(items)} to add one)"
        )
    return index


def _annotation_at(model: type[BaseModel], path: tuple[str, ...]) -> Any:
    """The annotation of the key ``path`` names (None when the path leaves the model)."""
    annotation: Any = model
    for key in path:
        annotation = _unwrap(annotation)
        if key.isdigit():
            if typing.get_origin(annotation) is not list:
                return None
            annotation = typing.get_args(annotation)[0]
            continue
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        field = annotation.model_fields.get(key)
        if field is None:
            return None
        annotation = field.annotation
    return _unwrap(annotation)


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``X | None`` down to the type that decides decoding."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _decode(name: str, raw: str, annotation: Any) -> Any:
    text = raw.strip()
    is_list = typing.get_origin(annotation) is list
    is_table = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    if is_list or is_table:
        if text.startswith(("[", "{")):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{name}: not valid JSON ({exc.msg} at {exc.pos})") from None
        if is_list and not _holds_tables(annotation):
            return [part.strip() for part in text.split(",") if part.strip()]
        raise ConfigError(f"{name}: give this table or list of tables as JSON")
    return text


def _holds_tables(annotation: Any) -> bool:
    item = _unwrap(typing.get_args(annotation)[0]) if typing.get_args(annotation) else None
    return isinstance(item, type) and issubclass(item, BaseModel)
