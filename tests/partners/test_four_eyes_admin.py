"""Four eyes in the partners admin: the lifecycle's Approve is offered only to staff who made
nothing of the application; an auditor is offered no action that changes anything."""

from __future__ import annotations

import pytest

from partners import services
from partners.models import Partner

from .factories import make_reviewable

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(staff_roles):
    from .conftest import _staff_in

    return _staff_in("Partner managers", "reviewer@bank.test")


def _changelist_actions(client) -> str:
    return client.get("/admin/partners/partner/").content.decode()


def test_an_auditor_is_offered_no_lifecycle_action_and_posting_approve_changes_nothing(
    client, auditor, manager
):
    partner = make_reviewable(actor=manager, status="under_review")
    client.force_login(auditor)

    page = _changelist_actions(client)

    for action in ("lifecycle_approve", "lifecycle_review_start", "lifecycle_reject", "verify_credit_code"):
        assert f'value="{action}"' not in page
    client.post(
        "/admin/partners/partner/",
        {"action": "lifecycle_approve", "_selected_action": [partner.pk], "confirm": "1", "reason": ""},
    )
    assert Partner.objects.get(pk=partner.pk).status == "under_review"


def _actions(response) -> set[str]:
    form = response.context["action_form"]
    return {name for name, _label in form.fields["action"].choices if name} if form else set()


def test_an_auditor_cannot_send_webhook_deliveries(client, auditor, manager):
    client.force_login(auditor)
    assert "retry_now" not in _actions(client.get("/admin/partners/webhookdelivery/"))
    client.force_login(manager)
    assert "retry_now" in _actions(client.get("/admin/partners/webhookdelivery/"))


def test_the_reviewer_is_told_on_the_partner_page_why_approving_is_not_theirs(client, manager, reviewer):
    partner = make_reviewable(actor=manager)
    services.partner_submit(partner=partner, actor=manager)
    services.partner_review_start(partner=partner, actor=reviewer)
    client.force_login(reviewer)

    page = client.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()

    assert "data-four-eyes" in page
    assert "Maker-checker: you started its review, so another staff member must approve this partner." in page


def test_the_approve_step_leaves_out_the_partners_the_user_made_and_says_why(client, manager, reviewer):
    mine = make_reviewable(actor=manager, slug="mine", display_name="Mine")
    services.partner_submit(partner=mine, actor=manager)
    services.partner_review_start(partner=mine, actor=reviewer)
    theirs = make_reviewable(actor=manager, slug="theirs", display_name="Theirs")
    services.partner_submit(partner=theirs, actor=manager)
    services.partner_review_start(partner=theirs, actor=manager)
    client.force_login(reviewer)

    page = client.post(
        "/admin/partners/partner/",
        {"action": "lifecycle_approve", "_selected_action": [mine.pk, theirs.pk]},
    ).content.decode()

    assert f'name="_selected_action" value="{theirs.pk}"' in page
    assert f'name="_selected_action" value="{mine.pk}"' not in page
    assert "Mine — Maker-checker: you started its review" in page
    client.post(
        "/admin/partners/partner/",
        {
            "action": "lifecycle_approve",
            "_selected_action": [mine.pk, theirs.pk],
            "confirm": "1",
            "reason": "",
        },
    )
    assert dict(Partner.objects.filter(pk__in=[mine.pk, theirs.pk]).values_list("slug", "status")) == {
        "mine": "under_review",
        "theirs": "approved",
    }
