"""Payout batch helpers: payable partners (agreement in force, verified payee account in force),
approved statements of any total, the finance maker and checker. Accounts and invoices are
written directly (their own services belong to the payee accounts' area)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from core.secrets import fernet
from payouts.models import PayeeAccount, VatInvoice
from payouts.selectors import PAYEE_ACCOUNT_LABEL
from revenue.models import Statement
from tests.factories import PartnerFactory
from tests.revenue.factories import agreement_in_force, finance_staff, join

ACCOUNT_NUMBER = "6222020200001234567"
CNAPS_CODE = "102100099996"
_days = count()


def staff(staff_roles):
    """(maker, checker): a finance maker and a finance checker."""
    return (
        finance_staff(staff_roles, "maker@bank.example", "Finance makers"),
        finance_staff(staff_roles, "checker@bank.example", "Finance checkers"),
    )


def payable_partner(*, maker, checker, scenario, slug: str, account: bool = True):
    """A partner in ``scenario`` with an agreement in force and (``account``) a verified payee
    account whose cooling-off ended an hour ago. Answers the agreement."""
    partner = PartnerFactory(slug=slug, display_name=slug.title(), legal_name=f"{slug.title()} Ltd")
    join(partner, scenario)
    agreement = agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)
    if account:
        account_verified(partner)
    return agreement


def account_verified(partner, number: str = ACCOUNT_NUMBER) -> PayeeAccount:
    now = timezone.now()
    return PayeeAccount.objects.create(
        partner=partner,
        account_name=partner.legal_name,
        bank_name="Industrial and Commercial Bank of China",
        branch_name="Beijing Xidan Branch",
        cnaps_code=CNAPS_CODE,
        account_number_encrypted=fernet(PAYEE_ACCOUNT_LABEL).encrypt(number.encode()).decode(),
        account_number_last4=number[-4:],
        status=PayeeAccount.Status.VERIFIED,
        verified_at=now - timedelta(days=2),
        effective_at=now - timedelta(hours=1),
    )


def approved_statement(agreement, total: str | Decimal, *, currency: str = "CNY") -> Statement:
    """An approved statement of ``agreement`` for a day of its own, owing ``total``."""
    day = date(2025, 1, 1) + timedelta(days=next(_days))
    return Statement.objects.create(
        agreement=agreement,
        partner=agreement.partner,
        scenario_code=agreement.scenario_code,
        period_start=day,
        period_end=day,
        status=Statement.Status.APPROVED,
        currency=currency,
        share_amount=Decimal(total),
        adjustment_amount=Decimal("0.00"),
    )


def invoice_verified(statement: Statement) -> VatInvoice:
    total = statement.share_amount + statement.adjustment_amount
    tax = (total * Decimal("0.06") / Decimal("1.06")).quantize(Decimal("0.01"))
    return VatInvoice.objects.create(
        statement=statement,
        partner=statement.partner,
        invoice_code="011002300111",
        invoice_number=f"{statement.pk:08d}",
        issued_on=date(2026, 2, 1),
        amount_before_tax=total - tax,
        tax_rate=Decimal("0.0600"),
        tax_amount=tax,
        total_amount=total,
        file="invoices/2026/02/invoice.pdf",
        file_sha256="0" * 64,
        status=VatInvoice.Status.VERIFIED,
    )
