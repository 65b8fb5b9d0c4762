"""Console forms: they keep what was typed and show errors by the field."""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, password_validation
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from apiv1.keys.models import Scope
from apiv1.outbox import EVENT_TYPES
from core.errors import DomainError, InvalidInput
from frontend.permissions import ROLE_LABELS


def domain_error_show(form: forms.Form, error: DomainError) -> None:
    """Put a domain error's reasons next to the fields they name."""
    placed = False
    for name, reason in error.fields.items():
        field = name if name in form.fields else None
        form.add_error(field, reason if field else f"{name}: {reason}")
        placed = True
    if not placed:
        form.add_error(None, error.message)


def form_error_show(request: Any, form: forms.Form, error: DomainError) -> None:
    """Show a refused value by its field, and any other refusal as a message.

    A Conflict or a PermissionDenied is about the record, not the form, and
    the form may not even be on the page it returns to.
    """
    if isinstance(error, InvalidInput):
        domain_error_show(form, error)
    else:
        messages.error(request, error.message)


# The figures read the month before the period and the day after it, so a
# period must leave room on both sides of Python's date range.
PERIOD_FIRST = date(1900, 1, 1)
PERIOD_LAST = date(9998, 12, 31)


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name in ("start", "end"):
            day = data.get(name)
            if day and not PERIOD_FIRST <= day <= PERIOD_LAST:
                self.add_error(
                    name,
                    _("must be from %(first)s to %(last)s")
                    % {"first": PERIOD_FIRST, "last": PERIOD_LAST},
                )
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("must not be before the start"))
        return data


class ProductTermsForm(forms.Form):
    # max_digits as the columns (NUMERIC(14,2), NUMERIC(9,6)) hold.
    amount_min = forms.DecimalField(
        label=_("Minimum amount (CNY)"), max_digits=14, decimal_places=2
    )
    amount_max = forms.DecimalField(
        label=_("Maximum amount (CNY)"), max_digits=14, decimal_places=2
    )
    term_min = forms.IntegerField(label=_("Shortest term"), min_value=1)
    term_max = forms.IntegerField(label=_("Longest term"), min_value=1)
    annual_rate = forms.DecimalField(
        label=_("Annual interest rate (e.g. 0.18)"), max_digits=9, decimal_places=6
    )
    penalty_rate = forms.DecimalField(
        label=_("Penalty rate (annual)"),
        max_digits=9,
        decimal_places=6,
        required=False,
    )
    grace_days = forms.IntegerField(label=_("Grace days"), min_value=0, required=False)

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if v is not None}


class RuleDefinitionForm(forms.Form):
    definition = forms.CharField(
        label=_("Rules (JSON)"), widget=forms.Textarea(attrs={"rows": 24, "cols": 90})
    )

    def clean_definition(self) -> Any:
        try:
            data = json.loads(self.cleaned_data["definition"])
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("not valid JSON: line %(line)s column %(col)s: %(msg)s"),
                params={"line": error.lineno, "col": error.colno, "msg": error.msg},
            ) from None
        except RecursionError:
            raise forms.ValidationError(_("nested too deeply")) from None
        except ValueError:
            # Python refuses integers of more than 4,300 digits.
            raise forms.ValidationError(_("holds a number too long to read")) from None
        if not isinstance(data, dict):
            raise forms.ValidationError(_("must be a JSON object"))
        return data


class BacktestForm(forms.Form):
    dataset = forms.ChoiceField(label=_("Historical data set"))

    def __init__(self, *args: Any, datasets: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dataset = cast(forms.ChoiceField, self.fields["dataset"])
        dataset.choices = [(d, d) for d in datasets]


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))
    approved_amount = forms.DecimalField(
        label=_("Approved amount (CNY, optional)"), decimal_places=2, required=False
    )


class ConfirmForm(forms.Form):
    """A second reviewer's answer to an approval over a rule-based reject."""

    outcome = forms.ChoiceField(
        label=_("Override"),
        choices=[("approve", _("Confirm the approval")), ("reject", _("Decline"))],
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))


class RepaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), decimal_places=2, min_value=Decimal("0.01")
    )
    received_on = forms.DateField(label=_("Received on"))
    external_ref = forms.CharField(
        label=_("Bank reference"), max_length=100, required=False
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=200)

    @staticmethod
    def new_key() -> str:
        return f"console-{uuid.uuid4()}"


class SettlementQuoteForm(forms.Form):
    on = forms.DateField(label=_("Settle on"))


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, ID number or mobile"), max_length=60, required=False
    )


class StaffForm(forms.Form):
    username = forms.CharField(label=_("User name (e-mail)"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=list(ROLE_LABELS.items()))
    password = forms.CharField(
        label=_("Initial password"), widget=forms.PasswordInput(render_value=True)
    )

    def clean_username(self) -> str:
        name = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=name).exists():
            raise forms.ValidationError(_("this user already exists"))
        return name

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("password") and data.get("username"):
            user = get_user_model()(username=data["username"], email=data["username"])
            try:
                password_validation.validate_password(data["password"], user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class RoleChangeForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=list(ROLE_LABELS.items()))
    active = forms.BooleanField(label=_("Active"), required=False)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ],
    )


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(e, e) for e in sorted(EVENT_TYPES)],
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("Description"), max_length=200, required=False
    )


class SpendForm(forms.Form):
    # max_digits as the columns (NUMERIC(14,2)) hold; the service checks again.
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": _("enter a month as YYYY-MM")},
        # Months the dashboard can show (its periods stay in this range).
        validators=[
            MinValueValidator(PERIOD_FIRST, _("enter a month from 1900 to 9998")),
            MaxValueValidator(PERIOD_LAST, _("enter a month from 1900 to 9998")),
        ],
    )
    channel = forms.CharField(
        label=_("Acquisition channel (blank: all channels)"),
        max_length=50,
        required=False,
    )
    staff_cost = forms.DecimalField(
        label=_("Staff cost (CNY)"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
    )
    acquisition_spend = forms.DecimalField(
        label=_("Acquisition spend (CNY)"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
