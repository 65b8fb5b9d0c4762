"""Bad input of every kind is a 4xx with a reason, and nothing is written."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import tenant_context

from apiv1.models import IdempotencyRecord
from core.borrowers.models import Borrower
from core.loans.models import Repayment
from core.loans.services import loan_disburse
from tests.apiv1.factories import api_policy, borrower_body, loan_approved_make
from tests.core.risk.factories import activate, connectors_off

pytestmark = pytest.mark.django_db


def _counts(tenant) -> tuple[int, int, int]:
    with tenant_context(tenant):
        return (
            Borrower.objects.count(),
            Repayment.objects.count(),
            IdempotencyRecord.objects.count(),
        )


def _active_loan(tenant):
    with tenant_context(tenant):
        loan = loan_approved_make()
        loan_disburse(loan_id=loan.pk, on=loan.contract_date, idempotency_key="d")
        return loan


BAD_BODIES = [
    ("malformed json", "{not json", "application/json", 400, "malformed_json"),
    ("truncated json", '{"amount": "1.00"', "application/json", 400, "malformed_json"),
    ("NaN", '{"amount": NaN}', "application/json", 400, "malformed_json"),
    (
        "wrong content type",
        "amount=1",
        "application/x-www-form-urlencoded",
        415,
        "unsupported_media_type",
    ),
    ("text body", '{"amount": "1.00"}', "text/plain", 415, "unsupported_media_type"),
    ("wrong type", '{"amount": "lots"}', "application/json", 422, "invalid_input"),
    ("boolean amount", '{"amount": true}', "application/json", 422, "invalid_input"),
    ("huge number", '{"amount": 1e400}', "application/json", 422, "invalid_input"),
    (
        "huge integer",
        '{"amount": ' + "9" * 40 + "}",
        "application/json",
        422,
        "invalid_input",
    ),
    (
        "very long integer",
        '{"amount": ' + "9" * 5000 + "}",
        "application/json",
        400,
        "malformed_json",
    ),
    (
        "integer of 41 digits",
        '{"amount": ' + "9" * 41 + "}",
        "application/json",
        400,
        "malformed_json",
    ),
    (
        "huge exponent",
        '{"amount": 1e999999999}',
        "application/json",
        400,
        "malformed_json",
    ),
    (
        "exponent beyond a decimal's",
        '{"amount": 1e99999999999999999999}',
        "application/json",
        400,
        "malformed_json",
    ),
    (
        "tiny exponent",
        '{"amount": -1e-999999999}',
        "application/json",
        400,
        "malformed_json",
    ),
    (
        "very long decimal",
        '{"amount": 1.' + "5" * 2000 + "}",
        "application/json",
        400,
        "malformed_json",
    ),
    (
        "negative amount",
        '{"amount": "-5.00"}',
        "application/json",
        422,
        "invalid_input",
    ),
    ("zero amount", '{"amount": 0}', "application/json", 422, "invalid_input"),
    (
        "fractions of a cent",
        '{"amount": "1.001"}',
        "application/json",
        422,
        "invalid_input",
    ),
    (
        "unknown field",
        '{"amount": "1.00", "fee_waived": true}',
        "application/json",
        422,
        "invalid_input",
    ),
    ("array body", '[{"amount": "1.00"}]', "application/json", 422, "invalid_input"),
    ("empty body", "", "application/json", 400, "malformed_json"),
    (
        "bad date",
        '{"amount": "1.00", "received_on": "2027-02-30"}',
        "application/json",
        422,
        "invalid_input",
    ),
    (
        "NUL in a string",
        '{"amount": "1.00", "external_ref": "a\\u0000b"}',
        "application/json",
        422,
        "invalid_input",
    ),
    (
        "NUL in a key",
        '{"amount": "1.00", "a\\u0000": 1}',
        "application/json",
        422,
        "invalid_input",
    ),
]


@pytest.mark.parametrize(
    "body,content_type,status,code",
    [case[1:] for case in BAD_BODIES],
    ids=[case[0] for case in BAD_BODIES],
)
def test_bad_repayment_bodies_are_refused_and_write_nothing(
    api_a, tenant_a, body, content_type, status, code
):
    loan = _active_loan(tenant_a)
    before = _counts(tenant_a)

    response = api_a.call(
        "POST",
        f"/loans/{loan.pk}/repayments",
        body,
        content_type=content_type,
        **{"Idempotency-Key": f"bad-{code}"},
    )

    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert _counts(tenant_a) == before


def test_unknown_and_invalid_borrower_fields_are_named(api_a, tenant_a):
    before = _counts(tenant_a)

    unknown = api_a.post("/borrowers", borrower_body(credit_limit="1.00"))
    bad_id = api_a.post("/borrowers", borrower_body(id_number="110105199001010000"))
    no_consent = api_a.post("/borrowers", borrower_body(consents=[]))
    bad_income = api_a.post("/borrowers", borrower_body(monthly_income="-1.00"))

    assert unknown.status_code == 422
    assert "credit_limit" in unknown.json()["error"]["fields"]
    assert bad_id.status_code == 422
    assert "id_number" in bad_id.json()["error"]["fields"]
    assert no_consent.status_code == 422
    assert "consents" in no_consent.json()["error"]["fields"]
    assert bad_income.status_code == 422
    assert "monthly_income" in bad_income.json()["error"]["fields"]
    assert _counts(tenant_a) == before


def test_bad_query_values_are_422_not_500(api_a):
    assert api_a.get("/loans?limit=100000").status_code == 422
    assert api_a.get("/loans?cursor=not-a-cursor").status_code == 422
    assert api_a.get("/loans?status=bogus").status_code == 422
    assert api_a.get("/loans?created_after=yesterday").status_code == 422
    assert api_a.get("/loans/99999999999999999999999").status_code == 404
    odd_offset = "0704-01-05T18:57:12-23:03"
    assert api_a.get(f"/applications?created_before={odd_offset}").status_code == 422
    assert (
        api_a.get("/loans?created_after=0001-01-01T00:00:00%2B14:00").status_code == 422
    )
    assert (
        api_a.get("/loans?created_after=2027-01-01T00:00:00-23:59").status_code == 200
    )
    assert api_a.get("/loans/1/settlement-quote?on=0001-01-01").status_code == 422


def test_unknown_paths_and_ids_are_404_in_the_error_shape(api_a):
    for path in ("/nothing-here", "/loans/987654321", "/borrowers/987654321"):
        response = api_a.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_nul_characters_anywhere_are_422_naming_the_field(api_a, tenant_a):
    before = _counts(tenant_a)

    in_body = api_a.post("/borrowers", borrower_body(name="王\u0000五"))
    in_query = api_a.get("/events?type=a%00b")
    in_path = api_a.get("/products/work%00")

    assert in_body.status_code == 422
    assert in_body.json()["error"]["fields"] == {
        "name": "must not contain a NUL character"
    }
    assert in_query.status_code == 422
    assert "type" in in_query.json()["error"]["fields"]
    assert in_path.status_code == 422
    assert "path" in in_path.json()["error"]["fields"]
    assert _counts(tenant_a) == before


@pytest.fixture
def tiny_policy_a(tenant_a):
    with tenant_context(tenant_a):
        connectors_off()
        activate(api_policy())


INSTANT_TERMS = {"product_code": "working-capital", "amount": "10000.00", "term": 6}


def _instant_raw(declared: str) -> str:
    """An instant body as raw JSON text, ``declared`` spliced in as is."""
    import json

    body = json.dumps(
        {"borrower": borrower_body(), "application": INSTANT_TERMS},
        ensure_ascii=False,
    )
    return body[:-2] + f', "declared": {declared}}}}}'


@pytest.mark.parametrize(
    ("declared", "field"),
    [
        ('{"\\ud83d": 1}', "application.declared"),  # half a pair as a key
        ('{"housing": "\\ud83d"}', "application.declared.housing"),
        ('{"housing": "x\\udc00y"}', "application.declared.housing"),
    ],
)
@pytest.mark.parametrize("with_key", [False, True])
def test_half_a_surrogate_pair_is_422_naming_the_field(
    api_a, tenant_a, declared, field, with_key
):
    before = _counts(tenant_a)
    headers = {"Idempotency-Key": f"surrogate-{field}"} if with_key else {}

    response = api_a.post("/applications/instant", _instant_raw(declared), **headers)
    batch = api_a.post(
        "/applications/batch",
        '{"applications": [' + _instant_raw(declared) + "]}",
        **headers,
    )

    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"] == {
        field: "must not contain half of a UTF-16 surrogate pair"
    }
    assert batch.status_code == 422, batch.content
    assert list(batch.json()["error"]["fields"]) == [f"applications[0].{field}"]
    assert _counts(tenant_a) == before


def test_half_a_surrogate_pair_as_raw_bytes_is_422_too(api_a, tenant_a):
    """json.loads reads bytes with surrogatepass: UTF-8 bytes ED A0 BD (and a
    UTF-16 body) carry half a pair without any escape to see."""
    before = _counts(tenant_a)
    body = _instant_raw('{"housing": 1}').encode().replace(b"housing", b"\xed\xa0\xbd")

    response = api_a.post("/applications/instant", body, **{"Idempotency-Key": "raw-1"})
    utf16 = api_a.post(
        "/applications/instant", _instant_raw('{"\\ud83d": 1}').encode("utf-16")
    )

    for refused in (response, utf16):
        assert refused.status_code == 422, refused.content
        assert refused.json()["error"]["fields"] == {
            "application.declared": "must not contain half of a UTF-16 surrogate pair"
        }
    assert _counts(tenant_a) == before


def test_a_whole_surrogate_pair_is_one_character(api_a, tenant_a, tiny_policy_a):
    body = _instant_raw("{}").replace("王小明", "\\ud83d\\ude00王")

    response = api_a.post("/applications/instant", body)

    assert response.status_code == 201, response.content
    with tenant_context(tenant_a):
        stored = Borrower.objects.get(pk=response.json()["borrower_id"])
    assert stored.name == "\U0001f600王"


def test_a_body_over_the_upload_limit_is_413(api_a, tenant_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = _counts(tenant_a)

    response = api_a.post("/borrowers", borrower_body(address="x" * 2000))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert _counts(tenant_a) == before


def test_the_bare_api_root_is_a_json_404(client):
    response = client.get("/api/v1/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_method_a_path_does_not_take_is_405_in_the_error_shape(api_a):
    response = api_a.call("PUT", "/applications/batch", {})
    on_instant = api_a.get("/applications/instant")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response.json()["error"]["fields"] == {"method": "PUT"}
    assert "POST" in response["Allow"]
    assert on_instant.status_code == 405
    assert on_instant.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("", 400, None),
        ("  ", 400, None),
        ("[]", 422, "body"),
        ("null", 422, "body"),
        ("7", 422, "body"),
    ],
)
def test_an_empty_or_non_object_body_is_refused_clearly(
    api_a, tenant_a, body, status, field
):
    before = _counts(tenant_a)

    response = api_a.post("/applications/instant", body)

    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == ("malformed_json" if status == 400 else "invalid_input")
    assert list(error["fields"]) == ([field] if field else [])
    assert _counts(tenant_a) == before


@pytest.mark.parametrize("amount", ["1_0000", " 10000 ", "１００００", "10000.00x"])
def test_an_amount_is_a_plain_number(api_a, tenant_a, amount):
    body = {
        "borrower": borrower_body(),
        "application": {**INSTANT_TERMS, "amount": amount},
    }

    response = api_a.post("/applications/instant", body)

    assert response.status_code == 422, response.content
    assert "application.amount" in response.json()["error"]["fields"]


@pytest.mark.parametrize("income", ["1_0000", " 10000 ", "１００００", "٩٠٠٠", "1e4x"])
def test_a_declared_amount_is_a_plain_number(api_a, tenant_a, income):
    body = {
        "borrower": borrower_body(),
        "application": {**INSTANT_TERMS, "declared": {"declared_income": income}},
    }

    response = api_a.post("/applications/instant", body)

    assert response.status_code == 422, response.content
    assert "application.declared.declared_income" in response.json()["error"]["fields"]


def test_head_answers_as_get_without_the_body(api_a):
    listed = api_a.get("/products")

    head = api_a.call("HEAD", "/products")

    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Length"] == str(len(listed.content))
    assert head["Content-Type"] == listed["Content-Type"]


def test_head_on_a_path_that_takes_no_get_is_405(api_a):
    response = api_a.call("HEAD", "/applications/instant")

    assert response.status_code == 405
    assert response.content == b""
    assert response["Allow"] == "POST"


@pytest.mark.parametrize(
    "path", ["/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/assets/x.js"]
)
@pytest.mark.parametrize("method", ["post", "delete", "put"])
def test_the_documents_take_only_reading(client, path, method):
    response = getattr(client, method)(path)

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, HEAD"


def test_the_openapi_document_answers_head(client):
    response = client.head("/api/v1/openapi.json")

    assert response.status_code == 200
    assert int(response["Content-Length"]) > 1000


def test_a_huge_exponent_in_declared_features_is_refused_at_once(api_a, tenant_a):
    before = _counts(tenant_a)
    body = {
        "borrower": borrower_body(),
        "application": {**INSTANT_TERMS, "declared": {"declared_income": 1e999999999}},
    }
    raw = json.dumps(body).replace("Infinity", "1e999999999")

    response = api_a.post("/applications/instant", raw)

    assert response.status_code == 400
    assert "out of range" in response.json()["error"]["message"]
    assert _counts(tenant_a) == before


@pytest.mark.parametrize(
    "path",
    ["/api", "/api/", "/api/v1", "/api/v2/products", "/api/v1/docs/assets/nope.js"],
)
def test_unknown_api_paths_are_json_404s(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_path_that_answers_no_get_is_not_offered_as_a_document(client):
    response = client.post("/api/v1/docs/assets/")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("value", "reason"),
    [({"a": 1}, "must be text, a number"), ("x" * 201, "at most 200 characters")],
)
def test_a_declared_value_is_refused_under_its_own_name(api_a, tenant_a, value, reason):
    before = _counts(tenant_a)
    body = {
        "borrower": borrower_body(),
        "application": {**INSTANT_TERMS, "declared": {"declared_income": value}},
    }

    response = api_a.post("/applications/instant", body)

    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["application.declared.declared_income"]
    assert reason in fields["application.declared.declared_income"]
    assert len(response.content) < 2000  # the value is not echoed back
    assert _counts(tenant_a) == before


def test_a_declared_feature_name_is_limited_and_not_echoed(api_a):
    body = {
        "borrower": borrower_body(),
        "application": {**INSTANT_TERMS, "declared": {"x" * 100_000: 1}},
    }

    response = api_a.post("/applications/instant", body)

    assert response.status_code == 422
    assert len(response.content) < 2000


@pytest.mark.parametrize(
    "number", ["1e99999999999999999999", "-1e-99999999999999999999"]
)
def test_an_exponent_beyond_any_decimal_is_out_of_range(api_a, number):
    response = api_a.post("/borrowers", '{"monthly_income": ' + number + "}")

    assert response.status_code == 400
    assert "out of range" in response.json()["error"]["message"]


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/v1/borrowers/1", "/api/v1/nowhere", "/api/"])
def test_an_unknown_host_is_a_400_in_the_error_shape(api_a, settings, debug, path):
    settings.DEBUG = debug

    response = api_a.client.get(path, headers={**api_a.headers, "Host": "evil.com"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "invalid_host"
    assert response.json()["error"]["fields"] == {}


def test_an_unknown_host_outside_the_api_keeps_djangos_page(client):
    response = client.get("/console/", headers={"Host": "evil.com"})

    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "path, name",
    [
        ("/events?created_after=2030-01-01", "created_after"),
        ("/loans?created_afer=2030-01-01T00:00:00Z", "created_afer"),
        ("/products?status=active", "status"),
        ("/loans/1?verbose=1", "verbose"),
        ("/portfolio?as_of=2027-01-01", "as_of"),
    ],
)
def test_an_unknown_query_parameter_is_refused_naming_it(api_a, path, name):
    response = api_a.get(path)

    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "invalid_input"
    assert name in response.json()["error"]["fields"]


def test_an_unknown_query_parameter_on_a_post_is_refused(api_a):
    response = api_a.post("/loans/quote?dry_run=1", {"product_code": "x"})

    assert response.status_code == 422
    assert "dry_run" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "path, name",
    [
        ("/applications?status=approved&status=rejected", "status"),
        ("/events?limit=5&limit=500", "limit"),
    ],
)
def test_a_query_parameter_given_twice_is_refused_naming_it(api_a, path, name):
    response = api_a.get(path)

    assert response.status_code == 422, response.content
    assert "more than once" in response.json()["error"]["fields"][name]


def test_known_query_parameters_still_work(api_a):
    response = api_a.get("/events?limit=5&type=loan.created")

    assert response.status_code == 200, response.content


def test_an_unknown_event_type_is_refused_listing_the_known_ones(api_a):
    response = api_a.get("/events?type=bogus")

    assert response.status_code == 422
    assert "loan.overdue" in response.json()["error"]["fields"]["type"]


@pytest.mark.parametrize("field", ["name", "mobile", "city", "province", "address"])
def test_a_borrower_text_field_takes_no_null_and_the_schema_says_so(
    api_a, client, field
):
    from tests.apiv1.factories import borrower_body

    borrower = api_a.post("/borrowers", borrower_body()).json()
    document = client.get("/api/v1/openapi.json").json()
    patch = document["components"]["schemas"]["BorrowerPatch"]["properties"][field]

    response = api_a.patch(f"/borrowers/{borrower['id']}", {field: None})

    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert "anyOf" not in patch and patch.get("type") == "string"


def test_a_date_must_be_yyyy_mm_dd_not_a_unix_time(api_a, tenant_a):
    """QA: received_on 1795132800 was read as 2026-11-20."""
    loan = _active_loan(tenant_a)
    before = _counts(tenant_a)

    body = api_a.post(
        f"/loans/{loan.pk}/repayments",
        {"amount": "1.00", "received_on": 1795132800},
        **{"Idempotency-Key": "unix-time"},
    )
    query = api_a.get(f"/loans/{loan.pk}/settlement-quote?on=1795132800")

    for response, field in ((body, "received_on"), (query, "on")):
        assert response.status_code == 422, response.content
        assert "YYYY-MM-DD" in response.json()["error"]["fields"][field]
    assert _counts(tenant_a) == before
