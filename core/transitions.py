"""Status moves: one allowed-moves check, one change row, one error, for every app.

Each app keeps its moves (``{from: frozenset of the statuses it may become}``) and its change
table: a subclass of ``StatusChangeRecord`` that adds a foreign key to the record and
``from_status`` / ``to_status`` over the record's statuses. ``transition`` is how a status
moves: it checks the map, runs the move's own precondition, sets the status and the fields that
change with it, saves only those, and writes the change row — in the caller's transaction (the
caller locks the row first). A refused move raises ``InvalidTransition`` (each app raises its
own subclass, so its ``except`` clauses and the HTTP mapping keep working) naming both statuses.

``actor`` is who moves it: a user, or ``None`` for the system (see "Who acts" in
docs/architecture.md). Models kept by django-simple-history get the actor and the move on their
history row too; a record without a change table (a KYB document) has that history row as its
change row. This module imports no app.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .domain import InvalidTransition

Moves = Mapping[str, frozenset[str]]
Record = TypeVar("Record", bound=models.Model)

# simple-history keeps at most this many characters of a change reason.
HISTORY_REASON_LENGTH = 100
# A move as the history row keeps it: the codes of both statuses and the reason, in no language.
MOVE_NOTE = re.compile(r"(?P<from>[\w-]*) → (?P<to>[\w-]+)(?:: (?P<reason>.*))?", re.DOTALL)


class StatusChangeRecord(models.Model):
    """What every change row records besides the record and the two statuses: who, when, why.
    ``changed_by`` is empty when the system made the move."""

    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    changed_at = models.DateTimeField(gettext_lazy("changed at"), auto_now_add=True)
    reason = models.TextField(gettext_lazy("reason"), blank=True)

    class Meta:
        abstract = True
        ordering = ("-changed_at", "-id")

    def move_text(self) -> str:
        """The move in the statuses' names, ``Draft → Pending approval`` (never their codes:
        the admin shows it above each row of a record's history)."""
        return f"{self.get_from_status_display() or '∅'} → {self.get_to_status_display()}"


def status_label(record: models.Model, status: str) -> str:
    """The display name of one of ``record``'s statuses (the raw value if it has none)."""
    choices = dict(record._meta.get_field("status").flatchoices)
    return str(choices.get(status, status))


def move_note(from_status: str, to_status: str, reason: str = "") -> str:
    """A move as a history row keeps it: ``"submitted → under_review: documents complete"``.
    Codes, not labels, so the trail reads the same whatever the language of the person who
    moved it; :func:`history_note` shows it in the reader's."""
    note = f"{from_status} → {to_status}"
    return (f"{note}: {reason}" if reason else note)[:HISTORY_REASON_LENGTH]


def history_note(model: type[models.Model], note: str | None) -> str:
    """A history row's change reason as people read it, in their language: a move's status
    codes become ``model``'s status labels (“Submitted → Under review: documents complete”);
    a note a service wrote (an English message id such as ``"expired"``, marked with
    ``gettext_noop``) is translated; anything else is shown as it is."""
    if not note:
        return ""
    move = MOVE_NOTE.fullmatch(note)
    try:
        labels = dict(model._meta.get_field("status").flatchoices)
    except FieldDoesNotExist:
        labels = {}
    if move and move["to"] in labels and (not move["from"] or move["from"] in labels):
        before = str(labels[move["from"]]) if move["from"] else "∅"
        shown = f"{before} → {labels[move['to']]}"
        return f"{shown}: {move['reason']}" if move["reason"] else shown
    return _(note)


def transition_check(
    record: models.Model, to: str, *, moves: Moves, error: type[InvalidTransition] = InvalidTransition
) -> None:
    """Raise ``error`` unless ``moves`` lets ``record`` go from its status to ``to``. For the
    services that check a move before their other refusals; ``transition`` checks it again."""
    current = record.status
    if to not in moves.get(current, frozenset()):
        raise error(
            _("This %(record)s cannot go from “%(from)s” to “%(to)s”.")
            % {
                "record": record._meta.verbose_name,
                "from": status_label(record, current),
                "to": status_label(record, to),
            },
            field="status",
        )


@cache
def _record_field(change_model: type[models.Model], model: type[models.Model]) -> str:
    """The name of ``change_model``'s foreign key to ``model``."""
    for field in change_model._meta.concrete_fields:
        if field.is_relation and field.many_to_one and issubclass(model, field.related_model):
            return field.name
    raise TypeError(f"{change_model.__name__} has no foreign key to {model.__name__}")


def change_row_write(
    change_model: type[StatusChangeRecord],
    record: models.Model,
    *,
    from_status: str,
    to_status: str,
    actor,
    reason: str = "",
    fields: Mapping[str, Any] | None = None,
) -> StatusChangeRecord:
    """Write one change row of ``record``. ``transition`` calls it for every move; a service
    calls it directly only for the row of the move that created the record (``from_status``
    empty), since nothing moved from anywhere. ``fields``: the change model's own columns
    beyond who, when and why (an agreement's row keeps the terms' hash)."""
    return change_model.objects.create(
        **{_record_field(change_model, type(record)): record},
        from_status=from_status,
        to_status=to_status,
        changed_by=actor,
        reason=reason,
        **(fields or {}),
    )


def transition(
    record: Record,
    to: str,
    *,
    moves: Moves,
    actor,
    reason: str = "",
    change_model: type[StatusChangeRecord] | None,
    error: type[InvalidTransition] = InvalidTransition,
    check: Callable[[Record], None] | None = None,
    changes: Mapping[str, Any] | None = None,
    row: Mapping[str, Any] | None = None,
) -> StatusChangeRecord | None:
    """Move ``record`` (locked by the caller) to ``to``; answer the change row written.

    ``moves`` must permit the move (else ``error``); ``check`` then raises the move's own
    refusal (terms valid, documents verified…) before anything is written. The status and
    ``changes`` (the fields that change with the move: who approved it, when…) are set and
    saved — only they and the record's ``auto_now`` timestamps, so a concurrent edit of
    another column is never overwritten — and one row of ``change_model`` is written. With
    ``change_model=None`` the record's history row (django-simple-history) is its change row,
    and ``None`` is answered. ``row``: the change model's own columns (``change_row_write``).
    """
    if change_model is None and not hasattr(type(record), "history"):
        raise TypeError(f"{type(record).__name__} keeps no history: give its change_model")
    current = record.status
    transition_check(record, to, moves=moves, error=error)
    if check is not None:
        check(record)
    changes = dict(changes or {})
    record.status = to
    for name, value in changes.items():
        setattr(record, name, value)
    # Read by django-simple-history for the history row; harmless on a model without history.
    record._history_user = actor
    record._change_reason = move_note(current, to, reason)
    timestamps = [f.name for f in record._meta.concrete_fields if getattr(f, "auto_now", False)]
    record.save(update_fields=["status", *changes, *timestamps])
    if change_model is None:
        return None
    return change_row_write(
        change_model, record, from_status=current, to_status=to, actor=actor, reason=reason, fields=row
    )
