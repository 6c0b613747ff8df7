"""The staff admin of partners: pages, lifecycle actions through the services, fixed query
counts as partners grow."""

import re

import pytest
from django.contrib.messages import get_messages

from partners.models import Invitation, Membership, Partner, PartnerDocument, PartnerStatusChange
from tests.factories import MembershipFactory, PartnerFactory, UserFactory

from .factories import JPEG, add_required_documents, kyb_verifier, make_reviewable, upload

CHANGELISTS = [
    "/admin/partners/partner/",
    "/admin/partners/partnerdocument/",
    "/admin/partners/membership/",
    "/admin/partners/invitation/",
    "/admin/partners/partnerstatuschange/",
    "/admin/partners/industry/",
]


def _grow(manager, count: int, start: int) -> None:
    """``count`` more partners, each with documents, two members, an invitation and moves."""
    from partners import services

    rm = UserFactory(email=f"rm{start}@bank.test", is_staff=True)
    for n in range(start, start + count):
        partner = PartnerFactory(
            slug=f"grow-{n}",
            status="draft",
            relationship_manager=rm,
            contact_name="C",
            contact_email="c@x.test",
        )
        add_required_documents(partner, manager)
        MembershipFactory(partner=partner, user=UserFactory(email=f"o{n}@grow.test"), role="owner")
        MembershipFactory(partner=partner, user=UserFactory(email=f"d{n}@grow.test"), role="developer")
        services.invitation_create(
            partner=partner, email=f"i{n}@grow.test", role="viewer", actor=manager, send=False
        )
        services.partner_submit(partner=partner, actor=manager)
        services.partner_review_start(partner=partner, actor=manager)


def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm the per-process caches (content types) first
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("url", CHANGELISTS)
def test_changelists_keep_a_fixed_number_of_queries_as_partners_grow(client, manager, url):
    client.force_login(manager)
    _grow(manager, 2, 0)
    small = _count_queries(client, url)

    _grow(manager, 12, 100)
    large = _count_queries(client, url)

    assert large == small, f"{url}: {small} queries with 2 partners, {large} with 14"


@pytest.mark.django_db
def test_the_partner_page_keeps_a_fixed_number_of_queries_as_its_records_grow(client, manager):
    from partners import services

    client.force_login(manager)
    partner = make_reviewable(actor=manager, status="submitted")
    MembershipFactory(partner=partner, user=UserFactory(), role="owner")
    url = f"/admin/partners/partner/{partner.pk}/change/"
    small = _count_queries(client, url)

    add_required_documents(partner, kyb_verifier())
    for n in range(5):
        MembershipFactory(partner=partner, user=UserFactory(email=f"m{n}@p.test"), role="viewer")
    services.partner_review_start(partner=partner, actor=kyb_verifier())
    services.partner_approve(partner=partner, actor=manager)
    services.partner_activate(partner=partner, actor=manager)
    large = _count_queries(client, url)

    assert large == small


@pytest.mark.django_db
def test_the_partner_page_shows_the_checklist_the_inlines_and_the_team_links(client, manager):
    partner = make_reviewable(actor=manager, status="under_review", risk_rating="")
    client.force_login(manager)

    page = client.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()

    assert "✔ documents verified" in page
    assert "✘ risk rating set" in page
    assert "Business licence" in page  # the documents inline
    assert f"/admin/partners/invitation/add/?partner={partner.pk}" in page


@pytest.mark.django_db
def test_filters_and_search_find_partners(client, manager):
    client.force_login(manager)
    make_reviewable(actor=manager, slug="skyline", display_name="Skyline", credit_code="91110000802100433B")
    make_reviewable(
        actor=manager, slug="harbour", display_name="Harbour", status="active", risk_rating="high"
    )

    by_code = client.get("/admin/partners/partner/?q=802100433").content.decode()
    by_status = client.get(
        "/admin/partners/partner/?status__exact=active&risk_rating__exact=high"
    ).content.decode()

    assert "Skyline" in by_code
    assert "Harbour" not in by_code
    assert "Harbour" in by_status
    assert "Skyline" not in by_status
    rm = Partner.objects.get(slug="skyline").relationship_manager
    assert client.get(f"/admin/partners/partner/?relationship_manager__id__exact={rm.pk}").status_code == 200


@pytest.mark.django_db
def test_a_bulk_lifecycle_action_asks_for_a_reason_then_reports_each_partner(client, manager):
    client.force_login(manager)
    ready = make_reviewable(actor=manager, slug="ready", display_name="Ready", status="active")
    draft = make_reviewable(actor=manager, slug="early", display_name="Early", status="draft")
    data = {"action": "lifecycle_suspend", "_selected_action": [ready.pk, draft.pk]}

    ask = client.post("/admin/partners/partner/", data)
    assert ask.status_code == 200
    assert 'name="reason"' in ask.content.decode()
    # What the confirmation page posts back: its hidden fields, the reason and "confirm".
    hidden = re.findall(
        r'<input type="hidden" name="(action|_selected_action)" value="([^"]+)"', ask.content.decode()
    )
    posted = {
        "action": [v for k, v in hidden if k == "action"],
        "_selected_action": [v for k, v in hidden if k != "action"],
    }
    assert posted["action"] == ["lifecycle_suspend"]
    missing_reason = client.post("/admin/partners/partner/", {**posted, "confirm": "1", "reason": ""})
    assert missing_reason.status_code == 200
    assert Partner.objects.get(pk=ready.pk).status == "active"

    done = client.post(
        "/admin/partners/partner/", {**posted, "confirm": "1", "reason": "Fraud alert"}, follow=True
    )

    messages = [str(m) for m in get_messages(done.wsgi_request)] or [
        m.message for m in done.context["messages"]
    ]
    assert any("Ready is now suspended" in m for m in messages)
    assert any(m.startswith("Early:") and "cannot go from" in m for m in messages)
    assert Partner.objects.get(pk=ready.pk).status == "suspended"
    assert Partner.objects.get(pk=draft.pk).status == "draft"
    change = PartnerStatusChange.objects.get(partner=ready)
    assert (change.changed_by, change.reason) == (manager, "Fraud alert")


@pytest.mark.django_db
def test_approval_from_the_admin_reports_the_incomplete_checklist(client, manager):
    client.force_login(manager)
    partner = make_reviewable(actor=manager, status="under_review", relationship_manager=None)

    done = client.post(
        "/admin/partners/partner/",
        {"action": "lifecycle_approve", "_selected_action": [partner.pk], "confirm": "1", "reason": ""},
        follow=True,
    )

    assert "relationship manager assigned" in done.content.decode()
    assert Partner.objects.get(pk=partner.pk).status == "under_review"


@pytest.mark.django_db
def test_staff_edit_a_partner_through_the_form_but_never_its_status(client, manager):
    client.force_login(manager)
    partner = make_reviewable(actor=manager, status="under_review")
    url = f"/admin/partners/partner/{partner.pk}/change/"
    data = {
        "display_name": "Renamed",
        "legal_name": partner.legal_name,
        "slug": partner.slug,
        "credit_code": partner.credit_code,
        "industry": partner.industry_id,
        "status": "active",
        "tier": "gold",
        "risk_rating": "medium",
        "relationship_manager": partner.relationship_manager_id,
        "contact_name": "X",
        "contact_email": "x@x.test",
        "contact_phone": "",
        "website": "",
        **{f"{prefix}-{k}": v for prefix in ("documents", "memberships", "status_changes") for k, v in
           {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}.items()},
    }  # fmt: skip

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    partner.refresh_from_db()
    assert (partner.display_name, partner.tier, partner.status) == ("Renamed", "gold", "under_review")
    assert partner.history.first().history_user == manager


@pytest.mark.django_db
def test_the_admin_refuses_a_bad_credit_code_naming_the_rule(client, manager):
    client.force_login(manager)
    from tests.factories import IndustryFactory

    industry = IndustryFactory(code="travel")
    response = client.post(
        "/admin/partners/partner/add/",
        {
            "display_name": "New", "legal_name": "New Co.", "slug": "new", "credit_code": "91350100M000100Y44",
            "industry": industry.pk, "tier": "standard", "risk_rating": "",
            **{f"{prefix}-{k}": v for prefix in ("documents", "memberships", "status_changes") for k, v in
               {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}.items()},
        },
    )  # fmt: skip

    assert response.status_code == 200
    assert "check character" in response.content.decode()
    assert not Partner.objects.filter(slug="new").exists()


@pytest.mark.django_db
def test_a_document_upload_in_the_admin_sniffs_the_content(client, manager, acme):
    client.force_login(manager)
    url = "/admin/partners/partnerdocument/add/"

    bad = client.post(
        url,
        {
            "partner": acme.pk,
            "document_type": "business_licence",
            "file": upload(b"MZ\x90\x00" * 30, "ok.pdf"),
        },
    )
    good = client.post(
        url, {"partner": acme.pk, "document_type": "business_licence", "file": upload(JPEG, "x.jpg")}
    )

    assert bad.status_code == 200
    assert "PDF, JPEG and PNG" in bad.content.decode()
    assert good.status_code == 302
    document = PartnerDocument.objects.get()
    assert (document.content_type, document.uploaded_by) == ("image/jpeg", manager)
    download = client.get(f"/admin/partners/partnerdocument/{document.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == JPEG


@pytest.mark.django_db
def test_verifying_documents_in_bulk_reports_each(client, manager, acme):
    client.force_login(manager)
    documents = add_required_documents(acme, manager, verify=False)

    client.post(
        "/admin/partners/partnerdocument/",
        {"action": "verify", "_selected_action": [d.pk for d in documents]},
    )

    assert set(PartnerDocument.objects.values_list("status", flat=True)) == {"verified"}


@pytest.mark.django_db
def test_an_invitation_from_the_admin_is_mailed_and_shows_no_token(
    client, manager, acme, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/partners/invitation/add/", {"partner": acme.pk, "email": "new@acme.test", "role": "owner"}
        )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.invited_by == manager
    assert len(mailoutbox) == 1
    page = client.get(f"/admin/partners/invitation/{invitation.pk}/change/").content.decode()
    assert invitation.token_hash not in page


@pytest.mark.django_db
def test_removing_the_last_owner_in_the_admin_is_refused_with_a_message(client, manager, acme, alice, bob):
    client.force_login(manager)
    owner = Membership.objects.get(user=alice)

    done = client.post(
        "/admin/partners/membership/",
        {"action": "remove_members", "_selected_action": [owner.pk, Membership.objects.get(user=bob).pk]},
        follow=True,
    )

    assert "at least one owner" in done.content.decode()
    assert list(Membership.objects.values_list("user__email", flat=True)) == ["alice@acme.test"]


@pytest.mark.django_db
def test_ownership_transfer_from_the_admin(client, manager, acme, alice, bob):
    client.force_login(manager)

    client.post(
        "/admin/partners/membership/",
        {"action": "make_sole_owner", "_selected_action": [Membership.objects.get(user=bob).pk]},
    )

    assert Membership.objects.get(user=bob).role == "owner"
    assert Membership.objects.get(user=alice).role == "admin"


@pytest.mark.django_db
def test_history_is_shown_but_cannot_be_reverted(client, manager, acme):
    client.force_login(manager)
    from partners import services

    services.partner_update(partner=acme, actor=manager, display_name="Acme Renamed")
    record = acme.history.first()

    history = client.get(f"/admin/partners/partner/{acme.pk}/history/")
    revert = client.post(f"/admin/partners/partner/{acme.pk}/history/{record.history_id}/", {})

    assert history.status_code == 200
    assert "Acme Renamed" in history.content.decode()
    assert revert.status_code == 403


@pytest.mark.django_db
def test_a_document_download_names_the_missing_permission(client, acme):
    from tests.factories import StaffFactory

    client.force_login(StaffFactory(email="intern@bank.example"))

    response = client.get("/admin/partners/partnerdocument/1/download/")

    assert response.status_code == 403
    assert (
        "Downloading a KYB document needs the permission “Can view partner document”"
        in response.content.decode()
    )
