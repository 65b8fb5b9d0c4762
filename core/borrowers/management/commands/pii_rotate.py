"""Re-encrypt every borrower's personal data with the newest key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django_tenants.utils import get_tenant_model, schema_exists, tenant_context

from core.borrowers.services import borrower_pii_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt borrower ID numbers, mobiles and bank cards with the first "
        "key of PII_ENCRYPTION_KEYS, tenant by tenant, in batches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--schema", help="rotate one tenant schema only")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = get_tenant_model().objects.exclude(schema_name="public")
        if options["schema"]:
            tenants = tenants.filter(schema_name=options["schema"])
        total = 0
        for tenant in tenants.order_by("pk"):
            if not schema_exists(tenant.schema_name):
                continue
            with tenant_context(tenant):
                rotated = borrower_pii_rotate(batch_size=options["batch_size"])
            total += rotated
            if rotated:
                self.stdout.write(f"{tenant.schema_name}: {rotated} borrowers")
        self.stdout.write(f"rotated {total} borrowers")
