"""Loading the configuration: file, then environment, then one clear error or a config.

A pydantic ``ValidationError`` is turned into a single :class:`ConfigError`
line that names the key the way a user writes it (``agents[1].wallets[0]``) and
never echoes the offending value when it may be a secret.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from aoineco_ledger.config._app import AppConfig
from aoineco_ledger.config._env import apply_env
from aoineco_ledger.errors import ConfigError

__all__ = ["CONFIG_ENV", "example_config", "format_validation_error", "load_config"]

CONFIG_ENV = "AOINECO_CONFIG"
"""The environment variable naming the config file when no path is given."""

_PLAIN = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
}


def load_config(
    path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None
) -> AppConfig:
    """Read the configuration from a TOML file and the ``AOINECO_`` environment.

    Args:
        path: the TOML file; None means the file ``AOINECO_CONFIG`` names, or no
            file at all (defaults and environment only) when that is unset too.
        environ: the environment to read; None means ``os.environ``.

    Returns:
        The validated configuration.

    Raises:
        ConfigError: the file is missing or not TOML, or a value is invalid; the
            message names the key (and the variable, when one set it).
    """
    env = os.environ if environ is None else environ
    source = path if path is not None else env.get(CONFIG_ENV) or None
    data = _read_toml(Path(source)) if source is not None else {}
    applied = apply_env(data, AppConfig, env)
    try:
        return AppConfig(**data)
    except ValidationError as exc:
        where = f"{source}: " if source is not None else ""
        raise ConfigError(where + format_validation_error(exc, applied)) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"config file is a directory: {path}") from None
    except PermissionError:
        raise ConfigError(f"config file is not readable: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid TOML: the file is not UTF-8 text") from None


def format_validation_error(
    exc: ValidationError, applied: Mapping[str, tuple[str, ...]] | None = None
) -> str:
    """One line for a validation error: ``key.path[0]: what is wrong``.

    Only the first problem is described (fix it and run again); the count of
    the others is added. Input values are never included.

    Args:
        exc: what pydantic raised.
        applied: environment variables that were laid over the file (name to
            key path), so the line can say which one set the bad value.
    """
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    key, message = _locate(first["loc"], first["type"], str(first["msg"]))
    origin = _origin(key, applied or {})
    more = (
        f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        if len(errors) > 1
        else ""
    )
    return f"{key}: {message}{origin}{more}" if key else f"{message}{origin}{more}"


def _locate(loc: tuple[int | str, ...], kind: str, msg: str) -> tuple[str, str]:
    parts = [p for p in loc if not (isinstance(p, str) and _is_union_tag(p))]
    key = _join(parts)
    message = _PLAIN.get(kind, msg)
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if message.startswith("@") and ": " in message:
        sub, message = message[1:].split(": ", 1)
        key = sub if not key else key + (sub if sub.startswith("[") else "." + sub)
    return key, message


def _is_union_tag(part: str) -> bool:
    """pydantic names union members in a loc (``int``, ``literal['latest']``); users do not."""
    return part in ("int", "str", "float", "bool") or part.startswith(("literal[", "function-"))


def _join(parts: list[int | str]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _origin(key: str, applied: Mapping[str, tuple[str, ...]]) -> str:
    for name, path in applied.items():
        if key.replace("[", ".").replace("]", "").startswith(".".join(path)):
            return f" (set by {name})"
    return ""


def example_config() -> str:
    """The annotated example configuration shipped inside the package."""
    return resources.files("aoineco_ledger.config").joinpath("example.toml").read_text("utf-8")
