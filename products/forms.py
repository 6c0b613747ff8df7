"""Forms of the catalog's staff pages: rates typed in percent (stored as fractions), tenors
typed as "3, 6, 12", terms checked with the same rules the services apply (``products.terms``)
so that staff see every bad term at once."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import PercentField

from .models import Product, SegmentPrice
from .services import segment_price_errors
from .terms import RATE_CAP, TERM_FIELDS, parse_tenors, terms_errors


class TenorsField(forms.CharField):
    """Allowed tenors as a comma-separated list of months."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        try:
            return parse_tenors(text)
        except ValueError as exc:
            raise forms.ValidationError(
                _("Tenors are whole numbers of months; “%(value)s” is not.") % {"value": exc}
            ) from exc


def add_term_errors(form: forms.BaseForm, category: str, terms: dict) -> None:
    for field, messages in terms_errors(category, terms).items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def rate_field(label, help_text="", *, adjustment: bool = False, required: bool = False) -> PercentField:
    """A rate of the catalog typed in percent: 0 to 36 % (an adjustment: −36 % to 36 %)."""
    return PercentField(
        label=label,
        help_text=help_text,
        required=required,
        minimum=-RATE_CAP if adjustment else Decimal(0),
        maximum=RATE_CAP,
    )


class ProductForm(forms.ModelForm):
    rate = rate_field(
        _("base rate"),
        _(
            "In percent (12.90 is 12.90 %): the annual interest rate of credit products, the monthly "
            "fee rate of interest-free installments, the annual rate paid on deposits and wealth "
            "products, the premium rate of insurance, the fee rate of payment and merchant services."
        ),
    )
    rate_floor = rate_field(_("rate floor"), _("In percent."))
    rate_ceiling = rate_field(_("rate ceiling"), _("In percent."))
    tenor_months = TenorsField(
        label=_("allowed tenors (months)"), required=False, help_text=_("For example 3, 6, 12.")
    )

    class Meta:
        model = Product
        fields = ("code", "name", "name_zh", "description", "description_zh", "category", *TERM_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and cleaned.get("category"):
            add_term_errors(self, cleaned["category"], {f: cleaned.get(f) for f in TERM_FIELDS})
        return cleaned


class SegmentPriceForm(forms.ModelForm):
    rate_adjustment = rate_field(
        _("rate adjustment"),
        _("In percent, added to the base rate for this segment: −1.00 is one point cheaper."),
        adjustment=True,
        required=True,
    )

    class Meta:
        model = SegmentPrice
        fields = ("segment", "rate_adjustment")


class SegmentPriceFormSet(forms.BaseInlineFormSet):
    """Checks each adjustment against the product as the staff member is editing it (the parent
    form has applied its values to ``self.instance`` before inline formsets validate)."""

    def clean(self):
        super().clean()
        for form in self.forms:
            cleaned = getattr(form, "cleaned_data", None) or {}
            if cleaned.get("DELETE") or cleaned.get("rate_adjustment") is None:
                continue
            for message in segment_price_errors(
                product=self.instance, rate_adjustment=cleaned["rate_adjustment"]
            ):
                form.add_error("rate_adjustment", message)
