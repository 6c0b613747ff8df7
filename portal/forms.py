"""Forms of the partner portal. They parse input; the services decide."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.domain import DomainError
from core.widgets import DateInput
from partners.models import Industry, Membership, PartnerAPIKey, PartnerDocument, WebhookEndpoint
from partners.validators import normalise_credit_code, validate_credit_code
from scenarios.models import Participation


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the field it names (or above the form)."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def submit(request, form: forms.Form, call) -> bool:
    """True when ``form`` was posted valid and ``call(cleaned_data)`` (a service) accepted it;
    otherwise the refusal is shown on the form."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        call(form.cleaned_data)
    except DomainError as exc:
        add_domain_error(form, exc)
        return False
    return True


class CompanyForm(forms.Form):
    legal_name = forms.CharField(label=_("Legal name"), max_length=200)
    display_name = forms.CharField(label=_("Display name"), max_length=100)
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=30,
        help_text=_("18 characters, as printed on the business licence (统一社会信用代码)."),
    )
    industry = forms.ModelChoiceField(label=_("Industry"), queryset=Industry.objects.none())
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["industry"].queryset = Industry.objects.filter(is_active=True)
        self.fields["industry"].label_from_instance = lambda industry: industry.local_name

    def clean_credit_code(self) -> str:
        code = normalise_credit_code(self.cleaned_data["credit_code"])
        validate_credit_code(code)
        return code


class ContactsForm(forms.Form):
    contact_name = forms.CharField(label=_("Contact name"), max_length=100)
    contact_email = forms.EmailField(label=_("Contact e-mail"))
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False)


class DocumentForm(forms.Form):
    document_type = forms.ChoiceField(label=_("Document type"), choices=PartnerDocument.DocumentType.choices)
    file = forms.FileField(label=_("File"), help_text=_("PDF, JPEG or PNG."))
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty for a document valid without limit."),
    )


def _in_a_year():
    return timezone.localdate() + timedelta(days=365)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    channel = forms.ChoiceField(label=_("Channel"), choices=PartnerAPIKey.Channel.choices)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=PartnerAPIKey.Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    expires_on = forms.DateField(label=_("Expires on"), initial=_in_a_year, widget=DateInput())

    def expires_at(self):
        """The end of the chosen day (Asia/Shanghai)."""
        day = self.cleaned_data["expires_on"]
        return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("HTTPS address"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEndpoint.Event.choices, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    sandbox = forms.BooleanField(
        label=_("Sandbox endpoint"),
        required=False,
        help_text=_("It receives the sandbox's events only (“livemode”: false), never live ones."),
    )

    def __init__(self, *args, sandbox_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if sandbox_only:  # not live yet: sandbox endpoints only
            self.fields["sandbox"].initial = True
            self.fields["sandbox"].disabled = True


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.VIEWER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class JoinForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Participation.Channel.choices)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class InvitationAnswerForm(forms.Form):
    """Accept the bank's invitation to a scenario, or decline it with a reason."""

    ACCEPT, DECLINE = "accept", "decline"
    answer = forms.ChoiceField(
        label=_("Answer"), choices=[(ACCEPT, _("Accept")), (DECLINE, _("Decline"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("Why do you decline?"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("answer") == self.DECLINE and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why you decline the invitation."))
        return data


class MoveForm(forms.Form):
    """Move to the version shown: ``version`` is the one the member read the changes of."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    confirm = forms.BooleanField(label=_("I have read the changes and move to this version."))


class LeaveForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you leave?"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm = forms.BooleanField(
        label=_("I understand that offers for this scenario stop now and that we must ask to join again.")
    )


class OfferForm(forms.Form):
    """Try the offer engine on a scenario the partner takes part in."""

    event = forms.ChoiceField(label=_("Trigger event"))
    amount = forms.DecimalField(
        label=_("Amount"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        initial=Decimal("10000.00"),
    )
    segment = forms.ChoiceField(label=_("Customer segment"), required=False)
    tenor_months = forms.IntegerField(label=_("Tenor (months)"), required=False, min_value=1, max_value=360)

    def __init__(self, *args, events: list[str], segments: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].choices = [(e, e) for e in events]
        self.fields["segment"].choices = [("", _("Standard")), *segments]


class DisputeForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("What is wrong with this line?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TransactionFilterForm(forms.Form):
    occurred_after = forms.DateField(label=_("From"), required=False, widget=DateInput())
    occurred_before = forms.DateField(label=_("Before"), required=False, widget=DateInput())
    scenario = forms.SlugField(label=_("Scenario code"), required=False)

    def filters(self) -> dict:
        """The selector's keyword arguments: dates as the start of the day (Asia/Shanghai)."""
        data = self.cleaned_data if self.is_valid() else {}
        out: dict = {"scenario": data.get("scenario") or None}
        for name in ("occurred_after", "occurred_before"):
            day = data.get(name)
            out[name] = timezone.make_aware(datetime.combine(day, time.min)) if day else None
        return out


class AgreementAcceptForm(forms.Form):
    """The member accepts the terms they read: the form carries their hash, so terms that
    changed since the page was opened are never accepted unseen."""

    terms_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    confirm = forms.BooleanField(
        label=_("I have read these terms and accept them on behalf of my company."), required=True
    )


class AgreementDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you decline it?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The bank reads this and may send revised terms."),
    )
