"""The open API's consent contract (PIPL): ``data_purposes`` on scenarios, ``customer.consent``
on ``POST offers/`` and ``POST consents/withdraw/``."""

from __future__ import annotations

import pytest

from scenarios.models import Consent, OfferRecord
from scenarios.services import offer_log_flush

from .factories import auth, issue
from .test_scenarios import make_scenario

pytestmark = pytest.mark.django_db
PURPOSES = ["offer_personalisation", "credit_pre_assessment"]
CONSENT = {"id": "cns-1", "purposes": PURPOSES, "granted_at": "2026-01-05T09:30:00+08:00"}


@pytest.fixture
def travel(acme):
    scenario = make_scenario(acme, "travel-finance")
    scenario.data_purposes = PURPOSES
    scenario.save(update_fields=["data_purposes"])
    return scenario


def offers(api, key, **body):
    body = {"scenario": "travel-finance", "event": "booking.created", "amount": "1000.00", **body}
    return api.post("/api/v1/offers/", body, format="json", **auth(key))


def withdraw(api, key, **body):
    return api.post("/api/v1/consents/withdraw/", body, format="json", **auth(key))


def test_scenarios_show_their_data_purposes_with_the_data_use_text(api, acme_key, travel):
    (item,) = api.get("/api/v1/scenarios/", **auth(acme_key.key)).json()["results"]
    assert item["data_purposes"] == PURPOSES
    assert item["data_shared"] == travel.data_shared
    assert item["data_purpose"] == travel.data_purpose
    assert (
        api.get("/api/v1/scenarios/travel-finance/", **auth(acme_key.key)).json()["data_purposes"] == PURPOSES
    )


def test_a_standard_request_without_a_customer_needs_no_consent(api, acme_key, travel):
    assert offers(api, acme_key.key).status_code == 200
    assert offers(api, acme_key.key, segment="standard").status_code == 200


def test_a_customer_without_consent_is_a_400_naming_customer_consent_and_the_purposes(api, acme_key, travel):
    response = offers(api, acme_key.key, customer={"ref": "member-1"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == ["customer.consent"]
    assert error["details"] == {"purposes_missing": PURPOSES}
    assert "offer_personalisation, credit_pre_assessment" in error["message"]


def test_a_consent_not_covering_the_purposes_is_a_400_naming_the_missing_ones(api, acme_key, travel):
    consent = {**CONSENT, "purposes": ["offer_personalisation"]}
    response = offers(api, acme_key.key, customer={"ref": "member-1", "consent": consent})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "consent_not_covering"
    assert "customer.consent" in error["fields"]
    assert error["details"] == {"purposes_missing": ["credit_pre_assessment"]}
    assert "credit_pre_assessment" in error["message"]


def test_a_segment_other_than_standard_needs_the_consent_too(api, acme_key, travel):
    response = offers(api, acme_key.key, segment="vip")
    assert response.status_code == 400
    assert "customer.consent" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("consent", "field"),
    [
        ({**CONSENT, "purposes": ["selling_data"]}, "customer.consent.purposes.0"),
        ({**CONSENT, "purposes": []}, "customer.consent.purposes"),
        ({**CONSENT, "purposes": "marketing"}, "customer.consent.purposes"),
        ({**CONSENT, "granted_at": "yesterday"}, "customer.consent.granted_at"),
        ({"purposes": PURPOSES, "granted_at": CONSENT["granted_at"]}, "customer.consent.id"),
        ({**CONSENT, "id": "x" * 65}, "customer.consent.id"),
        ({**CONSENT, "id": 123}, "customer.consent.id"),
        ("cns-1", "customer.consent.non_field_errors"),
    ],
)
def test_a_malformed_consent_is_a_400_naming_the_field(api, acme_key, travel, consent, field):
    response = offers(api, acme_key.key, customer={"ref": "member-1", "consent": consent})
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Consent.objects.exists()


def test_a_covering_consent_is_answered_recorded_and_named_on_each_offer(api, acme, acme_key, travel):
    response = offers(api, acme_key.key, customer={"ref": "member-1", "consent": CONSENT})
    assert response.status_code == 200
    consent = Consent.objects.get()
    assert (consent.partner, consent.consent_id, consent.purposes) == (acme, "cns-1", PURPOSES)
    assert "member-1" not in consent.customer_ref
    offer_log_flush()
    assert set(OfferRecord.objects.values_list("consent_id", flat=True)) == {"cns-1"}


def test_withdrawal_answers_its_time_and_refuses_any_later_offer_relying_on_it(api, acme_key, travel):
    assert offers(api, acme_key.key, customer={"ref": "member-1", "consent": CONSENT}).status_code == 200

    response = withdraw(api, acme_key.key, customer_ref="member-1", consent_id="cns-1")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["consent_id", "withdrawn_at"]
    assert body["consent_id"] == "cns-1"
    assert body["withdrawn_at"].endswith("+08:00")
    assert withdraw(api, acme_key.key, customer_ref="member-1", consent_id="cns-1").json() == body

    refused = offers(api, acme_key.key, customer={"ref": "member-1", "consent": CONSENT})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "consent_withdrawn"
    assert "customer.consent" in refused.json()["error"]["fields"]


def test_withdrawing_a_consent_never_sent_or_another_partners_is_a_404(api, acme_key, other, travel):
    other_key = issue(other)
    assert offers(api, acme_key.key, customer={"ref": "member-1", "consent": CONSENT}).status_code == 200

    unknown = withdraw(api, acme_key.key, customer_ref="member-1", consent_id="cns-404")
    theirs = withdraw(api, other_key.key, customer_ref="member-1", consent_id="cns-1")
    wrong_customer = withdraw(api, acme_key.key, customer_ref="member-2", consent_id="cns-1")
    for response in (unknown, theirs, wrong_customer):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert unknown.json() == theirs.json()
    assert Consent.objects.get().withdrawn_at is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"customer_ref": "member-1"},
        {"consent_id": "cns-1"},
        {"customer_ref": "member-1", "consent_id": ""},
        {"customer_ref": 12, "consent_id": "cns-1"},
        {"customer_ref": "member-1", "consent_id": 7},
        {"customer_ref": "member-1", "consent_id": ["cns-1"]},
        {"customer_ref": "m" * 129, "consent_id": "cns-1"},
    ],
)
def test_a_bad_withdrawal_body_is_a_400(api, acme_key, body):
    response = withdraw(api, acme_key.key, **body)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]


def test_withdrawal_needs_the_offers_scope(api, acme, travel):
    read_only = issue(acme, scopes=("read",), name="reader")
    response = withdraw(api, read_only.key, customer_ref="member-1", consent_id="cns-1")
    assert response.status_code == 403
    assert "offers" in response.json()["error"]["message"]


def test_withdrawal_needs_a_key(api):
    assert withdraw(api, "nope", customer_ref="member-1", consent_id="cns-1").status_code == 401


@pytest.mark.parametrize("ref", [0, 12.5, True, ["member-1"], {"id": "member-1"}])
def test_a_customer_reference_that_is_not_a_string_is_a_400_naming_it(api, acme_key, travel, ref):
    response = offers(api, acme_key.key, customer={"ref": ref, "consent": CONSENT})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["customer.ref"]
    assert not Consent.objects.exists()
