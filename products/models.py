"""The bank's product catalog: products with typed terms, customer segments and segment prices.

What each term means per category is in ``products.terms``; the services validate terms with
``products.terms.terms_errors`` and change a product's status only through
``products.services.product_status_change``.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.i18n import LocalNameMixin
from core.money import percent_text
from core.transitions import StatusChangeRecord

from .terms import RATE_CAP, TERM_FIELDS, Category, RepaymentMethod

RATE_DIGITS = {"max_digits": 7, "decimal_places": 6}
MONEY_DIGITS = {"max_digits": 14, "decimal_places": 2}


def _rate_bounds(field: str, low: Decimal) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": low, f"{field}__lte": RATE_CAP})


class Segment(LocalNameMixin, models.Model):
    """A customer segment priced differently (standard, new customer, VIP, small business…)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_zh = models.CharField(_("Chinese name"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")
        ordering = ("position", "code")

    def __str__(self) -> str:
        return self.local_name


class Product(LocalNameMixin, models.Model):
    """A bank product partners can offer inside their journeys."""

    Category = Category
    RepaymentMethod = RepaymentMethod

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_zh = models.CharField(_("Chinese name"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_zh = models.TextField(_("Chinese description"), blank=True)
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    rate = models.DecimalField(
        _("base rate"),
        **RATE_DIGITS,
        null=True,
        blank=True,
        help_text=_(
            "A decimal fraction (0.129 is 12.9 %): the annual interest rate of credit products, the "
            "monthly fee rate of interest-free installments, the annual rate paid on deposits and "
            "wealth products, the premium rate of insurance, the fee rate of payment and merchant "
            "services."
        ),
    )
    rate_floor = models.DecimalField(_("rate floor"), **RATE_DIGITS, null=True, blank=True)
    rate_ceiling = models.DecimalField(_("rate ceiling"), **RATE_DIGITS, null=True, blank=True)
    min_amount = models.DecimalField(_("minimum amount"), **MONEY_DIGITS, null=True, blank=True)
    max_amount = models.DecimalField(_("maximum amount"), **MONEY_DIGITS, null=True, blank=True)
    tenor_months = models.JSONField(
        _("allowed tenors (months)"), default=list, blank=True, help_text=_("For example 3, 6, 12.")
    )
    repayment_method = models.CharField(
        _("repayment method"), max_length=20, choices=RepaymentMethod.choices, blank=True
    )
    minimum_charge = models.DecimalField(
        _("minimum premium or fee"),
        **MONEY_DIGITS,
        null=True,
        blank=True,
        help_text=_("Insurance: the minimum premium. Payment and merchant services: the minimum fee."),
    )
    fixed_fee = models.DecimalField(
        _("fixed fee"), **MONEY_DIGITS, null=True, blank=True, help_text=_("Data services: the fee per use.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ("category", "code")
        permissions = [
            ("change_product_status", _("Can activate and retire products")),
            ("import_product", _("Can import products from a file")),
            ("export_product", _("Can export products to a file")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=_rate_bounds("rate", Decimal(0)), name="product_rate_within_cap"
            ),
            models.CheckConstraint(
                condition=_rate_bounds("rate_floor", Decimal(0)), name="product_rate_floor_within_cap"
            ),
            models.CheckConstraint(
                condition=_rate_bounds("rate_ceiling", Decimal(0)), name="product_rate_ceiling_within_cap"
            ),
            models.CheckConstraint(
                condition=Q(rate_floor__isnull=True)
                | Q(rate_ceiling__isnull=True)
                | Q(rate_floor__lte=models.F("rate_ceiling")),
                name="product_rate_floor_not_above_ceiling",
            ),
            models.CheckConstraint(
                condition=Q(rate__isnull=True)
                | (
                    Q(rate_floor__isnull=False, rate_ceiling__isnull=False)
                    & Q(rate__gte=models.F("rate_floor"), rate__lte=models.F("rate_ceiling"))
                ),
                name="product_rate_within_floor_and_ceiling",
            ),
            models.CheckConstraint(
                condition=(Q(min_amount__isnull=True) | Q(min_amount__gt=0))
                & (Q(max_amount__isnull=True) | Q(max_amount__gt=0))
                & (
                    Q(min_amount__isnull=True)
                    | Q(max_amount__isnull=True)
                    | Q(min_amount__lte=models.F("max_amount"))
                ),
                name="product_amount_range_valid",
            ),
            models.CheckConstraint(
                condition=(Q(minimum_charge__isnull=True) | Q(minimum_charge__gte=0))
                & (Q(fixed_fee__isnull=True) | Q(fixed_fee__gte=0)),
                name="product_charges_not_negative",
            ),
        ]
        indexes = [
            # The admin list and the bundle-item product picker filter on these.
            models.Index(fields=["status", "category"], name="product_status_category_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.local_name} ({self.code})"

    @property
    def is_retired(self) -> bool:
        return self.status == self.Status.RETIRED

    def terms(self) -> dict[str, object]:
        """The typed terms as ``products.terms.terms_errors`` reads them."""
        return {field: getattr(self, field) for field in TERM_FIELDS}


class SegmentPrice(models.Model):
    """A segment's adjustment to the product's priced rate (negative is cheaper for credit)."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="segment_prices"
    )
    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.PROTECT, related_name="prices"
    )
    rate_adjustment = models.DecimalField(
        _("rate adjustment"),
        **RATE_DIGITS,
        help_text=_("Added to the base rate for this segment, e.g. -0.010000 is one point cheaper."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("segment price")
        verbose_name_plural = _("segment prices")
        ordering = ("product", "segment__position")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "segment"], name="segment_price_product_segment_unique"
            ),
            models.CheckConstraint(
                condition=Q(rate_adjustment__gte=-RATE_CAP, rate_adjustment__lte=RATE_CAP),
                name="segment_price_adjustment_within_cap",
            ),
        ]

    def __str__(self) -> str:
        # A rate in percent, signed ("consumer-loan / VIP: -3.00 %"), as the admin shows it.
        sign = "+" if self.rate_adjustment > 0 else ""
        return f"{self.product.code} / {self.segment}: {sign}{percent_text(self.rate_adjustment)}"


class ProductStatusChange(StatusChangeRecord):
    """One row per status move of a product: who, when, from, to and why."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("from"), max_length=10, choices=Product.Status.choices)
    to_status = models.CharField(_("to"), max_length=10, choices=Product.Status.choices)

    class Meta(StatusChangeRecord.Meta):
        verbose_name = _("product status change")
        verbose_name_plural = _("product status changes")

    def __str__(self) -> str:
        return f"{self.product.code}: {self.move_text()}"
