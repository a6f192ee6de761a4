"""The one error hierarchy of Aoineco Ledger.

Every error the package raises on purpose derives from :class:`LedgerError`, so a
caller can catch one type at a job boundary. Where the meaning matches a builtin,
the builtin is mixed in, so ``except ValueError`` keeps working too::

    LedgerError
    ├── InvalidEntryError (ValueError)      bad amount, category, direction, period value
    │   ├── InvalidAmountError              negative, NaN, infinite, non-numeric
    │   └── UnknownCategoryError            a category the ledger does not know
    ├── InvalidPeriodError (ValueError)     an unknown period name or since > until
    ├── BudgetExceeded                      a spend a budget blocks; nothing was written
    ├── StoreError                          the store cannot do what was asked
    │   ├── DurabilityError (OSError)       fsync or commit failed: fatal, never retried
    │   ├── SchemaVersionError              the database is newer than this code
    │   └── StoreLockedError                another process holds what we need
    ├── ConfigError (ValueError)            invalid configuration; names the key
    ├── InvalidAddressError (ValueError)    not an address, or a bad EIP-55 checksum
    └── ChainError                          something the chain or its RPC did
        ├── RpcError                        transport or JSON-RPC failure (URL masked)
        │   ├── RateLimitedError            HTTP 429 or a rate-limit JSON-RPC error
        │   ├── RangeTooLargeError          eth_getLogs range refused
        │   └── HistoricalStateError        the node lacks state for that block
        ├── ChainIdMismatchError            the endpoint serves another chain
        └── IncompleteReceiptError          a receipt cannot give the whole fee

This module imports nothing but the standard library: every layer may use it.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = [
    "BudgetExceeded",
    "ChainError",
    "ChainIdMismatchError",
    "ConfigError",
    "DurabilityError",
    "HistoricalStateError",
    "IncompleteReceiptError",
    "InvalidAddressError",
    "InvalidAmountError",
    "InvalidEntryError",
    "InvalidPeriodError",
    "LedgerError",
    "RangeTooLargeError",
    "RateLimitedError",
    "RpcError",
    "SchemaVersionError",
    "StoreError",
    "StoreLockedError",
    "UnknownCategoryError",
]


class LedgerError(Exception):
    """Root of every error Aoineco Ledger raises on purpose."""


class InvalidEntryError(LedgerError, ValueError):
    """An entry (or a query value) is not acceptable; nothing was written."""


class InvalidAmountError(InvalidEntryError):
    """An amount is negative, NaN, infinite, a bool, or not a number at all."""


class UnknownCategoryError(InvalidEntryError):
    """A category the ledger does not know (register custom ones first)."""


class InvalidPeriodError(LedgerError, ValueError):
    """An unknown period name, or an explicit window that ends before it starts."""


class BudgetExceeded(LedgerError):  # the DESIGN.md name users rely on (no Error suffix)
    """A spend would take a budget past its limit; nothing was written.

    Attributes:
        budget_id: the budget that blocked the spend.
        limit: the budget's limit in USD.
        spent: what the period had spent before this amount.
        amount: the refused amount.
    """

    def __init__(
        self,
        message: str,
        *,
        budget_id: str = "",
        limit: Decimal | None = None,
        spent: Decimal | None = None,
        amount: Decimal | None = None,
    ) -> None:
        super().__init__(message)
        self.budget_id = budget_id
        self.limit = limit
        self.spent = spent
        self.amount = amount


class StoreError(LedgerError):
    """A store cannot do what was asked (bad URL, unreadable file, SQL failure)."""


class DurabilityError(StoreError, OSError):
    """Data could not be made durable (fsync or commit failed). Never retried."""


class SchemaVersionError(StoreError):
    """The database schema is newer than this code, or cannot be migrated."""


class StoreLockedError(StoreError):
    """A lock or lease another process holds could not be taken in time."""


class ConfigError(LedgerError, ValueError):
    """Invalid configuration. The message names the offending key."""


class InvalidAddressError(LedgerError, ValueError):
    """Not a 20-byte hex address, or a mixed-case address with a wrong checksum."""


class ChainError(LedgerError):
    """Something a chain or its RPC endpoint did. Messages carry masked URLs only."""


class RpcError(ChainError):
    """A transport or JSON-RPC failure talking to an endpoint.

    Attributes:
        url: the masked endpoint URL (never the secret one).
        code: the JSON-RPC error code, or the HTTP status, when known.
    """

    def __init__(self, message: str, *, url: str = "", code: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.code = code


class RateLimitedError(RpcError):
    """The endpoint said slow down (HTTP 429 or a rate-limit JSON-RPC error).

    Attributes:
        retry_after: seconds the endpoint asked us to wait, when it said.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str = "",
        code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, url=url, code=code)
        self.retry_after = retry_after


class RangeTooLargeError(RpcError):
    """The endpoint refused an ``eth_getLogs`` block range or result size."""


class HistoricalStateError(RpcError):
    """The endpoint lacks the historical state asked for (not an archive node)."""


class ChainIdMismatchError(ChainError):
    """The endpoint serves a different chain than the configuration names."""


class IncompleteReceiptError(ChainError):
    """A receipt lacks a field its fee needs (e.g. ``l1Fee`` on an OP-stack chain)."""
