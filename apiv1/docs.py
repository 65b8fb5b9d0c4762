"""Serve Swagger UI from ninja's bundled assets: no CDN, no INSTALLED_APPS.

ninja renders its local template only when "ninja" is an installed app;
otherwise it points the browser at a CDN. We render the same page with the
asset URLs pointing at ``swagger_asset`` instead.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

import ninja
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.html import escape
from ninja.openapi.docs import DocsBase

from apiv1.errors import not_found_view

ASSETS_DIR = Path(ninja.__file__).parent / "static" / "ninja"
ASSETS = frozenset(
    {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.png"}
)

_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="{assets}swagger-ui.css">
<link rel="icon" href="{assets}favicon.png"></head>
<body data-csrf-token="" data-api-csrf="">
<script type="application/json" id="swagger-settings">{settings}</script>
<div id="swagger-ui"></div>
<script src="{assets}swagger-ui-bundle.js"></script>
<script src="{assets}swagger-ui-init.js"></script>
</body></html>"""


class LocalSwagger(DocsBase):
    def render_page(
        self, request: HttpRequest, api: Any, **kwargs: Any
    ) -> HttpResponse:
        settings = {
            "layout": "BaseLayout",
            "deepLinking": True,
            "url": self.get_openapi_url(api, kwargs),
        }
        assets = reverse("apiv1-swagger-asset", kwargs={"name": "x"})[:-1]
        page = _PAGE.format(
            title=escape(api.title),
            assets=assets,
            settings=json.dumps(settings).replace("</", "<\\/"),
        )
        return HttpResponse(page)


def swagger_asset(request: HttpRequest, name: str) -> HttpResponseBase:
    if name not in ASSETS:
        return not_found_view(request)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(open(ASSETS_DIR / name, "rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response
