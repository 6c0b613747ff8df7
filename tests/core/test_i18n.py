"""core.i18n.localized: the ``_zh`` text in the Chinese UI, the English otherwise or when the
Chinese is blank; model instances and ``.values()`` rows alike; the template filter agrees."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import translation

from core.i18n import localized

ROW = {"industry__name": "Travel", "industry__name_zh": "旅游出行"}
THING = SimpleNamespace(
    name="Travel installments", name_zh="旅游分期", description="Pay monthly.", description_zh=""
)


@pytest.mark.parametrize(
    ("language", "obj", "field", "expected"),
    [
        ("zh-hans", THING, "name", "旅游分期"),
        ("en", THING, "name", "Travel installments"),
        ("zh-hans", THING, "description", "Pay monthly."),  # blank Chinese: the English
        ("zh-hans", ROW, "industry__name", "旅游出行"),
        ("en", ROW, "industry__name", "Travel"),
        ("zh-hans", {"industry__name": "Travel", "industry__name_zh": " "}, "industry__name", "Travel"),
        ("zh-hans", SimpleNamespace(name="Only English"), "name", "Only English"),  # no _zh field
        ("zh-hans", None, "name", ""),
    ],
)
def test_it_reads_the_text_in_the_active_language(language, obj, field, expected):
    with translation.override(language):
        assert localized(obj, field) == expected


def test_the_template_filter_reads_the_same_text():
    template = Template('{% load content %}{{ thing|localized:"name" }}|{{ thing|localized:"description" }}')

    with translation.override("zh-hans"):
        chinese = template.render(Context({"thing": THING}))
    with translation.override("en"):
        english = template.render(Context({"thing": THING}))

    assert chinese == "旅游分期|Pay monthly."
    assert english == "Travel installments|Pay monthly."
