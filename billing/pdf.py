"""The offline invoice (发票 request) as a PDF.

ReportLab draws it with its built-in Adobe CID font STSong-Light, so Chinese
names need no font file. Imported lazily: the rest of billing runs without
ReportLab installed, and only this page needs it.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.http import HttpResponse

from billing.models import Invoice

FONT = "STSong-Light"


class PdfUnavailable(RuntimeError):
    """ReportLab is not installed."""


def _reportlab():  # type: ignore[no-untyped-def]
    try:
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.pdfgen.canvas import Canvas
    except ImportError as error:
        raise PdfUnavailable("install reportlab to render invoice PDFs") from error
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return A4, Canvas


def invoice_lines(invoice: Invoice) -> list[tuple[str, str]]:
    """Return the label/value pairs printed on the invoice (HTML and PDF)."""
    return [
        ("发票号 Invoice number", invoice.number),
        ("客户 Customer", invoice.tenant.legal_name),
        ("服务 Service", invoice.description),
        ("年度 Fee year", str(invoice.fee_year)),
        ("金额 Amount", f"{invoice.currency} {invoice.amount:,.2f}"),
        ("到期日 Due date", invoice.due_date.isoformat()),
        ("状态 Status", invoice.get_status_display()),
        ("收款账户 Pay to", settings.BILLING_BANK_ACCOUNT),
        ("附言 Transfer reference", invoice.number),
    ]


def invoice_pdf(invoice: Invoice) -> bytes:
    """Render the invoice; raises PdfUnavailable without ReportLab."""
    page_size, canvas_class = _reportlab()
    buffer = io.BytesIO()
    canvas = canvas_class(buffer, pagesize=page_size)
    canvas.setTitle(invoice.number)
    width, height = page_size
    canvas.setFont(FONT, 18)
    canvas.drawString(60, height - 80, f"{settings.BILLING_SELLER_NAME} 技术服务费发票")
    canvas.setFont(FONT, 11)
    y = height - 130
    for label, value in invoice_lines(invoice):
        canvas.drawString(60, y, label)
        canvas.drawString(230, y, value)
        y -= 22
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def invoice_pdf_response(invoice: Invoice) -> HttpResponse:
    """Answer the invoice as a PDF download (501 without ReportLab)."""
    try:
        content = invoice_pdf(invoice)
    except PdfUnavailable as error:
        return HttpResponse(str(error), status=501, content_type="text/plain")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response
