"""The staff role matrix: what each group may do, in the admin and in the services alike."""

import pytest

from partners import services
from partners.exceptions import PartnerNotAllowed
from portal import roles

from .factories import add_document, make_reviewable

MANAGERS, PRODUCTS, MAKERS, CHECKERS, AUDITORS = (
    roles.PARTNER_MANAGERS,
    roles.PRODUCT_MANAGERS,
    roles.FINANCE_MAKERS,
    roles.FINANCE_CHECKERS,
    roles.AUDITORS,
)
ALL = [MANAGERS, PRODUCTS, MAKERS, CHECKERS, AUDITORS]
OTHERS = [PRODUCTS, MAKERS, CHECKERS, AUDITORS]

READ_PAGES = [
    "/admin/partners/partner/",
    "/admin/partners/partnerdocument/",
    "/admin/partners/membership/",
    "/admin/partners/invitation/",
    "/admin/partners/partnerstatuschange/",
    "/admin/partners/industry/",
]
WRITE_PAGES = [
    "/admin/partners/partner/add/",
    "/admin/partners/partnerdocument/add/",
    "/admin/partners/invitation/add/",
    "/admin/partners/membership/add/",
    "/admin/partners/industry/add/",
    "/admin/partners/partner/import/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("group", ALL)
@pytest.mark.parametrize("url", READ_PAGES)
def test_every_staff_group_sees_the_partner_records(client, staff_by_group, group, url):
    client.force_login(staff_by_group[group])

    assert client.get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("group", ALL)
@pytest.mark.parametrize("url", WRITE_PAGES)
def test_only_partner_managers_reach_the_pages_that_write(client, staff_by_group, group, url):
    client.force_login(staff_by_group[group])

    assert client.get(url).status_code == (200 if group == MANAGERS else 403)


@pytest.mark.django_db
@pytest.mark.parametrize(("group", "allowed"), [(g, g in (MANAGERS, AUDITORS)) for g in ALL])
def test_export_is_for_partner_managers_and_auditors(client, staff_by_group, group, allowed):
    client.force_login(staff_by_group[group])

    assert client.get("/admin/partners/partner/export/").status_code == (200 if allowed else 403)


@pytest.mark.django_db
@pytest.mark.parametrize("group", ALL)
def test_lifecycle_actions_are_offered_only_to_partner_managers(client, staff_by_group, manager, group):
    make_reviewable(actor=manager)
    client.force_login(staff_by_group[group])

    page = client.get("/admin/partners/partner/").content.decode()

    for action in ("lifecycle_submit", "lifecycle_approve", "lifecycle_suspend", "lifecycle_terminate"):
        assert (f'value="{action}"' in page) == (group == MANAGERS)


@pytest.mark.django_db
@pytest.mark.parametrize("group", OTHERS)
def test_other_groups_cannot_post_a_lifecycle_action_or_change_a_partner(
    client, staff_by_group, manager, group
):
    partner = make_reviewable(actor=manager, status="active")
    client.force_login(staff_by_group[group])

    action = client.post(
        "/admin/partners/partner/",
        {"action": "lifecycle_suspend", "_selected_action": [partner.pk], "confirm": "1", "reason": "x"},
    )
    change = client.post(f"/admin/partners/partner/{partner.pk}/change/", {"display_name": "Hacked"})

    partner.refresh_from_db()
    assert partner.status == "active"
    assert partner.display_name != "Hacked"
    assert change.status_code == 403
    assert action.status_code in (200, 302, 403)


# Every partner-changing service refuses every staff group but partner managers.
SERVICE_CALLS = {
    "submit": lambda p, u: services.partner_submit(partner=p, actor=u),
    "review_start": lambda p, u: services.partner_review_start(partner=p, actor=u),
    "approve": lambda p, u: services.partner_approve(partner=p, actor=u),
    "reject": lambda p, u: services.partner_reject(partner=p, actor=u, reason="x"),
    "activate": lambda p, u: services.partner_activate(partner=p, actor=u),
    "suspend": lambda p, u: services.partner_suspend(partner=p, actor=u, reason="x"),
    "reinstate": lambda p, u: services.partner_reinstate(partner=p, actor=u),
    "terminate": lambda p, u: services.partner_terminate(partner=p, actor=u, reason="x"),
    "verify_credit_code": lambda p, u: services.partner_credit_code_verify(partner=p, actor=u),
    "update": lambda p, u: services.partner_update(partner=p, actor=u, display_name="Changed"),
    "invite": lambda p, u: services.invitation_create(
        partner=p, email="n@x.test", role="viewer", actor=u, send=False
    ),
    "verify_document": lambda p, u: services.document_verify(
        document=p.documents.get(status="pending"), actor=u
    ),
}
START = {
    "submit": "draft",
    "review_start": "submitted",
    "approve": "under_review",
    "reject": "under_review",
    "activate": "approved",
    "suspend": "active",
    "reinstate": "suspended",
    "terminate": "active",
    "verify_credit_code": "under_review",
    "update": "under_review",
    "invite": "active",
    "verify_document": "under_review",
}


@pytest.mark.django_db
@pytest.mark.parametrize("group", ALL)
@pytest.mark.parametrize("call", sorted(SERVICE_CALLS))
def test_services_enforce_the_same_matrix(staff_by_group, manager, group, call):
    partner = make_reviewable(actor=manager, status=START[call])
    add_document(partner, manager, "other", verify=False)
    user = staff_by_group[group]

    if group == MANAGERS:
        SERVICE_CALLS[call](partner, user)
    else:
        with pytest.raises(PartnerNotAllowed):
            SERVICE_CALLS[call](partner, user)


@pytest.mark.django_db
def test_an_inactive_or_non_staff_user_with_the_permission_is_refused(staff_by_group, manager):
    partner = make_reviewable(actor=manager, status="active")
    user = staff_by_group[MANAGERS]
    user.is_active = False
    user.save()

    with pytest.raises(PartnerNotAllowed):
        services.partner_suspend(partner=partner, actor=user, reason="x")
    user.is_active, user.is_staff = True, False
    user.save()
    with pytest.raises(PartnerNotAllowed):
        services.partner_suspend(partner=partner, actor=user, reason="x")
