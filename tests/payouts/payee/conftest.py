"""Fixtures of the payee account and VAT invoice tests. Personas: alice owns Acme Travel, fiona
is its finance member, bob its developer, charlie owns another partner; ``maker`` is a finance
maker (enters for partners), ``checker`` and ``checker2`` finance checkers."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from revenue.models import Statement
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.revenue.factories import agreement_in_force, finance_staff, join, scenario_with_products

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def ofd_bytes(*, with_root: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if with_root:
            archive.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        archive.writestr("Doc_0/Document.xml", "<Document/>")
    return buffer.getvalue()


def pdf_upload(content: bytes = PDF, name: str = "invoice.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def acme(db):
    return PartnerFactory(
        slug="acme-travel", display_name="Acme Travel", legal_name="Acme Travel (Shanghai) Co., Ltd."
    )


def member(partner, email: str, role: str):
    return MembershipFactory(partner=partner, user=UserFactory(email=email), role=role).user


@pytest.fixture
def alice(acme):
    return member(acme, "alice@acme.test", "owner")


@pytest.fixture
def fiona(acme):
    return member(acme, "fiona@acme.test", "finance")


@pytest.fixture
def bob(acme):
    return member(acme, "bob@acme.test", "developer")


@pytest.fixture
def other(db):
    return PartnerFactory(slug="other-mall", display_name="Other Mall")


@pytest.fixture
def charlie(other):
    return member(other, "charlie@other.test", "owner")


@pytest.fixture
def maker(staff_roles):
    return finance_staff(staff_roles, "maker@bank.test", "Finance makers")


@pytest.fixture
def checker(staff_roles):
    return finance_staff(staff_roles, "checker@bank.test", "Finance checkers")


@pytest.fixture
def checker2(staff_roles):
    return finance_staff(staff_roles, "checker2@bank.test", "Finance checkers")


@pytest.fixture
def agreement(maker, checker, acme):
    scenario, _products = scenario_with_products()
    join(acme, scenario)
    return agreement_in_force(maker=maker, checker=checker, partner=acme, scenario=scenario)


def make_statement(agreement, *, share="1060.00", adjustment="0.00", status="approved", month=1):
    return Statement.objects.create(
        agreement=agreement,
        partner=agreement.partner,
        scenario_code=agreement.scenario_code,
        period_start=date(2026, month, 1),
        period_end=date(2026, month, 28),
        gross_amount=Decimal("5000.00"),
        share_amount=Decimal(share),
        adjustment_amount=Decimal(adjustment),
        status=status,
    )


@pytest.fixture
def statement(agreement):
    """Approved, 1000.00 share + 60.00 adjustments: 1060.00 = 1000.00 + 6 % tax 60.00."""
    return make_statement(agreement, share="1000.00", adjustment="60.00")
