"""Masking secrets in URLs, for every message, log line and API answer.

RPC providers put API keys in paths (``/v2/KEY``), query strings (``?apikey=``)
and userinfo; database URLs carry passwords. A key can be short and look like a
word, so no heuristic decides what is secret: the whole path, query and
fragment of an RPC URL are hidden, and only scheme, host and port stay.

Standard library only: the config, chains, daemon and API layers all use it.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["MASK", "mask_password", "mask_url"]

MASK = "***"


def mask_url(url: str) -> str:
    """Hide what may be secret in a URL: user info, path, query and fragment.

    ``https://base-mainnet.g.alchemy.com/v2/KEY`` becomes
    ``https://base-mainnet.g.alchemy.com/***``; a URL with nothing to hide
    (``http://127.0.0.1:8545``) is returned as it is; text that is not a URL
    is not echoed at all.

    Args:
        url: an endpoint URL, possibly carrying an API key.

    Returns:
        A URL safe to log.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return MASK
    if not parts.scheme or not host:
        return MASK
    host = f"[{host}]" if ":" in host else host
    netloc = host if port is None else f"{host}:{port}"
    if parts.username is not None or parts.password is not None:
        netloc = f"{MASK}@{netloc}"
    path = f"/{MASK}" if parts.path not in ("", "/") else parts.path
    query = MASK if parts.query else ""
    fragment = MASK if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def mask_password(url: str) -> str:
    """Hide only the password of a URL (``postgresql://u:***@h/db``); keep the path.

    For store URLs, whose path is a harmless file or database name.

    Args:
        url: a store URL.

    Returns:
        The URL with its password, if any, replaced by ``***``.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(
        (parts.scheme, f"{user}:{MASK}@{host}", parts.path, parts.query, parts.fragment)
    )
