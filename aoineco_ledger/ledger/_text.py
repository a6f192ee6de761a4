"""Text an entry may carry: what every store can keep and every table can show.

Two rules, checked at the edge (:func:`~aoineco_ledger.ledger.new_entry`, and the
configuration for the names it gives the daemon):

- any text: no NUL, no lone surrogate, and not longer than its field's limit;
- a *name* (an agent, a category) also has no control character, since a newline
  or an escape sequence in one breaks every table that shows it.

The limits are generous for people and small for a runaway script: a name or key
is at most :data:`MAX_NAME_LENGTH` characters, free text (a description, a
receipt URL, a meta value) at most :data:`MAX_TEXT_LENGTH`.
"""

from __future__ import annotations

import re
import unicodedata

from aoineco_ledger.errors import InvalidEntryError

__all__ = [
    "FREE_TEXT_FIELDS",
    "MAX_NAME_LENGTH",
    "MAX_TEXT_LENGTH",
    "check_name",
    "check_text",
    "has_control",
]

MAX_NAME_LENGTH = 1_000
"""Characters in a name, key or label (agent, vendor, account, ref, tag, meta key ...).

A vendor or agent name is a few words; a ref is an idempotency key (a chain ref is
under 150 characters). A thousand leaves room for any real one and keeps a table
row readable."""

MAX_TEXT_LENGTH = 4_000
"""Characters in free text (description, context, receipt URL, meta value, price source).

A few paragraphs, or a signed receipt URL (S3's run to about 2,000 characters);
anything longer is a document, which belongs behind ``receipt_url``, not in a
ledger line that every report and export repeats."""

FREE_TEXT_FIELDS = frozenset({"description", "context", "receipt_url", "price_source"})
"""Entry fields held to :data:`MAX_TEXT_LENGTH`; every other text field is a name."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(name: str, value: str, *, limit: int = MAX_NAME_LENGTH) -> None:
    """Refuse text no store can keep: a NUL, a lone surrogate, or more than ``limit``.

    A lone surrogate is what Python makes of invalid UTF-8 on the command line
    (``$'\\xff'`` becomes ``'\\udcff'``); it cannot be encoded to UTF-8, and
    PostgreSQL refuses NUL in text, so both are turned away at the edge for
    every store alike. The message never repeats the value (it may be 100 KB).

    Args:
        name: the field, for the message.
        value: the text.
        limit: the most characters the field takes.

    Raises:
        InvalidEntryError: ``value`` holds a NUL or a lone surrogate, or is too long.
    """
    if len(value) > limit:
        raise InvalidEntryError(
            f"{name} is too long: {len(value):,} characters (at most {limit:,})"
        )
    if "\x00" in value:
        raise InvalidEntryError(f"{name} must not contain a NUL character")
    if _SURROGATE.search(value):
        raise InvalidEntryError(
            f"{name} is not valid text (invalid UTF-8, e.g. a stray byte such as \\xff)"
        )


def has_control(value: str) -> bool:
    """Whether ``value`` holds a control character (C0, DEL or C1: newline, tab, escape ...)."""
    return any(unicodedata.category(ch) == "Cc" for ch in value)


def check_name(name: str, value: str, *, limit: int = MAX_NAME_LENGTH) -> None:
    """Refuse a name that :func:`check_text` refuses or that holds a control character.

    Args:
        name: the field, for the message.
        value: the name.
        limit: the most characters it may have.

    Raises:
        InvalidEntryError: the name is not text a table can show on one line.
    """
    check_text(name, value, limit=limit)
    if has_control(value):
        raise InvalidEntryError(
            f"{name} must not contain control characters (a newline, tab or escape)"
        )
