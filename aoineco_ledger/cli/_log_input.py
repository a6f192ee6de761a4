"""What ``log`` checks in its options before it opens a store, naming the option.

The ledger checks every field of an entry, under the field's name, but several
options land in a field of another name: ``log revenue --source`` and ``log api
--provider`` become the entry's ``vendor``; ``log api --model`` its description,
a tag and a meta value; ``--tag`` its ``tags``. "vendor is too long" would send
the user looking for a ``--vendor`` they never typed, so every text option is
checked here first, by the ledger's own rules (:mod:`aoineco_ledger.ledger._text`)
at the strictest limit of the fields it feeds, and the message names the option.
The ledger still checks the entry afterwards; the tests pin that a value at each
limit is taken by both.

``log gas --tx-hash H`` without ``--ref`` gets the ref ``gas:{chain}:{H}``
(:func:`default_gas_ref`): one transaction's fee, logged twice by hand, is the
ledger's ordinary ref repeat ("already recorded"), not a second fee.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from aoineco_ledger.ledger._text import MAX_NAME_LENGTH, MAX_TEXT_LENGTH, check_name, check_text

__all__ = ["check_log_options", "default_gas_ref"]

_OPTIONS: tuple[tuple[str, str, Callable[..., None], int], ...] = (
    # (option, attribute, rule, limit); the entry field each feeds in the comment
    ("--agent", "agent", check_name, MAX_NAME_LENGTH),  # agent
    ("--vendor", "vendor", check_text, MAX_NAME_LENGTH),  # vendor
    ("--source", "source", check_text, MAX_NAME_LENGTH),  # vendor
    ("--provider", "provider", check_text, MAX_NAME_LENGTH),  # vendor
    ("--model", "model", check_text, MAX_NAME_LENGTH),  # description, tags, meta (a tag: a name)
    ("--category", "category", check_text, MAX_NAME_LENGTH),  # category
    ("--description", "description", check_text, MAX_TEXT_LENGTH),  # description
    ("--tag", "tag", check_text, MAX_NAME_LENGTH),  # tags, each
    ("--ref", "ref", check_text, MAX_NAME_LENGTH),  # ref
)


def check_log_options(args: argparse.Namespace) -> None:
    """Refuse a ``log`` option the ledger would refuse, naming the option, before any store opens.

    Raises:
        InvalidEntryError: the option's text is too long, not storable (NUL,
            invalid UTF-8), or (``--agent``) holds a control character.
    """
    for option, attribute, rule, limit in _OPTIONS:
        value = getattr(args, attribute, None)
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                rule(option, text, limit=limit)


def default_gas_ref(args: argparse.Namespace) -> str | None:
    """``gas:{chain}:{tx_hash}`` for ``log gas`` with a ``--tx-hash`` and no ``--ref``.

    The chain is ``--chain``'s canonical name and the hash is lowercase (both
    normalised by :mod:`aoineco_ledger.cli._gas`), so ``--chain BASE`` and
    ``--chain 8453`` with the same hash in any case are one ref. It is not the
    daemon's ``evm:{chain_id}:{tx}:gas``: a fee the daemon books is not matched.
    """
    if args.log_kind != "gas" or args.ref is not None or not args.tx_hash:
        return None
    return f"gas:{args.chain}:{args.tx_hash}"
