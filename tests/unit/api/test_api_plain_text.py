"""plain_text: the query validator for text a store could not hold."""

from __future__ import annotations

import pytest

from aoineco_ledger.api._queries import plain_text


class TestPlainText:
    @pytest.mark.parametrize("bad", ["a\x00", "\udcff", "\ud800x"])
    def test_refuses_nul_and_surrogates(self, bad: str) -> None:
        """NUL and lone surrogates raise ValueError (a 422 through pydantic)."""
        with pytest.raises(ValueError, match="NUL"):
            plain_text(bad)

    @pytest.mark.parametrize("good", [None, "", "oracle", "青猫 🐱"])
    def test_keeps_ordinary_text(self, good: str | None) -> None:
        """Ordinary text and None pass unchanged."""
        assert plain_text(good) == good
