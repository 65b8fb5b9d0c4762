"""Issue an API key for a lender and print it once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apiv1.keys.services import api_key_create
from core.errors import DomainError
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Create an API key: --tenant <schema> --name ... --scopes read,write"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant schema name")
        parser.add_argument("--name", required=True)
        parser.add_argument("--scopes", default="read", help="read,write,pii")
        parser.add_argument("--rate-limit", type=int, default=600)
        parser.add_argument("--actor", default="manage.py")

    def handle(self, *args: object, **options: object) -> None:
        tenant = Tenant.objects.filter(schema_name=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"no tenant with schema {options['tenant']}")
        try:
            issued = api_key_create(
                tenant=tenant,
                name=str(options["name"]),
                scopes=str(options["scopes"]).split(","),
                actor=str(options["actor"]),
                rate_limit_per_minute=int(str(options["rate_limit"])),
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stderr.write(f"key {issued.key.prefix} created; shown once:")
        self.stdout.write(issued.secret)
