"""Forms of the scenario staff pages. Item overrides are checked with the services' own rules
(``bundle_item_errors``) so staff see every bad value before anything is saved."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import Industry, Partner
from products.models import Product, Segment

from .models import Scenario
from .services import (
    ITEM_VALUES,
    SCENARIO_FIELDS,
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

    class Meta:
        model = Scenario
        fields = ("code", *SCENARIO_FIELDS)


class BundleItemFormSet(forms.BaseInlineFormSet):
    """Checks each item against its product: overrides within bounds, no retired product added."""

    def clean(self):
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
            for field, messages in bundle_item_errors(product=product, values=values, adding=adding).items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
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
