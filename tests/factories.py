"""factory_boy factories shared by all tests. Each capability adds its own below."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password("pass-word-2026")


class StaffFactory(UserFactory):
    is_staff = True


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "partners.Industry"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"industry-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    name_zh = "行业"


class PartnerFactory(factory.django.DjangoModelFactory):
    """An active partner unless ``status`` is given (set directly: tests of the lifecycle
    itself go through the services)."""

    class Meta:
        model = "partners.Partner"
        django_get_or_create = ("slug",)

    legal_name = factory.Sequence(lambda n: f"Partner {n} Co., Ltd.")
    display_name = factory.Sequence(lambda n: f"Partner {n}")
    slug = factory.Sequence(lambda n: f"partner-{n}")
    credit_code = factory.Sequence(lambda n: _credit_code(n))
    industry = factory.SubFactory(IndustryFactory, code="travel")
    status = "active"
    risk_rating = "low"


def _credit_code(n: int) -> str:
    """A valid 18-character code for sequence number ``n`` (GB 32100-2015 check character)."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    body = f"913100{n:011d}"[:17]
    total = sum(alphabet.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + alphabet[(31 - total % 31) % 31]


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "partners.Membership"

    user = factory.SubFactory(UserFactory)
    partner = factory.SubFactory(PartnerFactory)
    role = "owner"
