"""Masking RPC URLs: every message this package writes names endpoints through
:func:`mask_url` only. The rule itself lives in :mod:`aoineco_ledger._masking`,
shared with the config and the daemon so that there is one definition of secret.
"""

from __future__ import annotations

from aoineco_ledger._masking import mask_url

__all__ = ["mask_url"]
