"""``request.user.partner`` of an API call: built from the cached record without a query, a
fresh instance every time (nothing a view sets on one leaks into the next call)."""

from __future__ import annotations

from partners.api.auth import ApiClient
from partners.keycache import key_record, partner_record
from partners.models import Partner


def test_the_partner_is_a_fresh_saved_instance_from_the_record(acme, acme_key, django_assert_num_queries):
    partner = acme
    key = key_record(acme_key.key.split(".")[0])
    record = partner_record(partner.pk)
    with django_assert_num_queries(0):
        first = ApiClient(key, record).partner
        second = ApiClient(key, record).partner
    assert isinstance(first, Partner)
    assert first is not second
    assert (first.pk, first.slug, first.display_name, first.status, first.industry_id, first.tier) == (
        partner.pk, partner.slug, partner.display_name, "active", partner.industry_id, partner.tier,
    )  # fmt: skip
    assert first._state.adding is False
    assert first._state.db == "default"
    assert first._state is not second._state
    first.status = "suspended"  # a view changing its copy changes nobody else's
    assert second.status == "active"
    assert ApiClient(key, record).partner.status == "active"
    assert first == Partner.objects.get(pk=partner.pk)  # the same row (model equality is the pk)
