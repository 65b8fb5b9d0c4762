"""Rules for tenant slugs (sub-domains) and the schema names made from them."""

from __future__ import annotations

import re

from core.errors import InvalidInput

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")

# Sub-domains we keep for ourselves or that would confuse a borrower.
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "app", "assets", "auth", "billing", "blog", "cdn",
        "console", "dashboard", "dev", "docs", "help", "login", "mail",
        "platform", "public", "signup", "spare", "static", "status",
        "support", "template", "test", "www", "jinqiao",
    }
)  # fmt: skip


def slug_validate(slug: str) -> str:
    """Return the slug if usable as a sub-domain, else raise InvalidInput."""
    if not SLUG_PATTERN.match(slug or ""):
        raise InvalidInput.for_field(
            "slug",
            "use 3-30 lowercase letters, digits or hyphens, starting with a "
            "letter and not ending with a hyphen",
        )
    if "--" in slug:
        raise InvalidInput.for_field("slug", "must not contain two hyphens in a row")
    if slug in RESERVED_SLUGS or slug.startswith(("spare", "pg", "tenant-template")):
        raise InvalidInput.for_field("slug", f"'{slug}' is reserved")
    return slug


def schema_name_for(slug: str) -> str:
    """Map a validated slug to its PostgreSQL schema name."""
    return "t_" + slug.replace("-", "_")
