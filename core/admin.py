"""The admin toolkit every app's admin shares: history without "revert", read-only pages for
records only services write, decisions on a record's page, actions run per record with domain
errors as messages, actions that ask for a reason, and add forms whose object a service makes.

Domain refusals (``core.domain.DomainError``) become messages or form errors here; nothing in
this module knows an app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from core.domain import DomainError
from core.transitions import history_note


class LabelledChanges(HistoricalRecordContextHelper):
    """A history row's changes with a choice field's labels (“Under review”), not its codes."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if field.choices and not isinstance(value, list):
            return dict(field.flatchoices).get(value, value)
        return super().prepare_delta_change_value(change, value)


class HistoryAdmin(SimpleHistoryAdmin):
    """Staff see the history of every change, in their language: status codes kept by the rows
    are shown as labels (``core.transitions.history_note``). Reverting to an old version would
    bypass the services (and their checks), so it is switched off."""

    def get_historical_record_context_helper(self, request, historical_record):
        return LabelledChanges(self.model, historical_record)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        for record in historical_records:
            record.history_change_reason = history_note(self.model, record.history_change_reason)
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied(
                _(
                    "An old version cannot be restored here: changes go through the record's own "
                    "actions, which check them."
                )
            )
        return super().history_form_view(request, object_id, version_id, extra_context)


# The names Django gives the permissions it makes for every model (``Meta.default_permissions``).
DEFAULT_PERMISSION_NAMES = {
    "add": gettext_lazy("Can add %(model)s"),
    "change": gettext_lazy("Can change %(model)s"),
    "delete": gettext_lazy("Can delete %(model)s"),
    "view": gettext_lazy("Can view %(model)s"),
}


def permission_label(perm: str) -> str:
    """The name people read of ``perm`` (``"revenue.pay_statement"`` → “Can record the payout of a statement”), in
    their language; from the models' declarations, without a query."""
    app_label, _dot, codename = perm.partition(".")
    for model in apps.get_app_config(app_label).get_models():
        meta = model._meta
        for custom, name in meta.permissions:
            if custom == codename:
                return str(name)
        for action in meta.default_permissions:
            if codename == f"{action}_{meta.model_name}":
                return DEFAULT_PERMISSION_NAMES[action] % {"model": meta.verbose_name}
    return perm


def permission_refusal(perm: str, doing) -> PermissionDenied:
    """The refusal of a user without ``perm``, naming what they tried and the permission it
    needs: “Recording a payout needs the permission “Can record the payout of a statement” …” (the branded 403
    page shows it as the reason)."""
    return PermissionDenied(
        _("%(doing)s needs the permission “%(permission)s”, which your account does not have.")
        % {"doing": doing, "permission": permission_label(perm)}
    )


def require_permission(request, perm: str, doing) -> None:
    """Refuse (403, naming ``perm``) unless the signed-in user holds ``perm``."""
    if not request.user.has_perm(perm):
        raise permission_refusal(perm, doing)


class ObjectDecisionsMixin:
    """Decisions on one record's change page (buttons beside *History*), offered only to
    people who may take them: ``object_decisions`` returns the (url, label) buttons the user
    may press and the notes saying why a decision is not theirs (a maker sees the reason, not
    the button). The services refuse anyway; this is what the page offers."""

    change_form_template = "admin/change_form_decisions.html"

    def object_decisions(self, request, obj) -> tuple[list[tuple[str, str]], list[str]]:
        return [], []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id) if request.method == "GET" else None
        buttons, notes = self.object_decisions(request, obj) if obj is not None else ([], [])
        context = {**(extra_context or {}), "object_decisions": buttons, "decision_notes": notes}
        return super().change_view(request, object_id, form_url, context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by services: staff look, never add, edit or delete here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """A record's history rows (status changes, lines) shown on its page, never edited there."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def run_per_object(
    request,
    objects,
    call: Callable[[Any], object],
    *,
    success: Callable[[Any], str] | None = None,
    name: Callable[[Any], str] = str,
) -> tuple[int, int]:
    """Apply ``call`` to each object, each on its own: a domain refusal becomes an error message
    ``"<name(obj)>: <reason>"`` and the others go on; with ``success``, each success is a message
    too (without it the caller sums up). Returns (done, failed)."""
    done = failed = 0
    for obj in objects:
        try:
            call(obj)
        except DomainError as exc:
            failed += 1
            messages.error(request, f"{name(obj)}: {exc.message}")
        else:
            done += 1
            if success is not None:
                messages.success(request, success(obj))
    return done, failed


class ServiceAddForm(forms.ModelForm):
    """An admin add form whose object is made by a service once the fields are valid; a
    refusal from the service lands on its field. ``run_service`` returns the new object."""

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.result = None

    def run_service(self, cleaned: dict):
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            self.result = self.run_service(self.cleaned_data)
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)


class ServiceAddAdminMixin:
    """Wires a ``ServiceAddForm`` into the admin's add view."""

    add_form: type[ServiceAddForm]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["form"] = self.add_form
        kwargs["fields"] = self.add_form._meta.fields
        base = super().get_form(request, obj, change=change, **kwargs)

        class WithActor(base):
            def __init__(self, *args, **inner):
                super().__init__(*args, actor=request.user, **inner)

        return WithActor

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.add_form._meta.fields
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else super().get_readonly_fields(request, obj)

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        return form.result  # the service already stored it

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, reason_required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


def action_with_reason(
    modeladmin,
    request,
    objects,
    *,
    label,
    action: str,
    reason_required: bool,
    apply,
    success,
    refusals: Callable[[list], Mapping] | None = None,
):
    """An admin action in two steps: a page lists the selected records and asks for the
    reason (kept in the history), then ``apply(obj, reason)`` runs per record, each result
    reported on its own. ``refusals(objects)`` says, by primary key, which records are not the
    user's to decide and why (four eyes): they are listed apart and never offered."""
    objects = list(objects)
    refused = refusals(objects) if refusals else {}
    allowed = [obj for obj in objects if obj.pk not in refused]
    confirmed = "confirm" in request.POST
    form = ReasonForm(request.POST if confirmed else None, reason_required=reason_required)
    if (confirmed and form.is_valid()) or not allowed:
        for obj in objects:
            if obj.pk in refused:
                messages.error(request, f"{obj}: {refused[obj.pk]}")
        if allowed:
            reason = form.cleaned_data["reason"]
            run_per_object(request, allowed, lambda obj: apply(obj, reason), success=success)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": label,
        "opts": modeladmin.model._meta,
        "objects": allowed,
        "refused": [(obj, refused[obj.pk]) for obj in objects if obj.pk in refused],
        "form": form,
        "action": action,
        "step_label": label,
    }
    return TemplateResponse(request, "admin/action_with_reason.html", context)
