"""The applicant gets its private status link and each decision by e-mail."""

from __future__ import annotations

import base64
import datetime
import io
import logging
import shlex
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from onboarding import services
from onboarding.access_log import TokenRedactingLogger
from onboarding.models import LenderApplication
from tests.onboarding.conftest import application_post

pytestmark = pytest.mark.django_db

HOST = {"HTTP_HOST": "localhost"}
PROCFILE = Path(__file__).resolve().parents[2] / "Procfile"


@pytest.fixture
def submitted(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/signup/", application_post(), **HOST)
    return LenderApplication.objects.get()


def test_the_applicant_is_mailed_the_private_status_link(submitted, mailoutbox):
    [mail] = mailoutbox

    assert mail.to == ["ops@example.cn"]
    assert f"/signup/status/{submitted.status_token}/" in mail.body


def test_a_request_for_changes_is_mailed_with_the_reason(
    submitted, mailoutbox, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.application_changes_request(
            application_id=submitted.pk, user=admin_user, reason="licence is blurred"
        )

    mail = mailoutbox[-1]
    assert len(mailoutbox) == 2
    assert "needs changes" in mail.subject
    assert "licence is blurred" in mail.body
    assert submitted.status_token in mail.body


def test_a_rejection_is_mailed_with_the_reason(
    submitted, mailoutbox, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.application_reject(
            application_id=submitted.pk, user=admin_user, reason="no licence"
        )

    mail = mailoutbox[-1]
    assert "not approved" in mail.subject
    assert "no licence" in mail.body


def _access_line(path: str, **environ_extra: str) -> str:
    config = Config()
    config.set("accesslog", "-")
    logger = TokenRedactingLogger(config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.access_log.handlers = [handler]
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"http://localhost{path}",
        "REMOTE_ADDR": "127.0.0.1",
        **environ_extra,
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ, datetime.timedelta(0))
    return stream.getvalue()


def test_the_access_log_leaves_the_status_token_out():
    line = _access_line("/signup/status/s3cret-Token_x/")

    assert "s3cret-Token_x" not in line
    assert "/signup/status/[token]/" in line


KEY = "jq_live_c48082a1ae2d_-AkKAJIyYuZyuwyhFsfUTSfMJ4NdZxPT8kkJ0__bENE"


def test_the_access_log_leaves_an_api_keys_secret_out():
    basic = base64.b64encode(f"{KEY}:".encode()).decode()

    as_user = _access_line("/api/v1/products", HTTP_AUTHORIZATION=f"Basic {basic}")
    in_query = _access_line(f"/api/v1/products?api_key={KEY}")

    for line in (as_user, in_query):
        assert "AkKAJIyYuZ" not in line
        assert "jq_live_c48082a1ae2d_[secret]" in line


def test_the_access_log_masks_personal_data_in_a_search():
    by_id = _access_line("/console/loans/?q=110105199003071028")
    by_mobile = _access_line("/console/loans/?q=13912345602&format=csv")

    assert "110105199003071028" not in by_id and "110105********1028" in by_id
    assert "13912345602" not in by_mobile and "139****5602" in by_mobile


def test_the_access_log_masks_an_id_number_after_an_escaped_character():
    # 张三 then the ID: the escape of 三 ends in digits that joined the ID's.
    line = _access_line("/api/v1/borrowers/%E5%BC%A0%E4%B8%89110105199202020039")

    assert "199202020039" not in line
    assert "%B8%89110105********0039" in line


def test_the_web_process_uses_the_redacting_access_logger():
    web = next(
        line for line in PROCFILE.read_text().splitlines() if line.startswith("web:")
    )
    args = shlex.split(web.split(":", 1)[1])

    assert "--access-logfile" in args
    logger_class = args[args.index("--logger-class") + 1]
    assert logger_class == "onboarding.access_log.TokenRedactingLogger"
