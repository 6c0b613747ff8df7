"""Staff UI of scenarios: compose a draft with inline items, see what blocks publishing, preview
offers, publish / edit (next version) / clone / retire, decide on participation.

Every write goes through ``scenarios.services``; a published or retired version is read-only.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import (
    HistoryAdmin,
    ObjectDecisionsMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceAddAdminMixin,
    ServiceAddForm,
    action_with_reason,
    permission_refusal,
    run_per_object,
)
from core.domain import DomainError
from core.four_eyes import maker_parts
from core.money import money_html, money_text, percent_text
from products.models import Product

from . import selectors, services
from .engine import offer_as_dict
from .exceptions import OfferRefused
from .forms import (
    BundleItemForm,
    BundleItemFormSet,
    CloneForm,
    PreviewForm,
    RetireForm,
    ScenarioForm,
    bundle_item_apr_warning,
)
from .models import (
    BundleItem,
    Campaign,
    CampaignBudgetChange,
    Consent,
    OfferQuoteDaily,
    Participation,
    ParticipationStatusChange,
    Scenario,
    ScenarioStatusChange,
)


class BundleItemInline(admin.StackedInline):
    """Stacked, the overrides grouped by line: ten columns would not fit a 1366 px screen."""

    model = BundleItem
    form = BundleItemForm
    formset = BundleItemFormSet
    extra = 0
    fields = (
        ("position", "product", "role"),
        ("rate_adjustment", "fee_waiver"),
        ("reward_kind", "reward_rate", "reward_amount", "reward_cap"),
        ("reward_description", "campaign"),
    )
    # A published version is read only: its rates shown as percentages, amounts as money.
    shown_fields = (
        ("position", "product", "role"),
        ("rate_adjustment_shown", "fee_waiver_shown"),
        ("reward_kind", "reward_rate_shown", "reward_amount_shown", "reward_cap_shown"),
        ("reward_description", "campaign"),
    )
    readonly_fields = (
        "rate_adjustment_shown",
        "fee_waiver_shown",
        "reward_rate_shown",
        "reward_amount_shown",
        "reward_cap_shown",
    )
    ordering = ("position",)

    def get_fields(self, request, obj=None):
        return self.fields if self.has_change_permission(request, obj) else self.shown_fields

    @admin.display(description=_("bundle rate adjustment"))
    def rate_adjustment_shown(self, item) -> str:
        return percent_text(item.rate_adjustment)

    @admin.display(description=_("fee waiver"))
    def fee_waiver_shown(self, item) -> str:
        return percent_text(item.fee_waiver)

    @admin.display(description=_("reward rate"))
    def reward_rate_shown(self, item) -> str:
        if item.reward_kind == BundleItem.RewardKind.POINTS:  # points per yuan, not a share
            return "—" if item.reward_rate is None else f"{item.reward_rate.normalize():f}"
        return percent_text(item.reward_rate)

    @admin.display(description=_("reward amount"))
    def reward_amount_shown(self, item) -> str:
        return money_text(item.reward_amount, item.product.currency)

    @admin.display(description=_("reward cap"))
    def reward_cap_shown(self, item) -> str:
        if item.reward_kind == BundleItem.RewardKind.POINTS:  # a number of points
            return "—" if item.reward_cap is None else f"{item.reward_cap.normalize():f}"
        return money_text(item.reward_cap, item.product.currency)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product", "campaign")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "product":
            # A retired product cannot be added to a bundle.
            kwargs["queryset"] = Product.objects.exclude(status=Product.Status.RETIRED)
        if db_field.name == "campaign":
            # A closed campaign pays nothing more; the currency is checked against the product.
            kwargs["queryset"] = Campaign.objects.exclude(status=Campaign.Status.CLOSED)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _editable(self, request, obj) -> bool:
        return obj is None or obj.is_draft

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._editable(request, obj)


class ScenarioStatusChangeInline(ReadOnlyInline):
    model = ScenarioStatusChange
    fields = ("changed_at", "from_status", "to_status", "changed_by", "reason")
    readonly_fields = fields
    verbose_name_plural = _("status history")


def _count(model, **filters) -> Subquery:
    rows = model.objects.filter(scenario=OuterRef("pk"), **filters).order_by().values("scenario")
    return Subquery(rows.annotate(n=Count("pk")).values("n"), output_field=IntegerField())


@admin.register(Scenario)
class ScenarioAdmin(HistoryAdmin):
    form = ScenarioForm
    change_form_template = "scenarios/admin/scenario_change_form.html"
    list_display = ("code", "version", "name", "industry", "status", "item_count", "partner_count", "warning")
    list_filter = ("status", "industry")
    list_select_related = ("industry",)
    search_fields = ("code", "name", "name_zh")
    inlines = [BundleItemInline, ScenarioStatusChangeInline]
    actions = ["publish", "new_version", "retire"]
    readonly_fields = (
        "version",
        "status",
        "data_purposes_text",
        "publish_checklist",
        "based_on",
        "created_by",
        "created_at",
        "updated_at",
        "published_at",
    )
    fieldsets = (
        (None, {"fields": ("code", "version", "status", "industry")}),
        (_("In English"), {"fields": ("name", "description", "data_shared", "data_purpose")}),
        (_("In Chinese"), {"fields": ("name_zh", "description_zh", "data_shared_zh", "data_purpose_zh")}),
        (_("Who and when"), {"fields": ("reserved_for", "trigger_events")}),
        (_("Customer data (PIPL)"), {"fields": ("data_purposes",)}),
        (_("Publishing"), {"fields": ("publish_checklist", "based_on", "created_by", "created_at", "updated_at",
                                      "published_at")}),
    )  # fmt: skip

    # -- list ---------------------------------------------------------------------------
    def get_queryset(self, request):
        # Counts as subqueries: the list costs the same however many items and partners.
        return (
            super()
            .get_queryset(request)
            .annotate(
                items_n=_count(BundleItem),
                partners_n=_count(Participation, status=Participation.Status.ACTIVE),
                retired_n=_count(BundleItem, product__status=Product.Status.RETIRED),
            )
        )

    @admin.display(description=_("products"), ordering="items_n")
    def item_count(self, obj) -> int:
        return obj.items_n or 0

    @admin.display(description=_("active partners"), ordering="partners_n")
    def partner_count(self, obj) -> int:
        return obj.partners_n or 0

    @admin.display(description=_("warning"))
    def warning(self, obj) -> str:
        if obj.retired_n:
            return ngettext("%(count)d retired product", "%(count)d retired products", obj.retired_n) % {
                "count": obj.retired_n
            }
        return ""

    # -- change page --------------------------------------------------------------------
    def has_change_permission(self, request, obj=None):
        # A published or retired version is immutable: staff look at it; "edit" makes a draft.
        return super().has_change_permission(request, obj) and (obj is None or obj.is_draft)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("code", *self.readonly_fields)
        return self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        if obj is None or obj.is_draft:
            return self.fieldsets
        # A published or retired version shows its purposes in words, never the stored codes.
        return [
            (name, {**options, "fields": tuple(
                "data_purposes_text" if field == "data_purposes" else field for field in options["fields"]
            )})
            for name, options in self.fieldsets
        ]  # fmt: skip

    @admin.display(description=_("purposes of the data"))
    def data_purposes_text(self, obj) -> str:
        return ", ".join(obj.data_purpose_labels) if obj is not None and obj.data_purposes else "—"

    @admin.display(description=_("before publishing"))
    def publish_checklist(self, obj) -> str:
        if obj is None or obj.pk is None or not obj.is_draft:
            return "—"
        problems = services.scenario_publish_problems(obj)
        if not problems:
            return _("Ready to publish.")
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((m,) for _f, m in problems)))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        scenario = self.get_object(request, object_id)
        if scenario is not None and request.method == "GET":
            for warning in selectors.scenario_warnings(scenario):
                self.message_user(request, warning, messages.WARNING)
            items = scenario.items.select_related("product").prefetch_related(
                "product__segment_prices__segment"
            )
            for item in items:
                warning = bundle_item_apr_warning(
                    product=item.product, rate_adjustment=item.rate_adjustment, fee_waiver=item.fee_waiver
                )
                if warning:
                    self.message_user(request, warning, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        services.scenario_save_draft(scenario=obj, actor=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not BundleItem:
            return super().save_formset(request, form, formset, change)
        removed = [f.instance for f in formset.deleted_forms if f.instance.pk]
        changed = [f for f in formset.forms if f not in formset.deleted_forms and f.has_changed()]
        items = []
        for inline_form in changed:
            item = inline_form.save(commit=False)
            item.scenario = form.instance
            items.append(item)
        created = [item.pk is None for item in items]
        services.bundle_items_save(scenario=form.instance, items=items, removed=removed, actor=request.user)
        if "_continue" not in request.POST:  # the change page says it again when it opens
            for warning in getattr(formset, "apr_warnings", ()):
                self.message_user(request, warning, messages.WARNING)
        # The admin's change message reads these lists.
        formset.deleted_objects = removed
        formset.new_objects = [item for item, new in zip(items, created, strict=True) if new]
        formset.changed_objects = [
            (item, f.changed_data) for item, f, new in zip(items, changed, created, strict=True) if not new
        ]
        return None

    # -- extra pages --------------------------------------------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/preview/", wrap(self.preview_view), name="scenarios_scenario_preview"),
            path("<path:object_id>/clone/", wrap(self.clone_view), name="scenarios_scenario_clone"),
            *super().get_urls(),
        ]

    def _page(self, request, template: str, scenario: Scenario, title: str, **context) -> TemplateResponse:
        return TemplateResponse(
            request,
            template,
            {**self.admin_site.each_context(request), "opts": self.opts, "original": scenario, "title": title,
             **context},
        )  # fmt: skip

    def preview_view(self, request: HttpRequest, object_id: str):
        scenario = get_object_or_404(Scenario, pk=object_id)
        if not self.has_view_permission(request, scenario):
            raise permission_refusal("scenarios.view_scenario", _("Previewing offers"))
        form = PreviewForm(request.GET or None, scenario=scenario)
        offers = None
        if form.is_valid():
            data = form.cleaned_data
            try:
                offers = selectors.offer_preview(
                    scenario=scenario,
                    event=data["event"],
                    amount=data["amount"],
                    currency=data["currency"].upper(),
                    segment=data["segment"].code if data["segment"] else None,
                    tenor_months=data["tenor_months"],
                )
            except OfferRefused as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        shown = [
            (offer, offer_as_dict(offer), words) for offer, words in selectors.offers_in_words(offers or [])
        ]
        return self._page(
            request, "scenarios/admin/preview.html", scenario, _("Preview offers"), form=form, offers=shown
        )

    def clone_view(self, request: HttpRequest, object_id: str):
        scenario = get_object_or_404(Scenario, pk=object_id)
        if not self.has_add_permission(request):
            raise permission_refusal("scenarios.add_scenario", _("Copying a scenario"))
        initial = {"code": f"{scenario.code}-copy", "name": scenario.name, "industry": scenario.industry_id}
        form = CloneForm(request.POST or None, initial=initial)
        if form.is_valid():
            try:
                clone = services.scenario_clone(scenario=scenario, actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                self._report_left_out(request, clone)
                self.message_user(request, _("Cloned as a new draft."), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:scenarios_scenario_change", args=[clone.pk]))
        return self._page(request, "scenarios/admin/clone.html", scenario, _("Clone scenario"), form=form)

    def _report_left_out(self, request, scenario: Scenario) -> None:
        if getattr(scenario, "left_out_products", None):
            self.message_user(
                request,
                _("Retired products were left out: %(products)s.")
                % {"products": ", ".join(scenario.left_out_products)},
                messages.WARNING,
            )

    # -- actions ------------------------------------------------------------------------
    def has_change_scenario_status_permission(self, request) -> bool:
        return request.user.has_perm("scenarios.change_scenario_status")

    def has_add_scenario_permission(self, request) -> bool:
        return request.user.has_perm("scenarios.add_scenario")

    @admin.action(description=_("Publish the selected drafts"), permissions=["change_scenario_status"])
    def publish(self, request, queryset):
        published = 0
        for scenario in queryset:
            try:
                services.scenario_publish(scenario=scenario, actor=request.user)
                published += 1
            except DomainError as exc:
                details = getattr(exc, "problems", None) or [(None, exc.message)]
                for _field, message in details:
                    self.message_user(
                        request, f"{scenario.code} v{scenario.version}: {message}", messages.ERROR
                    )
        if published:
            message = ngettext("%(count)d scenario published.", "%(count)d scenarios published.", published)
            self.message_user(request, message % {"count": published}, messages.SUCCESS)

    @admin.action(description=_("Edit: make the next draft version"), permissions=["add_scenario"])
    def new_version(self, request, queryset):
        for scenario in queryset:
            try:
                draft = services.scenario_new_version(scenario=scenario, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{scenario.code}: {exc.message}", messages.ERROR)
                continue
            self._report_left_out(request, draft)
            self.message_user(
                request,
                _("Draft version %(version)d of %(code)s made.")
                % {"version": draft.version, "code": draft.code},
                messages.SUCCESS,
            )
            if queryset.count() == 1:
                return HttpResponseRedirect(reverse("admin:scenarios_scenario_change", args=[draft.pk]))
        return None

    @admin.action(description=_("Retire the selected versions…"), permissions=["change_scenario_status"])
    def retire(self, request, queryset):
        form = RetireForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            retired = 0
            for scenario in queryset:
                try:
                    services.scenario_retire(scenario=scenario, actor=request.user, **form.cleaned_data)
                    retired += 1
                except DomainError as exc:
                    self.message_user(
                        request, f"{scenario.code} v{scenario.version}: {exc.message}", messages.ERROR
                    )
            if retired:
                message = ngettext("%(count)d version retired.", "%(count)d versions retired.", retired)
                self.message_user(request, message % {"count": retired}, messages.SUCCESS)
            return None
        return self._page(
            request,
            "scenarios/admin/retire.html",
            None,
            _("Retire scenario versions"),
            form=form,
            scenarios=queryset,
            action_checkbox_name=admin.helpers.ACTION_CHECKBOX_NAME,
        )


class ParticipationStatusChangeInline(ReadOnlyInline):
    model = ParticipationStatusChange
    fields = ("changed_at", "from_status", "to_status", "changed_by", "reason")
    readonly_fields = fields
    verbose_name_plural = _("status history")


@admin.register(Participation)
class ParticipationAdmin(HistoryAdmin):
    list_display = ("partner", "scenario_code", "version", "status", "channel", "requested_at", "started_at")
    list_filter = ("status", "channel", "scenario_code")
    list_select_related = ("partner", "scenario")
    search_fields = ("partner__display_name", "partner__slug", "scenario_code")
    fields = ("partner", "scenario", "channel", "note", "status", "requested_at", "started_at", "ended_at",
              "moved_from")  # fmt: skip
    readonly_fields = ("status", "requested_at", "started_at", "ended_at", "moved_from")
    inlines = [ParticipationStatusChangeInline]
    actions = ["approve", "decline", "end"]

    @admin.display(description=_("version"), ordering="scenario__version")
    def version(self, obj) -> int:
        return obj.scenario.version

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "scenario":
            # Staff invite partners to the versions that are open for joining.
            kwargs["queryset"] = Scenario.objects.filter(status=Scenario.Status.PUBLISHED)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return request.user.has_perm("scenarios.decide_participation")

    def has_change_permission(self, request, obj=None):
        # An existing participation changes only through the actions (each writes a change row).
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_participation_permission(self, request) -> bool:
        return request.user.has_perm("scenarios.decide_participation")

    def save_model(self, request, obj, form, change):
        """Adding a participation here is a staff invitation; the partner accepts it."""
        invited = services.participation_invite(
            partner=obj.partner, scenario=obj.scenario, actor=request.user, channel=obj.channel, note=obj.note
        )
        obj.pk, obj._state.adding = invited.pk, False

    @admin.action(description=_("Approve the selected requests"), permissions=["decide_participation"])
    def approve(self, request, queryset):
        if count := _run(request, queryset, services.participation_approve):
            message = ngettext("%(count)d request approved.", "%(count)d requests approved.", count)
            self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Decline the selected requests"), permissions=["decide_participation"])
    def decline(self, request, queryset):
        if count := _run(request, queryset, services.participation_decline):
            message = ngettext("%(count)d request declined.", "%(count)d requests declined.", count)
            self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("End the selected participations"), permissions=["decide_participation"])
    def end(self, request, queryset):
        if count := _run(request, queryset, services.participation_end):
            message = ngettext("%(count)d participation ended.", "%(count)d participations ended.", count)
            self.message_user(request, message % {"count": count}, messages.SUCCESS)


def _run(request, queryset, service) -> int:
    """Call ``service`` for each selected participation; report refusals one by one."""
    done, _failed = run_per_object(
        request,
        queryset.select_related("partner", "scenario"),
        lambda participation: service(
            participation=participation, actor=request.user, reason=str(_("staff decision in the admin"))
        ),
    )
    return done


@admin.register(OfferQuoteDaily)
class OfferQuoteDailyAdmin(ReadOnlyAdmin):
    list_display = ("day", "partner", "scenario", "quotes", "offers", "refusals")
    list_filter = ("day",)
    list_select_related = ("partner", "scenario")
    date_hierarchy = "day"
    search_fields = ("partner__display_name", "scenario__code")


class ConsentScenarioFilter(admin.SimpleListFilter):
    """Consents that offer requests of one scenario (any version) relied on."""

    title = _("scenario")
    parameter_name = "scenario"

    def lookups(self, request, model_admin):
        return [(code, code) for code in selectors.consent_scenario_codes()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(scenarios__scenario_code=self.value())
        return queryset


class ConsentStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return list(selectors.CONSENT_STATES.items())

    def queryset(self, request, queryset):
        if self.value() == "in_force":
            return queryset.filter(withdrawn_at__isnull=True)
        if self.value() == "withdrawn":
            return queryset.filter(withdrawn_at__isnull=False)
        return queryset


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    """Customers' consents as partners sent them (PIPL): read-only; the console lists and exports
    them for an audit (``/staff/consents/``)."""

    list_display = ("consent_id", "partner", "purposes_text", "granted_at", "withdrawn_at", "last_seen_at")
    list_filter = ("partner", ConsentScenarioFilter, ConsentStateFilter)
    list_select_related = ("partner",)
    search_fields = ("=consent_id", "=customer_ref")
    show_full_result_count = False
    fields = (
        "partner",
        "consent_id",
        "customer_ref",
        "purposes_text",
        "scenario_codes",
        "granted_at",
        "withdrawn_at",
        "first_seen_at",
        "last_seen_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        # Consents sent with sandbox keys are test data: never in staff lists (docs/sandbox.md).
        return super().get_queryset(request).filter(sandbox=False)

    @admin.display(description=_("purposes"))
    def purposes_text(self, obj) -> str:
        return ", ".join(obj.purpose_labels)

    @admin.display(description=_("scenarios"))
    def scenario_codes(self, obj) -> str:
        return (
            ", ".join(obj.scenarios.order_by("scenario_code").values_list("scenario_code", flat=True)) or "—"
        )


# --------------------------------------------------------------------------------------
# Reward campaigns (权益奖励)
# --------------------------------------------------------------------------------------
class CampaignForm(forms.ModelForm):
    """A campaign's terms; the partner's share is asked in percent (kept as a fraction)."""

    partner_percent = forms.DecimalField(
        label=_("partner's share (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        required=False,
        help_text=_("Only for a split: the part of each reward the partner pays, e.g. 50."),
    )

    class Meta:
        model = Campaign
        fields = (
            "code",
            "name",
            "name_zh",
            "starts_at",
            "ends_at",
            "currency",
            "budget",
            "count_cap",
            "funded_by",
        )

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        if self.instance.pk is not None and "partner_percent" in self.fields:
            self.fields["partner_percent"].initial = self.instance.partner_share * 100

    def clean(self):
        cleaned = super().clean()
        if "partner_percent" in self.fields:
            percent = cleaned.get("partner_percent")
            cleaned["partner_share"] = Decimal(0) if percent is None else percent / 100
        if "budget" in self.fields and not self.errors:
            terms = {f: cleaned.get(f, getattr(self.instance, f)) for f in services.CAMPAIGN_FIELDS}
            for field, message in services.campaign_terms_errors(terms).items():
                self.add_error("partner_percent" if field == "partner_share" else field, message)
        return cleaned


class CampaignNamesForm(forms.ModelForm):
    """After approval only the names change: the terms are money (a budget change for them)."""

    class Meta:
        model = Campaign
        fields = ("name", "name_zh")

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor


class CampaignBudgetChangeInline(ReadOnlyInline):
    model = CampaignBudgetChange
    fields = (
        "prepared_at",
        "budget_before_shown",
        "budget_shown",
        "count_cap",
        "reason",
        "status",
        "prepared_by",
        "decided_by",
    )
    readonly_fields = fields
    verbose_name_plural = _("budget changes")

    @admin.display(description=_("budget before"))
    def budget_before_shown(self, change) -> str:
        return money_text(change.budget_before, change.campaign.currency)

    @admin.display(description=_("new budget"))
    def budget_shown(self, change) -> str:
        return money_text(change.budget, change.campaign.currency)


class CampaignItemInline(ReadOnlyInline):
    """The bundle items whose reward the campaign pays (set on a draft scenario's items)."""

    model = BundleItem
    fields = ("scenario", "product", "reward_kind", "reward_description")
    readonly_fields = fields
    verbose_name_plural = _("rewards paid from this campaign")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("scenario", "product")


def _campaign_money(field: str, label):
    @admin.display(description=label, ordering=field if field != "remaining" else None)
    def column(_admin, obj) -> str:
        return money_html(getattr(obj, field), obj.currency)

    return column


@admin.register(Campaign)
class CampaignAdmin(ObjectDecisionsMixin, HistoryAdmin):
    """Campaigns: a maker drafts the terms and submits them, a checker (never a maker) approves;
    spent, what remains and rewards granted are shown as they stand."""

    form = CampaignForm
    list_display = (
        "code",
        "name",
        "status",
        "starts_at",
        "ends_at",
        "funded_by",
        "budget_shown",
        "spent_shown",
        "remaining_shown",
        "granted_shown",
    )
    list_filter = ("status", "funded_by", "currency")
    search_fields = ("code", "name", "name_zh")
    readonly_fields = (
        "status",
        "budget_shown",
        "spent_shown",
        "remaining_shown",
        "granted_shown",
        "partner_share_shown",
        "created_by",
        "submitted_by",
        "submitted_at",
        "approved_by",
        "approved_at",
    )
    inlines = [CampaignBudgetChangeInline, CampaignItemInline]
    actions = ["submit", "approve", "send_back", "close"]

    budget_shown = _campaign_money("budget", _("budget"))
    spent_shown = _campaign_money("spent", _("spent"))
    remaining_shown = _campaign_money("remaining", _("remaining"))

    @admin.display(description=_("rewards granted"), ordering="granted")
    def granted_shown(self, obj) -> str:
        if obj.count_cap is None:
            return f"{obj.granted:,}"
        return _("%(granted)s of %(cap)s") % {"granted": f"{obj.granted:,}", "cap": f"{obj.count_cap:,}"}

    @admin.display(description=_("partner's share of the cost"))
    def partner_share_shown(self, obj) -> str:
        return percent_text(obj.partner_share)

    def _draft(self, obj) -> bool:
        return obj is None or obj.status == Campaign.Status.DRAFT

    def get_fields(self, request, obj=None):
        if obj is None:
            return (*CampaignForm.Meta.fields, "partner_percent")
        if self._draft(obj):
            return (*CampaignForm.Meta.fields, "partner_percent", *self.readonly_fields)
        return (
            "code",
            "name",
            "name_zh",
            "starts_at",
            "ends_at",
            "currency",
            "funded_by",
            *self.readonly_fields,
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        frozen = ("code",) if self._draft(obj) else ("code", "starts_at", "ends_at", "currency", "funded_by")
        return (*frozen, *self.readonly_fields)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and not self._draft(obj):
            kwargs["form"] = CampaignNamesForm
            kwargs["fields"] = CampaignNamesForm.Meta.fields
        base = super().get_form(request, obj, change=change, **kwargs)

        class WithActor(base):
            def __init__(self, *args, **inner):
                super().__init__(*args, actor=request.user, **inner)

        return WithActor

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        terms = {f: form.cleaned_data[f] for f in services.CAMPAIGN_FIELDS if f in form.cleaned_data}
        if not change:
            created = services.campaign_create(actor=request.user, code=form.cleaned_data["code"], **terms)
            obj.pk = created.pk
            return
        services.campaign_update(campaign=obj, actor=request.user, **terms)

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("scenarios.approve_campaign")

    def object_decisions(self, request, obj) -> tuple[list[tuple[str, str]], list[str]]:
        """A maker of a submitted campaign is told why *Approve* is not theirs."""
        if obj.status != Campaign.Status.PENDING:
            return [], []
        parts = maker_parts(request.user, services.campaign_makers(obj))
        if not parts:
            return [], []
        return [], [_("You %(parts)s: another person approves this campaign.") % {"parts": ", ".join(parts)}]

    @admin.action(description=_("Submit for approval"), permissions=["change"])
    def submit(self, request, queryset):
        run_per_object(
            request,
            queryset,
            lambda c: services.campaign_submit(campaign=c, actor=request.user),
            success=lambda c: _("%(campaign)s: submitted.") % {"campaign": c},
        )

    @admin.action(description=_("Approve (checker: not the maker)"), permissions=["approve"])
    def approve(self, request, queryset):
        run_per_object(
            request,
            queryset,
            lambda c: services.campaign_approve(campaign=c, actor=request.user),
            success=lambda c: _("%(campaign)s: approved, rewards are granted from it.") % {"campaign": c},
        )

    @admin.action(description=_("Send back to the maker"), permissions=["approve"])
    def send_back(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset,
            label=_("Send back to the maker"),
            action="send_back",
            reason_required=True,
            apply=lambda c, reason: services.campaign_send_back(
                campaign=c, actor=request.user, reason=reason
            ),
            success=lambda c: _("%(campaign)s: sent back.") % {"campaign": c},
        )

    @admin.action(description=_("Close: grant no more rewards"), permissions=["change"])
    def close(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset,
            label=_("Close: grant no more rewards"),
            action="close",
            reason_required=True,
            apply=lambda c, reason: services.campaign_close(campaign=c, actor=request.user, reason=reason),
            success=lambda c: _("%(campaign)s: closed.") % {"campaign": c},
        )


class CampaignBudgetChangeForm(ServiceAddForm):
    class Meta:
        model = CampaignBudgetChange
        fields = ("campaign", "budget", "count_cap", "reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.filter(status=Campaign.Status.APPROVED)

    def run_service(self, cleaned: dict) -> CampaignBudgetChange:
        return services.campaign_budget_propose(actor=self.actor, **cleaned)


@admin.register(CampaignBudgetChange)
class CampaignBudgetChangeAdmin(ServiceAddAdminMixin, HistoryAdmin):
    """A change of an approved campaign's budget: one person proposes it, another approves it."""

    add_form = CampaignBudgetChangeForm
    list_display = (
        "campaign",
        "budget_before_shown",
        "budget_shown",
        "count_cap",
        "status",
        "prepared_by",
        "decided_by",
    )
    list_filter = ("status",)
    list_select_related = ("campaign", "prepared_by", "decided_by")
    readonly_fields = (
        "campaign",
        "budget_before_shown",
        "budget_shown",
        "count_cap_before",
        "count_cap",
        "reason",
        "status",
        "prepared_by",
        "prepared_at",
        "decided_by",
        "decided_at",
    )
    fields = readonly_fields
    actions = ["approve", "reject"]

    @admin.display(description=_("budget before"))
    def budget_before_shown(self, change) -> str:
        return money_html(change.budget_before, change.campaign.currency)

    @admin.display(description=_("new budget"), ordering="budget")
    def budget_shown(self, change) -> str:
        return money_html(change.budget, change.campaign.currency)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("scenarios.view_campaignbudgetchange") or request.user.has_perm(
            "scenarios.view_campaign"
        )

    def has_add_permission(self, request):
        return request.user.has_perm("scenarios.change_campaign")

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("scenarios.approve_campaign")

    @admin.action(description=_("Approve (checker: not the preparer)"), permissions=["approve"])
    def approve(self, request, queryset):
        run_per_object(
            request,
            queryset.select_related("campaign"),
            lambda c: services.campaign_budget_approve(change=c, actor=request.user),
            success=lambda c: _("%(change)s: approved.") % {"change": c},
        )

    @admin.action(description=_("Refuse"), permissions=["approve"])
    def reject(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset.select_related("campaign"),
            label=_("Refuse"),
            action="reject",
            reason_required=True,
            apply=lambda c, reason: services.campaign_budget_reject(
                change=c, actor=request.user, reason=reason
            ),
            success=lambda c: _("%(change)s: refused.") % {"change": c},
        )
