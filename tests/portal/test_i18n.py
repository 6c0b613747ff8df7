import pytest


@pytest.mark.django_db
def test_home_is_in_english_by_default(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "Finance+N partner-ecosystem portal" in response.content.decode()


@pytest.mark.django_db
def test_switching_language_renders_chinese(client):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302

    page = client.get("/").content.decode()

    assert "金融+N 合作伙伴生态门户" in page
    assert 'lang="zh-hans"' in page
    assert "Finance+N partner-ecosystem portal" not in page


@pytest.mark.django_db
def test_browser_language_is_honoured(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()

    assert "申请成为合作伙伴" in page


def test_catalog_has_no_untranslated_string():
    from pathlib import Path

    import polib

    po = polib.pofile(str(Path(__file__).resolve().parents[2] / "locale/zh_Hans/LC_MESSAGES/django.po"))
    untranslated = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]

    assert untranslated == []
