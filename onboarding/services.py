"""Writes for onboarding: submit, review, approve, provision, checklist."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.models import Plan
from billing.services import subscription_start
from core.errors import Conflict, InvalidInput, NotFound
from onboarding.documents import document_check, document_write
from onboarding.emails import application_mail_after_commit
from onboarding.invitations import invitation_send
from onboarding.models import (
    OPEN_SUBDOMAIN_CONSTRAINT,
    ApplicationDocument,
    ApplicationReviewEntry,
    ApplicationStatus,
    ChecklistItem,
    DocumentKind,
    FirstDayChecklist,
    LenderApplication,
    ReviewAction,
)
from onboarding.validation import (
    ApplicationInput,
    application_input_parse,
    nul_refuse,
)
from tenants.services import tenant_create

logger = logging.getLogger(__name__)

Uploads = dict[str, IO[bytes] | None]


def _log(
    application: LenderApplication, action: str, *, user: Any = None, reason: str = ""
) -> None:
    ApplicationReviewEntry.objects.create(
        application=application,
        action=action,
        actor_id=getattr(user, "pk", None),
        actor=getattr(user, "username", "") or "applicant",
        reason=reason,
    )


def _documents_check(uploads: Uploads, *, required: bool) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for kind in DocumentKind.values:
        upload = uploads.get(kind)
        if upload is None and not required:
            continue
        try:
            checked[kind] = document_check(upload, field=kind)
        except InvalidInput as error:
            errors.update(error.fields)
    if errors:
        raise InvalidInput("a document was refused", fields=errors)
    return checked


def _documents_store(application: LenderApplication, checked: dict[str, Any]) -> None:
    for kind, document in checked.items():
        path = document_write(
            public_id=str(application.public_id), kind=kind, document=document
        )
        ApplicationDocument.objects.create(
            application=application,
            kind=kind,
            path=path,
            original_name=document.original_name,
            content_type=document.content_type,
            size=document.size,
            sha256=document.sha256,
        )


@contextmanager
def _subdomain_race_refused(subdomain: str) -> Iterator[None]:
    """Turn losing a race for an open sub-domain into the usual field error.

    ``subdomain_check`` refuses a taken sub-domain, but two sign-ups can
    pass it at once; the partial unique constraint then keeps the first.
    Wrap the transaction (not inside it): the error aborts it.
    """
    try:
        yield
    except IntegrityError as error:
        if OPEN_SUBDOMAIN_CONSTRAINT not in str(error):
            raise
        raise InvalidInput.for_field(
            "subdomain", f"'{subdomain}' is already taken"
        ) from None


def application_submit(*, raw: dict[str, Any], uploads: Uploads) -> LenderApplication:
    """Check the fields and documents, store them, and queue for review.

    Raises InvalidInput naming every refused field and document.
    """
    errors: dict[str, str] = {}
    data: ApplicationInput | None = None
    try:
        data = application_input_parse(raw)
    except InvalidInput as error:
        errors.update(error.fields)
    try:
        checked = _documents_check(uploads, required=True)
    except InvalidInput as error:
        errors.update(error.fields)
    if errors or data is None:
        raise InvalidInput(
            "some fields need correcting: " + ", ".join(sorted(errors)), fields=errors
        )

    with _subdomain_race_refused(data.subdomain), transaction.atomic():
        application = LenderApplication.objects.create(**data.__dict__)
        _documents_store(application, checked)
        _log(application, ReviewAction.SUBMITTED)
        application_mail_after_commit(application)
    logger.info("lender application %s submitted", application.public_id)
    return application


def application_resubmit(
    *, application: LenderApplication, raw: dict[str, Any], uploads: Uploads
) -> LenderApplication:
    """Apply the applicant's corrections after a request for changes."""
    if application.status != ApplicationStatus.CHANGES_REQUESTED:
        raise Conflict("this application is not waiting for changes")
    data = application_input_parse(raw, exclude_application_id=application.pk)
    checked = _documents_check(uploads, required=False)
    with _subdomain_race_refused(data.subdomain), transaction.atomic():
        for field, value in data.__dict__.items():
            setattr(application, field, value)
        application.status = ApplicationStatus.SUBMITTED
        application.save()
        _documents_store(application, checked)
        _log(application, ReviewAction.RESUBMITTED)
    return application


def _application_for_review(application_id: int) -> LenderApplication:
    application = (
        LenderApplication.objects.select_for_update().filter(pk=application_id).first()
    )
    if application is None:
        raise NotFound("no such application")
    if application.status != ApplicationStatus.SUBMITTED:
        raise Conflict(
            f"the application is {application.get_status_display().lower()}, "
            "not awaiting review",
            fields={"status": application.status},
        )
    return application


def application_reject(*, application_id: int, user: Any, reason: str) -> None:
    """Refuse the application; the applicant sees the reason."""
    if not reason.strip():
        raise InvalidInput.for_field("reason", "say why the application is refused")
    nul_refuse(reason, "reason")
    with transaction.atomic():
        application = _application_for_review(application_id)
        application.status = ApplicationStatus.REJECTED
        application.decision_reason = reason.strip()
        application.save(update_fields=["status", "decision_reason", "updated_at"])
        _log(application, ReviewAction.REJECTED, user=user, reason=reason.strip())
        application_mail_after_commit(application)


def application_changes_request(*, application_id: int, user: Any, reason: str) -> None:
    """Send the application back to the applicant with what to change."""
    if not reason.strip():
        raise InvalidInput.for_field("reason", "say what needs changing")
    nul_refuse(reason, "reason")
    with transaction.atomic():
        application = _application_for_review(application_id)
        application.status = ApplicationStatus.CHANGES_REQUESTED
        application.decision_reason = reason.strip()
        application.save(update_fields=["status", "decision_reason", "updated_at"])
        _log(
            application,
            ReviewAction.CHANGES_REQUESTED,
            user=user,
            reason=reason.strip(),
        )
        application_mail_after_commit(application)


def application_approve(
    *, application_id: int, user: Any, plan_code: str | None = None
) -> LenderApplication:
    """Create the tenant and its subscription; provision after commit.

    The schema, the first admin and the invitation come from the Celery
    chain queued once this transaction commits. Raises Conflict when the
    application is not awaiting review or the sub-domain was taken since.
    """
    from onboarding.tasks import provisioning_enqueue

    code = plan_code or settings.BILLING_DEFAULT_PLAN
    plan = Plan.objects.filter(code=code, is_active=True).first()
    if plan is None:
        raise InvalidInput.for_field("plan", f"no active plan '{code}'")
    with transaction.atomic():
        application = _application_for_review(application_id)
        tenant = tenant_create(
            slug=application.subdomain,
            legal_name=application.legal_name,
            province=application.province,
            city=application.city,
        )
        subscription_start(tenant=tenant, plan=plan, billing_email=application.email)
        FirstDayChecklist.objects.create(tenant=tenant)
        application.status = ApplicationStatus.APPROVED
        application.tenant = tenant
        application.decision_reason = ""
        application.save(
            update_fields=["status", "tenant", "decision_reason", "updated_at"]
        )
        _log(application, ReviewAction.APPROVED, user=user)
        transaction.on_commit(lambda: provisioning_enqueue(application.pk))
    return application


def application_invitation_send(*, application_id: int) -> LenderApplication:
    """E-mail the first admin's invitation once; mark the application provisioned.

    The tenant must be ready. Holds the application's row lock while
    sending, so a duplicate task (a re-queued provisioning) waits and then
    finds the application provisioned and sends nothing.
    """
    with transaction.atomic():
        application = (
            LenderApplication.objects.select_for_update(of=("self",))
            .select_related("tenant")
            .get(pk=application_id)
        )
        tenant = application.tenant
        if application.status != ApplicationStatus.APPROVED or tenant is None:
            return application
        invitation_send(tenant=tenant, email=application.email)
        application.status = ApplicationStatus.PROVISIONED
        application.save(update_fields=["status", "updated_at"])
        _log(application, ReviewAction.PROVISIONED)
        _log(application, ReviewAction.INVITATION_SENT)
    return application


def provisioning_retry(*, tenant_id: int) -> LenderApplication:
    """Queue provisioning and the invitation again for one approved lender.

    For staff who see a lender stuck in provisioning. Idempotent: a ready
    tenant is left alone and the invitation goes out once. Raises Conflict
    when the tenant has no approval waiting for its workspace.
    """
    from onboarding.tasks import provisioning_enqueue

    application = LenderApplication.objects.filter(
        tenant_id=tenant_id, status=ApplicationStatus.APPROVED
    ).first()
    if application is None:
        raise Conflict("this lender has no approval waiting for its workspace")
    transaction.on_commit(lambda: provisioning_enqueue(application.pk))
    logger.info(
        "provisioning re-queued by staff for application %s", application.public_id
    )
    return application


def invitation_resend(*, tenant_id: int, user: Any) -> LenderApplication:
    """E-mail the first admin a new one-time link; the old one stops working.

    For platform staff when the first invitation was lost or expired. The
    admin's unusable password is renewed, which changes Django's token, so
    every earlier link is invalid. Raises Conflict when no invitation was
    sent yet or the admin has already chosen a password (they use password
    reset then).
    """
    with transaction.atomic():
        application = (
            LenderApplication.objects.select_for_update(of=("self",))
            .select_related("tenant")
            .filter(tenant_id=tenant_id, status=ApplicationStatus.PROVISIONED)
            .first()
        )
        if application is None or application.tenant is None:
            raise Conflict("no invitation has been sent to this lender yet")
        tenant = application.tenant
        with tenant_context(tenant):
            admin = get_user_model().objects.filter(username=application.email).first()
            if admin is None:
                raise Conflict("the invited administrator no longer exists")
            if admin.has_usable_password():
                raise Conflict(
                    "the administrator has already chosen a password; "
                    "they can reset it from the sign-in page"
                )
            admin.set_unusable_password()
            admin.save(update_fields=["password"])
        invitation_send(tenant=tenant, email=application.email)
        _log(application, ReviewAction.INVITATION_SENT, user=user, reason="re-sent")
    logger.info("invitation re-sent by staff for application %s", application.public_id)
    return application


def provisioning_stuck_requeue(*, older_than: datetime.timedelta) -> list[int]:
    """Queue provisioning again for approvals not finished after ``older_than``.

    A provisioning message can be lost (the file-system broker does not
    redeliver the message of a killed worker). Both steps are idempotent,
    so re-queuing one that is merely slow costs a no-op. Returns the
    application ids queued.
    """
    from onboarding.tasks import provisioning_enqueue

    cutoff = timezone.now() - older_than
    stuck = list(
        LenderApplication.objects.filter(
            status=ApplicationStatus.APPROVED,
            tenant__isnull=False,
            tenant__created_at__lt=cutoff,
        ).values_list("pk", flat=True)
    )
    for application_id in stuck:
        provisioning_enqueue(application_id)
    if stuck:
        logger.warning("re-queued provisioning of %d approved applications", len(stuck))
    return stuck


def checklist_item_mark(*, tenant_id: int, item: str, done: bool = True) -> None:
    """Tick (or untick) one first-day task of a tenant."""
    if item not in ChecklistItem.values:
        raise InvalidInput.for_field("item", f"unknown checklist item '{item}'")
    with transaction.atomic():
        checklist, _ = FirstDayChecklist.objects.select_for_update().get_or_create(
            tenant_id=tenant_id
        )
        setattr(checklist, f"{item}_done", done)
        checklist.save()
