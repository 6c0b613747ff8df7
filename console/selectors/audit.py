"""The audit trail across apps: every status-change table and every simple-history table,
read as one UNION, newest first, one page at a time.

A page is two queries whatever the size of the tables: the union (LIMIT page + 1, to know
whether there is a next page; no COUNT over the whole history) and nothing else — the actor's
e-mail comes along by join. The default period keeps each branch on its date index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import CharField, F, Q, TextField, Value
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import registered_models

from core.transitions import history_note

PAGE_SIZE = 50

# Status-change tables: (model label, the FK to the audited record). Tables of apps that are
# not built yet are skipped, so the list may name them ahead of time.
STATUS_TABLES = (
    ("partners.PartnerStatusChange", "partner"),
    ("products.ProductStatusChange", "product"),
    ("scenarios.ScenarioStatusChange", "scenario"),
    ("scenarios.ParticipationStatusChange", "participation"),
    ("revenue.AgreementStatusChange", "agreement"),
    ("revenue.StatementStatusChange", "statement"),
    ("revenue.DisputeEvent", "dispute"),
    ("console.RiskSignalChange", "signal"),
)

HISTORY_TYPES = {"+": _("created"), "~": _("changed"), "-": _("deleted")}


@dataclass(frozen=True)
class Source:
    key: str  # "partners.partnerstatuschange"
    label: str  # what the page calls it
    subject: type[models.Model]  # the audited model
    history: bool
    queryset: models.QuerySet
    labels: dict = field(default_factory=dict)  # stored status or action code → its label


def _name_paths(model: type[models.Model], prefix: str = "") -> list[str]:
    """The fields that name a record in people's words — its partner, scenario, product, its
    own name — as lookups from ``model`` (an audited model or its history table)."""
    names = {f.name for f in model._meta.fields}
    paths = []
    if "display_name" in names:
        paths.append("display_name")
    if "partner" in names:
        paths.append("partner__display_name")
    elif "agreement" in names:
        paths.append("agreement__partner__display_name")
    if "scenario" in names:
        paths.append("scenario__name")
    elif "agreement" in names:
        paths.append("agreement__scenario__name")
    if "product" in names:
        paths.append("product__name")
    if "name" in names:
        paths.append("name")
    if not paths and "email" in names:
        paths.append("email")
    return [prefix + path for path in paths]


def _has_path(model: type[models.Model], path: str) -> bool:
    try:
        for part in path.split("__")[:-1]:
            model = model._meta.get_field(part).related_model
        model._meta.get_field(path.split("__")[-1])
    except FieldDoesNotExist:
        return False
    return True


def _local(model: type[models.Model], path: str):
    """``path``'s name in the user's language: its Chinese name when the page is in Chinese and
    the record has one."""
    chinese = f"{path}_zh"
    if (get_language() or "").startswith("zh") and _has_path(model, chinese):
        return Coalesce(NullIf(F(chinese), Value("")), F(path))
    return F(path)


def _name(model: type[models.Model], paths: list[str]):
    """One text column naming the record: its names joined by " · " ("" when it has none)."""
    if not paths:
        return Value("", TextField())
    parts = []
    for path in paths:
        parts += [_local(model, path), Value(" · ")]
    if len(paths) == 1:
        return Cast(parts[0], output_field=TextField())
    return Cast(Concat(*parts[:-1], output_field=TextField()), output_field=TextField())


def _choice_labels(model: type[models.Model], field_name: str) -> dict:
    try:
        return dict(model._meta.get_field(field_name).flatchoices)
    except FieldDoesNotExist:
        return {}


def _columns(*, source: str, object_id, from_value, to_value, actor, at, reason, name) -> dict:
    """The union's columns, all annotations, in one order for every branch."""
    return {
        "a_source": Value(source, output_field=CharField()),
        "a_object": Cast(object_id, output_field=CharField()),
        "a_from": Cast(from_value, output_field=CharField()) if from_value else Value("", CharField()),
        "a_to": Cast(to_value, output_field=CharField()),
        "a_actor": F(f"{actor}__email"),
        "a_at": F(at),
        "a_reason": Cast(reason, output_field=TextField()) if reason else Value("", TextField()),
        "a_name": name,
    }


@cache
def audit_sources() -> tuple[Source, ...]:
    sources = []
    for label, fk in STATUS_TABLES:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        subject = model._meta.get_field(fk).related_model
        actor = "changed_by" if hasattr(model, "changed_by") else "actor"
        key = model._meta.label_lower
        cols = _columns(
            source=key,
            object_id=f"{fk}_id",
            from_value="from_status",
            to_value="to_status",
            actor=actor,
            at="changed_at",
            reason="reason",
            name=_name(model, _name_paths(subject, prefix=f"{fk}__")),
        )
        sources.append(
            Source(
                key,
                str(subject._meta.verbose_name),
                subject,
                False,
                model.objects.annotate(**cols),
                _choice_labels(subject, "status"),
            )
        )
    # Key events carry an action rather than from/to.
    event = apps.get_model("partners.PartnerAPIKeyEvent")
    cols = _columns(
        source="partners.partnerapikeyevent",
        object_id="key_id",
        from_value=None,
        to_value="action",
        actor="actor",
        at="at",
        reason="reason",
        name=_name(event, _name_paths(event._meta.get_field("key").related_model, prefix="key__")),
    )
    sources.append(
        Source(
            "partners.partnerapikeyevent",
            str(event._meta.get_field("key").related_model._meta.verbose_name),
            event._meta.get_field("key").related_model,
            False,
            event.objects.annotate(**cols),
            _choice_labels(event, "action"),
        )
    )
    for subject in registered_models.values():
        history = subject.history.model
        key = history._meta.label_lower
        cols = _columns(
            source=key,
            object_id=subject._meta.pk.attname,
            from_value=None,
            to_value="history_type",
            actor="history_user",
            at="history_date",
            reason="history_change_reason",
            name=_name(history, _name_paths(history)),
        )
        sources.append(
            Source(key, str(subject._meta.verbose_name), subject, True, history.objects.annotate(**cols))
        )
    return tuple(sources)


def source_choices() -> list[tuple[str, str]]:
    return [
        (s.key, f"{s.label} · {_('history') if s.history else _('status changes')}") for s in audit_sources()
    ]


@dataclass
class AuditRow:
    at: datetime
    source: Source
    object_id: str
    name: str  # the record in words: partner, scenario, product, own name
    change: str
    actor: str
    reason: str
    link: str


@dataclass
class AuditPage:
    rows: list[AuditRow]
    page: int
    has_next: bool


def _link(source: Source, object_id: str) -> str:
    meta = source.subject._meta
    name = "history" if source.history else "change"
    try:
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_{name}", args=[object_id])
    except NoReverseMatch:
        return ""


def audit_page(*, start: date, end: date, query: str = "", source: str = "", page: int = 1) -> AuditPage:
    """One page of changes between two business dates (inclusive), newest first.

    ``query`` matches the actor's e-mail, the reason, the record's names (its partner's,
    scenario's, product's, its own) or its id; ``source`` narrows to one table."""
    tz = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=tz)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    branches = []
    for src in audit_sources():
        if source and src.key != source:
            continue
        qs = src.queryset.filter(a_at__gte=since, a_at__lt=until)
        if query:
            qs = qs.filter(
                Q(a_actor__icontains=query)
                | Q(a_reason__icontains=query)
                | Q(a_name__icontains=query)
                | Q(a_object=query)
            )
        # Each branch drops its model ordering: a compound statement is ordered once, outside.
        branches.append(
            qs.order_by().values(
                "a_source", "a_object", "a_from", "a_to", "a_actor", "a_at", "a_reason", "a_name"
            )
        )
    if not branches:
        return AuditPage([], 1, False)
    page = max(1, page)
    union = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
    offset = (page - 1) * PAGE_SIZE
    found = list(union.order_by("-a_at", "a_source", "a_object")[offset : offset + PAGE_SIZE + 1])
    by_key = {s.key: s for s in audit_sources()}
    rows = []
    for item in found[:PAGE_SIZE]:
        src = by_key[item["a_source"]]
        to = item["a_to"]
        reason = item["a_reason"] or ""
        if src.history:
            change = str(HISTORY_TYPES.get(to, to))
            reason = history_note(src.subject, reason)  # a move's codes in the reader's words
        else:
            before = str(src.labels.get(item["a_from"], item["a_from"])) if item["a_from"] else "∅"
            change = f"{before} → {src.labels.get(to, to)}"
        rows.append(
            AuditRow(
                at=item["a_at"],
                source=src,
                object_id=item["a_object"],
                name=item["a_name"] or "",
                change=change,
                actor=item["a_actor"] or "—",
                reason=reason,
                link=_link(src, item["a_object"]),
            )
        )
    return AuditPage(rows, page, len(found) > PAGE_SIZE)
