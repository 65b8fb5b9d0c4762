"""Print the URLs and demo logins once the product is up."""

from django.conf import settings
from django.core.management.base import BaseCommand

from tenants.management.commands.seed_demo import (
    DEMO_ADMIN,
    DEMO_LENDER_SLUG,
    PLATFORM_ADMIN,
)


class Command(BaseCommand):
    help = "Print the console URLs and the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, port="8000", **options):
        base = settings.BASE_DOMAIN
        lines = [
            "",
            "Jinqiao is starting (web, Celery worker and beat):",
            f"  Platform console  http://{base}:{port}/   "
            f"login {PLATFORM_ADMIN[0]} / {PLATFORM_ADMIN[1]}",
            f"  Demo lender       http://{DEMO_LENDER_SLUG}.{base}:{port}/   "
            f"login {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]}",
            f"  Health            http://{base}:{port}/healthz  /readyz",
            "",
        ]
        self.stdout.write("\n".join(lines))
