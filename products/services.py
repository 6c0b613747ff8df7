"""Writes of the product catalog. Every term change is validated with ``products.terms``;
every status move goes through ``product_status_change`` and leaves a ``ProductStatusChange``.

``actor`` is the acting staff user (checked against ``portal.roles`` permissions) or ``None`` for
the system itself (``seed_demo``), which only builds the catalog: see ``core.actors``.
"""

from __future__ import annotations

import contextlib
import logging
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.actors import staff_may
from core.generations import generation_bump
from core.money import percent_text
from core.transitions import transition

from .exceptions import (
    ProductError,
    ProductNotAllowed,
    ProductRetired,
    ProductStatusInvalid,
    ProductTermsInvalid,
)
from .models import Product, ProductStatusChange, Segment, SegmentPrice
from .terms import RATE_CAP, TERM_FIELDS, parse_tenors, terms_errors

logger = logging.getLogger(__name__)

Status = Product.Status
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.ACTIVE, Status.RETIRED}),
    Status.ACTIVE: frozenset({Status.RETIRED}),
    Status.RETIRED: frozenset(),
}
EDITABLE_FIELDS = frozenset({"name", "name_zh", "description", "description_zh", "category", *TERM_FIELDS})


def catalog_changed() -> None:
    """Tell every process that products, segment prices or segments changed: what caches them
    (the offer terms of ``scenarios``) reads them again on its next request."""
    generation_bump("products")


def _require(actor, permission: str, *, system: bool = False) -> None:
    if not staff_may(actor, permission, system=system):
        raise ProductNotAllowed(_("You do not have permission to do this."))


def product_terms_check(product: Product) -> None:
    """Raise ``ProductTermsInvalid`` naming every bad term of ``product``."""
    errors = terms_errors(product.category, product.terms())
    if errors:
        raise ProductTermsInvalid(errors)


def _normalise(product: Product) -> None:
    product.currency = (product.currency or "").strip().upper()
    with contextlib.suppress(ValueError):  # left as given: product_terms_check names it
        product.tenor_months = parse_tenors(product.tenor_months)
    if product.repayment_method is None:
        product.repayment_method = ""


def product_check(*, product: Product) -> None:
    """Raise the first reason ``product`` (new or changed, not yet saved) cannot be stored: a
    retired product is history, an active product keeps its category (bundles were composed for
    it), and every term must fit the category (``ProductTermsInvalid`` names each bad one)."""
    if product.pk is not None:
        stored = Product.objects.filter(pk=product.pk).values("status", "category").first()
        if stored and stored["status"] == Status.RETIRED:
            raise ProductRetired(_("A retired product cannot be changed."), field="status")
        if stored and product.category != stored["category"] and stored["status"] != Status.DRAFT:
            raise ProductError(_("Only a draft product may change its category."), field="category")
    _normalise(product)
    product_terms_check(product)


@transaction.atomic
def product_save(*, product: Product, actor) -> Product:
    """Validate and store a new or changed product (admin form, import row, ``product_create``
    and ``product_update``). The status never changes here: new products are drafts."""
    if product.pk is None:
        _require(actor, "products.add_product", system=True)
        product.status = Status.DRAFT
    else:
        _require(actor, "products.change_product", system=True)
        # Lock the row so a concurrent status move cannot slip between the check and the save.
        product.status = (
            Product.objects.select_for_update().values_list("status", flat=True).get(pk=product.pk)
        )
    product_check(product=product)
    product._history_user = actor
    product.save()
    catalog_changed()
    return product


def product_create(*, actor, code: str, name: str, category: str, **fields) -> Product:
    """A new draft product; every term is validated for the category."""
    _check_fields(fields)
    if Product.objects.filter(code=code).exists():
        raise ProductError(_("A product with this code already exists."), field="code")
    return product_save(product=Product(code=code, name=name, category=category, **fields), actor=actor)


def product_update(*, product: Product, actor, **changes) -> Product:
    """Change the name or terms of a draft or active product."""
    _check_fields(changes)
    product = Product.objects.get(pk=product.pk)
    for field, value in changes.items():
        setattr(product, field, value)
    return product_save(product=product, actor=actor)


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"unexpected product fields: {', '.join(sorted(unknown))}")


@transaction.atomic
def product_status_change(*, product: Product, to: str, actor, reason: str = "") -> Product:
    """Move ``product`` to ``to`` if the allowed-moves map permits it; a product becomes active
    only with valid terms."""
    _require(actor, "products.change_product_status", system=True)
    product = Product.objects.select_for_update().get(pk=product.pk)
    current = product.status
    transition(
        product,
        to,
        moves=ALLOWED_MOVES,
        actor=actor,
        reason=reason,
        change_model=ProductStatusChange,
        error=ProductStatusInvalid,
        check=product_terms_check if to == Status.ACTIVE else None,
    )
    catalog_changed()
    logger.info("product %s: %s -> %s", product.code, current, to)
    return product


def product_activate(*, product: Product, actor, reason: str = "") -> Product:
    return product_status_change(product=product, to=Status.ACTIVE, actor=actor, reason=reason)


def product_retire(*, product: Product, actor, reason: str = "") -> Product:
    """Retire a product: it can no longer join a bundle, and bundles that use it warn staff."""
    return product_status_change(product=product, to=Status.RETIRED, actor=actor, reason=reason)


def segment_price_errors(*, product: Product, rate_adjustment: Decimal | None) -> list[str]:
    """Why a segment adjustment does not fit ``product``; empty when it does."""
    if rate_adjustment is None:
        return [_("Enter a rate adjustment.")]
    if product.rate is None:
        return [_("This product has no rate to adjust.")]
    if not (-RATE_CAP <= rate_adjustment <= RATE_CAP):
        return [
            _("The rate adjustment must be between %(low)s and %(high)s.")
            % {"low": percent_text(-RATE_CAP), "high": percent_text(RATE_CAP)}
        ]
    adjusted = product.rate + rate_adjustment
    if not (product.rate_floor <= adjusted <= product.rate_ceiling):
        return [
            _("The adjusted rate %(rate)s would leave the product's bounds %(floor)s–%(ceiling)s.")
            % {
                "rate": percent_text(adjusted),
                "floor": percent_text(product.rate_floor),
                "ceiling": percent_text(product.rate_ceiling),
            }
        ]
    return []


@transaction.atomic
def segment_price_set(*, product: Product, segment: Segment, rate_adjustment: Decimal, actor) -> SegmentPrice:
    """Set the adjustment of ``segment`` on ``product`` (the adjusted rate must stay within the
    product's floor and ceiling)."""
    _require(actor, "products.change_product", system=True)
    if product.is_retired:
        raise ProductRetired(_("A retired product cannot be changed."))
    errors = segment_price_errors(product=product, rate_adjustment=rate_adjustment)
    if errors:
        raise ProductError(errors[0], field="rate_adjustment")
    price = SegmentPrice.objects.filter(product=product, segment=segment).first() or SegmentPrice(
        product=product, segment=segment
    )
    price.rate_adjustment = rate_adjustment
    price._history_user = actor
    price.save()
    catalog_changed()
    return price


@transaction.atomic
def segment_price_remove(*, product: Product, segment: Segment, actor) -> None:
    _require(actor, "products.change_product")
    for price in SegmentPrice.objects.filter(product=product, segment=segment):
        price._history_user = actor
        price.delete()
    catalog_changed()


def segment_ensure(*, code: str, name: str, name_zh: str = "", position: int = 0, actor=None) -> Segment:
    """The segment ``code``, created once; an existing segment is left as it is."""
    _require(actor, "products.add_segment", system=True)
    segment, created = Segment.objects.get_or_create(
        code=code, defaults={"name": name, "name_zh": name_zh, "position": position}
    )
    if created:
        catalog_changed()
    return segment
