"""Money on the partner's pages: exact figures written as money, and a year to date that counts
only what the bank approved (drafts shown apart). Personas as in tests/portal/conftest.py."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
import time_machine
from django.urls import reverse

from revenue import services
from revenue.models import Statement
from tests.revenue.factories import (
    SHANGHAI,
    agreement_in_force,
    finance_staff,
    item,
    join,
    record,
    scenario_with_products,
)

pytestmark = pytest.mark.django_db

NBSP = "\N{NO-BREAK SPACE}"


def visible_text(page: str) -> str:
    """What a reader sees: no charts' coordinates, no markup."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", " ", page, flags=re.S))


# Amounts floats cannot hold: 0.10 + 0.20 + 33 333.33 × 3 + 49 999.99 = 150 000.28.
AMOUNTS = ["0.10", "0.20", "33333.33", "33333.33", "33333.33", "49999.99"]


@pytest.fixture(autouse=True)
def in_march():
    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)):
        yield


@pytest.fixture
def staff(staff_roles):
    return (
        finance_staff(staff_roles, "maker@bank.test", "Finance makers"),
        finance_staff(staff_roles, "checker@bank.test", "Finance checkers"),
    )


@pytest.fixture
def january(staff, acme):
    """Acme under a 30 % agreement; January's sales settled into a draft statement."""
    maker, checker = staff
    scenario, _products = scenario_with_products()
    join(acme, scenario)
    agreement_in_force(maker=maker, checker=checker, partner=acme, scenario=scenario)
    record(acme, *(item(amount=a, day=date(2026, 1, 5 + n)) for n, a in enumerate(AMOUNTS)))
    services.settlement_start(through=date(2026, 1, 31), trigger="command")
    return Statement.objects.get(partner=acme)


def approve(statement, staff):
    maker, checker = staff
    services.statement_prepare(statement=statement, actor=maker)
    return services.statement_approve(statement=statement, actor=checker)


def ytd(page: str, testid: str = "revenue-ytd") -> str:
    match = re.search(rf'data-testid="{testid}"><span class="money">([^<]*)</span>', page)
    return match.group(1) if match else ""


def test_a_draft_is_not_in_the_year_to_date_but_shown_apart(client, fiona, january):
    client.force_login(fiona)

    page = client.get(reverse("portal:dashboard")).content.decode()

    # 150 000.28 × 30 % = 45 000.084 → 45 000.08
    assert ytd(page) == f"0.00{NBSP}CNY"
    assert ytd(page, "revenue-ytd-draft") == f"45,000.08{NBSP}CNY"


def test_an_approved_statement_counts_in_the_year_to_date(client, fiona, january, staff):
    approve(january, staff)
    client.force_login(fiona)

    page = client.get(reverse("portal:dashboard")).content.decode()

    assert ytd(page) == f"45,000.08{NBSP}CNY"
    assert 'data-testid="revenue-ytd-draft"' not in page


def test_a_new_partner_is_not_told_every_statement_is_paid(client, fiona):
    client.force_login(fiona)

    page = client.get(reverse("portal:dashboard")).content.decode()

    assert "Every statement is paid." not in page
    assert "No statement yet" in page


def test_statement_pages_show_exact_money_in_both_languages(client, fiona, january):
    client.force_login(fiona)
    for language in ("en", "zh-hans"):
        client.cookies["django_language"] = language
        statement = client.get(reverse("portal:statement", args=[january.pk])).content.decode()
        statements = client.get(reverse("portal:statements")).content.decode()

        assert f"150,000.28{NBSP}CNY" in statement
        assert f"45,000.08{NBSP}CNY" in statement
        assert f"150,000.28{NBSP}CNY" in statements
        # No figure with more than two decimals anywhere on the pages.
        assert not re.search(r"\d\.\d{3,}", visible_text(statement + statements))
