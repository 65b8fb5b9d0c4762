"""Live connectors: HTTP clients for the real data sources.

Each source speaks JSON over HTTPS at a base URL the tenant configures.
The request and answer shapes below are our adapter contract; a
provider's own format is mapped here, in ``payload`` and ``parse``. Calls
time out, are retried on connection errors, timeouts and 5xx answers,
and every failure ends as a ConnectorError (failed, timeout, malformed).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from core.risk.connectors.base import (
    BUREAU,
    FAILED,
    IDENTITY,
    MALFORMED,
    TIMEOUT,
    TURNOVER,
    Applicant,
    Connector,
    ConnectorError,
)


class HttpConnector(Connector):
    """POST a JSON payload to ``base_url + path`` and parse the answer."""

    path: ClassVar[str]

    def __init__(self, *, base_url: str, timeout: float, retries: int) -> None:
        self.url = base_url.rstrip("/") + self.path
        self.timeout = timeout
        self.retries = retries

    def payload(self, applicant: Applicant) -> dict[str, Any]:
        raise NotImplementedError

    def parse(self, data: dict[str, Any], applicant: Applicant) -> dict[str, object]:
        raise NotImplementedError

    def fetch(self, applicant: Applicant) -> dict[str, object]:
        data = self._post(self.payload(applicant))
        try:
            return self.parse(data, applicant)
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise ConnectorError(MALFORMED, f"unexpected answer: {exc}") from None

    def _session(self) -> requests.Session:
        retry = Retry(
            total=self.retries,
            connect=self.retries,
            read=self.retries,
            status=self.retries,
            backoff_factor=0.05,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=None,  # our queries are safe to repeat
            raise_on_status=False,
        )
        session = requests.Session()
        session.mount("http://", HTTPAdapter(max_retries=retry))
        session.mount("https://", HTTPAdapter(max_retries=retry))
        return session

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            with self._session() as session:
                response = session.post(self.url, json=payload, timeout=self.timeout)
        except requests.Timeout:
            raise ConnectorError(TIMEOUT, "no answer in time") from None
        except requests.RequestException as exc:
            if _is_read_timeout(exc):
                raise ConnectorError(TIMEOUT, "no answer in time") from None
            raise ConnectorError(FAILED, type(exc).__name__) from None
        if response.status_code >= 400:
            raise ConnectorError(FAILED, f"HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise ConnectorError(MALFORMED, "answer is not JSON") from None
        if not isinstance(data, dict):
            raise ConnectorError(MALFORMED, "answer is not an object")
        return data


def _is_read_timeout(exc: BaseException) -> bool:
    """Return whether retries ended on a read timeout (requests says
    ConnectionError for that)."""
    for arg in exc.args:
        if isinstance(getattr(arg, "reason", None), ReadTimeoutError):
            return True
    return False


def _whole(data: dict[str, Any], key: str, low: int, high: int) -> int:
    value = data[key]
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not low <= value <= high
    ):
        raise ValueError(f"{key} must be a whole number from {low} to {high}")
    return value


def _amount(data: dict[str, Any], key: str) -> Decimal:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{key} must be an amount")
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{key} must be a finite amount of at least 0")
    return amount


def _flag(data: dict[str, Any], key: str) -> bool:
    value = data[key]
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false")
    return value


def bureau_features(
    *,
    score: int,
    overdue_count: int,
    max_overdue_days: int,
    monthly_debt_service: Decimal,
    monthly_income: Decimal | None,
) -> dict[str, object]:
    """Turn a credit report summary into risk features."""
    dti = None
    if monthly_income:
        dti = (monthly_debt_service / monthly_income).quantize(Decimal("0.0001"))
    return {
        "bureau_score": score,
        "overdue_count": overdue_count,
        "max_overdue_days": max_overdue_days,
        "has_overdue_history": overdue_count > 0,
        "debt_to_income": dti,
    }


class _BureauConnector(HttpConnector):
    kind = BUREAU
    path = "/v1/credit-report"

    def payload(self, applicant: Applicant) -> dict[str, Any]:
        return {"name": applicant.name, "id_number": applicant.reveal("id_number")}

    def parse(self, data: dict[str, Any], applicant: Applicant) -> dict[str, object]:
        return bureau_features(
            score=_whole(data, "score", 0, 1000),
            overdue_count=_whole(data, "overdue_count", 0, 1000),
            max_overdue_days=_whole(data, "max_overdue_days", 0, 100000),
            monthly_debt_service=_amount(data, "monthly_debt_service"),
            monthly_income=applicant.monthly_income,
        )


class PbocCreditConnector(_BureauConnector):
    """PBOC Credit Reference Center (征信中心) personal credit report."""

    name = "pboc"
    cost = Decimal("2.00")


class BaihangCreditConnector(_BureauConnector):
    """Baihang Credit (百行征信) report."""

    name = "baihang"
    cost = Decimal("1.50")


class IdentityConnector(HttpConnector):
    """Match name + ID number + mobile (and bank card when given)."""

    name = "identity"
    kind = IDENTITY
    cost = Decimal("0.50")
    path = "/v1/identity/verify"

    def payload(self, applicant: Applicant) -> dict[str, Any]:
        return {
            "name": applicant.name,
            "id_number": applicant.reveal("id_number"),
            "mobile": applicant.reveal("mobile"),
            "bank_card": applicant.reveal("bank_card") or None,
        }

    def parse(self, data: dict[str, Any], applicant: Applicant) -> dict[str, object]:
        return {"identity_verified": _flag(data, "match")}


class TurnoverConnector(HttpConnector):
    """Payment-app turnover: six months of monthly receipts."""

    name = "turnover"
    kind = TURNOVER
    cost = Decimal("1.00")
    path = "/v1/turnover"

    def payload(self, applicant: Applicant) -> dict[str, Any]:
        return {"id_number": applicant.reveal("id_number"), "months": 6}

    def parse(self, data: dict[str, Any], applicant: Applicant) -> dict[str, object]:
        months = data["monthly_turnover"]
        if not isinstance(months, list) or not months:
            raise ValueError("monthly_turnover must be a non-empty list")
        amounts = [_amount({"m": value}, "m") for value in months]
        return turnover_features(amounts)


def turnover_features(amounts: list[Decimal]) -> dict[str, object]:
    """Verified income is the mean month; stable when no month is off by
    more than 30% from it."""
    mean = sum(amounts, Decimal(0)) / len(amounts)
    stable = mean > 0 and all(abs(a - mean) <= mean * Decimal("0.3") for a in amounts)
    return {
        "verified_income": mean.quantize(Decimal("0.01")),
        "income_stable": stable,
    }
