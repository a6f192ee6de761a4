"""The app factory: :func:`make_app` wires a ledger into a FastAPI (ASGI) app.

STYLE.md (25) pictures ``make_app`` returning a WSGI app; the issue that asked
for this API chose FastAPI, so this is an ASGI app served by uvicorn. The habit
STYLE.md is after survives: the app is built around a ledger passed in, metrics
are collected at scrape time into the registry it is given (a fresh one by
default, so two apps or two tests never share counters), and serving is a
separate few-line function (:mod:`aoineco_ledger.api._server`).

Every route reads; none writes. The route handlers are plain functions, which
Starlette runs in its thread pool, because the ledger is synchronous.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from starlette.types import ASGIApp, Receive, Scope, Send

from aoineco_ledger.api._context import ApiContext
from aoineco_ledger.api._metrics import LedgerCollector
from aoineco_ledger.api._models import ErrorResponse
from aoineco_ledger.api._queries import QueryError
from aoineco_ledger.api._routes import router
from aoineco_ledger.api._status import ChainsStatusProvider
from aoineco_ledger.errors import InvalidEntryError, InvalidPeriodError, LedgerError

if TYPE_CHECKING:
    from aoineco_ledger.ledger import Ledger

__all__ = ["BearerTokenMiddleware", "make_app"]

API_VERSION = "1"

_OPEN_PATHS = frozenset({"/healthz"})


def _utcnow() -> datetime:
    return datetime.now(UTC)


class BearerTokenMiddleware:
    """Refuse every request but ``/healthz`` without ``Authorization: Bearer <token>``.

    A middleware rather than a route dependency, so that ``/openapi.json`` and
    unknown paths are covered too. The comparison is constant-time.
    """

    def __init__(self, app: ASGIApp, *, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _OPEN_PATHS or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            ErrorResponse(detail="missing or wrong bearer token").model_dump(),
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
        await response(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        given = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                given = value
                break
        return hmac.compare_digest(given, self._expected)


def _unprocessable(param: str, message: str, value: Any = None) -> JSONResponse:
    # The shape FastAPI uses for its own validation errors: clients read one format.
    detail = [{"loc": ["query", param], "msg": message, "type": "value_error", "input": value}]
    return JSONResponse({"detail": detail}, status_code=422)


async def _on_query_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QueryError)
    return _unprocessable(exc.param, exc.message, request.query_params.get(exc.param))


async def _on_invalid_value(request: Request, exc: Exception) -> JSONResponse:
    # The ledger refused a query value the routes did not name: the client's to fix.
    detail = [{"loc": ["query"], "msg": str(exc), "type": "value_error"}]
    return JSONResponse({"detail": detail}, status_code=422)


async def _on_ledger_error(request: Request, exc: Exception) -> JSONResponse:
    # A store that cannot answer is a 503 (try again), never a 500 with a traceback.
    body = ErrorResponse(detail=f"the ledger cannot answer: {type(exc).__name__}").model_dump()
    return JSONResponse(body, status_code=503)


def _document_bearer(app: FastAPI) -> None:
    """Say in ``/openapi.json`` that every route but ``/healthz`` wants the token."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
            schemes["bearer"] = {"type": "http", "scheme": "bearer"}
            schema["security"] = [{"bearer": []}]
            schema["paths"]["/healthz"]["get"]["security"] = []
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "The store cannot answer"},
}


def make_app(
    ledger: Ledger,
    *,
    token: str | None = None,
    chains_status: ChainsStatusProvider | None = None,
    registry: CollectorRegistry | None = None,
    clock: Callable[[], datetime] | None = None,
    chain_names: Mapping[int, str] | None = None,
) -> FastAPI:
    """Build the read-only HTTP API over ``ledger``: a FastAPI (ASGI) app.

    ASGI rather than the WSGI app STYLE.md (25) describes, because the issue
    chose FastAPI; serving stays separate (:func:`~aoineco_ledger.api.serve`).

    Args:
        ledger: the ledger every answer comes from.
        token: when set, every route except ``/healthz`` needs
            ``Authorization: Bearer <token>`` (401 otherwise).
        chains_status: the daemon's provider of live chain state (see
            :mod:`aoineco_ledger.api._status`); without one, ``/v1/chains`` reports
            what the checkpoints know and ``/readyz`` checks only the store.
        registry: the Prometheus registry ``/metrics`` renders; a fresh one when
            omitted. The ledger collector is registered on it.
        clock: returns the current aware UTC time (for ``/readyz``); the system
            clock when omitted.
        chain_names: chain names by id (the configuration's ``[[chains]] name``),
            for ``/v1/chains`` and the ``chain`` label when no live status names
            them (the stand-alone ``aoineco-ledger api``).

    Returns:
        An ASGI app; serve it with :func:`aoineco_ledger.api.serve` or
        :func:`aoineco_ledger.api.start_in_thread`.
    """
    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
    names = dict(chain_names or {})
    registry.register(LedgerCollector(ledger, chains_status=chains_status, chain_names=names))
    responses = dict(_ERROR_RESPONSES)
    if token:
        responses[401] = {"model": ErrorResponse, "description": "Missing or wrong bearer token"}
    app = FastAPI(
        title="Aoineco Ledger API",
        version=API_VERSION,
        summary="Read-only ledger metrics for dashboards, Prometheus and agents.",
        redoc_url=None,
        responses=responses,
    )
    app.state.context = ApiContext(ledger, chains_status, registry, clock or _utcnow, names)
    app.include_router(router)
    app.add_exception_handler(QueryError, _on_query_error)
    app.add_exception_handler(InvalidEntryError, _on_invalid_value)
    app.add_exception_handler(InvalidPeriodError, _on_invalid_value)
    app.add_exception_handler(LedgerError, _on_ledger_error)
    if token:
        app.add_middleware(BearerTokenMiddleware, token=token)
        _document_bearer(app)
    return app
