"""The sign-up form: renders fields and shows the service's refusals.

Validation lives in onboarding.validation and onboarding.documents (shared
with the JSON endpoint); the form only carries values and errors.
"""

from __future__ import annotations

from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput
from onboarding.validation import MAINLAND_PROVINCES

ACCEPT = "application/pdf,image/png,image/jpeg"


class ApplicationForm(forms.Form):
    legal_name = forms.CharField(label=_("Legal name"), max_length=200, required=False)
    uscc = forms.CharField(
        label=_("Unified social credit code"), max_length=30, required=False
    )
    licence_number = forms.CharField(
        label=_("Small-loan licence number"), max_length=60, required=False
    )
    province = forms.ChoiceField(
        label=_("Licensed province"),
        choices=[("", "---")] + [(p, p) for p in MAINLAND_PROVINCES],
        required=False,
    )
    city = forms.CharField(label=_("City"), max_length=40, required=False)
    registered_capital = forms.CharField(
        label=_("Registered capital (CNY)"), max_length=20, required=False
    )
    contact_name = forms.CharField(
        label=_("Contact person"), max_length=100, required=False
    )
    mobile = forms.CharField(label=_("Mobile"), max_length=20, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    subdomain = forms.CharField(
        label=_("Desired sub-domain"),
        max_length=40,
        required=False,
        help_text=_("3-30 lowercase letters, digits or hyphens"),
    )
    licence = forms.FileField(
        label=_("Small-loan licence (PDF, PNG or JPEG, at most 5 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    business_registration = forms.FileField(
        label=_("Business registration (PDF, PNG or JPEG, at most 5 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def refusal_show(self, error: InvalidInput) -> None:
        """Attach each refused field's reason to that field."""
        self.is_valid()  # binds cleaned_data, which add_error needs
        # The service's refusals are the ones shown, each once.
        self._errors = ErrorDict()
        for field, reason in error.fields.items():
            self.add_error(field if field in self.fields else None, reason)
        if not error.fields:
            self.add_error(None, error.message)
