"""The routes: thin handlers that read query values and ask :mod:`._views`.

Handlers are plain ``def`` functions (run in Starlette's thread pool) because the
ledger is synchronous. Each one names its response model, so ``/openapi.json``
describes every answer, and serialises that model itself (see :func:`_json`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from pydantic import AfterValidator, BaseModel

from aoineco_ledger.api import _views
from aoineco_ledger.api._context import ApiContext, get_context
from aoineco_ledger.api._models import (
    AgentsResponse,
    AuthorizationResponse,
    BootstrapResponse,
    BudgetsResponse,
    CategoriesResponse,
    ChainsResponse,
    EntriesPage,
    HealthResponse,
    ReadyResponse,
    StatementsResponse,
    SummaryResponse,
)
from aoineco_ledger.api._queries import (
    AMOUNT_PATTERN,
    Period,
    QueryError,
    decode_cursor,
    parse_amount,
    plain_text,
)
from aoineco_ledger.errors import InvalidAmountError, InvalidEntryError

__all__ = ["router"]

router = APIRouter()

MAX_PAGE = 1000


Context = Annotated[ApiContext, Depends(get_context)]
PeriodQuery = Annotated[Period, Query(description="a named period, in the ledger's timezone")]
Text = Annotated[str | None, Query(max_length=200), AfterValidator(plain_text)]


def _json(model: BaseModel, *, status_code: int = 200) -> Response:
    # Serialised once, here, in the handler's thread. Returning a model instead
    # would have FastAPI validate it again in a second thread-pool hop; the
    # response_model on each route still documents the answer in /openapi.json.
    body = model.model_dump_json()
    return Response(body, status_code=status_code, media_type="application/json")


@router.get("/healthz", response_model=HealthResponse, tags=["health"])
async def healthz() -> Response:
    """The process is up (never needs a token)."""
    return _json(HealthResponse())


@router.get(
    "/readyz",
    response_model=ReadyResponse,
    tags=["health"],
    responses={503: {"model": ReadyResponse, "description": "Not ready"}},
)
def readyz(context: Context) -> Response:
    """The store answers and every chain's last cycle is younger than three poll intervals."""
    answer = _views.readiness(context.ledger, context.chains_status, now=context.clock())
    return _json(answer, status_code=200 if answer.ready else 503)


@router.get(
    "/metrics",
    response_class=Response,
    tags=["metrics"],
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(context: Context) -> Response:
    """Prometheus text format, collected from the ledger at scrape time."""
    return Response(generate_latest(context.registry), media_type=CONTENT_TYPE_PLAIN_0_0_4)


@router.get("/v1/metrics/bootstrap", response_model=BootstrapResponse, tags=["ledger"])
def bootstrap(context: Context) -> Response:
    """The seed's bootstrap metrics: seed, revenue, burn, runway, IPD."""
    return _json(_views.bootstrap(context.ledger))


@router.get("/v1/summary", response_model=SummaryResponse, tags=["ledger"])
def summary(context: Context, period: PeriodQuery = "all") -> Response:
    """Totals of a period, by category and by agent."""
    return _json(_views.summary(context.ledger, period))


@router.get("/v1/agents", response_model=AgentsResponse, tags=["ledger"])
def agents(context: Context, period: PeriodQuery = "all") -> Response:
    """What each agent spent and earned in a period."""
    return _json(_views.agents(context.ledger, period))


@router.get("/v1/categories", response_model=CategoriesResponse, tags=["ledger"])
def categories(context: Context, period: PeriodQuery = "all") -> Response:
    """Every category with its kind and its total in a period."""
    return _json(_views.categories(context.ledger, period))


@router.get("/v1/entries", response_model=EntriesPage, tags=["ledger"])
def entries(
    context: Context,
    period: PeriodQuery = "all",
    agent: Text = None,
    category: Text = None,
    direction: Literal["expense", "revenue", "transfer"] | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")] = 100,
    cursor: Annotated[str | None, Query(max_length=400, description="next_cursor")] = None,
) -> Response:
    """Entries, newest first, a page at a time."""
    before = None if cursor is None else decode_cursor(cursor)
    filters = _views.EntryQuery(period=period, agent=agent, category=category, direction=direction)
    return _json(_views.entries_page(context.ledger, filters, limit=limit, before=before))


@router.get("/v1/budgets", response_model=BudgetsResponse, tags=["budgets"])
def budgets(context: Context) -> Response:
    """Every budget with its current period's spend, limit, percent and state."""
    return _json(_views.budgets(context.ledger))


@router.get("/v1/budgets/check", response_model=AuthorizationResponse, tags=["budgets"])
def budgets_check(
    context: Context,
    amount: Annotated[
        str,
        Query(
            description="USD to spend, a plain decimal such as 0.25",
            max_length=60,
            json_schema_extra={"pattern": AMOUNT_PATTERN},
        ),
    ],
    category: Text = None,
    agent: Text = None,
) -> Response:
    """Would this spend be allowed? The ``authorize`` answer; nothing is written."""
    value = parse_amount(amount)
    try:
        answer = _views.authorization(context.ledger, value, category=category, agent=agent)
    except InvalidAmountError as exc:
        raise QueryError("amount", str(exc)) from exc
    except InvalidEntryError as exc:  # an unknown category, or not an expense one
        raise QueryError("category", str(exc)) from exc
    return _json(answer)


@router.get("/v1/reconciliation", response_model=StatementsResponse, tags=["chains"])
def reconciliation(context: Context) -> Response:
    """The latest statement per wallet and asset."""
    return _json(_views.statements(context.ledger))


@router.get("/v1/chains", response_model=ChainsResponse, tags=["chains"])
def chains(context: Context) -> Response:
    """Each chain's checkpoint, head, lag, last successful cycle and last error."""
    return _json(_views.chains(context.ledger, context.chains_status, names=context.chain_names))
