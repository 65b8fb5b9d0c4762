"""Create the platform row, the template schema and the spare pool."""

from django.core.management.base import BaseCommand

from tenants import services


class Command(BaseCommand):
    help = "Make the public tenant, the migrated template schema and spares."

    def add_arguments(self, parser):
        parser.add_argument("--spares", type=int, default=None)

    def handle(self, *args, spares=None, **options):
        services.platform_tenant_ensure()
        services.template_ensure()
        made = services.spare_pool_refill(spares)
        self.stdout.write(f"platform ready; {made} spare schema(s) added")
