"""Forms of payee accounts and VAT invoices (portal and admin). They parse input; the
services decide, and their refusals land on the field they name."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.widgets import DateInput

from .services.invoices import STANDARD_RATES

OTHER_RATE = "other"


class PayeeAccountForm(forms.Form):
    account_name = forms.CharField(
        label=_("Account name"),
        max_length=120,
        help_text=_("As the bank holds it: normally your company's legal name."),
    )
    bank_name = forms.CharField(label=_("Bank"), max_length=120)
    branch_name = forms.CharField(label=_("Branch"), max_length=120)
    cnaps_code = forms.CharField(
        label=_("CNAPS code"), max_length=20, help_text=_("The branch's 12-digit CNAPS code (联行号).")
    )
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=40,
        help_text=_("8 to 32 digits."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    name_mismatch_reason = forms.CharField(
        label=_("Why the account name differs from your legal name"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when the account name is not your legal name: the bank decides."),
    )


def _rate_label(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f} %"


class VatInvoiceForm(forms.Form):
    invoice_code = forms.CharField(
        label=_("Invoice code"),
        max_length=20,
        required=False,
        help_text=_("10 or 12 digits; empty for a fully digital invoice (全电发票)."),
    )
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=30)
    issued_on = forms.DateField(label=_("Issue date"), widget=DateInput())
    amount_before_tax = forms.DecimalField(
        label=_("Amount before tax"), max_digits=20, decimal_places=2, min_value=Decimal("0")
    )
    tax_rate = forms.ChoiceField(
        label=_("Tax rate"),
        choices=[(str(rate), _rate_label(rate)) for rate in STANDARD_RATES]
        + [(OTHER_RATE, _("Another rate"))],
    )
    tax_rate_other = forms.DecimalField(
        label=_("Another rate (%)"),
        required=False,
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("99.99"),
        help_text=_("Only with “Another rate”: the rate in per cent, e.g. 5 or 1.5."),
    )
    tax_amount = forms.DecimalField(
        label=_("Tax amount"), max_digits=20, decimal_places=2, min_value=Decimal("0")
    )
    total_amount = forms.DecimalField(
        label=_("Total"), max_digits=20, decimal_places=2, min_value=Decimal("0")
    )
    file = forms.FileField(label=_("Invoice file"), help_text=_("PDF or OFD."))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("tax_rate") == OTHER_RATE:
            other = cleaned.get("tax_rate_other")
            if other is None:
                if "tax_rate_other" not in self.errors:
                    self.add_error("tax_rate_other", _("Enter the rate in per cent."))
            else:
                cleaned["rate"] = other / 100
        elif cleaned.get("tax_rate") is not None:
            cleaned["rate"] = Decimal(cleaned["tax_rate"])
        return cleaned
