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


def test_the_partner_page_offers_the_moves_possible_now_and_says_why_others_are_blocked(
    client, manager, reviewer
):
    partner = make_reviewable(actor=manager, status="under_review", risk_rating="", relationship_manager=None)
    client.force_login(reviewer)

    page = client.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()

    # Under review: approve or reject; nothing else the lifecycle allows from here.
    assert 'data-move="lifecycle_reject"' in page
    assert 'form="partner-move-form" name="action" value="lifecycle_reject"' in page
    assert (
        '<li data-move-blocked="lifecycle_approve"><strong>Approve</strong>: no risk rating is set; '
        "no relationship manager is assigned.</li>"
    ) in page
    for elsewhere in ("lifecycle_activate", "lifecycle_submit", "lifecycle_suspend", "lifecycle_terminate"):
        assert elsewhere not in page.split('id="partner-review"')[1].split("</div>\n</div>")[0]
    assert "✘ risk rating set" in page
    assert "✔ documents verified" in page


def test_a_move_blocked_by_a_document_and_by_the_role_says_both(client, auditor, manager):
    partner = make_reviewable(actor=manager, status="approved")
    partner.documents.update(status="rejected")
    client.force_login(auditor)

    page = client.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()

    assert '<li data-move-blocked="lifecycle_activate"><strong>Activate (go live)</strong>: ' in page
    assert "your role does not take this decision; these documents are not verified or have expired: " in page
    assert "Business licence" in page.split('data-move-blocked="lifecycle_activate"')[1].split("</li>")[0]
    assert 'data-move="' not in page


def test_a_move_taken_from_the_partner_page_goes_through_the_lifecycle_action(client, manager, reviewer):
    partner = make_reviewable(actor=manager, status="submitted")
    client.force_login(reviewer)
    page = client.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()
    assert 'value="lifecycle_review_start"' in page

    # What the button posts (the page's partner-move-form), then the confirmation.
    step = {"action": "lifecycle_review_start", "_selected_action": [partner.pk], "index": "0"}
    confirm = client.post("/admin/partners/partner/", step)
    assert confirm.status_code == 200
    assert "Partner" in confirm.content.decode()
    client.post("/admin/partners/partner/", {**step, "confirm": "1", "reason": ""})

    partner.refresh_from_db()
    assert partner.status == "under_review"
    assert partner.status_changes.get(to_status="under_review").changed_by == reviewer
