"""The public names of ``aoineco_ledger.api``."""

from __future__ import annotations

import aoineco_ledger.api as api


class TestExports:
    def test_all_is_pinned(self) -> None:
        """Adding or removing a public name is a decision, not an accident."""
        assert api.__all__ == [
            "DEFAULT_HOST",
            "DEFAULT_PORT",
            "ChainStatus",
            "ChainsStatusProvider",
            "LedgerCollector",
            "ServerHandle",
            "make_app",
            "render_metrics",
            "serve",
            "start_in_thread",
        ]

    def test_all_is_sorted(self) -> None:
        """The export list is sorted (constants first, as ruff sorts them)."""
        assert api.__all__ == sorted(api.__all__, key=lambda n: (not n.isupper(), n))

    def test_every_name_exists(self) -> None:
        """Each exported name is importable."""
        assert all(hasattr(api, name) for name in api.__all__)
