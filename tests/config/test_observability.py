"""Log records carry tenant and request id; personal data never leaves."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from django_tenants.utils import tenant_context

from config.context import request_id
from config.logging import ContextFilter, JsonFormatter, PersonalDataFilter
from config.observability import _scrub


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(
        "jinqiao.test", logging.INFO, __file__, 1, message, args, None
    )


@pytest.mark.django_db
def test_records_are_stamped_with_tenant_and_request_id(tenant_a):
    token = request_id.set("req-7")
    try:
        with tenant_context(tenant_a):
            record = _record("loan disbursed")
            ContextFilter().filter(record)
    finally:
        request_id.reset(token)

    assert record.tenant == "t_alpha"
    assert record.request_id == "req-7"


def test_personal_data_is_masked_in_log_output():
    record = _record("borrower %s phone %s", "11010519491231002X", "13812345678")

    PersonalDataFilter().filter(record)

    text = record.getMessage()
    assert "11010519491231002X" not in text
    assert "13812345678" not in text
    assert "110105" in text


def test_sentry_events_lose_request_bodies_and_users():
    event = {
        "request": {"data": {"id_number": "11010519491231002X"}, "cookies": "s=1"},
        "user": {"email": "x@y.z"},
    }

    scrubbed = _scrub(event, {})

    assert "data" not in scrubbed["request"]
    assert "user" not in scrubbed
    assert "tenant" in scrubbed["tags"]


def test_json_log_lines_mask_personal_data_in_tracebacks():
    try:
        raise ValueError("bad id 11010519491231002X")
    except ValueError:
        record = logging.LogRecord(
            "jinqiao.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    record.tenant = record.request_id = "-"

    line = JsonFormatter("%(message)s %(tenant)s").format(record)

    assert "11010519491231002X" not in line
    assert "bad id 110105" in line


def test_json_log_lines_mask_tracebacks_given_as_lists_of_lines():
    """With exc_info_as_array the formatter gets a list, not a string (the
    masking raised TypeError on it and the record was lost)."""
    try:
        raise ValueError("bad id 11010519491231002X")
    except ValueError:
        record = logging.LogRecord(
            "jinqiao.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    record.tenant = record.request_id = "-"
    formatter = JsonFormatter("%(message)s %(tenant)s", exc_info_as_array=True)

    line = formatter.format(record)

    assert "11010519491231002X" not in line
    assert "bad id 110105" in line


@pytest.mark.parametrize("name", ["django.request", "django.server", "django"])
def test_djangos_loggers_only_write_through_the_masking_handler(name):
    """Django's defaults gave its loggers an unfiltered handler of their own
    (with DEBUG on, "Not Found: <path>" came out in clear)."""
    logger = logging.getLogger(name)
    chain = []
    while logger is not None:
        chain.append(logger)
        logger = logger.parent if logger.propagate else None

    handlers = [
        h
        for each in chain
        for h in each.handlers
        if not type(h).__module__.startswith("_pytest")  # pytest's capture
    ]

    assert handlers, "nothing would be written"
    for handler in handlers:
        names = [type(f).__name__ for f in handler.filters]
        assert "PersonalDataFilter" in names, (handler, names)


def test_django_not_found_log_masks_an_id_number_after_a_chinese_name():
    """Django logs the path with \\u escapes (张三 is \\u5f20\\u4e09), whose
    last digits joined the ID's into a 20-digit run the masker left alone."""
    from django.http import HttpResponseNotFound
    from django.test import RequestFactory
    from django.utils.log import log_response

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    request = RequestFactory().get("/api/v1/borrowers/张三110105199202020039")
    try:
        log_response(
            "Not Found: %s",
            request.path,
            response=HttpResponseNotFound(),
            request=request,
        )
    finally:
        logger.removeHandler(handler)

    line = stream.getvalue()
    assert "199202020039" not in line
    assert "\\u4e09110105********0039" in line
