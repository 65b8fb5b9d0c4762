"""Seed a demo platform admin and one demo lender when there are none."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from tenants import services
from tenants.current import tenant_connection
from tenants.models import Tenant, TenantKind, TenantStatus

PLATFORM_ADMIN = ("platform@jinqiao.local", "jinqiao-demo-2026")
DEMO_LENDER_SLUG = "demo"
DEMO_ADMIN = ("admin@demo.local", "demo-lender-2026")


class Command(BaseCommand):
    help = "Seed demo logins and the demo lender (only into an empty database)."

    def handle(self, *args, **options):
        tenant_connection.set_schema_to_public()
        user_model = get_user_model()
        if not user_model.objects.filter(username=PLATFORM_ADMIN[0]).exists():
            user_model.objects.create_superuser(
                username=PLATFORM_ADMIN[0],
                email=PLATFORM_ADMIN[0],
                password=PLATFORM_ADMIN[1],
            )
        tenant = Tenant.objects.filter(slug=DEMO_LENDER_SLUG).first()
        if tenant is None and Tenant.objects.filter(kind=TenantKind.LENDER).exists():
            self.stdout.write("demo data present; nothing seeded")
            return
        if tenant is None:
            tenant = services.tenant_create(
                slug=DEMO_LENDER_SLUG,
                legal_name="金桥示范小额贷款有限公司",
                province="浙江省",
                city="杭州市",
            )
        elif tenant.status != TenantStatus.PROVISIONING:
            self.stdout.write("demo data present; nothing seeded")
            return
        # A run stopped between creating and provisioning left the row in
        # provisioning; finishing it here is safe (provisioning is one
        # transaction and leaves a ready tenant alone).
        services.tenant_provision(
            tenant_id=tenant.pk, admin_email=DEMO_ADMIN[0], admin_password=DEMO_ADMIN[1]
        )
        self.stdout.write(
            f"seeded demo lender at {DEMO_LENDER_SLUG}.{settings.BASE_DOMAIN}"
        )
