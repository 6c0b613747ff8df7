"""A partner's history keeps its moves in codes (the same trail in every language) and shows
them with the status labels in the reader's language: the admin's history page and the
staff audit."""

from __future__ import annotations

import pytest

from partners import services
from partners.models import Partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def under_review(reviewable, manager):
    services.partner_submit(partner=reviewable, actor=manager)
    return services.partner_review_start(partner=reviewable, actor=manager, reason="documents complete")


def test_the_history_row_keeps_the_move_in_codes(under_review):
    assert (
        under_review.history.first().history_change_reason == "submitted → under_review: documents complete"
    )


def test_the_admin_history_shows_the_move_with_status_labels(client, manager, under_review):
    client.force_login(manager)

    page = client.get(f"/admin/partners/partner/{under_review.pk}/history/").content.decode()

    assert "Submitted → Under review: documents complete" in page
    assert "submitted → under_review" not in page
    assert "under_review" not in page  # nor in the changes column


def test_the_admin_history_speaks_chinese(client, manager, under_review):
    client.force_login(manager)
    client.cookies["django_language"] = "zh-hans"

    page = client.get(f"/admin/partners/partner/{under_review.pk}/history/").content.decode()

    assert "已提交 → 审核中: documents complete" in page
    assert "under_review" not in page


def test_the_audit_shows_history_moves_with_status_labels(client, manager, auditor, under_review):
    client.force_login(auditor)

    rows = client.get("/staff/audit/", {"source": "partners.historicalpartner"}).context["page"].rows

    reasons = {row.reason for row in rows if row.object_id == str(under_review.pk)}
    assert "Submitted → Under review: documents complete" in reasons
    assert not [reason for reason in reasons if "under_review" in reason]


def test_a_note_written_by_a_service_is_shown_translated():
    from django.utils import translation

    from core.transitions import history_note

    with translation.override("zh-hans"):
        assert history_note(Partner, "credit code verified") != "credit code verified"
        assert history_note(Partner, "a note of a person") == "a note of a person"
        assert history_note(Partner, "draft → nowhere") == "draft → nowhere"
