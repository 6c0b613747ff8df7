"""Payout batches in the admin: a finance maker builds one (*Add*), the page shows the netting
line by line, a checker who did not build it releases it (the maker sees why not), a draft is
cancelled; a released batch's files (pain.001, CSV) download from its page. Payments and lines
are read-only lists."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import (
    ObjectDecisionsMixin,
    ReadOnlyAdmin,
    ServiceAddAdminMixin,
    ServiceAddForm,
    action_with_reason,
    permission_refusal,
)
from core.domain import DomainError
from core.four_eyes import is_maker, maker_parts
from core.money import money_column, money_text
from core.widgets import DateInput

from ..models import Payout, PayoutBatch, PayoutLine
from ..pain001 import FORMATS, payment_file
from ..selectors import batch_lines, batch_makers
from ..services.batches import payout_batch_build, payout_batch_cancel, payout_batch_release

BUILD = "payouts.build_payoutbatch"
RELEASE = "payouts.release_payoutbatch"
Status = PayoutBatch.Status


class BatchBuildForm(ServiceAddForm):
    statement_ids = forms.CharField(
        label=gettext_lazy("only these statements"),
        required=False,
        help_text=gettext_lazy(
            "Statement numbers separated by commas; empty: every statement ready to pay. The "
            "partners' claw-backs are netted either way."
        ),
    )

    class Meta:
        model = PayoutBatch
        fields = ("currency", "requested_execution_date", "statement_ids")
        widgets = {"requested_execution_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requested_execution_date"].initial = timezone.localdate

    def clean_statement_ids(self):
        text = self.cleaned_data["statement_ids"].replace("#", "")
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            raise forms.ValidationError(_("Statement numbers are whole numbers separated by commas."))
        return [int(part) for part in parts] or None

    def run_service(self, cleaned: dict):
        return payout_batch_build(
            actor=self.actor,
            currency=cleaned["currency"],
            requested_execution_date=cleaned["requested_execution_date"],
            statement_ids=cleaned["statement_ids"],
        )


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ObjectDecisionsMixin, ServiceAddAdminMixin, ReadOnlyAdmin):
    add_form = BatchBuildForm
    list_display = (
        "message_id",
        "currency",
        "requested_execution_date",
        "status",
        "payment_count",
        "total",
        "created_by",
        "released_by",
        "released_at",
    )
    list_filter = ("status", "currency")
    list_select_related = ("created_by", "released_by")
    total = money_column(PayoutBatch, "total_amount")
    search_fields = ("message_id", "payouts__end_to_end_id")
    fields = (
        "message_id",
        "currency",
        "requested_execution_date",
        "status",
        "payment_count",
        "total",
        "created_by",
        "created_at",
        "released_by",
        "released_at",
        "cancelled_by",
        "cancelled_at",
        "cancel_reason",
        "files",
        "netting",
    )
    readonly_fields = fields
    actions = ["release", "cancel"]

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm(BUILD)

    def has_release_permission(self, request):
        return request.user.has_perm(RELEASE)

    def has_cancel_permission(self, request):
        return request.user.has_perm(BUILD)

    def object_decisions(self, request, obj) -> tuple[list[tuple[str, str]], list[str]]:
        """Release (a checker who did not build it) and cancel (a draft): only to who may."""
        user = request.user
        buttons: list[tuple[str, str]] = []
        notes: list[str] = []
        if obj.status != Status.DRAFT:
            return buttons, notes
        if user.has_perm(RELEASE) or user.has_perm(BUILD):
            if is_maker(user, batch_makers(obj)):
                notes.append(_("You built this batch: another person releases it (four eyes)."))
            elif user.has_perm(RELEASE):
                buttons.append((reverse("admin:payouts_payoutbatch_release", args=[obj.pk]), _("Release")))
        if user.has_perm(BUILD):
            buttons.append(
                (reverse("admin:payouts_payoutbatch_cancel", args=[obj.pk]), _("Cancel the batch"))
            )
        return buttons, notes

    @admin.display(description=gettext_lazy("files"))
    def files(self, obj):
        if obj.status not in (Status.RELEASED, Status.RECONCILED) or not obj.payment_count:
            return _("A released batch that pays someone has a payment file.")
        links = [
            (reverse("admin:payouts_payoutbatch_file", args=[obj.pk, "pain001"]), _("ISO 20022 pain.001")),
            (reverse("admin:payouts_payoutbatch_file", args=[obj.pk, "csv"]), _("CSV")),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    @admin.display(description=gettext_lazy("netting, line by line"))
    def netting(self, obj):
        """Each partner's statements paid whole, its claw-backs taken, and what is paid."""
        rows = []
        current = None
        lines = batch_lines(obj)
        for index, line in enumerate(lines):
            if line.partner_id != current:
                current = line.partner_id
                rows.append(format_html('<tr><th colspan="4">{}</th></tr>', line.partner.display_name))
            statement = line.statement
            kind = _("owed") if line.amount > 0 else _("claw-back taken")
            rows.append(
                format_html(
                    '<tr><td><a href="{}">#{}</a> {} – {}</td><td>{}</td><td class="money">{}</td><td></td></tr>',
                    reverse("admin:revenue_statement_change", args=[statement.pk]),
                    statement.pk,
                    statement.period_start,
                    statement.period_end,
                    kind,
                    money_text(line.amount, obj.currency),
                )
            )
            last = index + 1 == len(lines) or lines[index + 1].partner_id != current
            if last:
                paid = (
                    _("paid %(amount)s (%(id)s)")
                    % {
                        "amount": money_text(line.payout.amount, obj.currency),
                        "id": line.payout.end_to_end_id,
                    }
                    if line.payout
                    else _("nothing paid: settled by netting")
                )
                rows.append(format_html('<tr><td colspan="3"></td><td><strong>{}</strong></td></tr>', paid))
        if not rows:
            return "—"
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("statement"),
            _("line"),
            _("amount"),
            _("payment"),
        )
        return format_html(
            "<table data-netting>{}{}</table>", header, format_html_join("", "{}", ((r,) for r in rows))
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/release/", wrap(self.release_view), name="payouts_payoutbatch_release"),
            path("<int:pk>/cancel/", wrap(self.cancel_view), name="payouts_payoutbatch_cancel"),
            path("<int:pk>/file/<slug:file_format>/", wrap(self.file_view), name="payouts_payoutbatch_file"),
            *super().get_urls(),
        ]

    def _one(self, request, pk, action):
        """Run a list action on one batch from its page; back to the page once done."""
        queryset = PayoutBatch.objects.filter(pk=get_object_or_404(PayoutBatch, pk=pk).pk)
        response = getattr(self, action)(request, queryset)
        return response or HttpResponseRedirect(reverse("admin:payouts_payoutbatch_change", args=[pk]))

    def release_view(self, request, pk):
        if not self.has_release_permission(request):
            raise permission_refusal(RELEASE, _("Releasing a payout batch"))
        return self._one(request, pk, "release")

    def cancel_view(self, request, pk):
        if not self.has_cancel_permission(request):
            raise permission_refusal(BUILD, _("Cancelling a payout batch"))
        return self._one(request, pk, "cancel")

    def file_view(self, request, pk, file_format):
        if not self.has_view_permission(request):
            raise permission_refusal("payouts.view_payoutbatch", _("Downloading a payment file"))
        batch = get_object_or_404(PayoutBatch, pk=pk)
        if file_format not in FORMATS:
            return HttpResponse(_("Unknown file format."), status=404)
        try:
            content, name, content_type = payment_file(batch, file_format)
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("admin:payouts_payoutbatch_change", args=[pk]))
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
        return response

    @admin.action(description=gettext_lazy("Release (checker: not the maker)"), permissions=["release"])
    def release(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset,
            label=_("Release the payout batch"),
            action="release",
            reason_required=False,
            apply=lambda batch, reason: payout_batch_release(batch=batch, actor=request.user, reason=reason),
            success=lambda batch: _("%(batch)s: released; its statements are in payment.") % {"batch": batch},
            refusals=lambda batches: {
                b.pk: _("you %(parts)s: another person releases it (four eyes).")
                % {"parts": ", ".join(maker_parts(request.user, batch_makers(b)))}
                for b in batches
                if is_maker(request.user, batch_makers(b))
            },
        )

    @admin.action(
        description=gettext_lazy("Cancel draft batches (their statements are freed)"), permissions=["cancel"]
    )
    def cancel(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset,
            label=_("Cancel the payout batch"),
            action="cancel",
            reason_required=True,
            apply=lambda batch, reason: payout_batch_cancel(batch=batch, actor=request.user, reason=reason),
            success=lambda batch: (
                _("%(batch)s: cancelled; its statements can go in another batch.") % {"batch": batch}
            ),
        )


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = (
        "end_to_end_id",
        "batch",
        "partner",
        "amount_shown",
        "status",
        "value_date",
        "bank_reference",
    )
    list_filter = ("status", "currency")
    list_select_related = ("batch", "partner")
    amount_shown = money_column(Payout, "amount")
    search_fields = ("end_to_end_id", "partner__display_name", "partner__slug")
    fields = (
        "end_to_end_id",
        "batch",
        "partner",
        "payee_account",
        "currency",
        "amount",
        "status",
        "value_date",
        "bank_reference",
    )
    readonly_fields = fields


@admin.register(PayoutLine)
class PayoutLineAdmin(ReadOnlyAdmin):
    list_display = ("batch", "partner", "statement", "amount_shown", "payout", "live")
    list_filter = ("live",)
    list_select_related = ("batch", "partner", "statement__partner", "payout")
    search_fields = ("batch__message_id", "partner__display_name")
    fields = ("batch", "partner", "statement", "amount", "payout", "position", "live")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("amount"), ordering="amount")
    def amount_shown(self, obj):
        return money_text(obj.amount, obj.batch.currency)
