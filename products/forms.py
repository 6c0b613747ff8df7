"""Forms of the catalog's staff pages: tenors typed as "3, 6, 12", terms checked with the same
rules the services apply (``products.terms``) so that staff see every bad term at once."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Product
from .services import segment_price_errors
from .terms import TERM_FIELDS, parse_tenors, terms_errors


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


class ProductForm(forms.ModelForm):
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
