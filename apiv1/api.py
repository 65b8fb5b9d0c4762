"""The one NinjaAPI of /api/v1/: routers, key auth, parser, error handlers."""

from __future__ import annotations

from typing import Any

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
from apiv1.querystrict import query_strict_install

DESCRIPTION = """Jinqiao lending core, one lender per API key.

Authenticate with `Authorization: Bearer jq_live_<prefix>_<secret>`.
Every error has the shape `{"error": {"code", "message", "fields"}}`.
POSTs that create something or move money accept `Idempotency-Key`.
See docs/api.md for the quickstart, pagination and webhook signatures.
"""


class JinqiaoAPI(NinjaAPI):
    """NinjaAPI that builds its OpenAPI document once per process.

    ninja rebuilds it on every request (about 0.3 s here), and the document
    is public: caching keeps /api/v1/openapi.json from being a cheap way to
    load the workers. The routes never change at run time.
    """

    _schemas: dict[tuple[str | None, tuple[tuple[str, Any], ...]], Any]

    def get_openapi_schema(
        self,
        *,
        path_prefix: str | None = None,
        path_params: dict[str, Any] | None = None,
    ) -> Any:
        key = (path_prefix, tuple(sorted((path_params or {}).items())))
        cache = self.__dict__.setdefault("_schemas", {})
        if key not in cache:
            cache[key] = super().get_openapi_schema(
                path_prefix=path_prefix, path_params=path_params
            )
        return cache[key]


api = JinqiaoAPI(
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
    query_strict_install(module.router)
    api.add_router("", module.router)
