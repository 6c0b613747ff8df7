"""Forms of the scenario staff pages. Item overrides are checked with the services' own rules
(``bundle_item_errors``) so staff see every bad value before anything is saved."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import Industry, Partner
from products.models import Product, Segment
from products.terms import CREDIT, RATE_CAP, percent

from .engine import BundleLine, money_str, priced_rate, product_apr_ceiling, worst_apr
from .engine.money import ZERO
from .models import DataPurpose, Scenario
from .selectors import product_terms
from .services import (
    ITEM_VALUES,
    SCENARIO_FIELDS,
    bundle_item_campaign_errors,
    bundle_item_errors,
    parse_trigger_events,
    trigger_events_errors,
)


class TriggerEventsField(forms.CharField):
    """Trigger events as a comma-separated list: ``booking.created, booking.paid``."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        events = parse_trigger_events(super().to_python(value))
        errors = trigger_events_errors(events)
        if errors:
            raise forms.ValidationError(errors)
        return events


class ScenarioForm(forms.ModelForm):
    trigger_events = TriggerEventsField(
        label=_("trigger events"),
        required=False,
        help_text=_("Comma-separated, e.g. booking.created, booking.paid."),
    )
    data_purposes = forms.MultipleChoiceField(
        label=_("purposes of the data"),
        choices=DataPurpose.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "What the bank uses the customer's data for: an offer request with a customer "
            "reference or a segment needs the customer's consent to each of them."
        ),
    )

    class Meta:
        model = Scenario
        fields = ("code", *SCENARIO_FIELDS)

    def clean_code(self):
        """A new scenario takes a code no version uses yet (``scenario_code_version_unique``,
        ``scenario_one_draft_per_code``), said on the field rather than as a constraint."""
        code = self.cleaned_data["code"]
        if self.instance.pk is None and Scenario.objects.filter(code=code).exists():
            raise forms.ValidationError(
                _(
                    "The code “%(code)s” is taken by another scenario: choose another, or make the next version of that one."
                ),
                params={"code": code},
            )
        return code


def bundle_item_apr_warning(*, product: Product, rate_adjustment: Decimal, fee_waiver: Decimal) -> str | None:
    """What staff should know when a credit item would price some offers above the product's
    ceiling by APR (fen rounding of small loans, flat fees): the worst APR found at the item's
    highest price (base + item adjustment + the highest segment adjustment, clamped), or
    ``None``. Such offers are simply not made, so this warns and does not refuse."""
    if product.category not in CREDIT or not product.repayment_method or product.rate is None:
        return None
    terms = product_terms(product)
    line = BundleLine(1, terms, rate_adjustment=rate_adjustment or ZERO, fee_waiver=fee_waiver or ZERO)
    rate = max(priced_rate(line, segment) for segment in (None, *terms.segment_adjustments))
    worst, ceiling = worst_apr(terms, rate, fee_waiver=line.fee_waiver), product_apr_ceiling(terms)
    if worst is None or worst[0] <= ceiling:
        return None
    apr, amount, months = worst
    return _(
        "The annualised rate (APR) of %(product)s reaches %(apr)s at its highest price here, for "
        "%(amount)s %(currency)s over %(months)d months, above its ceiling of %(ceiling)s. Offers "
        "whose APR is above the ceiling are not made."
    ) % {
        "product": product.code,
        "apr": percent(apr),
        "amount": money_str(amount),
        "currency": product.currency,
        "months": months,
        "ceiling": percent(ceiling),
    }


# The bounds the database holds bundle items to (``BundleItem.Meta.constraints``), checked on
# the form first so staff read the field and the bound in words, never a constraint's name.
ITEM_BOUNDS: dict[str, tuple[Decimal | None, Decimal | None]] = {
    "rate_adjustment": (-RATE_CAP, RATE_CAP),
    "fee_waiver": (Decimal(0), Decimal(1)),
    "reward_rate": (Decimal(0), None),
    "reward_amount": (Decimal(0), None),
    "reward_cap": (Decimal(0), None),
}
# Shown as percentages: rates and shares of an amount.
PERCENT_FIELDS = frozenset({"rate_adjustment", "fee_waiver"})


def _bound(field: str, value: Decimal) -> str:
    return percent(value) if field in PERCENT_FIELDS else f"{value:f}"


class BundleItemForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        for field, (low, high) in ITEM_BOUNDS.items():
            value = cleaned.get(field)
            if value is None or field in self.errors:
                continue
            label = str(self.fields[field].label) if field in self.fields else field
            if (low is not None and value < low) or (high is not None and value > high):
                if high is None:
                    message = _("%(field)s cannot be below %(low)s.") % {
                        "field": label.capitalize(),
                        "low": _bound(field, low),
                    }
                else:
                    message = _("%(field)s must be between %(low)s and %(high)s.") % {
                        "field": label.capitalize(),
                        "low": _bound(field, low),
                        "high": _bound(field, high),
                    }
                if field == "rate_adjustment":
                    message += " " + str(
                        _("No quoted rate may move by more than the legal cap of %(cap)s.")
                        % {"cap": percent(RATE_CAP)}
                    )
                self.add_error(field, message)
        return cleaned


class BundleItemFormSet(forms.BaseInlineFormSet):
    """Checks each item against its product: overrides within bounds, no retired product added.
    ``apr_warnings`` lists the changed items that would price some offers above their ceiling by
    APR (``bundle_item_apr_warning``); the admin shows them when it saves."""

    def clean(self):
        self.apr_warnings: list[str] = []
        # Our checks first: they name the field; Django's unique check then skips those forms.
        products, positions = set(), set()
        for form in self.forms:
            cleaned = getattr(form, "cleaned_data", None) or {}
            product = cleaned.get("product")
            if cleaned.get("DELETE") or product is None:
                continue
            if product.pk in products:
                form.add_error("product", _("This product is already in the bundle."))
            if cleaned.get("position") in positions:
                form.add_error("position", _("Another item already has this position."))
            products.add(product.pk)
            positions.add(cleaned.get("position"))
            adding = form.instance.pk is None or "product" in form.changed_data
            values = {field: cleaned.get(field) for field in ITEM_VALUES}
            errors = bundle_item_errors(product=product, values=values, adding=adding)
            for field, messages in errors.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
            campaign_errors = bundle_item_campaign_errors(
                product=product,
                reward_kind=cleaned.get("reward_kind") or "",
                campaign=cleaned.get("campaign"),
            )
            for field, message in campaign_errors.items():
                form.add_error(field if field in form.fields else None, message)
            if not errors and form.has_changed():
                warning = bundle_item_apr_warning(
                    product=product,
                    rate_adjustment=cleaned.get("rate_adjustment"),
                    fee_waiver=cleaned.get("fee_waiver"),
                )
                if warning:
                    self.apr_warnings.append(warning)
        super().clean()


class RetireForm(forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))
    end_participations = forms.BooleanField(
        label=_("End the participation of partners still on these versions"), required=False
    )


class CloneForm(forms.Form):
    code = forms.SlugField(label=_("code of the new scenario"), max_length=60)
    name = forms.CharField(label=_("name"), max_length=120)
    industry = forms.ModelChoiceField(label=_("industry"), queryset=Industry.objects.all())
    reserved_for = forms.ModelChoiceField(
        label=_("reserved for partner"),
        queryset=Partner.objects.all(),
        required=False,
        help_text=_("Leave empty to open the scenario to every active partner."),
    )


class PreviewForm(forms.Form):
    """What a partner would send: the engine answers with the offers of this version."""

    event = forms.ChoiceField(label=_("event"))
    amount = forms.DecimalField(label=_("amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    currency = forms.CharField(label=_("currency"), max_length=3, initial="CNY")
    segment = forms.ModelChoiceField(
        label=_("customer segment"), queryset=Segment.objects.all(), to_field_name="code", required=False
    )
    tenor_months = forms.IntegerField(label=_("tenor (months)"), min_value=1, max_value=60, required=False)

    def __init__(self, *args, scenario: Scenario, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].choices = [(event, event) for event in scenario.trigger_events]
        tenors = sorted(
            {t for item in scenario.items.all() if item.product.status != Product.Status.RETIRED
             for t in item.product.tenor_months or ()}
        )  # fmt: skip
        if tenors:
            self.fields["tenor_months"].help_text = _("Offered: %(tenors)s.") % {
                "tenors": ", ".join(map(str, tenors))
            }
