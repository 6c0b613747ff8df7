"""The partner's side of the API lifecycle: the changelog page in both languages, the dashboard
card of deprecated calls, and the API examples with the member's sandbox key (never anyone
else's)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from partners.changelog import api_changelog
from partners.models import ApiDeprecationUsage
from tests.api.factories import deprecation_entry, issue

pytestmark = pytest.mark.django_db

NOW = timezone.now()
DEPRECATION = deprecation_entry()


# --------------------------------------------------------------------------------------
# The changelog
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("deprecations", [0, 3])
def test_the_changelog_shows_every_release_and_deprecation_at_a_fixed_cost(
    client, bob, settings, django_assert_num_queries, deprecations
):
    settings.API_DEPRECATIONS = [{**DEPRECATION, "code": f"d-{n}"} for n in range(deprecations)]
    client.force_login(bob)
    # session, user, memberships, the bell
    with django_assert_num_queries(4):
        response = client.get(reverse("portal:changelog"))
    assert response.status_code == 200
    page = response.content.decode()
    releases = api_changelog()
    assert page.count('data-testid="release"') == len(releases)
    assert releases[-1].changes[0].en in page
    assert "incompatible" in page
    assert "compatible" in page
    assert page.count('id="deprecation-d-') == deprecations


def test_the_changelog_reads_in_chinese(client, bob):
    client.force_login(bob)
    with translation.override("zh-hans"):
        client.cookies["django_language"] = "zh-hans"
        page = client.get(reverse("portal:changelog")).content.decode()
    assert api_changelog()[-1].changes[0].zh in page
    assert api_changelog()[-1].changes[0].en not in page
    assert "API 变更日志" in page


def test_the_changelog_is_for_signed_in_members(client, charlie):
    assert client.get(reverse("portal:changelog"))["Location"].startswith(reverse("account_login"))
    client.force_login(charlie)
    assert client.get(reverse("portal:changelog")).status_code == 200


def test_the_dashboard_and_the_docs_link_to_the_changelog(client, alice, settings):
    client.force_login(alice)
    assert reverse("portal:changelog") in client.get(reverse("portal:dashboard")).content.decode()
    assert reverse("portal:changelog") in client.get(reverse("api-docs")).content.decode()


# --------------------------------------------------------------------------------------
# The dashboard card
# --------------------------------------------------------------------------------------
def test_the_dashboard_shows_the_deprecations_the_partner_used_with_its_counts(
    client, alice, documented, charlie, settings
):
    settings.API_DEPRECATIONS = [DEPRECATION]
    key = issue(documented).api_key
    today = timezone.localdate()
    for days_ago, calls in ((0, 5), (3, 7), (40, 100)):  # the last is older than 30 days
        ApiDeprecationUsage.objects.create(
            key=key, partner=documented, day=today - timedelta(days=days_ago), code="me-route", calls=calls
        )
    client.force_login(alice)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert 'data-testid="api-deprecations"' in page
    assert "GET me/" in page
    assert "GET usage/" in page
    assert 'data-testid="deprecation-calls">12<' in page
    assert (NOW + timedelta(days=90)).astimezone().strftime("%Y") in page

    client.force_login(charlie)  # another partner used nothing
    assert 'data-testid="api-deprecations"' not in client.get(reverse("portal:dashboard")).content.decode()


# --------------------------------------------------------------------------------------
# The API examples
# --------------------------------------------------------------------------------------
def test_a_member_sees_every_route_in_three_languages_with_the_sandbox_key(client, bob, documented):
    sandbox = issue(documented, name="Sandbox", sandbox=True).key
    client.force_login(bob)
    response = client.get(reverse("api-examples"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    page = response.content.decode()
    routes = page.count('data-testid="route-example"')
    assert routes >= 13
    assert page.count(sandbox) == 3 * routes
    assert "curl -X POST &quot;http://testserver/api/v1/offers/&quot;" in page
    assert "requests.post(" in page
    assert "new Request.Builder()" in page
    assert "travel-finance" in page  # the body of POST offers/ is the schema's own example
    assert page.count("data-copy=") == 3 * routes


def test_no_one_else_sees_the_key(client, bob, charlie, documented):
    sandbox = issue(documented, name="Sandbox", sandbox=True).key
    anonymous = client.get(reverse("api-examples")).content.decode()
    assert sandbox not in anonymous
    assert "YOUR_SANDBOX_KEY" in anonymous
    client.force_login(charlie)
    other = client.get(reverse("api-examples")).content.decode()
    assert sandbox not in other
    assert reverse("portal:key-create") in other  # charlie's partner has no sandbox key yet
    assert sandbox not in client.get(reverse("api-docs")).content.decode()


def test_a_live_key_is_never_shown(client, bob, documented):
    live = issue(documented, name="Live").key
    client.force_login(bob)
    page = client.get(reverse("api-examples")).content.decode()
    assert live not in page
    assert "YOUR_SANDBOX_KEY" in page


def test_the_swagger_page_authorises_try_it_out_with_the_sandbox_key(client, bob, documented):
    sandbox = issue(documented, name="Sandbox", sandbox=True).key
    client.force_login(bob)
    response = client.get(reverse("api-docs"))
    page = response.content.decode()
    assert f'<script id="sandbox-key" type="application/json">"{sandbox}"</script>' in page
    assert "js/api-docs.js" in page
    assert "no-store" in response["Cache-Control"]
