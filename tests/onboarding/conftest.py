from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.cache import cache_clear_own

# Check character computed with GB 32100-2015 (see the identity tests).
VALID_USCC = "91440300MA5F00001A"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _signup_throttle_fresh():
    """Every test signs up from 127.0.0.1: start each with no count."""
    cache_clear_own()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(name: str = "licence.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def application_fields(**overrides: Any) -> dict[str, Any]:
    fields = {
        "legal_name": "深圳市金桥小额贷款有限公司",
        "uscc": VALID_USCC,
        "licence_number": "深金小贷〔2026〕18号",
        "province": "广东省",
        "city": "深圳市",
        "registered_capital": "300000000.00",
        "contact_name": "王经理",
        "mobile": "+86 138 0013 8000",
        "email": "Ops@Example.cn",
        "subdomain": "gamma",
    }
    fields.update(overrides)
    return fields


def application_post(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = application_fields()
    data["licence"] = upload("licence.pdf")
    data["business_registration"] = upload("registration.png", PNG)
    data.update(overrides)
    return data
