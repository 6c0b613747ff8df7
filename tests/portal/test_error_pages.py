"""Branded error pages (403, 404, 500) with the reason and a way back, in both languages; the
API keeps its JSON errors. Personas: alice owns Acme Travel, victor is its viewer."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings
from django.urls import path, reverse

from core.errors import server_error
from portal.urls import urlpatterns as portal_urlpatterns

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("a bug")


# The project's routes and error handlers, plus a page that fails (this module is the URLconf).
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.not_found"
handler500 = "core.errors.server_error"
urlpatterns = [path("boom/", _boom), path("api/v1/boom/", _boom), *portal_urlpatterns]


def test_a_viewer_refused_key_creation_reads_why_in_the_portal_layout(client, victor):
    client.force_login(victor)

    response = client.get(reverse("portal:key-create"))

    assert response.status_code == 403
    assert response.templates[0].name == "403.html"
    page = response.content.decode()
    assert "Your role (Viewer) cannot create, rotate or revoke API keys." in page
    assert "Ask an owner or an admin of your team." in page
    assert 'class="mainnav"' in page  # the portal's layout
    assert "Acme Travel" in page  # and the partner bar
    assert f'href="{reverse("portal:dashboard")}"' in page  # a way back


def test_a_member_refused_a_page_reads_which_page_and_why(client, fiona):
    client.force_login(fiona)

    response = client.get(reverse("portal:keys"))

    assert response.status_code == 403
    assert "Your role (Finance) cannot open the API keys." in response.content.decode()


def test_the_refusal_is_in_chinese_for_a_chinese_user(client, victor):
    client.force_login(victor)

    response = client.get(reverse("portal:key-create"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    assert response.status_code == 403
    page = response.content.decode()
    assert "您的角色（只读成员）不能创建、轮换或吊销 API 密钥。" in page
    assert "无权访问此页面" in page
    assert "cannot" not in page


def test_a_missing_page_is_the_branded_404_without_the_internal_message(client, alice):
    client.force_login(alice)

    response = client.get(reverse("portal:statement", args=[987654]))

    assert response.status_code == 404
    assert response.templates[0].name == "404.html"
    page = response.content.decode()
    assert "Page not found" in page
    assert "There is no page at this address, or it is not yours to see." in page
    assert "matches the given query" not in page
    assert f'href="{reverse("portal:dashboard")}"' in page


def test_the_404_is_in_chinese_for_a_chinese_visitor(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    assert response.status_code == 404
    page = response.content.decode()
    assert "找不到页面" in page
    assert 'lang="zh-hans"' in page
    assert f'href="{reverse("account_login")}?next=/no-such-page/"' in page


def test_the_previous_page_of_the_same_site_is_offered_as_a_way_back(client, alice):
    client.force_login(alice)

    response = client.get("/portal/nowhere/", HTTP_REFERER="http://testserver/portal/team/")

    assert 'href="http://testserver/portal/team/"' in response.content.decode()
    other = client.get("/portal/nowhere/", HTTP_REFERER="https://evil.example/")
    assert "evil.example" not in other.content.decode()


def test_a_partner_user_refused_the_console_reads_it_is_for_staff(client, alice):
    client.force_login(alice)

    response = client.get(reverse("admin_login_redirect"))

    assert response.status_code == 403
    assert "The staff console is for bank staff only." in response.content.decode()


def test_staff_refused_an_admin_page_see_it_in_the_admin_layout(client, staff_roles):
    from django.contrib.auth.models import Group

    from portal import roles
    from tests.factories import StaffFactory

    maker = StaffFactory(email="maker@bank.test")
    maker.groups.add(Group.objects.get(name=roles.FINANCE_MAKERS))
    client.force_login(maker)

    response = client.get(reverse("admin:django_celery_beat_periodictask_changelist"))

    assert response.status_code == 403
    assert response.templates[0].name == "403.html"
    page = response.content.decode()
    assert "Finance+N administration" in page  # the admin's header, in the product's name
    assert "Your account does not have permission to open this page." in page
    assert f'href="{reverse("console:dashboard")}"' in page


def test_a_form_without_its_csrf_token_gets_the_branded_403(alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(reverse("portal:team"), {"email": "x@acme.test", "role": "viewer"})

    assert response.status_code == 403
    assert "This form has expired or was sent from another site." in response.content.decode()


def test_api_paths_keep_json_errors(client, victor):
    client.force_login(victor)

    assert client.get("/api/v1/no-such-route/").json()["error"]["code"] == "not_found"


@override_settings(ROOT_URLCONF=__name__)
def test_a_server_error_is_the_branded_500_in_both_languages(client):
    client.raise_request_exception = False

    english = client.get("/boom/")
    chinese = client.get("/boom/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    assert english.status_code == 500
    assert "Something went wrong on our side" in english.content.decode()
    assert 'href="/"' in english.content.decode()
    assert chinese.status_code == 500
    assert "我们这边出了问题" in chinese.content.decode()


@override_settings(ROOT_URLCONF=__name__)
def test_a_server_error_under_the_api_stays_json(client):
    client.raise_request_exception = False

    response = client.get("/api/v1/boom/")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"


def test_the_500_page_needs_neither_the_database_nor_the_request_context(django_assert_num_queries):
    request = RequestFactory().get("/portal/")  # no session, no user, no CSP nonce

    with django_assert_num_queries(0):
        response = server_error(request)

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_the_admin_is_titled_in_the_product_s_name_in_both_languages(client, db):
    from tests.factories import StaffFactory

    client.force_login(StaffFactory(email="root@bank.test", is_superuser=True))

    english = client.get(reverse("admin:index")).content.decode()
    chinese = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()

    assert "Finance+N administration" in english
    assert "Django administration" not in english
    assert "Bank staff administration" in english
    assert "金融+N 管理后台" in chinese
