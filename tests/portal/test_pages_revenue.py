"""Statements, disputes and transactions pages: finance sees and disputes, developers do not,
another partner's statement is a 404, query counts stay fixed."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from revenue import services
from revenue.models import Dispute, Statement
from tests.revenue.factories import (
    agreement_in_force,
    finance_staff,
    item,
    join,
    record,
    scenario_with_products,
)

pytestmark = pytest.mark.django_db

NBSP = "\N{NO-BREAK SPACE}"


@pytest.fixture
def settled(staff_roles, acme):
    """Acme in a scenario under a 30 % agreement, with January settled into a statement."""
    maker = finance_staff(staff_roles, "maker@bank.test", "Finance makers")
    checker = finance_staff(staff_roles, "checker@bank.test", "Finance checkers")
    scenario, _products = scenario_with_products()
    join(acme, scenario)
    agreement_in_force(maker=maker, checker=checker, partner=acme, scenario=scenario)
    record(acme, item(amount="100.00"), item(amount="250.00"), item(product="trip-cover", amount="40.00"))
    services.settlement_start(through=date(2026, 1, 31), trigger="command")
    return Statement.objects.get(partner=acme)


def test_finance_sees_the_statement_with_its_lines(client, fiona, settled):
    client.force_login(fiona)

    page = client.get(reverse("portal:statement", args=[settled.pk])).content.decode()

    assert "350.00" in page  # trip-installment gross
    assert "105.00" in page  # its 30 % share
    assert "Dispute this line" in page


def test_finance_downloads_the_statement_as_csv_and_xlsx(client, fiona, settled):
    client.force_login(fiona)

    csv = client.get(reverse("portal:statement-csv", args=[settled.pk]))
    xlsx = client.get(reverse("portal:statement-xlsx", args=[settled.pk]))

    assert csv["Content-Type"].startswith("text/csv")
    assert "trip-installment" in csv.content.decode("utf-8-sig")
    assert xlsx.content[:2] == b"PK"  # a zip: the XLSX container


def test_finance_disputes_a_line_and_sees_it_on_the_disputes_page(client, fiona, settled):
    line = settled.lines.get(product__code="trip-cover")
    client.force_login(fiona)

    response = client.post(
        reverse("portal:statement", args=[settled.pk]),
        {"line": line.pk, "reason": "We count 2 sales, not 1."},
    )

    assert response["Location"] == reverse("portal:statement", args=[settled.pk])
    dispute = Dispute.objects.get()
    assert dispute.line == line
    assert dispute.raised_by == fiona
    page = client.get(reverse("portal:disputes")).content.decode()
    assert "We count 2 sales, not 1." in page
    assert "Open" in page
    # The line in words: scenario, product and kind by name, no codes.
    named = f"{settled.agreement.scenario.name} · {line.product.name} · Sale"
    assert named in page
    assert f"{settled.scenario_code} /" not in page
    assert "trip-cover" not in page


def test_staff_see_a_disputed_line_by_name_in_the_admin(client, fiona, settled, admin_client):
    line = settled.lines.get(product__code="trip-cover")
    dispute = services.dispute_raise(line=line, actor=fiona, reason="check")

    page = admin_client.get(reverse("admin:revenue_dispute_change", args=[dispute.pk])).content.decode()
    listing = admin_client.get(reverse("admin:revenue_dispute_changelist")).content.decode()

    named = f"{settled.agreement.scenario.name} · {line.product.name} · Sale: {line.share_amount}"
    assert named in page
    assert named in listing
    assert f"{settled.scenario_code} / {line.product_id} / sale" not in page


def test_a_line_cannot_be_disputed_twice(client, fiona, settled):
    line = settled.lines.first()
    client.force_login(fiona)
    url = reverse("portal:statement", args=[settled.pk])
    client.post(url, {"line": line.pk, "reason": "first"})

    response = client.post(url, {"line": line.pk, "reason": "again"})

    assert "already disputed" in response.content.decode()
    assert Dispute.objects.count() == 1


def test_a_viewer_reads_statements_but_cannot_dispute(client, victor, settled):
    client.force_login(victor)

    assert (
        "Dispute this line" not in client.get(reverse("portal:statement", args=[settled.pk])).content.decode()
    )
    response = client.post(
        reverse("portal:statement", args=[settled.pk]), {"line": settled.lines.first().pk, "reason": "x"}
    )
    assert response.status_code == 403
    assert not Dispute.objects.exists()


def test_a_developer_does_not_see_statements(client, bob, settled):
    client.force_login(bob)

    assert client.get(reverse("portal:statements")).status_code == 403
    assert client.get(reverse("portal:statement-csv", args=[settled.pk])).status_code == 403


def test_another_partner_s_statement_is_a_404(client, charlie, settled):
    client.force_login(charlie)

    assert client.get(reverse("portal:statement", args=[settled.pk])).status_code == 404
    assert client.get(reverse("portal:statement-csv", args=[settled.pk])).status_code == 404


def test_a_line_of_another_statement_cannot_be_disputed_through_this_one(
    client, fiona, charlie, settled, other
):
    client.force_login(fiona)

    response = client.post(reverse("portal:statement", args=[settled.pk]), {"line": 999_999, "reason": "x"})

    assert response.status_code == 404


def test_transactions_are_filtered_and_exported(client, fiona, settled, acme):
    record(acme, item(amount="77.00", day=date(2026, 2, 3)))
    client.force_login(fiona)

    february = client.get(reverse("portal:transactions"), {"occurred_after": "2026-02-01"}).content.decode()
    export = client.get(reverse("portal:transactions"), {"export": "csv"})

    assert "77.00" in february
    assert "250.00" not in february
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert body.count("\n") == 5  # header and four transactions


@pytest.mark.parametrize("periods", [1, 3])
def test_the_statement_list_costs_the_same_queries_whatever_the_data(
    client, fiona, settled, acme, django_assert_num_queries, periods
):
    for month in range(2, 2 + periods):
        record(acme, item(amount="10.00", day=date(2026, month, 10)))
    services.settlement_start(through=date(2026, 1 + periods, 28), trigger="command")
    client.force_login(fiona)

    # session, user, memberships, statements (with agreement), lines, the bell
    with django_assert_num_queries(6):
        response = client.get(reverse("portal:statements"))
    assert response.content.decode().count("export.csv") >= 1


def test_the_dashboard_shows_the_revenue_share_and_statements_awaiting_payment(client, fiona, settled):
    client.force_login(fiona)

    page = client.get(reverse("portal:dashboard")).content.decode()

    assert "Revenue share by month" in page
    # The statement is a draft: not in the year to date, shown apart (30 % of 350.00 and 40.00).
    assert f'data-testid="revenue-ytd"><span class="money">0.00{NBSP}CNY</span><' in page
    assert f'data-testid="revenue-ytd-draft"><span class="money">117.00{NBSP}CNY</span><' in page
    assert settled.agreement.scenario.name in page  # the unpaid statement is listed, by name
    assert reverse("portal:statement", args=[settled.pk]) in page


def test_developers_do_not_see_revenue_on_the_dashboard(client, bob, settled):
    client.force_login(bob)

    assert "Revenue share" not in client.get(reverse("portal:dashboard")).content.decode()


@pytest.mark.parametrize("size", [1, 5])
def test_transactions_and_disputes_cost_the_same_queries_whatever_the_data(
    client, fiona, settled, acme, django_assert_num_queries, size
):
    record(acme, *(item(amount="5.00", day=date(2026, 2, 2)) for _ in range(size)))
    for line in list(settled.lines.all())[:size]:
        services.dispute_raise(line=line, actor=fiona, reason="check")
    client.force_login(fiona)

    # session, user, memberships, transactions (with product), the bell
    with django_assert_num_queries(5):
        client.get(reverse("portal:transactions"))
    # session, user, memberships, disputes (with line, statement, product, raiser), their
    # adjustments (with the statement carrying each), the bell
    with django_assert_num_queries(6):
        response = client.get(reverse("portal:disputes"))
    assert response.content.decode().count("<td>check</td>") == min(size, settled.lines.count())


def test_a_dispute_shows_the_proposed_then_approved_amount_and_the_statement_carrying_it(
    client, fiona, settled, acme, staff_roles
):
    from decimal import Decimal

    from revenue.models import Adjustment

    maker = finance_staff(staff_roles, "maker2@bank.test", "Finance makers")
    checker = finance_staff(staff_roles, "checker2@bank.test", "Finance checkers")
    dispute = services.dispute_raise(line=settled.lines.first(), actor=fiona, reason="one sale is missing")
    adjustment = services.dispute_propose_adjustment(
        dispute=dispute, actor=maker, amount=Decimal("1234.50"), reason="the missing sale"
    )
    client.force_login(fiona)

    proposed = client.get(reverse("portal:disputes")).content.decode()

    assert re.search(rf"Proposed:\s*<span class=\"money\">1,234.50{NBSP}CNY</span>", proposed)

    services.adjustment_approve(adjustment=adjustment, actor=checker)
    approved = client.get(reverse("portal:disputes")).content.decode()
    assert f'<span class="money">1,234.50{NBSP}CNY</span>' in approved
    assert "on your next statement" in approved

    record(acme, item(amount="10.00", day=date(2026, 2, 3)))
    services.settlement_start(through=date(2026, 2, 28), trigger="command")
    carrier = Adjustment.objects.get(pk=adjustment.pk).line.statement
    settled_page = client.get(reverse("portal:disputes")).content.decode()
    assert carrier != settled
    assert reverse("portal:statement", args=[carrier.pk]) in settled_page
    assert "on the statement 2026-02-01 – 2026-02-28" in settled_page
    # The statement page lists the dispute with its amount too.
    statement_page = client.get(reverse("portal:statement", args=[settled.pk])).content.decode()
    assert f"1,234.50{NBSP}CNY" in statement_page


def test_another_partners_dispute_amounts_are_not_shown(client, charlie, fiona, settled, staff_roles):
    from decimal import Decimal

    maker = finance_staff(staff_roles, "maker2@bank.test", "Finance makers")
    dispute = services.dispute_raise(line=settled.lines.first(), actor=fiona, reason="check")
    services.dispute_propose_adjustment(dispute=dispute, actor=maker, amount=Decimal("77.00"), reason="x")
    client.force_login(charlie)

    page = client.get(reverse("portal:disputes")).content.decode()

    assert "77.00" not in page
