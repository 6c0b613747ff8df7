"""Import and export of the catalog (django-import-export, CSV and XLSX).

A row is matched to a product by ``code``. Every row is validated with the rules the services
apply; an import writes nothing unless every row is valid (the whole file is one transaction,
rolled back on any error). ``status`` is exported but never imported: new products arrive as
drafts and staff activate them through the status actions. Exported text that a spreadsheet would read as a formula is
quoted (``core.exports``); the import takes the quote off again.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from core.domain import DomainError
from core.exports import EscapedExportResource

from . import services
from .exceptions import ProductTermsInvalid
from .models import Product
from .terms import TERM_FIELDS, parse_tenors


class TenorsWidget(widgets.Widget):
    """``"3,6,12"`` in a cell, ``[3, 6, 12]`` in the model."""

    def clean(self, value, row=None, **kwargs):
        try:
            return parse_tenors(value)
        except ValueError as exc:
            raise ValueError(f"Tenors are whole numbers of months; “{exc}” is not.") from exc

    def render(self, value, obj=None, **kwargs):
        return ",".join(str(v) for v in value or [])


class ProductResource(EscapedExportResource, resources.ModelResource):
    tenor_months = fields.Field(attribute="tenor_months", column_name="tenor_months", widget=TenorsWidget())
    status = fields.Field(attribute="status", column_name="status", readonly=True)
    # An empty cell is an empty text (the library only does this for CharField, not TextField).
    description = fields.Field(
        attribute="description", column_name="description", widget=widgets.CharWidget()
    )
    description_zh = fields.Field(
        attribute="description_zh", column_name="description_zh", widget=widgets.CharWidget()
    )
    money_fields = ("min_amount", "max_amount", "minimum_charge", "fixed_fee")

    class Meta:
        model = Product
        import_id_fields = ("code",)
        fields = (
            "code",
            "name",
            "name_zh",
            "description",
            "description_zh",
            "category",
            *TERM_FIELDS,
            "status",
        )
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        # All or nothing: a row with a validation error rolls back every other row too.
        kwargs["rollback_on_validation_errors"] = True
        self.acting_user = kwargs.get("user")  # the admin passes the staff member importing
        return super().import_data(dataset, dry_run, raise_errors, True, **kwargs)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # Cells that did not parse first, then the catalog's own rules (they name the term),
        # then the model's field and constraint checks as the last line.
        errors = dict(import_validation_errors or {})
        if not errors:
            try:
                services.product_check(product=instance)
            except ProductTermsInvalid as exc:
                errors = exc.errors
            except DomainError as exc:  # a retired product, a category an active one cannot change
                errors = {exc.field or "code": [exc.message]}
        if errors:
            raise ValidationError(errors)
        super().validate_instance(instance, None, validate_unique)

    def do_instance_save(self, instance, is_create):
        services.product_save(product=instance, actor=getattr(self, "acting_user", None))
