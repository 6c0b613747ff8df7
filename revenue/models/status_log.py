"""The status log of a revenue record: one row per move, with from, to, who, when and why.

An abstract model cannot take its foreign key's target or its choices from the subclass, so
``status_log`` builds the abstract base for one record's model and the concrete log adds only
its ``Meta``. The fields are exactly the ones the migrations hold.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.transitions import StatusChangeRecord


def status_log(
    record: type[models.Model], *, max_length: int, related_name: str = "status_changes"
) -> type[StatusChangeRecord]:
    """An abstract change row of ``record`` (a model with a ``Status``): a foreign key named
    after the record's model, ``from_status`` (empty on the row of the move that created the
    record) and ``to_status`` over its statuses, and who, when and why."""
    field_name = record._meta.model_name
    # Made before from/to: fields sort by creation, so each log keeps its field order.
    record_field = models.ForeignKey(
        record, verbose_name=record._meta.verbose_name, on_delete=models.CASCADE, related_name=related_name
    )

    class StatusLog(StatusChangeRecord):
        from_status = models.CharField(
            _("from"), max_length=max_length, choices=record.Status.choices, blank=True
        )
        to_status = models.CharField(_("to"), max_length=max_length, choices=record.Status.choices)

        class Meta(StatusChangeRecord.Meta):
            abstract = True

        def __str__(self) -> str:
            return self.move_text()

    StatusLog.add_to_class(field_name, record_field)
    return StatusLog
