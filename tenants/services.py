"""Create and provision tenants.

Provisioning never runs the migrations for a new lender. It renames a
pre-migrated spare schema (milliseconds) and, when the pool is empty, clones
the migrated template schema instead. Spares and the template are tenant
rows, so ``migrate_schemas`` keeps them in step with every deploy.
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.dispatch import Signal
from django.utils import timezone
from django_tenants.utils import schema_exists, tenant_context

from core.errors import Conflict, InvalidInput
from tenants.current import tenant_connection
from tenants.models import Domain, Tenant, TenantKind, TenantStatus
from tenants.naming import schema_name_for, slug_validate
from tenants.schema_clone import schema_clone

logger = logging.getLogger(__name__)

TEMPLATE_SCHEMA = "tenant_template"

# Sent inside the provisioning transaction, in the new tenant's schema, so
# later concepts (product templates, starter rule set) install themselves.
tenant_provisioned = Signal()


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def platform_tenant_ensure() -> Tenant:
    """Return the row for the public schema, creating it and its domain."""
    tenant, _ = Tenant.objects.get_or_create(
        schema_name="public",
        defaults={
            "kind": TenantKind.PLATFORM,
            "slug": "platform",
            "legal_name": "Jinqiao platform",
            "status": TenantStatus.READY,
            "ready_at": timezone.now(),
        },
    )
    Domain.objects.get_or_create(
        domain=settings.BASE_DOMAIN, defaults={"tenant": tenant, "is_primary": True}
    )
    return tenant


def template_ensure() -> Tenant:
    """Create and migrate the template schema once; later deploys migrate it."""
    template = Tenant.objects.filter(schema_name=TEMPLATE_SCHEMA).first()
    if template and schema_exists(TEMPLATE_SCHEMA):
        return template
    if template is None:
        template = Tenant.objects.create(
            schema_name=TEMPLATE_SCHEMA,
            kind=TenantKind.SPARE,
            slug="tenant-template",
            status=TenantStatus.CLOSED,  # never assigned, never served
        )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(TEMPLATE_SCHEMA)}")
    call_command(
        "migrate_schemas", schema_name=TEMPLATE_SCHEMA, interactive=False, verbosity=0
    )
    tenant_connection.set_schema_to_public()
    logger.info("template schema migrated")
    return template


def _schema_clone_template(schema_name: str) -> None:
    """Copy the template's tables, functions, triggers and rows."""
    if not schema_exists(TEMPLATE_SCHEMA):
        raise Conflict("the template schema is missing: run platform_bootstrap")
    schema_clone(TEMPLATE_SCHEMA, schema_name)


def spare_create() -> Tenant:
    """Add one pre-migrated schema to the pool (cloned from the template)."""
    token = secrets.token_hex(6)
    with transaction.atomic():
        spare = Tenant.objects.create(
            schema_name=f"spare_{token}",
            kind=TenantKind.SPARE,
            slug=f"spare-{token}",
            status=TenantStatus.READY,
        )
        _schema_clone_template(spare.schema_name)
    return spare


def spare_pool_refill(size: int | None = None) -> int:
    """Top the pool up to ``size`` spares; return how many were made."""
    size = settings.TENANT_SPARE_POOL_SIZE if size is None else size
    available = Tenant.objects.filter(
        kind=TenantKind.SPARE, status=TenantStatus.READY
    ).count()
    made = 0
    for _ in range(max(0, size - available)):
        spare_create()
        made += 1
    return made


def tenant_create(
    *, slug: str, legal_name: str, province: str = "", city: str = ""
) -> Tenant:
    """Record a new lender in ``provisioning`` with its sub-domain.

    The schema does not exist yet: ``tenant_provision`` makes it. Raises
    InvalidInput for a bad slug and Conflict for a taken one.
    """
    slug_validate(slug)
    if not legal_name.strip():
        raise InvalidInput.for_field("legal_name", "must not be empty")
    taken = Conflict(f"the sub-domain '{slug}' is taken", fields={"slug": "taken"})
    if Tenant.objects.filter(slug=slug).exists():
        raise taken
    try:
        return _tenant_insert(slug, legal_name.strip(), province, city)
    except (IntegrityError, ValidationError):
        # Another approval created the same slug or schema name meanwhile:
        # the unique index refuses it, or django-tenants' own schema check.
        raise taken from None


def _tenant_insert(slug: str, legal_name: str, province: str, city: str) -> Tenant:
    with transaction.atomic():
        tenant = Tenant.objects.create(
            kind=TenantKind.LENDER,
            slug=slug,
            schema_name=schema_name_for(slug),
            legal_name=legal_name,
            province=province,
            city=city,
            status=TenantStatus.PROVISIONING,
        )
        Domain.objects.create(
            domain=f"{slug}.{settings.BASE_DOMAIN}", tenant=tenant, is_primary=True
        )
    return tenant


def _schema_install(schema_name: str) -> str:
    """Give ``schema_name`` a migrated schema; return how ('spare'/'clone')."""
    if schema_exists(schema_name):
        raise Conflict(f"schema {schema_name} already exists")
    spare = (
        Tenant.objects.select_for_update(skip_locked=True)
        .filter(kind=TenantKind.SPARE, status=TenantStatus.READY)
        .order_by("pk")
        .first()
    )
    if spare is None:
        _schema_clone_template(schema_name)
        return "clone"
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER SCHEMA {_quote(spare.schema_name)} RENAME TO {_quote(schema_name)}"
        )
    # A queryset delete removes the row only; the schema now has a new owner.
    Tenant.objects.filter(pk=spare.pk).delete()
    return "spare"


def _admin_create(email: str, password: str | None) -> None:
    user_model = get_user_model()
    user = user_model(username=email, email=email, is_staff=True, is_superuser=True)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()


def tenant_provision(
    *, tenant_id: int, admin_email: str, admin_password: str | None = None
) -> Tenant:
    """Give a ``provisioning`` tenant its schema and first admin; mark ready.

    Runs in one transaction: a failure leaves the tenant in ``provisioning``
    with no schema (the spare goes back to the pool), so a retry starts
    clean. Calling it again on a ready tenant changes nothing.
    """
    started = timezone.now()
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant_id)
        if tenant.status != TenantStatus.PROVISIONING:
            return tenant
        how = _schema_install(tenant.schema_name)
        with tenant_context(tenant):
            _admin_create(admin_email, admin_password)
            tenant_provisioned.send(sender=Tenant, tenant=tenant)
        tenant.status = TenantStatus.READY
        tenant.ready_at = timezone.now()
        tenant.save(update_fields=["status", "ready_at"])
    tenant_connection.set_schema_to_public()
    elapsed = (tenant.ready_at - started).total_seconds()
    logger.info(
        "tenant provisioned via %s in %.3fs",
        how,
        elapsed,
        extra={"tenant": tenant.schema_name},
    )
    return tenant
