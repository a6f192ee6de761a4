"""Masking RPC URLs: API keys live in paths, query strings and userinfo.

``https://base-mainnet.g.alchemy.com/v2/AbC123...`` becomes
``https://base-mainnet.g.alchemy.com/v2/***``. Every message this package
writes names endpoints through :func:`mask_url` only.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["mask_url"]

_MASK = "***"
# A path segment that looks like a credential: long, token-ish, with a digit
# in it or very long. Words like "v2", "rpc" or "mainnet" stay readable.
_TOKENISH = re.compile(r"^[A-Za-z0-9_\-.~=+]{16,}$")


def _secret_segment(segment: str) -> bool:
    if not _TOKENISH.match(segment):
        return False
    return any(ch.isdigit() for ch in segment) or len(segment) >= 32


def _mask_path(path: str) -> str:
    return "/".join(_MASK if _secret_segment(part) else part for part in path.split("/"))


def _mask_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(key, _MASK if value else value) for key, value in pairs], safe="*")


def mask_url(url: str) -> str:
    """The URL with credentials replaced by ``***`` (userinfo, query values, key-like path parts).

    Args:
        url: an endpoint URL, possibly carrying an API key.

    Returns:
        A URL safe to log; scheme, host, port and ordinary path words are kept.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _MASK
    if not parts.scheme or not parts.hostname:
        return _MASK
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host if port is None else f"{host}:{port}"
    if parts.username is not None or parts.password is not None:
        netloc = f"{_MASK}@{netloc}"
    return urlunsplit((parts.scheme, netloc, _mask_path(parts.path), _mask_query(parts.query), ""))
