"""The account pages (e-mail, password, two-factor) show a member the same navigation as the
portal's pages, at a fixed number of queries however many teams the member is in."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import MembershipFactory, PartnerFactory

from .conftest import member

pytestmark = pytest.mark.django_db

ACCOUNT_PAGES = ["account_email", "account_change_password", "mfa_index"]


def _nav(page: str) -> str:
    return page.split('<nav class="mainnav"')[1].split("</nav>")[0]


@pytest.mark.parametrize("name", ACCOUNT_PAGES)
def test_an_account_page_shows_the_members_portal_navigation(client, bob, name):
    client.force_login(bob)

    nav = _nav(client.get(reverse(name)).content.decode())

    assert f'href="{reverse("portal:dashboard")}"' in nav
    assert f'href="{reverse("portal:keys")}"' in nav  # a developer's section
    assert f'href="{reverse("portal:statements")}"' not in nav  # finance's, not bob's
    assert f'href="{reverse("home")}"' not in nav


def test_an_applicant_sees_the_application_on_account_pages(client):
    applicant = member(PartnerFactory(slug="new-shop", status="draft"), "ann@new.test", "owner")
    client.force_login(applicant)

    nav = _nav(client.get(reverse("account_change_password")).content.decode())

    assert f'href="{reverse("portal:application")}"' in nav
    assert f'href="{reverse("portal:dashboard")}"' not in nav


def test_a_closed_partners_member_is_offered_no_portal_pages(client):
    gone = member(PartnerFactory(slug="gone", status="terminated"), "gus@gone.test", "owner")
    client.force_login(gone)

    nav = _nav(client.get(reverse("account_email")).content.decode())

    assert f'href="{reverse("portal:dashboard")}"' not in nav
    assert f'href="{reverse("home")}"' in nav


def test_the_account_pages_cost_the_same_queries_for_one_team_or_many(client, bob, django_assert_num_queries):
    client.force_login(bob)
    url = reverse("account_change_password")
    with CaptureQueriesContext(connection) as one_team:
        client.get(url)
    for n in range(3):
        MembershipFactory(partner=PartnerFactory(slug=f"team-{n}"), user=bob, role="viewer")

    with django_assert_num_queries(len(one_team.captured_queries)):
        response = client.get(url)

    assert f'href="{reverse("portal:dashboard")}"' in _nav(response.content.decode())
