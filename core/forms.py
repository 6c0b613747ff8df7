"""Form fields every app's staff forms share.

:class:`PercentField`: a rate held as a fraction (``0.099000``) that people type and read as a
percentage (``9.90``). The stored value does not change; only the form speaks percent."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .money import HUNDRED, percent_text

# A rate is stored to 6 decimal places of its fraction: 4 of its percentage.
RATE_PLACES = 6


def percent_figure(rate: Decimal) -> Decimal:
    """A fraction as the percentage staff type: two places unless it needs more
    (``0.099`` → ``9.90``, ``0.123456`` → ``12.3456``); never loses a place."""
    percent = rate * HUNDRED
    shown = percent.quantize(Decimal("0.01"))
    return shown if shown == percent else percent.normalize()


class PercentField(forms.DecimalField):
    """A rate typed in percent, cleaned to its fraction (``9.9`` → ``Decimal("0.099")``).

    ``minimum`` and ``maximum`` are fractions; a refusal names the field and the bound in
    percent (“The base rate must be between 0.00 % and 36.00 %.”), and the places in percent."""

    def __init__(
        self,
        *,
        minimum: Decimal,
        maximum: Decimal,
        places: int = RATE_PLACES,
        max_digits=None,
        decimal_places=None,
        **kwargs,
    ):
        self.minimum, self.maximum, self.places = minimum, maximum, places
        kwargs.setdefault("localize", False)
        super().__init__(**kwargs)
        # The bounds and places are checked in percent below, not by DecimalField's
        # validators, whose messages would speak of the fraction.
        self.validators = []

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.NumberInput):
            attrs["step"] = str(Decimal(1).scaleb(-(self.places - 2)))
        return attrs

    def prepare_value(self, value):
        # The stored fraction is shown in percent; what the user typed is shown as typed.
        if isinstance(value, Decimal):
            return percent_figure(value)
        return value

    def to_python(self, value):
        percent = super().to_python(value)
        if percent is None:
            return None
        name = self.label or _("rate")
        if percent.as_tuple().exponent < -(self.places - 2):
            raise forms.ValidationError(
                _("%(field)s has at most %(places)d decimal places in percent.")
                % {"field": capfirst(name), "places": self.places - 2},
                code="max_decimal_places",
            )
        rate = percent / HUNDRED
        if not (self.minimum <= rate <= self.maximum):
            raise forms.ValidationError(
                _("%(field)s must be between %(low)s and %(high)s.")
                % {
                    "field": capfirst(name),
                    "low": percent_text(self.minimum),
                    "high": percent_text(self.maximum),
                },
                code="out_of_bounds",
            )
        return rate
