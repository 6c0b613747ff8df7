"""Staff UI of the catalog: products with segment prices, status actions, import and export.

Every write goes through ``products.services``; the forms check the same term rules first so
staff see every bad term before anything is saved.
"""

from __future__ import annotations

from operator import attrgetter

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from core.admin import HistoryAdmin, ReadOnlyInline, run_per_object
from core.money import percent_column

from . import services
from .forms import ProductForm, SegmentPriceForm, SegmentPriceFormSet
from .models import Product, ProductStatusChange, Segment, SegmentPrice
from .resources import ProductResource


class SegmentPriceInline(admin.TabularInline):
    model = SegmentPrice
    form = SegmentPriceForm
    formset = SegmentPriceFormSet
    fields = ("segment", "rate_adjustment")
    extra = 0

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.is_retired)

    has_add_permission = has_change_permission

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_retired)


class ProductStatusChangeInline(ReadOnlyInline):
    model = ProductStatusChange
    fields = ("changed_at", "from_status", "to_status", "changed_by", "reason")
    readonly_fields = fields
    verbose_name_plural = _("status history")


def _run(request, queryset: QuerySet, service) -> int:
    """Call ``service`` for each selected product; report refusals one by one."""
    changed, _failed = run_per_object(
        request,
        queryset,
        lambda product: service(
            product=product, actor=request.user, reason=str(_("staff action in the admin"))
        ),
        name=attrgetter("code"),
    )
    return changed


@admin.register(Product)
class ProductAdmin(ImportExportModelAdmin, HistoryAdmin):
    form = ProductForm
    resource_classes = [ProductResource]
    formats = [CSV, XLSX]
    list_display = ("code", "name", "category", "status", "base_rate", "floor", "ceiling", "currency")
    base_rate = percent_column(Product, "rate")
    floor = percent_column(Product, "rate_floor")
    ceiling = percent_column(Product, "rate_ceiling")
    list_filter = ("status", "category", "currency")
    search_fields = ("code", "name", "name_zh")
    readonly_fields = ("status", "used_in", "created_at", "updated_at")
    inlines = [SegmentPriceInline, ProductStatusChangeInline]
    actions = ["activate", "retire"]
    fieldsets = (
        (None, {"fields": ("code", "category", "status", "used_in", "currency")}),
        (_("In English"), {"fields": ("name", "description")}),
        (_("In Chinese"), {"fields": ("name_zh", "description_zh")}),
        (_("Rate"), {"fields": ("rate", "rate_floor", "rate_ceiling")}),
        (
            _("Amounts and tenors"),
            {"fields": ("min_amount", "max_amount", "tenor_months", "repayment_method")},
        ),
        (_("Charges"), {"fields": ("minimum_charge", "fixed_fee")}),
        (_("Dates"), {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description=_("used in scenarios"))
    def used_in(self, obj) -> str:
        # The reverse relation only: the catalog never imports the scenarios app.
        if obj is None or obj.pk is None:
            return "—"
        versions = obj.bundle_items.exclude(scenario__status="retired").values_list(
            "scenario__code", "scenario__version", "scenario__status"
        )
        return ", ".join(f"{code} v{version} ({status})" for code, version, status in versions) or "—"

    def has_change_permission(self, request, obj=None):
        # A retired product is history: staff may look at it, not change it.
        return super().has_change_permission(request, obj) and not (obj is not None and obj.is_retired)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != Product.Status.DRAFT:
            return [*self.readonly_fields, "code", "category"]
        return self.readonly_fields

    def has_import_permission(self, request) -> bool:
        user = request.user
        return user.has_perm("products.import_product") and user.has_perm("products.add_product")

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm("products.export_product")

    def has_change_product_status_permission(self, request) -> bool:
        return request.user.has_perm("products.change_product_status")

    def save_model(self, request, obj, form, change):
        services.product_save(product=obj, actor=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not SegmentPrice:
            return super().save_formset(request, form, formset, change)
        # Segment prices go through the service; the admin's change message reads these lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        product = form.instance
        for inline_form in formset.forms:
            cleaned = getattr(inline_form, "cleaned_data", None) or {}
            old = inline_form.instance
            if old.pk and (cleaned.get("DELETE") or "segment" in inline_form.changed_data):
                services.segment_price_remove(product=product, segment=old.segment, actor=request.user)
                formset.deleted_objects.append(old)
            if cleaned and not cleaned.get("DELETE") and inline_form.has_changed():
                price = services.segment_price_set(
                    product=product,
                    segment=cleaned["segment"],
                    rate_adjustment=cleaned["rate_adjustment"],
                    actor=request.user,
                )
                if old.pk and old.segment_id == price.segment_id:
                    formset.changed_objects.append((price, inline_form.changed_data))
                else:
                    formset.new_objects.append(price)
        return None

    @admin.action(description=_("Activate the selected products"), permissions=["change_product_status"])
    def activate(self, request, queryset):
        if count := _run(request, queryset, services.product_activate):
            message = ngettext("%(count)d product activated.", "%(count)d products activated.", count)
            self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Retire the selected products"), permissions=["change_product_status"])
    def retire(self, request, queryset):
        if count := _run(request, queryset, services.product_retire):
            message = ngettext("%(count)d product retired.", "%(count)d products retired.", count)
            self.message_user(request, message % {"count": count}, messages.SUCCESS)
        # Bundles keep their items for history; say which ones stop offering a product.
        for product in queryset.filter(status=Product.Status.RETIRED):
            published = product.bundle_items.filter(scenario__status="published").count()
            if published:
                warning = ngettext(
                    "%(product)s is in %(count)d published scenario, which no longer offers it.",
                    "%(product)s is in %(count)d published scenarios, which no longer offer it.",
                    published,
                )
                self.message_user(
                    request, warning % {"product": product.code, "count": published}, messages.WARNING
                )


@admin.register(Segment)
class SegmentAdmin(HistoryAdmin):
    list_display = ("code", "name", "name_zh", "position")
    search_fields = ("code", "name", "name_zh")
    ordering = ("position", "code")

    def get_readonly_fields(self, request, obj=None):
        # Partners send the code in offer requests: it never changes once used.
        return ("code",) if obj is not None else ()

    # A new or removed segment changes what offer requests may name: quotes read it again.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.catalog_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.catalog_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        services.catalog_changed()
