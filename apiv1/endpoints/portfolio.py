"""Portfolio summary of the lender's book."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from apiv1.schemas import PortfolioOut, responses
from apiv1.selectors import portfolio_summary

router = Router(tags=["portfolio"])


@router.get(
    "/portfolio",
    response=responses(200, PortfolioOut),
    summary="Summarise the book: loans by status, balances",
)
def portfolio_get(request: HttpRequest) -> dict[str, Any]:
    return portfolio_summary()
