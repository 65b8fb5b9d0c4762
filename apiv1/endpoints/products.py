"""Products (read only): each with its active version's terms."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from apiv1.pagination import ListQuery, paginate
from apiv1.schemas import Page, ProductOut, responses
from core.products.models import Product, VersionStatus
from core.products.selectors import product_list, product_version_active

router = Router(tags=["products"])


def _product_out(product: Product) -> dict[str, Any]:
    active = [v for v in product.versions.all() if v.status == VersionStatus.ACTIVE]
    return {
        "id": product.pk,
        "code": product.code,
        "name": product.name,
        "active_version": active[0] if active else None,
    }


@router.get(
    "/products", response=responses(200, Page[ProductOut]), summary="List products"
)
def products_list(request: HttpRequest, query: Query[ListQuery]) -> dict[str, Any]:
    page = paginate(product_list().prefetch_related("versions"), query)
    return {**page, "items": [_product_out(p) for p in page["items"]]}


@router.get(
    "/products/{code}",
    response=responses(200, ProductOut),
    summary="Get a product and its active terms",
)
def product_get(request: HttpRequest, code: str) -> dict[str, Any]:
    version = product_version_active(code=code)
    return _product_out(version.product)
