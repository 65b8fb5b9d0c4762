"""Guards that keep a lender within its plan's staff seats and active loans.

The limits are the plan's plus every add-on's extras
(``billing.selectors.subscription_limits``). Both guards run inside the
lender's tenant schema (``connection.tenant``): they count the tenant's own
users or loans there and read its subscription from the public schema. A
tenant without a subscription (the demo before billing, tests) is not
limited.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import connection

from billing.models import Subscription
from billing.selectors import Limits, subscription_limits
from billing.usage import active_loan_count
from core.errors import Conflict
from tenants.models import Tenant, TenantKind

logger = logging.getLogger(__name__)

PLAN_LIMIT_REACHED = "plan_limit_reached"
PLAN_LOCK = 7301  # advisory-lock class of the plan-limit checks


def _current_tenant() -> Tenant | None:
    """Return the lender whose schema is in use, or None (no row to bill).

    django-tenants' ``schema_context`` sets a stand-in without a row; such
    work (scripts, the template) is not billed, so it is not limited.
    """
    tenant = getattr(connection, "tenant", None)
    if not isinstance(tenant, Tenant) or tenant.kind != TenantKind.LENDER:
        return None
    return tenant


def _limits_in_force() -> tuple[Tenant, Subscription, Limits] | None:
    """Return the lender, its subscription and limits; None if unlimited.

    Takes a transaction-scoped advisory lock per lender first, so two
    requests adding the last seat or loan count one after the other (the
    caller's transaction holds it until commit).
    """
    tenant = _current_tenant()
    if tenant is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PLAN_LOCK, tenant.pk])
    subscription = (
        Subscription.objects.select_related("plan").filter(tenant_id=tenant.pk).first()
    )
    if subscription is None:
        return None
    return tenant, subscription, subscription_limits(subscription)


def _refuse(
    tenant: Tenant, subscription: Subscription, what: str, used: int, limit: int
) -> None:
    logger.info(
        "plan limit reached: %s %d of %d",
        what,
        used,
        limit,
        extra={"tenant": tenant.schema_name},
    )
    raise Conflict(
        f"the {subscription.plan.name} plan allows {limit} {what} and "
        f"{used} are in use; ask the platform for a larger plan or an add-on",
        code=PLAN_LIMIT_REACHED,
        fields={
            "limit": str(limit),
            "in_use": str(used),
            "plan": subscription.plan.code,
        },
    )


def staff_seat_check(*, adding: int = 1) -> None:
    """Refuse adding ``adding`` active staff users beyond the plan's seats.

    Call in the tenant schema before creating (or re-activating) a user,
    inside the same transaction. Every active user of the schema holds a
    seat. Raises Conflict with code ``plan_limit_reached``.
    """
    found = _limits_in_force()
    if found is None:
        return
    tenant, subscription, limits = found
    used = get_user_model().objects.filter(is_active=True).count()
    if used + adding > limits.max_staff_seats:
        _refuse(tenant, subscription, "staff seats", used, limits.max_staff_seats)


def active_loan_check(*, adding: int = 1) -> None:
    """Refuse a loan that would take active loans beyond the plan's limit.

    Call in the tenant schema before disbursing (a loan counts once it is
    active or overdue). Raises Conflict with code ``plan_limit_reached``.
    """
    found = _limits_in_force()
    if found is None:
        return
    tenant, subscription, limits = found
    used = active_loan_count(tenant)
    if used + adding > limits.max_active_loans:
        _refuse(tenant, subscription, "active loans", used, limits.max_active_loans)
