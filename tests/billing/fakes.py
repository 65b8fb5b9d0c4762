"""A Stripe stand-in: the real SDK talks to this instead of the network.

It answers like Stripe's API with Stripe-shaped JSON, keeps the objects it
made so a later GET re-reads them, and replays the first answer for a
repeated Idempotency-Key, as Stripe does.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

WEBHOOK_SECRET = "whsec_test_only"


class FakeStripe(stripe.HTTPClient):
    name = "fake"

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str, str | None, dict[str, str]]] = []
        self.objects: dict[str, dict[str, Any]] = {}
        self._replies: dict[str, tuple[str, int, dict[str, str]]] = {}
        self._ids = itertools.count(1)

    def request(self, method, url, headers, post_data=None, *, _usage=None):  # type: ignore[override]
        path = urlsplit(url).path
        params = dict(parse_qsl(post_data or urlsplit(url).query))
        key = (headers or {}).get("Idempotency-Key")
        self.calls.append((method.upper(), path, key, params))
        if key and key in self._replies:
            return self._replies[key]
        body, status = self._answer(method.upper(), path, params)
        reply = (json.dumps(body), status, {"Request-Id": f"req_{next(self._ids)}"})
        if key:
            self._replies[key] = reply
        return reply

    def close(self) -> None:
        return None

    def _make(self, prefix: str, obj: str, **fields: Any) -> dict[str, Any]:
        made = {"id": f"{prefix}_{next(self._ids)}", "object": obj, **fields}
        self.objects[made["id"]] = made
        return made

    def _answer(
        self, method: str, path: str, params: dict[str, str]
    ) -> tuple[Any, int]:
        parts = path.strip("/").split("/")[1:]  # drop "v1"
        metadata = {
            k[len("metadata[") : -1]: v
            for k, v in params.items()
            if k.startswith("metadata[")
        }
        if method == "POST" and parts == ["customers"]:
            return self._make(
                "cus", "customer", name=params.get("name"), metadata=metadata
            ), 200
        if method == "POST" and parts == ["prices"]:
            return self._make(
                "price", "price", unit_amount=int(params["unit_amount"])
            ), 200
        if method == "POST" and parts == ["invoices"]:
            invoice = self._make(
                "in",
                "invoice",
                status="draft",
                customer=params.get("customer"),
                collection_method=params.get("collection_method"),
                metadata=metadata,
                amount_due=0,
            )
            return invoice, 200
        if method == "POST" and parts == ["invoiceitems"]:
            invoice = self.objects[params["invoice"]]
            invoice["amount_due"] += int(params["amount"])
            return self._make("ii", "invoiceitem", amount=int(params["amount"])), 200
        if len(parts) == 3 and parts[0] == "invoices" and method == "POST":
            invoice = self.objects[parts[1]]
            if parts[2] == "finalize" and invoice["status"] == "draft":
                invoice["status"] = "open"
            return invoice, 200
        if len(parts) == 2 and method == "GET" and parts[1] in self.objects:
            return self.objects[parts[1]], 200
        return {"error": {"type": "invalid_request_error", "message": path}}, 404

    def status_set(self, object_id: str, status: str) -> None:
        """Change an object as Stripe would after a payment or a dunning step."""
        self.objects[object_id]["status"] = status

    def keys(self) -> list[str | None]:
        return [key for method, _, key, _ in self.calls if method == "POST"]


def event_payload(event_id: str, event_type: str, obj: dict[str, Any]) -> str:
    """A Stripe event as delivered; its object is a possibly stale snapshot."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "api_version": "2025-09-30.clover",
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }
    )


def signature(payload: str, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """Sign exactly as Stripe does: v1 = HMAC-SHA256 of "{t}.{payload}"."""
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"
