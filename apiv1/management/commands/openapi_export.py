"""Write the API's OpenAPI document to docs/openapi.json (or --output)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

DEFAULT_OUTPUT = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def openapi_text() -> str:
    """Return the live document as the stable text we commit."""
    from apiv1.api import api

    document: dict[str, Any] = api.get_openapi_schema()
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "Export the API v1 OpenAPI document (committed as docs/openapi.json)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default=str(DEFAULT_OUTPUT))

    def handle(self, *args: object, **options: object) -> None:
        output = Path(str(options["output"]))
        output.write_text(openapi_text(), encoding="utf-8")
        self.stdout.write(f"wrote {output}")
