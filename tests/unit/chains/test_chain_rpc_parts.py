"""URL masking, error classification, range hints and the retry policy (pure functions)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from aoineco_ledger.chains.rpc import RetryPolicy, classify_rpc_error, mask_url, range_hint
from aoineco_ledger.chains.rpc._transport import _retry_after_seconds


class TestMaskUrl:
    @pytest.mark.parametrize(
        ("url", "masked"),
        [
            (
                "https://base-mainnet.g.alchemy.com/v2/AbCdEf0123456789xyz",
                "https://base-mainnet.g.alchemy.com/***",
            ),
            (
                "https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef",
                "https://mainnet.infura.io/***",
            ),
            (
                "https://rpc.example/?apikey=s3cr3t&chain=base",
                "https://rpc.example/?***",
            ),
            ("https://user:pass@node.example:8545/rpc", "https://***@node.example:8545/***"),
            ("https://node.example/secretpath/KEY123", "https://node.example/***"),
            (
                "https://x.quiknode.pro/4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c/",
                "https://x.quiknode.pro/***",
            ),
            ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
            ("https://mainnet.base.org", "https://mainnet.base.org"),
        ],
    )
    def test_secrets_are_masked(self, url: str, masked: str) -> None:
        """Paths, query strings and userinfo become ***, however short the key; host stays."""
        assert mask_url(url) == masked

    def test_garbage_is_fully_masked(self) -> None:
        """Something that is not a URL is not echoed back at all."""
        assert mask_url("not a url with key 0123456789abcdef") == "***"


class TestClassify:
    @pytest.mark.parametrize(
        ("code", "message", "kind"),
        [
            (-32005, "daily request count exceeded, request rate limited", "rate-limit"),
            (429, "Too Many Requests", "rate-limit"),
            (-32005, "query returned more than 10000 results", "range"),
            (-32602, "block range too large", "range"),
            (-32600, "eth_getLogs is limited to 1024 block range", "range"),
            (-32602, "query exceeds max results 20000, retry with the range 5-9", "range"),
            (-32000, "missing trie node abc (path )", "state"),
            (-32000, "execution reverted", "other"),
        ],
    )
    def test_kinds(self, code: int, message: str, kind: str) -> None:
        """Real-world texts are read as what they mean; text decides before the code."""
        assert classify_rpc_error(code, message) == kind


class TestRangeHint:
    @pytest.mark.parametrize(
        ("message", "hint"),
        [
            ("retry with the range 100-149", (100, 149)),
            ("Try with this block range [0x64, 0x95].", (100, 149)),
            ("eth_getLogs is limited to 1,024 block range", (100, 1123)),
            ("block range too large", None),
        ],
    )
    def test_hints(self, message: str, hint: tuple[int, int] | None) -> None:
        """Hints are read in each provider's wording; none when the text has none."""
        assert range_hint(message, from_block=100) == hint


class TestRetryPolicy:
    def test_backoff_doubles_and_caps(self) -> None:
        """Backoff doubles per attempt up to max_delay, with at most +jitter on top."""
        policy = RetryPolicy(base_delay=1.0, max_delay=4.0, jitter=0.5)
        rng = random.Random(7)
        delays = [policy.backoff(attempt, rng) for attempt in range(5)]
        bounds = [(1, 1.5), (2, 3), (4, 6), (4, 6), (4, 6)]
        assert all(low <= d <= high for d, (low, high) in zip(delays, bounds, strict=True))

    def test_retry_after_seconds(self) -> None:
        """Retry-After in seconds is read as a float."""
        assert _retry_after_seconds("2.5", lambda: 0.0) == 2.5

    def test_retry_after_http_date(self) -> None:
        """Retry-After as an HTTP date is read relative to the injected wall clock."""
        when = datetime(2030, 1, 1, 0, 0, 30, tzinfo=UTC)
        now = datetime(2030, 1, 1, 0, 0, 0, tzinfo=UTC).timestamp()
        assert _retry_after_seconds(format_datetime(when, usegmt=True), lambda: now) == 30.0

    def test_retry_after_garbage_is_ignored(self) -> None:
        """An unreadable Retry-After falls back to backoff (None)."""
        assert _retry_after_seconds("soon", lambda: 0.0) is None
