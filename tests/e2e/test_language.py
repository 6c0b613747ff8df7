import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_visitor_switches_the_portal_to_chinese(page, screenshot):
    page.goto("/")
    assert page.locator("h1").inner_text() == "Finance+N partner-ecosystem portal"

    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")

    assert page.locator("h1").inner_text() == "金融+N 合作伙伴生态门户"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    screenshot(page, "language-switch-zh")
