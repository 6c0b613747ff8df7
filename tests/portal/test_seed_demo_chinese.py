"""The demo data carries Chinese for every industry, product and scenario: a row added to a demo
list without its Chinese fails here."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from partners.models import Industry
from products.models import Product, Segment
from scenarios.models import Scenario

# Each model's bilingual fields: every seeded row has both languages.
BILINGUAL = {
    Industry: ("name", "description"),
    Segment: ("name",),
    Product: ("name", "description"),
    Scenario: ("name", "description", "data_shared", "data_purpose"),
}


@pytest.mark.django_db
def test_every_seeded_row_has_its_chinese(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())

    missing = [
        f"{model.__name__} {row['code']}: {field}_zh"
        for model, fields in BILINGUAL.items()
        for row in model.objects.values("code", *fields, *(f"{field}_zh" for field in fields))
        for field in fields
        if row[field].strip() and not row[f"{field}_zh"].strip()
    ]
    english_blank = [
        f"{model.__name__} {row['code']}: {field}"
        for model, fields in BILINGUAL.items()
        for row in model.objects.values("code", *fields)
        for field in fields
        if not row[field].strip()
    ]

    assert missing == []
    assert english_blank == []  # the demo shows every text, so a blank one is a gap too
    assert Scenario.objects.count() >= 4
    assert Product.objects.count() >= 15
    assert Industry.objects.count() >= 14
