"""Forms of the partners pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.utils.translation import gettext_lazy as _

from .models import NotificationPreference


class InvitationSignupForm(forms.Form):
    """Accepting an invitation without an account: the link proves the e-mail address."""

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password (again)"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            user = get_user_model()(email=self.email, full_name=cleaned.get("full_name", ""))
            try:
                validate_password(password1, user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class NotificationFilterForm(forms.Form):
    """The notification list's filters: a group of kinds, unread only."""

    group = forms.ChoiceField(label=_("Show"), required=False)
    unread = forms.BooleanField(label=_("Unread only"), required=False)

    def __init__(self, *args, groups: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("All notifications")), *groups]


class NotificationPreferencesForm(forms.Form):
    """One choice per kind this person receives: the portal only, or also by e-mail."""

    def __init__(self, *args, kinds, current: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in kinds:
            self.fields[kind.code] = forms.ChoiceField(
                label=kind.description,
                choices=NotificationPreference.Delivery.choices,
                initial=current[kind.code],
                widget=forms.RadioSelect,
                required=False,  # left out: unchanged
            )
