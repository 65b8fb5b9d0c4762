"""Registration arguments with valid defaults; override what a test needs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

ID_NUMBER = "11010519491231002X"
OTHER_ID_NUMBER = "440306199001010014"
USCC = "91110000600037341L"
MOBILE = "13812345678"
BANK_CARD = "6222021234567890128"


def registration(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": "individual",
        "name": "张三",
        "id_number": ID_NUMBER,
        "mobile": MOBILE,
        "bank_card": BANK_CARD,
        "province": "北京市",
        "city": "北京市",
        "address": "朝阳区建国路 1 号",
        "monthly_income": Decimal("8500.00"),
        "employer": "某某餐饮店",
        "employment_years": 4,
        "consents": [
            {
                "purpose": "personal_information",
                "text_version": "2026.1",
                "channel": "app",
            }
        ],
        "actor": "officer-li",
    }
    values.update(overrides)
    return values
