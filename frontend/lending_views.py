"""Risk rules, the review queue, borrowers and loans in the lender's console."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.borrowers.selectors import borrower_find_by
from core.errors import DomainError, InvalidInput
from core.ledger.models import JournalLine
from core.loans import services as loan_services
from core.loans.models import Loan
from core.loans.selectors import loan_settlement_quote
from core.risk import services as risk_services
from core.risk.models import (
    Application,
    BacktestRun,
    HistoricalApplication,
    RuleSetVersion,
    VersionStatus,
)
from core.risk.selectors import decision_effective, review_queue
from frontend.console_views import Link, actor, list_page, masked_name, rules_diff
from frontend.forms import (
    BacktestForm,
    ConfirmForm,
    RepaymentForm,
    ReviewForm,
    RuleDefinitionForm,
    SearchForm,
    SettlementQuoteForm,
    domain_error_show,
    form_error_show,
)
from frontend.permissions import can, role_required

# --- Risk rules -------------------------------------------------------------


@require_GET
@role_required()
def ruleset_list(request: HttpRequest) -> HttpResponse:
    versions = RuleSetVersion.objects.select_related("rule_set").order_by(
        "rule_set__name", "-version"
    )
    rows = [
        [
            Link(f"{v.rule_set.name} v{v.version}", f"/console/rules/{v.pk}/"),
            v.get_status_display(),
            v.created_by,
            v.approved_by,
            v.activated_at,
        ]
        for v in versions
    ]
    headers = [
        _("Rule set"),
        _("Status"),
        _("Made by"),
        _("Approved by"),
        _("Active since"),
    ]
    return list_page(
        request, title=_("Risk rules"), name="rulesets", headers=headers, rows=rows
    )


def _datasets() -> list[str]:
    return list(
        HistoricalApplication.objects.values_list("dataset", flat=True)
        .distinct()
        .order_by("dataset")
    )


@role_required()
def ruleset_version(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(
        RuleSetVersion.objects.select_related("rule_set"), pk=pk
    )
    pretty = json.dumps(version.definition, indent=2, ensure_ascii=False)
    form = RuleDefinitionForm(initial={"definition": pretty})
    if request.method == "POST":
        if not can(request.user, "edit_ruleset"):
            return HttpResponse(_("Your role does not allow this."), status=403)
        form = RuleDefinitionForm(request.POST)
        if form.is_valid():
            try:
                risk_services.ruleset_version_update(
                    version_id=pk,
                    definition=form.cleaned_data["definition"],
                    actor=actor(request),
                )
            except DomainError as error:
                _rule_errors(request, form, error)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("console_ruleset", pk=pk)
    previous = (
        RuleSetVersion.objects.filter(
            rule_set=version.rule_set, version__lt=version.version
        )
        .order_by("-version")
        .first()
    )
    context = {
        "version": version,
        "form": form,
        "previous": previous,
        "diff": rules_diff(previous.definition, version.definition) if previous else [],
        "backtest_form": BacktestForm(datasets=_datasets()),
        "runs": version.backtests.order_by("-id")[:5],
        "is_draft": version.status == VersionStatus.DRAFT,
        "can_activate": version.status
        in (VersionStatus.PENDING_APPROVAL, VersionStatus.CHALLENGER),
    }
    return render(request, "console/ruleset_version.html", context)


def _rule_errors(
    request: HttpRequest, form: RuleDefinitionForm, error: DomainError
) -> None:
    """Put a refused definition's reasons by the field; show any other
    refusal (a version no longer a draft) as a message, since the page
    then shows no form."""
    if not isinstance(error, InvalidInput):
        messages.error(request, error.message)
        return
    if not error.fields:
        form.add_error("definition", error.message)
    for where, reason in error.fields.items():
        form.add_error("definition", f"{where}: {reason}")


_RULE_ACTIONS = {
    "submit": ("edit_ruleset", risk_services.ruleset_version_submit),
    "activate": ("activate_ruleset", risk_services.ruleset_version_approve),
}


@require_POST
@role_required()
def ruleset_act(request: HttpRequest, pk: int, act: str) -> HttpResponse:
    if act == "draft":
        return _ruleset_draft(request, pk)
    if act not in _RULE_ACTIONS:
        raise Http404
    capability, service = _RULE_ACTIONS[act]
    if not can(request.user, capability):
        return HttpResponse(_("Your role does not allow this."), status=403)
    try:
        service(version_id=pk, actor=actor(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Done."))
    return redirect("console_ruleset", pk=pk)


def _ruleset_draft(request: HttpRequest, pk: int) -> HttpResponse:
    if not can(request.user, "edit_ruleset"):
        return HttpResponse(_("Your role does not allow this."), status=403)
    version = get_object_or_404(RuleSetVersion, pk=pk)
    try:
        draft = risk_services.ruleset_version_draft(
            rule_set_id=version.rule_set_id, actor=actor(request)
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("console_ruleset", pk=pk)
    return redirect("console_ruleset", pk=draft.pk)


@require_POST
@role_required("edit_ruleset")
def backtest_start(request: HttpRequest, pk: int) -> HttpResponse:
    form = BacktestForm(request.POST, datasets=_datasets())
    if not form.is_valid():
        messages.error(request, _("Choose a historical data set."))
        return redirect("console_ruleset", pk=pk)
    try:
        run = risk_services.backtest_run_start(
            version_id=pk, dataset=form.cleaned_data["dataset"], actor=actor(request)
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("console_ruleset", pk=pk)
    return redirect("console_backtest", pk=run.pk)


@require_GET
@role_required()
def backtest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(
        BacktestRun.objects.select_related("ruleset_version"), pk=pk
    )
    return render(request, "console/backtest.html", {"run": run})


@require_GET
@role_required()
def backtest_progress(request: HttpRequest, pk: int) -> JsonResponse:
    run = get_object_or_404(BacktestRun, pk=pk)
    return JsonResponse({"status": run.status, "progress": run.progress})


# --- Review queue -------------------------------------------------------------


@require_GET
@role_required("review_application")
def review_list(request: HttpRequest) -> HttpResponse:
    rows = [
        [
            Link(str(a.pk), f"/console/review/{a.pk}/"),
            masked_name(request, a.borrower.name),
            a.product_version.product.code if a.product_version_id else "",
            a.amount,
            a.term,
            a.submitted_at,
            a.claimed_by,
            _review_stage(a),
        ]
        for a in review_queue().select_related("product_version__product")
    ]
    headers = [
        _("Application"),
        _("Borrower"),
        _("Product"),
        _("Amount"),
        _("Term"),
        _("Submitted"),
        _("Claimed by"),
        _("Stage"),
    ]
    return list_page(
        request,
        title=_("Review queue"),
        name="review_queue",
        headers=headers,
        rows=rows,
    )


def _review_stage(application: Application) -> str:
    if risk_services.awaits_confirmation(application):
        return _("Awaits a second reviewer (approved by %(who)s)") % {
            "who": application.reviewed_by
        }
    return _("First review")


@role_required("review_application")
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(
        Application.objects.select_related("borrower", "product_version__product"),
        pk=pk,
    )
    form, confirm_form = ReviewForm(), ConfirmForm()
    if request.method == "POST" and "confirm" in request.POST:
        confirm_form = ConfirmForm(request.POST)
        if confirm_form.is_valid() and _review_call(
            request, confirm_form, risk_services.review_confirm, pk
        ):
            return redirect("console_review")
    elif request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid() and _review_call(
            request, form, risk_services.review_decide, pk
        ):
            return redirect("console_review")
    application.refresh_from_db()
    awaiting = risk_services.awaits_confirmation(application)
    context = {
        "application": application,
        "borrower_name": masked_name(request, application.borrower.name),
        "decision": decision_effective(application_id=pk),
        "form": form,
        "confirm_form": confirm_form,
        "awaits_confirmation": awaiting,
        "may_confirm": awaiting and application.reviewed_by != actor(request),
    }
    return render(request, "console/review_detail.html", context)


def _review_call(request: HttpRequest, form: Any, service: Any, pk: int) -> bool:
    """Call a review service with the form's data; show why it refused."""
    try:
        service(application_id=pk, actor=actor(request), **form.cleaned_data)
    except DomainError as error:
        form_error_show(request, form, error)
        return False
    messages.success(request, _("Decision recorded."))
    return True


@require_POST
@role_required("review_application")
def review_claim(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        risk_services.review_claim(application_id=pk, actor=actor(request))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("console_review_detail", pk=pk)


# --- Borrowers and loans -------------------------------------------------------


LOANS_PER_PAGE = 100


def _loans_matching(query: str) -> QuerySet[Loan]:
    """Every loan, newest first; with a query, the loans of the borrowers
    holding that exact ID number or mobile (blind index), else a name."""
    loans = Loan.objects.select_related("borrower").order_by("-id")
    query = query.strip()
    if not query:
        return loans
    for field in ("id_number", "mobile"):
        try:
            found = borrower_find_by(**{field: query})
        except (InvalidInput, ValueError):
            continue
        if found:
            return loans.filter(borrower__in=found)
    return loans.filter(
        Q(borrower__name__icontains=query)
        | Q(borrower__id_number_masked=query)
        | Q(borrower__mobile_masked=query)
    )


@require_GET
@role_required()
def loan_list(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    loans = _loans_matching(query)
    page = None
    if request.GET.get("format") not in ("csv", "xlsx"):
        # An export holds every matching loan; the page shows one page.
        page = Paginator(loans, LOANS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        [
            Link(str(loan.pk), f"/console/loans/{loan.pk}/"),
            masked_name(request, loan.borrower.name),
            loan.borrower.id_number_masked,
            loan.borrower.mobile_masked,
            loan.principal,
            loan.principal_outstanding,
            loan.get_status_display(),
            loan.dpd,
            loan.disbursed_on,
        ]
        for loan in (page.object_list if page is not None else loans.iterator())
    ]
    headers = [
        _("Loan"),
        _("Borrower"),
        _("ID number"),
        _("Mobile"),
        _("Principal"),
        _("Principal outstanding"),
        _("Status"),
        _("Days past due"),
        _("Disbursed on"),
    ]
    return list_page(
        request,
        title=_("Borrowers and loans"),
        name="loans",
        headers=headers,
        rows=rows,
        extra={"search_form": form, "page": page},
    )


@role_required()
def loan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    loan = get_object_or_404(Loan.objects.select_related("borrower"), pk=pk)
    today = loan_services.business_date_current()
    form = RepaymentForm(
        initial={"received_on": today, "idempotency_key": RepaymentForm.new_key()}
    )
    if request.method == "POST":
        if not can(request.user, "record_repayment"):
            return HttpResponse(_("Your role does not allow this."), status=403)
        form = RepaymentForm(request.POST)
        if form.is_valid():
            try:
                loan_services.repayment_record(
                    loan_id=loan.pk,
                    actor=actor(request),
                    channel="console",
                    **form.cleaned_data,
                )
            except DomainError as error:
                domain_error_show(form, error)
            else:
                messages.success(request, _("Repayment recorded."))
                return redirect("console_loan", pk=pk)
    return render(
        request, "console/loan_detail.html", _loan_context(request, loan, form, today)
    )


def _loan_context(request, loan: Loan, form: RepaymentForm, today) -> dict:
    quote_form = SettlementQuoteForm(request.GET or None, initial={"on": today})
    quote, quote_error = None, ""
    if quote_form.is_bound and quote_form.is_valid():
        try:
            quote = loan_settlement_quote(loan, on=quote_form.cleaned_data["on"])
        except InvalidInput as error:
            domain_error_show(quote_form, error)  # e.g. on: before disbursement
        except DomainError as error:
            quote_error = error.message  # e.g. Conflict: the loan is not open
    from core.audit.models import AuditEntry

    return {
        "loan": loan,
        "borrower_name": masked_name(request, loan.borrower.name),
        "instalments": loan.instalments.all(),
        "repayments": loan.repayments.order_by("received_on", "id"),
        "lines": JournalLine.objects.filter(entry__loan_id=loan.pk)
        .select_related("entry", "account")
        .order_by("entry__entry_date", "entry_id", "id"),
        "audit": AuditEntry.objects.filter(object_type="loan", object_id=str(loan.pk))[
            :100
        ],
        "form": form,
        "quote_form": quote_form,
        "quote": quote,
        "quote_error": quote_error,
    }
