"""The JSONL store's in-memory index: compact columns and running rollups.

A ledger of a million entries must answer "what did we spend" in microseconds
without holding a million :class:`Entry` objects. So each entry is a row of a
few ``array`` columns (its time in microseconds, an interned
``(direction, category, agent)`` key, its amount as an int64 mantissa and a
decimal exponent, where its line starts in the file), and sums are kept at three
grains, updated as rows arrive:

- per key, over all time: ``totals()`` without time bounds is O(groups);
- per UTC hour and key, with 6-hour, day, 8-day and 32-day levels derived on
  first use: a time
  window is a few dozen bucket merges plus an exact pass over the rows in the
  partial hours at its edges (found by bisecting a time-sorted row order).

Amounts are summed as integers at a scale of 10**-36 and turned back into a
``Decimal`` with the smallest exponent seen, so a sum reads exactly as adding
the ``Decimal`` values would (``0.0042 + 0.003 == 0.0072``). An amount that does
not fit (more than 18 digits, or finer than 1e-36) is kept aside as a ``Decimal``.
"""

from __future__ import annotations

import hashlib
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal

from aoineco_ledger.ledger.store.base import TotalKey, Totals

__all__ = ["EntryIndex", "KeyFilter", "ref_hash", "to_us"]

_CTX = Context(prec=400)
_SCALE = 36
_POW = [10**i for i in range(_SCALE + 128)]
_HOUR = 3_600_000_000
_RATIOS = (6, 4, 8, 4)  # hour -> 6 hours -> day -> 8 days -> 32 days
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_NO_EXP = 127
_ZERO = Decimal(0)

KeyFilter = frozenset[int] | None
"""Interned key ids a query accepts; ``None`` accepts all."""


def ref_hash(ref: str) -> int:
    """A 64-bit hash of an idempotency key, the same in every process (unlike ``hash``)."""
    return int.from_bytes(
        hashlib.blake2b(ref.encode(), digest_size=8).digest(), "little", signed=True
    )


def to_us(ts: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (exact)."""
    return (ts - _EPOCH) // _US


class _Acc:
    """A running sum: scaled integer part, overflow part, count, first time, finest exponent."""

    __slots__ = ("big", "count", "exp", "first", "scaled")

    def __init__(self) -> None:
        self.scaled = 0
        self.count = 0
        self.big = _ZERO
        self.first = 2**63
        self.exp = _NO_EXP

    def merge(self, other: _Acc) -> None:
        self.scaled += other.scaled
        self.count += other.count
        if other.big:
            self.big = _CTX.add(self.big, other.big)
        self.first = min(self.first, other.first)
        self.exp = min(self.exp, other.exp)

    def amount(self) -> Decimal:
        """The exact sum, with the finest exponent of its parts."""
        if self.exp == _NO_EXP:
            return self.big
        scaled = _CTX.scaleb(Decimal(self.scaled), -_SCALE)
        scaled = scaled.quantize(Decimal((0, (1,), self.exp)), context=_CTX)
        return _CTX.add(scaled, self.big) if self.big else scaled


def _split(amount: Decimal) -> tuple[int, int] | None:
    """``(mantissa, exponent)`` when the amount fits the columns, else None."""
    sign, digits, exp = amount.as_tuple()
    if not isinstance(exp, int) or exp < -_SCALE or exp >= _NO_EXP or len(digits) > 18:
        return None
    mant = int("".join(map(str, digits))) if digits else 0
    return (-mant if sign else mant), exp


class EntryIndex:
    """Columns and rollups over a store's entries (file order = row order)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.ts = array("q")
        self.key = array("i")
        self.place = array("i")
        self.mant = array("q")
        self.exp = array("b")
        self.offset = array("q")
        self.length = array("i")
        self.big: dict[int, Decimal] = {}
        self.keys: list[TotalKey] = []
        self._key_ids: dict[TotalKey, int] = {}
        self.places: list[tuple[int | None, str | None]] = [(None, None)]
        self._place_ids: dict[tuple[int | None, str | None], int] = {(None, None): 0}
        self.refs: dict[int, int] = {}
        self.collided: dict[str, int] = {}
        self._order = array("q")
        self._order_ts = array("q")
        self._all: list[_Acc] = []
        self._levels: list[dict[int, dict[int, _Acc]]] = [{}]
        self._pending: Callable[[], dict[int, dict[int, _Acc]]] | None = None
        self._late: list[int] = []
        self._bulk = False
        self._unsorted = False

    def __len__(self) -> int:
        return len(self.ts)

    # -- adding rows ---------------------------------------------------------

    def intern_key(self, key: TotalKey) -> int:
        """The id of ``key``, creating it on first sight."""
        kid = self._key_ids.get(key)
        if kid is None:
            kid = self._key_ids[key] = len(self.keys)
            self.keys.append(key)
            self._all.append(_Acc())
        return kid

    def _intern_place(self, place: tuple[int | None, str | None]) -> int:
        pid = self._place_ids.get(place)
        if pid is None:
            pid = self._place_ids[place] = len(self.places)
            self.places.append(place)
        return pid

    def add(
        self,
        *,
        ts_us: int,
        key: TotalKey,
        amount: Decimal | tuple[int, int],
        place: tuple[int | None, str | None],
        offset: int,
        length: int,
    ) -> int:
        """Append one row; returns its row number.

        ``amount`` is a ``Decimal`` or an already split ``(mantissa, exponent)``.
        """
        row = len(self.ts)
        kid = self.intern_key(key)
        if isinstance(amount, tuple):
            mant, exp = amount
        else:
            parts = _split(amount)
            if parts is None:
                self.big[row] = amount
                parts = (0, _NO_EXP)
            mant, exp = parts
        self.ts.append(ts_us)
        self.key.append(kid)
        self.place.append(self._intern_place(place))
        self.mant.append(mant)
        self.exp.append(exp)
        self.offset.append(offset)
        self.length.append(length)
        self._place_in_order(row, ts_us)
        self._roll(row, kid, ts_us)
        return row

    def _place_in_order(self, row: int, ts_us: int) -> None:
        if self._bulk or not self._order_ts or ts_us >= self._order_ts[-1]:
            if self._order_ts and ts_us < self._order_ts[-1]:
                self._unsorted = True
            self._order.append(row)
            self._order_ts.append(ts_us)
        else:  # a back-dated entry: a memmove, cheap next to the fsync that wrote it
            at = bisect_right(self._order_ts, ts_us)
            self._order.insert(at, row)
            self._order_ts.insert(at, ts_us)

    def defer_hours(self, build: Callable[[], dict[int, dict[int, _Acc]]]) -> None:
        """Let ``build()`` supply the hourly rollups when a time window first needs them.

        Rows added meanwhile are remembered and rolled in then. This is what
        makes opening from a snapshot cheap for callers that never ask for a window.
        """
        self._pending, self._late, self._levels = build, [], [{}]

    def hours(self) -> dict[int, dict[int, _Acc]]:
        """The hourly rollups (the finest level), built now if they were deferred."""
        if self._pending is not None:
            build, self._pending = self._pending, None
            late: Iterable[int]
            try:
                self._levels = [build()]
                late = self._late
            except (ValueError, TypeError, KeyError):  # a damaged cache: roll every row again
                self._levels, late = [{}], range(len(self.ts))
            for row in late:
                self._roll(row, self.key[row], self.ts[row], totals=False)
            self._late = []
        return self._levels[0]

    def _roll(self, row: int, kid: int, ts_us: int, *, totals: bool = True) -> None:
        if totals:
            self._add_row(self._all[kid], row)
        if self._pending is not None:
            self._late.append(row)
            return
        bucket = ts_us // _HOUR
        for level, buckets in enumerate(self._levels):
            if level:
                bucket //= _RATIOS[level - 1]
            per_key = buckets.get(bucket)
            if per_key is None:
                per_key = buckets[bucket] = {}
            acc = per_key.get(kid)
            if acc is None:
                acc = per_key[kid] = _Acc()
            self._add_row(acc, row)

    def _add_row(self, acc: _Acc, row: int) -> None:
        exp = self.exp[row]
        if exp == _NO_EXP:
            acc.big = _CTX.add(acc.big, self.big[row])
        else:
            acc.scaled += self.mant[row] * _POW[exp + _SCALE]
            if exp < acc.exp:
                acc.exp = exp
        acc.count += 1
        if self.ts[row] < acc.first:
            acc.first = self.ts[row]

    def bulk(self) -> _Bulk:
        """A context for adding many rows: the time order is rebuilt once, at the end."""
        return _Bulk(self)

    def _resort(self) -> None:
        ts = self.ts
        order = sorted(range(len(ts)), key=ts.__getitem__)
        self._order = array("q", order)
        self._order_ts = array("q", (ts[i] for i in order))

    # -- reading -------------------------------------------------------------

    def amount(self, row: int) -> Decimal:
        """The exact amount of ``row``."""
        exp = self.exp[row]
        if exp == _NO_EXP:
            return self.big[row]
        return Decimal((0 if self.mant[row] >= 0 else 1, _digits(self.mant[row]), exp))

    def key_filter(
        self, *, direction: str | None, category: str | None, agent: str | None
    ) -> KeyFilter:
        """The key ids matching the given parts (``None`` parts match anything)."""
        if direction is None and category is None and agent is None:
            return None
        wanted = (direction, category, agent)
        return frozenset(
            kid
            for kid, key in enumerate(self.keys)
            if all(w is None or w == k for w, k in zip(wanted, key, strict=True))
        )

    def place_filter(self, *, chain_id: int | None, wallet: str | None) -> KeyFilter:
        """The place ids matching ``chain_id`` and ``wallet`` (``None`` matches anything)."""
        if chain_id is None and wallet is None:
            return None
        return frozenset(
            pid
            for pid, (c, w) in enumerate(self.places)
            if (chain_id is None or c == chain_id) and (wallet is None or w == wallet)
        )

    def rows(
        self,
        lo: int | None,
        hi: int | None,
        keys: KeyFilter,
        places: KeyFilter,
        *,
        reverse: bool = False,
    ) -> Iterator[int]:
        """Rows with ``lo <= ts < hi`` passing the filters, in time order."""
        i = 0 if lo is None else bisect_left(self._order_ts, lo)
        j = len(self._order_ts) if hi is None else bisect_left(self._order_ts, hi)
        span = range(j - 1, i - 1, -1) if reverse else range(i, j)
        order, key, place = self._order, self.key, self.place
        for at in span:
            row = order[at]
            if (keys is None or key[row] in keys) and (places is None or place[row] in places):
                yield row

    def totals(self, lo: int | None, hi: int | None, keys: KeyFilter, places: KeyFilter) -> Totals:
        """Sums and counts of the selected rows, grouped by key."""
        out: dict[int, _Acc] = {}
        if places is not None:
            self._exact(out, lo, hi, keys, places)
        elif lo is None and hi is None:
            for kid, acc in enumerate(self._all):
                if keys is None or kid in keys:
                    out.setdefault(kid, _Acc()).merge(acc)
        else:
            self._windowed(out, lo, hi, keys)
        return self._to_totals(out)

    def _to_totals(self, out: dict[int, _Acc]) -> Totals:
        groups = {self.keys[k]: (a.amount(), a.count) for k, a in out.items() if a.count}
        firsts = [a.first for a in out.values() if a.count]
        first = _EPOCH + _US * min(firsts) if firsts else None
        return Totals(groups=groups, first_ts=first)

    def _exact(
        self,
        out: dict[int, _Acc],
        lo: int | None,
        hi: int | None,
        keys: KeyFilter,
        places: KeyFilter,
    ) -> None:
        for row in self.rows(lo, hi, keys, places):
            acc = out.get(self.key[row])
            if acc is None:
                acc = out[self.key[row]] = _Acc()
            self._add_row(acc, row)

    def _windowed(
        self, out: dict[int, _Acc], lo: int | None, hi: int | None, keys: KeyFilter
    ) -> None:
        first = None if lo is None else -(-lo // _HOUR)
        last = None if hi is None else hi // _HOUR
        if first is not None and last is not None and first >= last:
            self._exact(out, lo, hi, keys, None)
            return
        if first is not None:
            self._exact(out, lo, first * _HOUR, keys, None)
        if last is not None:
            self._exact(out, last * _HOUR, hi, keys, None)
        self._buckets(out, 0, first, last, keys)

    def _buckets(
        self, out: dict[int, _Acc], level: int, a: int | None, b: int | None, keys: KeyFilter
    ) -> None:
        """Merge level ``level``'s buckets ``[a, b)`` (None: unbounded) into ``out``."""
        if level == len(_RATIOS) or (a is not None and b is not None and b - a <= _RATIOS[level]):
            self._direct(out, level, a, b, keys)
            return
        ratio = _RATIOS[level]
        up_a = None if a is None else -(-a // ratio)
        up_b = None if b is None else b // ratio
        if up_a is not None and up_b is not None and up_a >= up_b:
            self._direct(out, level, a, b, keys)
            return
        if a is not None and up_a is not None:
            self._direct(out, level, a, up_a * ratio, keys)
        if b is not None and up_b is not None:
            self._direct(out, level, up_b * ratio, b, keys)
        self._buckets(out, level + 1, up_a, up_b, keys)

    def _direct(
        self, out: dict[int, _Acc], level: int, a: int | None, b: int | None, keys: KeyFilter
    ) -> None:
        buckets = self._level(level)
        if a is not None and b is not None and b - a <= len(buckets):
            chosen: Iterable[dict[int, _Acc]] = filter(None, map(buckets.get, range(a, b)))
        else:
            chosen = (
                per_key
                for n, per_key in buckets.items()
                if (a is None or n >= a) and (b is None or n < b)
            )
        for per_key in chosen:
            for kid, acc in per_key.items():
                if keys is not None and kid not in keys:
                    continue
                target = out.get(kid)
                if target is None:
                    target = out[kid] = _Acc()
                target.scaled += acc.scaled  # merge() inlined: this is the hot loop
                target.count += acc.count
                if acc.big:
                    target.big = _CTX.add(target.big, acc.big)
                if acc.first < target.first:
                    target.first = acc.first
                if acc.exp < target.exp:
                    target.exp = acc.exp

    def _level(self, level: int) -> dict[int, dict[int, _Acc]]:
        self.hours()
        while len(self._levels) <= level:
            ratio = _RATIOS[len(self._levels) - 1]
            coarser: dict[int, dict[int, _Acc]] = {}
            for n, per_key in self._levels[-1].items():
                target = coarser.setdefault(n // ratio, {})
                for kid, acc in per_key.items():
                    target.setdefault(kid, _Acc()).merge(acc)
            self._levels.append(coarser)
        return self._levels[level]

    def ref_row(self, ref: str) -> int | None:
        """The candidate row for ``ref``; verify it against the file (hashes may collide)."""
        row = self.collided.get(ref)
        return self.refs.get(ref_hash(ref)) if row is None else row


class _Bulk:
    def __init__(self, index: EntryIndex) -> None:
        self._index = index

    def __enter__(self) -> None:
        self._index._bulk = True

    def __exit__(self, *exc_info: object) -> None:
        index = self._index
        index._bulk = False
        if index._unsorted:
            index._resort()
            index._unsorted = False


def _digits(mant: int) -> tuple[int, ...]:
    return tuple(int(c) for c in str(abs(mant)))
