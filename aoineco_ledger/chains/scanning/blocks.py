"""``BlockScanner``: the reference scanner, reading every block in the range.

For blocks ``(from_block, to_block]`` it fetches the blocks with their full
transactions (batched), keeps the transactions a watched wallet sent or that
sent native coin to one, fetches their receipts (batched) for status and fee,
asks ``eth_getLogs`` twice per range (transfers out of, and into, any watched
wallet, allow-listed tokens only), and reads closing balances at ``to_block``
(opening ones at ``from_block`` for ``opening_for``). Each observation gets
its price at its own block.

What it cannot see: native coin a contract forwards to a wallet (an internal
transfer) has no transaction of its own. It shows in the closing balance, and
the reconciliation statement shows the difference; the probe scanner (or a
trace API) names it. ``internal`` stays empty here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from aoineco_ledger.chains._abi import TRANSFER_TOPIC
from aoineco_ledger.chains._addresses import address_topic, to_address, to_addresses
from aoineco_ledger.chains._fees import (
    DEPOSIT_TX_TYPE,
    Mint,
    fee_of,
    mint_of,
    quantity,
    tx_type_of,
)
from aoineco_ledger.chains._observations import (
    Activity,
    NativeTransfer,
    Price,
    SentTransaction,
    TokenTransfer,
)
from aoineco_ledger.chains._prices import MissingPrice, PriceSource
from aoineco_ledger.chains._registry import ChainSpec
from aoineco_ledger.chains._tokens import TokenSpec, check_token
from aoineco_ledger.chains.rpc import RpcClient
from aoineco_ledger.chains.rpc._endpoint import NotFoundError
from aoineco_ledger.chains.rpc._errors import RpcResponseError
from aoineco_ledger.chains.scanning._balances import read_balances
from aoineco_ledger.chains.scanning._logs import (
    LogQuery,
    bloom_mask,
    bloom_may_match,
    fetch_transfer_logs,
)
from aoineco_ledger.chains.scanning.base import check_range
from aoineco_ledger.errors import ChainError
from aoineco_ledger.typing import Address, BlockNumber, ChainId, TxHash

__all__ = ["BlockScanner", "relevant_transactions"]


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value).lower()


def _time(block: Mapping[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(block["timestamp"]), tz=UTC)


def relevant_transactions(
    blocks: Iterable[Mapping[str, Any]], wallets: Iterable[str]
) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """``(block, tx)`` for each transaction a wallet sent, or that sent value to one.

    Blocks may be web3's or raw JSON-RPC ones (hex strings, lowercase addresses).
    """
    keys = {wallet.lower() for wallet in wallets}
    picked: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = []
    for block in blocks:
        for tx in block["transactions"]:
            sender = str(tx["from"]).lower()
            recipient = str(tx.get("to") or "").lower()
            if sender in keys or (recipient in keys and (quantity(tx.get("value")) or 0) > 0):
                picked.append((block, tx))
    return picked


class _Prices:
    """Per-scan price cache: one lookup per source and block."""

    def __init__(self) -> None:
        self._seen: dict[tuple[int, int], Price] = {}

    def at(self, source: PriceSource, block: int) -> Price:
        key = (id(source), block)
        if key not in self._seen:
            self._seen[key] = source.price_at(block)
        return self._seen[key]


class BlockScanner:
    """Reads every block of a range; see the module docstring."""

    def __init__(
        self,
        client: RpcClient,
        *,
        tokens: Sequence[TokenSpec] = (),
        native_price: PriceSource | None = None,
        block_batch: int = 100,
        max_log_range: int | None = 2000,
        check_tokens: bool = True,
    ) -> None:
        """Args:
        client: the chain's RPC client.
        tokens: the allow-listed tokens (others are never reported).
        native_price: USD per native coin at a block (default: missing).
        block_batch: blocks fetched per round (each round is batched further).
        max_log_range: the largest ``eth_getLogs`` range asked at first; refusals
            shrink it (Base asks for under 2,000 blocks).
        check_tokens: on the first scan, check each token's ``decimals()``.
        """
        self.client = client
        self.tokens = tuple(tokens)
        self.native_price: PriceSource = native_price or MissingPrice(
            f"no {client.chain.native_symbol} price source configured"
        )
        self.block_batch = max(1, block_batch)
        self._logs = LogQuery(
            client, [token.address for token in self.tokens], max_range=max_log_range
        )
        self._by_token = {token.address.lower(): token for token in self.tokens}
        self._tokens_checked = not check_tokens

    @property
    def chain(self) -> ChainSpec:
        """The chain this scanner reads."""
        return self.client.chain

    def scan(
        self,
        *,
        from_block: int,
        to_block: int,
        wallets: Iterable[str],
        opening_for: Iterable[str] = (),
    ) -> Activity:
        """Everything the wallets did in ``(from_block, to_block]`` (see :class:`Scanner`).

        Raises:
            InvalidAddressError: a wallet is not a valid address.
            ConfigError: a token's decimals differ from the configured ones.
            ChainError: a bad range, one beyond head, a bad token, or a reorg mid-scan.
            IncompleteReceiptError: no endpoint gives a complete fee for a transaction.
            RpcError: the chain could not be read.
        """
        watched = to_addresses(wallets)
        opening = to_addresses(opening_for)
        head = self.client.head("latest")
        check_range(self.chain, from_block, to_block, head, self.client.endpoints[0])
        self._check_tokens()
        prices = _Prices()
        blocks = self._blocks(from_block, to_block)
        by_number = {int(block["number"]): block for block in blocks}
        last = by_number.get(to_block) or self.client.block(to_block, full=False)
        sent, received = self._transactions(blocks, watched, prices)
        tokens = self._token_transfers(from_block, to_block, watched, by_number, prices)
        closing = read_balances(self.client, watched, self.tokens, to_block)
        opened = read_balances(self.client, opening, self.tokens, from_block)
        return Activity(
            chain_id=self.chain.chain_id,
            from_block=BlockNumber(from_block),
            to_block=BlockNumber(to_block),
            to_block_hash=_hex(last["hash"]),
            to_block_timestamp=_time(last),
            sent=sent,
            received=received,
            tokens=tokens,
            opening_balances=opened,
            closing_balances=closing,
        )

    # -- blocks and transactions ------------------------------------------

    def _check_tokens(self) -> None:
        # At the head, not at the scanned block: a history may start before a token existed.
        if self._tokens_checked:
            return
        for token in self.tokens:
            check_token(self.client, token, block="latest")
        self._tokens_checked = True

    def _blocks(self, from_block: int, to_block: int) -> list[Any]:
        blocks: list[Any] = []
        for start in range(from_block + 1, to_block + 1, self.block_batch):
            end = min(to_block, start + self.block_batch - 1)
            blocks.extend(self.client.blocks(range(start, end + 1), full=True))
        return blocks

    def _transactions(
        self, blocks: Sequence[Any], watched: Sequence[Address], prices: _Prices
    ) -> tuple[tuple[SentTransaction, ...], tuple[NativeTransfer, ...]]:
        keys = {wallet.lower() for wallet in watched}
        picked = relevant_transactions(blocks, watched)
        receipts = self.client.receipts([_hex(tx["hash"]) for _, tx in picked])
        sent: list[SentTransaction] = []
        received: list[NativeTransfer] = []
        for (block, tx), receipt in zip(picked, receipts, strict=True):
            self._check_receipt(block, tx, receipt)
            price = prices.at(self.native_price, int(block["number"]))
            if str(tx["from"]).lower() in keys:
                sent.append(self._sent(block, tx, receipt, price))
            if str(tx.get("to") or "").lower() in keys:
                transfer = self._received(block, tx, receipt, price)
                if transfer is not None:
                    received.append(transfer)
        return tuple(sent), tuple(received)

    def _check_receipt(self, block: Any, tx: Any, receipt: Any) -> None:
        if _hex(receipt["blockHash"]) != _hex(block["hash"]):
            raise ChainError(
                f"{self.chain.name} ({self.chain.chain_id}): receipt of {_hex(tx['hash'])} is from "
                f"another block than {int(block['number'])} (a reorg during the scan); scan again"
            )

    def _fee(self, block: Any, tx: Any, receipt: Any) -> Any:
        timestamp = int(block["timestamp"])
        fee = fee_of(
            tx, receipt, chain_id=self.chain.chain_id, chain=self.chain, block_timestamp=timestamp
        )
        if fee.complete:
            return fee
        return self.client.fetch_fee(
            _hex(tx["hash"]), tx=tx, receipt=receipt, block_timestamp=timestamp
        )

    def _sent(self, block: Any, tx: Any, receipt: Any, price: Price) -> SentTransaction:
        tx_type = tx_type_of(tx, receipt)
        deposit = self.chain.is_op_stack and tx_type == DEPOSIT_TX_TYPE
        mint = mint_of(tx) if deposit else Mint(amount=0, known=True)
        return SentTransaction(
            chain_id=ChainId(self.chain.chain_id),
            tx_hash=TxHash(_hex(tx["hash"])),
            block_number=BlockNumber(int(block["number"])),
            block_hash=_hex(block["hash"]),
            timestamp=_time(block),
            sender=to_address(tx["from"]),
            to=to_address(tx["to"]) if tx.get("to") else None,
            value=quantity(tx.get("value")) or 0,
            nonce=quantity(tx.get("nonce")) or 0,
            tx_type=tx_type,
            success=quantity(receipt.get("status")) == 1,
            fee=self._fee(block, tx, receipt),
            native_price=price,
            mint=mint.amount,
            mint_known=mint.known,
        )

    def _received(self, block: Any, tx: Any, receipt: Any, price: Price) -> NativeTransfer | None:
        value = quantity(tx.get("value")) or 0
        if value == 0 or quantity(receipt.get("status")) != 1:
            return None  # a reverted transaction moved no value
        return NativeTransfer(
            chain_id=ChainId(self.chain.chain_id),
            tx_hash=TxHash(_hex(tx["hash"])),
            block_number=BlockNumber(int(block["number"])),
            block_hash=_hex(block["hash"]),
            timestamp=_time(block),
            sender=to_address(tx["from"]),
            to=to_address(tx["to"]),
            value=value,
            native_price=price,
        )

    # -- tokens -------------------------------------------------------------

    def _token_transfers(
        self,
        from_block: int,
        to_block: int,
        watched: Sequence[Address],
        blocks: Mapping[int, Any],
        prices: _Prices,
    ) -> tuple[TokenTransfer, ...]:
        topics = [address_topic(wallet) for wallet in watched]
        found: dict[tuple[str, int], TokenTransfer] = {}
        answered: list[set[int]] = []
        collected: list[Any] = []
        for direction in ("out", "in"):
            logs = fetch_transfer_logs(
                self._logs,
                low=from_block + 1,
                high=to_block,
                wallet_topics=topics,
                direction=direction,
            )
            answered.append({int(log["blockNumber"]) for log in logs})
            collected.extend(logs)
        collected.extend(self._recheck(blocks, topics, answered[0] & answered[1]))
        for log in collected:
            transfer = self._transfer(log, blocks, prices, from_block, to_block)
            if transfer is not None:
                found.setdefault((transfer.tx_hash, transfer.log_index), transfer)
        return tuple(sorted(found.values(), key=lambda t: (t.block_number, t.log_index)))

    def _recheck(
        self, blocks: Mapping[int, Any], topics: Sequence[str], answered: set[int]
    ) -> list[Any]:
        """Logs, asked by block hash, of blocks whose bloom may hold a squad transfer
        that one of the two ``eth_getLogs`` answers (out, in) did not bring.

        A node behind a load balancer answers ``[]`` for blocks it has not seen;
        asked by hash it refuses instead, so a transfer is never silently missed.
        The cost: one call per block with squad token activity in one direction only
        (a bloom does not tell the topic positions apart), or a bloom false positive.
        """
        if not self.tokens or not topics:
            return []
        masks = (
            [bloom_mask(t.address) for t in self.tokens],
            bloom_mask(TRANSFER_TOPIC),
            [bloom_mask(topic) for topic in topics],
        )
        wanted = {topic.lower() for topic in topics}
        logs: list[Any] = []
        for number, block in sorted(blocks.items()):
            bloom = block.get("logsBloom")
            if number in answered or bloom is None:
                continue
            if bloom_may_match(bloom, tokens=masks[0], topic=masks[1], wallets=masks[2]):
                logs.extend(
                    log
                    for log in self._logs_of_block(number, _hex(block["hash"]))
                    if any(_hex(t).lower() in wanted for t in log["topics"][1:3])
                )
        return logs

    def _logs_of_block(self, number: int, block_hash: str) -> list[Any]:
        where: dict[str, Any] = {"address": [t.address for t in self.tokens]}
        where["topics"] = [TRANSFER_TOPIC]
        by_hash = {**where, "blockHash": block_hash}
        try:
            return list(
                self.client.call("eth_getLogs", lambda w3: w3.eth.get_logs(by_hash))  # type: ignore[arg-type]
            )
        except NotFoundError:
            raise  # the node lacks the block: never read that as "no logs"
        except RpcResponseError:  # no EIP-234 block-hash filter (eth-tester): by number
            return self.client.get_logs({**where, "fromBlock": number, "toBlock": number})

    def _transfer(
        self,
        log: Any,
        blocks: Mapping[int, Any],
        prices: _Prices,
        from_block: int,
        to_block: int,
    ) -> TokenTransfer | None:
        token = self._by_token.get(str(log["address"]).lower())
        topics = [_hex(topic) for topic in log["topics"]]
        if token is None or log.get("removed") or len(topics) != 3 or topics[0] != TRANSFER_TOPIC:
            return None  # not allow-listed, reorged away, or an ERC-721 Transfer
        number = int(log["blockNumber"])
        block = blocks.get(number)
        if block is None or not from_block < number <= to_block:
            raise ChainError(
                f"{self.chain.name} ({self.chain.chain_id}): eth_getLogs returned a log "
                f"of block {number}, outside {from_block + 1}..{to_block}"
            )
        if _hex(log["blockHash"]) != _hex(block["hash"]):
            raise ChainError(
                f"{self.chain.name} ({self.chain.chain_id}): log in block {number} has another "
                "block hash than the block read (a reorg during the scan); scan again"
            )
        data = (
            bytes(log["data"])
            if not isinstance(log["data"], str)
            else bytes.fromhex(log["data"][2:])
        )
        return TokenTransfer(
            chain_id=ChainId(self.chain.chain_id),
            token=token.address,
            symbol=token.symbol,
            decimals=token.decimals,
            tx_hash=TxHash(_hex(log["transactionHash"])),
            log_index=int(log["logIndex"]),
            block_number=BlockNumber(number),
            block_hash=_hex(block["hash"]),
            timestamp=_time(block),
            sender=to_address("0x" + topics[1][-40:]),
            to=to_address("0x" + topics[2][-40:]),
            amount=int.from_bytes(data[:32], "big") if data else 0,
            price=prices.at(token.price, number),
        )
