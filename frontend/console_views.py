"""The lender's console: dashboard, products, rules, review, loans, settings.

Views stay thin: check the role, call one service or selector, render.
Every change goes through a core service, which records it in the audit
trail; lists answer ``?format=csv`` or ``?format=xlsx`` with a download.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.audit.models import AuditEntry
from core.errors import DomainError
from core.loans.services import business_date_current
from core.pii.masking import mask_name
from core.products import services as product_services
from core.products.models import Product, ProductVersion, VersionStatus
from core.products.selectors import version_worst_case
from frontend import charts
from frontend import selectors as console_selectors
from frontend.exports import export_response
from frontend.forms import PeriodForm, ProductTermsForm, form_error_show
from frontend.permissions import can, role_required
from onboarding.selectors import checklist_for_tenant
from tenants.current import request_tenant


@dataclass(frozen=True)
class Link:
    text: str
    url: str

    def __str__(self) -> str:
        return self.text


def actor(request: HttpRequest) -> str:
    return request.user.get_username()


def list_page(
    request: HttpRequest,
    *,
    title: str,
    name: str,
    headers: list[str],
    rows: list[list[Any]],
    extra: dict[str, Any] | None = None,
    template: str = "console/list.html",
) -> HttpResponse:
    """Render a list, or export it when ``?format=csv|xlsx`` is asked."""
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        plain = [[str(c) if isinstance(c, Link) else c for c in r] for r in rows]
        return export_response(fmt, name, headers, plain)
    context = {"title": title, "headers": headers, "rows": rows, **(extra or {})}
    return render(request, template, context)


def show_error(request: HttpRequest, error: DomainError) -> None:
    messages.error(request, error.message)


# --- Dashboard ------------------------------------------------------------


@require_GET
@role_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    today = business_date_current()
    form = PeriodForm(request.GET or None)
    period = console_selectors.Period.month_of(today)
    if form.is_bound and form.is_valid() and form.cleaned_data.get("start"):
        period = console_selectors.Period(
            form.cleaned_data["start"], form.cleaned_data.get("end") or today
        )
    tenant = request_tenant(request)
    figures = console_selectors.dashboard(tenant, period, today)
    checklist = checklist_for_tenant(tenant.pk)
    context = {
        "form": form,
        "f": figures,
        "charts": _dashboard_charts(figures),
        # Shown until every first-day task is done.
        "checklist": checklist if not all(i.done for i in checklist) else [],
    }
    return render(request, "console/dashboard.html", context)


def _dashboard_charts(f: dict[str, Any]) -> dict[str, Any]:
    pnl = f["pnl"].lines
    return {
        "pnl": charts.bar_chart(
            [
                (_("Interest"), pnl["interest_income"]),
                (_("Fees"), pnl["fee_income"]),
                (_("Penalty"), pnl["penalty_income"]),
                (_("Bad debt"), pnl["bad_debt_loss"]),
                (_("Tech fee"), pnl["technology_fee"]),
                (_("Staff"), pnl["staff_cost"]),
                (_("Acquisition"), pnl["acquisition_spend"]),
            ],
            title=_("Profit and loss"),
        ),
        "buckets": charts.bar_chart(
            [(b["bucket"], b["principal"]) for b in f["buckets"]],
            title=_("Arrears buckets (principal outstanding)"),
        ),
        "vintages": charts.curves_chart(
            [(v["cohort"].strftime("%Y-%m"), v["points"]) for v in f["vintage_curves"]],
            title=_("Vintage curves: share 30+ days past due by month on book"),
        ),
        "rolls": charts.bar_chart(
            [(f"{r['from']}→{r['to']}", r["latest"]) for r in f["roll_rates"]],
            title=_("Roll rates, last month"),
        ),
    }


@require_POST
@role_required("record_security_review")
def security_review_record(request: HttpRequest) -> HttpResponse:
    from core.audit.services import audit_record

    audit_record(actor=actor(request), action=console_selectors.SECURITY_REVIEW_ACTION)
    messages.success(request, _("Security review recorded."))
    return redirect("console_dashboard")


# --- Products -------------------------------------------------------------


@require_GET
@role_required()
def product_list(request: HttpRequest) -> HttpResponse:
    versions = ProductVersion.objects.select_related("product").order_by(
        "product__code", "-version"
    )
    rows = [
        [
            Link(v.product.code, f"/console/products/versions/{v.pk}/"),
            v.product.name,
            v.version,
            v.get_status_display(),
            v.amount_min,
            v.amount_max,
            f"{v.term_min}-{v.term_max} {v.term_unit}",
            v.annual_rate,
            v.worst_case_apr,
        ]
        for v in versions
    ]
    headers = [
        _("Code"),
        _("Name"),
        _("Version"),
        _("Status"),
        _("Minimum amount"),
        _("Maximum amount"),
        _("Term"),
        _("Annual rate"),
        _("Worst-case annualised rate"),
    ]
    return list_page(
        request, title=_("Loan products"), name="products", headers=headers, rows=rows
    )


@role_required()
def product_version(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(ProductVersion.objects.select_related("product"), pk=pk)
    form = ProductTermsForm(initial=_terms_initial(version))
    if request.method == "POST":
        if not can(request.user, "edit_product"):
            raise Http404
        form = ProductTermsForm(request.POST)
        if form.is_valid():
            try:
                product_services.product_version_update(
                    version_id=version.pk, actor=actor(request), changes=form.changes()
                )
            except DomainError as error:
                form_error_show(request, form, error)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("console_product_version", pk=pk)
    check, check_error = None, ""
    try:
        check = version_worst_case(version, on=business_date_current())
    except DomainError as error:
        check_error = error.message
    context = {
        "version": version,
        "form": form,
        "check": check,
        "check_error": check_error,
        "is_draft": version.status == VersionStatus.DRAFT,
        "is_pending": version.status == VersionStatus.PENDING_APPROVAL,
    }
    return render(request, "console/product_version.html", context)


def _terms_initial(version: ProductVersion) -> dict[str, Any]:
    return {f: getattr(version, f) for f in ProductTermsForm.base_fields}


_PRODUCT_ACTIONS = {
    "submit": ("edit_product", product_services.product_version_submit),
    "approve": ("approve_product", product_services.product_version_approve),
}


@require_POST
@role_required()
def product_version_act(request: HttpRequest, pk: int, act: str) -> HttpResponse:
    if act not in _PRODUCT_ACTIONS:
        raise Http404
    capability, service = _PRODUCT_ACTIONS[act]
    if not can(request.user, capability):
        return HttpResponse(_("Your role does not allow this."), status=403)
    try:
        service(version_id=pk, actor=actor(request))
    except DomainError as error:
        show_error(request, error)
    else:
        messages.success(request, _("Done."))
    return redirect("console_product_version", pk=pk)


@require_POST
@role_required("edit_product")
def product_draft_new(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    try:
        draft = product_services.product_version_draft(
            product_id=product.pk, actor=actor(request)
        )
    except DomainError as error:
        show_error(request, error)
        return redirect("console_products")
    return redirect("console_product_version", pk=draft.pk)


# --- Audit ----------------------------------------------------------------


AUDIT_PER_PAGE = 200


@require_GET
@role_required()
def audit_list(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.all()
    object_type = request.GET.get("object_type")
    if object_type:
        entries = entries.filter(
            object_type=object_type, object_id=request.GET.get("object_id", "")
        )
    page = None
    if request.GET.get("format") not in ("csv", "xlsx"):
        # An export holds every entry; the screen shows one page.
        page = Paginator(entries, AUDIT_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        [e.at, e.actor, e.action, e.object_type, e.object_id, json.dumps(e.data)]
        for e in (page.object_list if page is not None else entries.iterator())
    ]
    headers = [_("When"), _("Who"), _("Action"), _("Object"), _("Id"), _("Details")]
    return list_page(
        request,
        title=_("Audit trail"),
        name="audit",
        headers=headers,
        rows=rows,
        extra={"page": page},
    )


def masked_name(request: HttpRequest, name: str) -> str:
    """A collector (or anyone without the capability) sees names masked."""
    return name if can(request.user, "view_personal_data") else mask_name(name)


def rules_diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before = json.dumps(old, indent=2, ensure_ascii=False, sort_keys=True)
    after = json.dumps(new, indent=2, ensure_ascii=False, sort_keys=True)
    return list(
        difflib.unified_diff(
            before.splitlines(), after.splitlines(), "before", "after", lineterm=""
        )
    )


def parse_date(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default
