"""Staff write a product's name and description in both languages on one form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from products.models import Product
from tests.products.test_admin import _form, manager  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def test_the_product_form_saves_both_languages(client, manager):  # noqa: F811
    data = _form(
        name_zh="旅游分期", description="Pay for a trip monthly.", description_zh="旅游费用按月分期。"
    )

    response = client.post(reverse("admin:products_product_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    product = Product.objects.get(code="trip-installment")
    assert (product.name, product.name_zh) == ("Trip installments", "旅游分期")
    assert (product.description, product.description_zh) == ("Pay for a trip monthly.", "旅游费用按月分期。")


def test_the_product_form_groups_the_fields_by_language(client, manager):  # noqa: F811
    page = client.get(reverse("admin:products_product_add")).content.decode()

    assert page.index("In English") < page.index('name="description"') < page.index("In Chinese")
    assert page.index("In Chinese") < page.index('name="description_zh"')
