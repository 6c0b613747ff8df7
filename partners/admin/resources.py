"""Import and export of partners (CSV and XLSX) with django-import-export.

Columns (header row, any order)::

    slug, legal_name, display_name, credit_code, industry, tier, risk_rating,
    relationship_manager, contact_name, contact_email, contact_phone, website

``industry`` is an industry code (``travel``), ``relationship_manager`` a staff user's
e-mail, ``tier`` and ``risk_rating`` the codes of their choices. Rows are matched by
``slug``: a new slug makes a draft partner, a known one updates it. ``status`` is exported but
never imported (it moves only through the lifecycle). Every row is validated; one bad row
and nothing is written.

Exported text that a spreadsheet would read as a formula is quoted (``core.exports``); the
import takes the quote off again.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets

from core.exports import EscapedExportResource

from ..exceptions import PartnerError
from ..models import Industry, Partner
from ..services import partner_save
from ..services.lifecycle import EDITABLE_FIELDS
from ..validators import normalise_credit_code

# The import columns are exactly what staff may edit on a partner.
IMPORT_COLUMNS = EDITABLE_FIELDS


class _CodeWidget(widgets.ForeignKeyWidget):
    """A foreign key by a natural key, with an error that names the unknown value."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        try:
            return super().clean(str(value).strip(), row, **kwargs)
        except self.model.DoesNotExist as exc:
            raise ValueError(
                _("“%(value)s” is not a known %(what)s.")
                % {"value": value, "what": self.model._meta.verbose_name}
            ) from exc


class _StaffWidget(_CodeWidget):
    def get_queryset(self, value, row, *args, **kwargs):
        return self.model.objects.filter(is_staff=True)

    def clean(self, value, row=None, **kwargs):
        return super().clean(str(value).strip().lower() if value else value, row, **kwargs)


class _TextWidget(widgets.CharWidget):
    """Text cells as text: XLSX gives numbers for digit-only cells (phone numbers, codes)."""

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()


class PartnerResource(EscapedExportResource, resources.ModelResource):
    industry = fields.Field(
        attribute="industry", column_name="industry", widget=_CodeWidget(Industry, field="code")
    )
    relationship_manager = fields.Field(
        attribute="relationship_manager",
        column_name="relationship_manager",
        widget=_StaffWidget(get_user_model(), field="email"),
    )
    status = fields.Field(attribute="status", column_name="status", readonly=True)

    class Meta:
        model = Partner
        fields = (*IMPORT_COLUMNS, "status")
        export_order = (*IMPORT_COLUMNS, "status")
        import_id_fields = ("slug",)
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = True
        report_skipped = True
        name = gettext_lazy("Partners")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in IMPORT_COLUMNS:
            field = self.fields[name]
            if name not in ("industry", "relationship_manager"):
                field.widget = _TextWidget()

    def import_data(self, dataset, *args, **kwargs):
        # All or nothing: a row failing validation rolls back every row, also on the
        # confirmed (second) run, when the data may have changed since the dry run.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, *args, **kwargs)

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)  # takes off the quote an export put before a formula
        if row.get("credit_code"):
            row["credit_code"] = normalise_credit_code(str(row["credit_code"]))
        if row.get("slug"):
            row["slug"] = str(row["slug"]).strip()

    def do_instance_save(self, instance, is_create):
        # Through the service: the same permission and validation as the admin form.
        try:
            partner_save(partner=instance, actor=self._actor)
        except PartnerError as exc:
            raise ValidationError({exc.field or "__all__": [exc.message]}) from exc

    def import_row(self, row, instance_loader, **kwargs):
        self._actor = kwargs.get("user")
        return super().import_row(row, instance_loader, **kwargs)

    def dehydrate_status(self, partner: Partner) -> str:
        return partner.status
