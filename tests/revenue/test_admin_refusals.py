"""A refusal in the revenue admin says which permission or rule refused: the branded 403
names the permission a staff member lacks, or the four-eyes rule that makes it someone
else's decision."""

from datetime import date

import pytest
from django.urls import reverse

from revenue import services
from revenue.models import Statement
from tests.factories import StaffFactory

from .factories import item, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def statement(partner, agreement):
    record(partner, item(amount="100.00"))
    services.settlement_start(through=date(2026, 1, 31), trigger="command")
    return Statement.objects.get()


@pytest.fixture
def intern(db):
    """Staff without any permission."""
    return StaffFactory(email="intern@bank.example")


def _reason(response) -> str:
    assert response.status_code == 403
    return response.content.decode()


@pytest.mark.parametrize(
    ("url", "method", "words"),
    [
        (
            "admin:revenue_statement_csv",
            "get",
            "Downloading a statement needs the permission “Can view statement”",
        ),
        (
            "admin:revenue_statement_pay",
            "post",
            "Recording a payout needs the permission “Can record the payout of a statement”",
        ),
        (
            "admin:revenue_statement_confirm",
            "post",
            "Confirming or sending back a payout needs the permission “Can confirm or send back a "
            "recorded payout (not one they recorded)”",
        ),
    ],
)
def test_a_statement_page_names_the_missing_permission(client, intern, statement, url, method, words):
    client.force_login(intern)

    page = _reason(getattr(client, method)(reverse(url, args=[statement.pk])))

    assert words in page


def test_starting_a_settlement_run_names_the_missing_permission(client, intern):
    client.force_login(intern)

    page = _reason(client.post(reverse("admin:revenue_settlementrun_start")))

    assert "Starting a settlement run needs the permission “Can start a settlement run”" in page


def test_proposing_an_adjustment_names_the_missing_permission(client, intern, statement, alice):
    dispute = services.dispute_raise(line=statement.lines.first(), actor=alice, reason="Missing a sale.")
    client.force_login(intern)

    page = _reason(client.post(reverse("admin:revenue_dispute_propose", args=[dispute.pk]), {}))

    assert "Proposing an adjustment needs the permission “Can resolve or reject disputes”" in page


def test_the_recorder_is_told_four_eyes_refuse_their_confirmation(
    client, statement, maker, checker, staff_roles
):
    maker.groups.add(staff_roles["Finance checkers"])  # holds the permission, recorded the payout
    services.statement_prepare(statement=statement, actor=maker)
    services.statement_approve(statement=statement, actor=checker)
    services.statement_pay(
        statement=statement, actor=maker, payout_reference="TRF-1", paid_on=date(2026, 2, 5)
    )
    client.force_login(maker)

    page = _reason(
        client.post(reverse("admin:revenue_statement_confirm", args=[statement.pk]), {"reason": ""})
    )

    assert "You recorded this payout; another person must confirm it or send it back (four eyes)." in page
