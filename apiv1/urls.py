"""URLs of the API, included by both the bare domain and lenders' hosts."""

from __future__ import annotations

from django.urls import path, re_path

from apiv1.api import api
from apiv1.docs import swagger_asset
from apiv1.errors import not_found_view

urlpatterns = [
    path("api/v1/docs/assets/<str:name>", swagger_asset, name="apiv1-swagger-asset"),
    path("api/v1/", not_found_view),  # ninja's own index is an HTML 404
    path("api/v1/", api.urls),
    re_path(r"^api(?:/|$)", not_found_view),  # /api, /api/v2/..., /api/v1/nope
]
