"""Browser journeys with Playwright driving headless Chromium.

The server is Django's WSGI app in a thread of this process, sharing the
test's database connection, so every journey runs inside the test's
transaction and is rolled back (docs/adr/0010-console.md).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connections

from core.products.services import product_create
from tests.core.loans.factories import loan_active_make
from tests.frontend.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent"),
]


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def live_url(in_tenant_a) -> Iterator[str]:
    """Serve the app on 127.0.0.1 from a thread using this test's connection."""
    connection = connections["default"]
    connection.inc_thread_sharing()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    server = make_server("127.0.0.1", 0, WSGIHandler(), WSGIServer, _Quiet)

    def serve() -> None:
        connections["default"] = connection
        server.serve_forever(poll_interval=0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://alpha.localhost:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        connection.dec_thread_sharing()


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM
    # calls of the test itself are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    # Inside sync_playwright an event loop runs, so Django resolves
    # connections in a new async context and would open a second,
    # autocommitting connection: the test's writes would escape its
    # transaction and persist. Keep using the test's own connection.
    test_connection = connections["default"]
    with sync_playwright() as p:
        connections["default"] = test_connection
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def _signed_in(browser, url: str, username: str):
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/console/")
    return page


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_sign_in_and_read_the_dashboard_then_switch_language(browser, live_url, staff):
    page = _signed_in(browser, live_url, staff("finance").username)
    assert page.locator("h1").inner_text() == "仪表盘"
    assert page.locator("#pnl-net").is_visible()
    with page.expect_navigation():  # the select submits its form on change
        page.select_option("#language-form select", "en")
    assert page.locator("h1").inner_text() == "Dashboard"
    _shot(page, "dashboard_english")


def test_configure_and_activate_a_product_with_two_users(browser, live_url, staff):
    maker, checker = staff("risk_analyst"), staff("admin")
    draft = product_create(
        code="browser-emergency",
        name="急用贷",
        terms={
            "amount_min": Decimal("1000"),
            "amount_max": Decimal("5000"),
            "term_unit": "day",
            "term_min": 7,
            "term_max": 30,
            "method": "bullet",
            "annual_rate": Decimal("0.18"),
        },
        actor=maker.username,
    )
    page = _signed_in(browser, live_url, maker.username)
    page.goto(f"{live_url}/console/products/versions/{draft.pk}/")
    page.fill("input[name=annual_rate]", "0.150000")
    page.click("button[name=save]")
    page.click("#submit-version")
    page.close()
    page = _signed_in(browser, live_url, checker.username)
    page.goto(f"{live_url}/console/products/versions/{draft.pk}/")
    page.click("#approve-version")
    assert "15.00%" in page.locator("#annual-rate").inner_text()
    draft.refresh_from_db()
    assert draft.status == "active" and draft.approved_by == checker.username
    _shot(page, "product_activated")


def test_record_a_repayment(browser, live_url, staff):
    from core.loans.services import business_date_current

    loan = loan_active_make(contract_date=business_date_current())
    page = _signed_in(browser, live_url, staff("collector").username)
    page.goto(f"{live_url}/console/loans/{loan.pk}/")
    page.fill("input[name=amount]", "123.45")
    page.fill("input[name=external_ref]", "BANK-REF-777")
    page.click("#repayment-form button[type=submit]")
    assert "BANK-REF-777" in page.locator("#repayments").inner_text()
    assert loan.repayments.get().amount == Decimal("123.45")
    _shot(page, "repayment_recorded")
