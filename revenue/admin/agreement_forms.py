"""The agreement form of a finance maker: partner and scenario chosen by name, the terms of the
chosen model typed as fields (a rate in percent, bands with "up to" and a rate, an amount per
transaction), stored as the same terms object the services validate (``terms_clean``), and a
worked example: the share of a sample month computed by the code settlement prices with
(``revenue.money.line_shares``)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.domain import DomainError
from core.forms import percent_figure
from partners.models import Partner
from scenarios.models import Scenario

from ..models import Agreement
from ..money import line_shares
from ..services.agreements import terms_clean

HUNDRED = Decimal(100)
PERCENT = {"max_digits": 9, "decimal_places": 4, "min_value": Decimal(0), "max_value": HUNDRED}
MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0.01")}
TIER_ROWS = 5
EXAMPLE_GROSS = Decimal("1000000.00")
EXAMPLE_COUNT = 1000
# Partners a new agreement can be made with: not those refused or gone.
AGREEABLE_PARTNERS = (Partner.Status.APPROVED, Partner.Status.ACTIVE, Partner.Status.SUSPENDED)


class PartnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Partner) -> str:
        return obj.display_name


class ScenarioChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Scenario) -> str:
        return _("%(name)s (version %(version)d)") % {"name": obj.local_name, "version": obj.version}


def _tier_fields() -> dict[str, forms.Field]:
    """Bands as rows: "up to" (empty on the last, open-ended band) and the rate in percent."""
    fields: dict[str, forms.Field] = {}
    for row in range(1, TIER_ROWS + 1):
        fields[f"tier_{row}_up_to"] = forms.DecimalField(
            label=format_lazy(gettext_lazy("Band {row}: up to (CNY)"), row=row), required=False, **MONEY
        )
        fields[f"tier_{row}_rate"] = forms.DecimalField(
            label=format_lazy(gettext_lazy("Band {row}: rate (%)"), row=row), required=False, **PERCENT
        )
    return fields


# The band rows declared as the fields of a form the agreement form mixes in.
TierFields = type("TierFields", (forms.Form,), {"__module__": __name__, **_tier_fields()})


def _rate(percent: Decimal) -> str:
    return str(percent / HUNDRED)


def _percent(rate: object) -> Decimal:
    """A stored rate (``"0.300000"``) as the percent staff type (``30.00``), never losing places."""
    return percent_figure(Decimal(str(rate)))


# Where a term named by the services (``terms.tiers.1.up_to``) sits on this form.
def _term_field(term: str) -> str | None:
    parts = term.split(".")
    if parts[:2] == ["terms", "rate"]:
        return "rate_percent"
    if parts[:2] == ["terms", "amount"]:
        return "amount"
    if parts[:2] == ["terms", "tiers"] and len(parts) == 4:
        return f"tier_{int(parts[2]) + 1}_{'rate' if parts[3] == 'rate' else 'up_to'}"
    return None


def worked_example(*, model: str, terms: dict, gross: Decimal, count: int) -> Decimal:
    """The bank's share of ``count`` sales worth ``gross`` in one period under these terms,
    priced exactly as settlement prices a statement line."""
    return line_shares(model=model, terms=terms, lines=[("sale", count, gross)])[0]


class AgreementTermsForm(forms.ModelForm, TierFields):
    """The terms as fields; ``cleaned_data["terms"]`` is the stored terms object."""

    rate_percent = forms.DecimalField(
        label=gettext_lazy("Share rate (%)"),
        required=False,
        help_text=gettext_lazy("Percent of each transaction's amount, e.g. 30.00 for 30 %."),
        **PERCENT,
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount per transaction (CNY)"),
        required=False,
        help_text=gettext_lazy("Paid for each sale, taken back for each refund."),
        **MONEY,
    )
    example_gross = forms.DecimalField(
        label=gettext_lazy("Example month: gross sales (CNY)"),
        required=False,
        initial=EXAMPLE_GROSS,
        **MONEY,
    )
    example_count = forms.IntegerField(
        label=gettext_lazy("Example month: number of sales"),
        required=False,
        initial=EXAMPLE_COUNT,
        min_value=1,
        max_value=10_000_000,
    )

    TIER_FIELDS = tuple(_tier_fields())
    TERM_FIELDS = ("rate_percent", *TIER_FIELDS, "amount")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self._initial_terms(self.instance.terms or {})

    def _initial_terms(self, terms: dict) -> None:
        if "rate" in terms:
            self.initial["rate_percent"] = _percent(terms["rate"])
        if "amount" in terms:
            self.initial["amount"] = Decimal(terms["amount"])
        for row, tier in enumerate(terms.get("tiers") or (), start=1):
            if row <= TIER_ROWS:
                self.initial[f"tier_{row}_up_to"] = Decimal(tier["up_to"]) if tier["up_to"] else None
                self.initial[f"tier_{row}_rate"] = _percent(tier["rate"])

    def _typed_terms(self, model: str) -> dict:
        data = self.cleaned_data
        if model == Agreement.Model.PERCENTAGE:
            if data.get("rate_percent") is None:
                raise DomainError(_("Give the share rate in percent."), field="terms.rate")
            return {"rate": _rate(data["rate_percent"])}
        if model == Agreement.Model.FIXED_PER_TRANSACTION:
            if data.get("amount") is None:
                raise DomainError(_("Give the amount per transaction."), field="terms.amount")
            return {"amount": str(data["amount"])}
        tiers = []
        for row in range(1, TIER_ROWS + 1):
            up_to, rate = data.get(f"tier_{row}_up_to"), data.get(f"tier_{row}_rate")
            if up_to is None and rate is None:
                continue
            if rate is None:
                raise DomainError(_("Give this band's rate."), field=f"terms.tiers.{len(tiers)}.rate")
            tiers.append({"up_to": str(up_to) if up_to is not None else None, "rate": _rate(rate)})
        if not tiers:
            raise DomainError(
                _("Give at least one band: its rate, and where it ends."), field="terms.tiers.0.rate"
            )
        # Said in the form's words; ``terms_clean`` checks the rest.
        last = len(tiers) - 1
        for index, tier in enumerate(tiers):
            if tier["up_to"] is None and index != last:
                raise DomainError(_("Only the last band has no “up to”."), field=f"terms.tiers.{index}.up_to")
            if (
                index
                and tier["up_to"] is not None
                and Decimal(tier["up_to"]) <= Decimal(tiers[index - 1]["up_to"])
            ):
                raise DomainError(
                    _("Each band must end above the one before (%(amount)s CNY).")
                    % {"amount": tiers[index - 1]["up_to"]},
                    field=f"terms.tiers.{index}.up_to",
                )
        if tiers[last]["up_to"] is not None:
            raise DomainError(
                _("Leave “up to” empty on the last band: it has no upper end."),
                field=f"terms.tiers.{last}.up_to",
            )
        return {"tiers": tiers}

    def clean(self):
        cleaned = super().clean()
        model = cleaned.get("model")
        if not model or any(name in self.errors for name in self.TERM_FIELDS):
            return cleaned
        try:
            cleaned["terms"] = terms_clean(model, self._typed_terms(model))
        except DomainError as exc:
            field = _term_field(exc.field or "")
            self.add_error(field, exc.message)
            return cleaned
        # Only the terms of the chosen model are kept: the other models' boxes are ignored.
        self.instance.terms = cleaned["terms"]
        return cleaned

    @property
    def example(self) -> dict | None:
        """The worked example of the typed terms (or the stored ones), or None while they are
        incomplete or invalid."""
        if self.is_bound:
            data = getattr(self, "cleaned_data", {})
            model, terms = data.get("model"), data.get("terms")
            gross = data.get("example_gross") or EXAMPLE_GROSS
            count = data.get("example_count") or EXAMPLE_COUNT
        else:
            model, terms = self.instance.model or None, self.instance.terms or None
            gross, count = EXAMPLE_GROSS, EXAMPLE_COUNT
        if not model or not terms:
            return None
        share = worked_example(model=model, terms=terms, gross=gross, count=count)
        return {"gross": gross, "count": count, "share": share, "model": Agreement.Model(model).label}

    @property
    def previewing(self) -> bool:
        """The maker asked for the worked example: the form is shown again, nothing is saved."""
        return self.is_bound and "_preview" in self.data

    def is_valid(self) -> bool:
        return super().is_valid() and not self.previewing


class AgreementChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Agreement) -> str:
        return _("%(partner)s · %(scenario)s · %(model)s from %(date)s") % {
            "partner": obj.partner.display_name,
            "scenario": obj.scenario.local_name,
            "model": obj.get_model_display(),
            "date": obj.effective_from,
        }


class AgreementChoicesForm(forms.Form):
    """Partner, scenario and the agreement superseded, chosen by name among sensible records."""

    partner = PartnerChoiceField(
        label=gettext_lazy("partner"),
        queryset=Partner.objects.filter(status__in=AGREEABLE_PARTNERS).order_by("display_name"),
    )
    scenario = ScenarioChoiceField(
        label=gettext_lazy("scenario"),
        queryset=Scenario.objects.filter(status=Scenario.Status.PUBLISHED).order_by("name", "-version"),
        help_text=Agreement._meta.get_field("scenario").help_text,
    )
    supersedes = AgreementChoiceField(
        label=gettext_lazy("supersedes"),
        queryset=Agreement.objects.filter(status=Agreement.Status.ACTIVE)
        .select_related("partner", "scenario")
        .order_by("partner__display_name", "scenario_code"),
        required=False,
        help_text=gettext_lazy("The active agreement of the same partner and scenario this one replaces."),
    )
