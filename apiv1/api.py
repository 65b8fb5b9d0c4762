"""The one NinjaAPI of /api/v1/: routers, key auth, parser, error handlers."""

from __future__ import annotations

from ninja import NinjaAPI

from apiv1.auth import ApiKeyAuth
from apiv1.docs import LocalSwagger
from apiv1.endpoints import (
    applications,
    borrowers,
    loans,
    portfolio,
    products,
    webhooks,
)
from apiv1.errors import exception_handlers_install
from apiv1.parser import StrictJsonParser

DESCRIPTION = """Jinqiao lending core, one lender per API key.

Authenticate with `Authorization: Bearer jq_live_<prefix>_<secret>`.
Every error has the shape `{"error": {"code", "message", "fields"}}`.
POSTs that create something or move money accept `Idempotency-Key`.
See docs/api.md for the quickstart, pagination and webhook signatures.
"""

api = NinjaAPI(
    title="Jinqiao API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="apiv1",
    auth=ApiKeyAuth(),
    parser=StrictJsonParser(),
    docs=LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
exception_handlers_install(api)

for module in (products, borrowers, applications, loans, portfolio, webhooks):
    api.add_router("", module.router)
