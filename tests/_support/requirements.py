"""Skip-or-fail policy for tests that need an external component.

On a user's machine without anvil or PostgreSQL those tests skip with a clear
reason. In CI (``.ci/run`` sets ``AOINECO_REQUIRE_ANVIL=1`` and
``AOINECO_REQUIRE_POSTGRES=1``) the same absence is a failure, never a skip.
"""

from __future__ import annotations

import os

import pytest

__all__ = ["missing"]


def missing(component: str, reason: str) -> None:
    """Skip (or, when ``AOINECO_REQUIRE_<COMPONENT>=1``, fail) because ``component`` is absent.

    Args:
        component: ``ANVIL`` or ``POSTGRES``.
        reason: what is missing and how to provide it.
    """
    if os.environ.get(f"AOINECO_REQUIRE_{component.upper()}") == "1":
        pytest.fail(f"{component.lower()} is required here but missing: {reason}", pytrace=False)
    pytest.skip(reason)
