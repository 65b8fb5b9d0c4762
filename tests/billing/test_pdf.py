"""The offline invoice as a PDF (skipped only where ReportLab is missing)."""

from __future__ import annotations

import pytest

from billing.dunning import dunning_run
from billing.models import Invoice
from tests.billing.conftest import START

pytestmark = pytest.mark.django_db


def test_the_offline_invoice_renders_as_a_pdf(offline_subscription):
    pytest.importorskip("reportlab")
    from billing.pdf import invoice_pdf

    dunning_run(today=START)
    invoice = Invoice.objects.get(tenant=offline_subscription.tenant)

    content = invoice_pdf(invoice)

    assert content.startswith(b"%PDF-")
    assert invoice.number.encode() in content
