"""Writes of the ledger: recording reported transactions, all or nothing.

The database decides what is new: rows go in with ``INSERT … ON CONFLICT DO NOTHING RETURNING``
on the (partner, external_id) constraint, and only the rows that conflicted are read back to
compare their stored content hash. An identical replay is a duplicate (never a second row); the
same ``external_id`` with different content is a conflict and nothing of the batch is written.
Concurrent identical batches are safe: the second waits on the first's unique-index entries and
then sees them as conflicts.

Recording holds the partner's ledger lock of the batch's scenarios shared (see
``_common.ledger_lock``) and marks each row ``late`` when a statement already covers its date:
it then settles as an adjustment in the next statement.

Attribution: a sale may name the offer it came from (``offer_id``): the partner's own real offer
of the same product, quoted at most ``OFFER_ATTRIBUTION_DAYS`` before ``occurred_at`` and not
after it (beyond ``REVENUE_CLOCK_SKEW``, as for ``occurred_at`` itself). The offers a batch names
are read in one query (``offers_named``) and each row is checked against them; anything else is
the same 400 as an unknown id, whoever's offer it is. A refund carries its sale's offer.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.generations import ProcessMemo, generation_bump
from core.secrets import customer_reference
from partners.models import Partner
from scenarios.models import BundleItem, Participation, Scenario
from scenarios.selectors import OfferNamed, offer_records_for_partner

from ..exceptions import TransactionConflict, TransactionInvalid
from ..models import Agreement, Statement, Transaction
from ..money import TRANSACTION_AMOUNT_MAX
from ._common import ledger_lock
from .rewards import reward_grant_for_sales


class LedgerRow(NamedTuple):
    """A reported transaction as the ledger stores it: every column but the id and ``late``
    (which ``ledger_store`` decides under the ledger lock), in ``INSERT_COLUMNS`` order, the
    values already adapted for the database. A tuple, so a batch goes to ``COPY`` and to
    ``INSERT`` parameters as it is."""

    partner_id: int
    external_id: str
    scenario_id: int
    scenario_code: str
    product_id: int
    kind: str
    amount: object  # as ``ops.adapt_decimalfield_value`` gives it
    currency: str
    occurred_at: object  # as ``ops.adapt_datetimefield_value`` gives it
    occurred_on: object  # the business date (Asia/Shanghai), as ``ops.adapt_datefield_value`` gives it
    received_at: object
    customer_ref: str
    source: str
    # The sale's external_id (a refund) until ``ledger_store`` resolves it to the sale's id.
    refund_of_id: int | str | None
    content_hash: str
    # The offer the sale came from (a refund: its sale's), "" and None when none was named.
    offer_id: str
    offer_quoted_at: object  # as ``ops.adapt_datetimefield_value`` gives it


# What a reported transaction stores: every column but the id (``LedgerRow`` and ``late``).
INSERT_COLUMNS = (*LedgerRow._fields, "late")
# Rows per INSERT statement on SQLite: 18 parameters each stays under its 32,766 variables.
# PostgreSQL takes a whole batch through COPY.
INSERT_BATCH = 1000
SALE = Transaction.Kind.SALE
REFUND = Transaction.Kind.REFUND
# Offer ids per read of the offer log (an import names many more than an API batch's 1000).
OFFER_LOOKUP_BATCH = 5000


@dataclass
class RecordResult:
    created: int = 0
    duplicates: int = 0
    # (external_id, id, "created" | "duplicate") in the order reported
    results: list[tuple[str, int, str]] = field(default_factory=list)
    # {external_id: why no approved agreement settles it} for the rows stored but not settleable
    warnings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalog:
    """What a partner may report against: ``{scenario code: (version id, {product code: (product
    id, currency, max amount or None)})}`` for the scenario versions it actively participates in,
    and ``{scenario code: [(effective_from, effective_to or None)]}`` of its approved agreements."""

    scenarios: dict[str, tuple[int, dict[str, tuple[int, str, Decimal | None]]]]
    agreements: dict[str, list[tuple[date, date | None]]] = field(default_factory=dict)
    # {scenario code: when the partner left it} for the scenarios it left (or staff ended) and
    # is not back in: a sale that occurred before then is still taken (reported late), a sale
    # after it is refused; refunds of earlier sales are always taken.
    left: dict[str, datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Per scenario: the first agreement's start (earlier rows are refused), and whether its
        # agreements cover every day from then on (no gap, the last open-ended): then no row
        # needs the per-day check of ``coverage_gap``. Worked out once per batch, not per row.
        first_start: dict[str, date] = {}
        covered_from_start: set[str] = set()
        for code, spans in self.agreements.items():
            ordered = sorted(spans, key=lambda span: span[0])
            first_start[code] = ordered[0][0]
            reach: date | None = ordered[0][0] - timedelta(days=1)
            for start, end in ordered:
                if reach is None or start > reach + timedelta(days=1):
                    break
                reach = None if end is None else max(reach, end)
            else:
                if reach is None:
                    covered_from_start.add(code)
        object.__setattr__(self, "first_start", first_start)  # a frozen dataclass
        object.__setattr__(self, "covered_from_start", covered_from_start)

    def coverage_gap(self, scenario_code: str, day: date) -> str | None:
        """Why no approved agreement would settle a transaction of ``day``, or None."""
        if scenario_code in self.covered_from_start and day >= self.first_start[scenario_code]:
            return None
        spans = self.agreements.get(scenario_code, [])
        if any(start <= day and (end is None or day <= end) for start, end in spans):
            return None
        if not spans:
            return _(
                "No approved agreement covers this scenario yet: the transaction is not settled until one does."
            )
        return _("No approved agreement covers %(day)s: the transaction is not settled until one does.") % {
            "day": day.isoformat()
        }


def partner_catalog(*, partner: Partner) -> Catalog:
    """The scenario versions ``partner`` actively participates in, or left last (not by moving
    to a newer version) and is not back in, and their products (two queries)."""
    versions: dict[str, tuple[int, datetime | None]] = {}
    # Active first, then the latest left: the first seen per code wins. A move ends the old
    # participation too, but the moved one (``moved_to``) is never the one left.
    for scenario_id, code, status, ended_at in (
        Participation.objects.filter(partner=partner)
        .filter(
            Q(status=Participation.Status.ACTIVE)
            | Q(status=Participation.Status.ENDED, moved_to__isnull=True)
        )
        .order_by(
            Case(When(status=Participation.Status.ACTIVE, then=0), default=1),
            F("ended_at").desc(nulls_last=True),
        )
        .values_list("scenario_id", "scenario_code", "status", "ended_at")
    ):
        versions.setdefault(code, (scenario_id, None if status == Participation.Status.ACTIVE else ended_at))
    left = {code: ended_at for code, (_id, ended_at) in versions.items() if ended_at is not None}
    scenarios = catalog_scenarios(
        BundleItem.objects.filter(
            scenario__status=Scenario.Status.PUBLISHED,
            scenario_id__in=[scenario_id for scenario_id, _ended in versions.values()],
        )
    )
    agreements: dict[str, list[tuple[date, date | None]]] = {}
    for code, start, end in Agreement.objects.filter(
        partner=partner, status__in=Agreement.IN_FORCE
    ).values_list("scenario_code", "effective_from", "effective_to"):
        agreements.setdefault(code, []).append((start, end))
    return Catalog(scenarios, agreements, left)


# What ``transactions_record`` checks a batch against, kept in each process: the same three
# reads for every batch of a partner. Dropped in every process when a version is published or
# retired or a participation starts, ends or moves ("scenarios"), when a product changes
# ("products": currency, maximum amount, code) and when an agreement moves ("agreements":
# ``catalog_forget``); see ``core.generations`` and docs/architecture.md (Caches). Bundle items
# change only on drafts, which no catalog holds. Nothing in it depends on the day it was read:
# every date is checked per row.
CATALOG_GENERATIONS = ("scenarios", "products", "agreements")
CATALOG_SECONDS = 60  # a bound for what a lost drop could cost; every change drops them anyway
catalogs = ProcessMemo(CATALOG_GENERATIONS, seconds=CATALOG_SECONDS)


def catalog_forget() -> None:
    """Drop every partner's catalog in every process, now and again after the current
    transaction commits: an agreement moved (came into force, was superseded and so ended)."""
    generation_bump("agreements")


def partner_catalog_current(*, partner: Partner) -> Catalog:
    """``partner_catalog``, from this process's memory while nothing it is built from changed
    (no query). Read inside a transaction, a catalog that is not held is loaded and not kept:
    it may show that transaction's own changes, which a rollback would leave behind in the
    memo with no bump to drop them."""
    catalogs.current()
    if transaction.get_connection().in_atomic_block:
        return catalogs.peek(partner.pk) or partner_catalog(partner=partner)
    return catalogs.get(partner.pk, lambda: partner_catalog(partner=partner))


def catalog_scenarios(items) -> dict[str, tuple[int, dict[str, tuple[int, str, Decimal | None]]]]:
    """``Catalog.scenarios`` of the bundle ``items`` (a ``BundleItem`` queryset): one query.
    Shared with the sandbox's catalog (``revenue.services.sandbox``)."""
    rows = items.values_list(
        "scenario_id",
        "scenario__code",
        "product_id",
        "product__code",
        "product__currency",
        "product__max_amount",
    ).distinct()
    scenarios: dict[str, tuple[int, dict[str, tuple[int, str, Decimal | None]]]] = {}
    for scenario_id, code, product_id, product_code, currency, max_amount in rows:
        scenarios.setdefault(code, (scenario_id, {}))[1][product_code] = (product_id, currency, max_amount)
    return scenarios


def content_hash(item: Mapping, customer_ref: str) -> str:
    occurred = item["occurred_at"].astimezone(UTC)
    amount = item["amount"]
    parts = [
        item["scenario"],
        item["product"],
        item["kind"],
        f"{amount if type(amount) is Decimal else Decimal(amount):.2f}",
        item.get("currency") or "CNY",
        occurred.isoformat(),
        customer_ref,
    ]
    if item.get("refund_of"):
        # Only when given: rows stored before refunds named their sale keep their hash.
        parts.append(f"refund_of:{item['refund_of']}")
    elif item.get("offer_id"):
        # A sale's offer, only when named: rows stored before attribution keep their hash. A
        # refund's offer is its sale's (named or not, the same row is stored): not hashed.
        parts.append(f"offer:{item['offer_id']}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def offers_named(*, partner_id: int, claims: Iterable[tuple[str, datetime]]) -> dict[str, OfferNamed]:
    """The partner's real offers among those that ``claims`` (``(offer_id, occurred_at)`` of the
    sales naming one) could be attributed to: one read of the offer log per
    ``OFFER_LOOKUP_BATCH`` ids (one for an API batch), bounded by the earliest sale less the
    attribution window and the latest plus the clock skew, so only those partitions are read.
    ``offer_attributed`` then checks each sale against its own window."""
    window, skew = timedelta(days=settings.OFFER_ATTRIBUTION_DAYS), settings.REVENUE_CLOCK_SKEW
    found: dict[str, OfferNamed] = {}
    chunk: dict[str, tuple[datetime, datetime]] = {}

    def read() -> None:
        found.update(
            offer_records_for_partner(
                partner_id=partner_id,
                offer_ids=list(chunk),
                quoted_from=min(first for first, _last in chunk.values()) - window,
                quoted_until=max(last for _first, last in chunk.values()) + skew,
            )
        )
        chunk.clear()

    for offer_id, occurred_at in claims:
        first, last = chunk.get(offer_id, (occurred_at, occurred_at))
        chunk[offer_id] = (min(first, occurred_at), max(last, occurred_at))
        if len(chunk) >= OFFER_LOOKUP_BATCH:
            read()
    if chunk:
        read()
    return found


def offer_attributed(
    offers: Mapping[str, OfferNamed], *, offer_id: str, product: str, occurred_at: datetime, field: str
) -> datetime:
    """The ``quoted_at`` of the offer a sale names, from ``offers_named``; ``TransactionInvalid``
    naming ``field`` when it is not the partner's real offer quoted in the sale's window (one
    answer whether the id is unknown, another partner's, a try-out, too old or later than the
    sale), or is of another product."""
    offer = offers.get(offer_id)
    earliest = occurred_at - timedelta(days=settings.OFFER_ATTRIBUTION_DAYS)
    if offer is None or not earliest <= offer.quoted_at <= occurred_at + settings.REVENUE_CLOCK_SKEW:
        raise TransactionInvalid(
            _("No offer “%(id)s” was quoted to you in the %(days)d days up to this transaction.")
            % {"id": offer_id, "days": settings.OFFER_ATTRIBUTION_DAYS},
            field=field,
        )
    if offer.product_code != product:
        raise TransactionInvalid(
            _("The offer “%(id)s” was for another product (%(product)s).")
            % {"id": offer_id, "product": offer.product_code},
            field=field,
        )
    return offer.quoted_at


def ledger_row(
    partner_id: int,
    item: Mapping,
    catalog: Catalog,
    index: int,
    now: datetime,
    source: str,
    ops=None,
    offers: Mapping[str, OfferNamed] | None = None,
) -> LedgerRow:
    """``item`` checked and adapted as a row of the ledger. A sale naming an offer is checked
    against ``offers`` (``offers_named`` of its batch); with ``offers`` None (an import, whose
    offers are read once the whole file is checked) its ``offer_quoted_at`` stays None for the
    caller to fill through ``offer_attributed``: the database refuses an offer id without it. A
    refund's offer is its sale's, filled in by ``ledger_store``."""
    prefix = f"transactions.{index}"
    entry = catalog.scenarios.get(item["scenario"])
    if entry is None:
        raise TransactionInvalid(
            _("You do not actively take part in the scenario “%(code)s”.") % {"code": item["scenario"]},
            field=f"{prefix}.scenario",
        )
    scenario_id, products = entry
    left_at = catalog.left.get(item["scenario"])
    if left_at is not None and item["kind"] != REFUND and item["occurred_at"] >= left_at:
        raise TransactionInvalid(
            _("You left the scenario “%(code)s” on %(day)s: only sales before then are taken.")
            % {"code": item["scenario"], "day": timezone.localdate(left_at).isoformat()},
            field=f"{prefix}.occurred_at",
        )
    product = products.get(item["product"])
    if product is None:
        raise TransactionInvalid(
            _("The product “%(code)s” is not in this scenario's bundle.") % {"code": item["product"]},
            field=f"{prefix}.product",
        )
    product_id, product_currency, product_max = product
    currency = item.get("currency") or "CNY"
    if currency != product_currency:
        raise TransactionInvalid(
            _("This product is sold in %(currency)s.") % {"currency": product_currency},
            field=f"{prefix}.currency",
        )
    amount = item["amount"]
    if type(amount) is not Decimal:
        amount = Decimal(amount)
    limit = TRANSACTION_AMOUNT_MAX if product_max is None else min(product_max, TRANSACTION_AMOUNT_MAX)
    if amount > limit:
        raise TransactionInvalid(
            _("At most %(limit)s for this product.") % {"limit": f"{limit:,.2f}"}, field=f"{prefix}.amount"
        )
    occurred_at = item["occurred_at"]
    if occurred_at > now + settings.REVENUE_CLOCK_SKEW:
        raise TransactionInvalid(_("This is in the future."), field=f"{prefix}.occurred_at")
    # The business date (Asia/Shanghai, the default time zone): named, not looked up per row
    # in the request's current zone (``occurred_at`` is aware: ``timezone.localdate`` less its checks).
    occurred_on = occurred_at.astimezone(timezone.get_default_timezone()).date()
    first = catalog.first_start.get(item["scenario"])
    if first is not None and occurred_on < first:
        # Before the partner's first agreement of the scenario: nothing could ever settle it.
        raise TransactionInvalid(
            _("This is before your first agreement for this scenario (from %(day)s).")
            % {"day": first.isoformat()},
            field=f"{prefix}.occurred_at",
        )
    refund_of = item.get("refund_of") or None
    if item["kind"] == REFUND and not refund_of:
        raise TransactionInvalid(
            _("A refund names the sale it reverses: give refund_of, the sale's external_id."),
            field=f"{prefix}.refund_of",
        )
    if item["kind"] != REFUND and refund_of:
        raise TransactionInvalid(_("Only a refund names a sale."), field=f"{prefix}.refund_of")
    ops = ops or connection.ops  # callers of many rows pass it: one lookup, not one per row
    offer_id = item.get("offer_id") or ""
    quoted_at = None
    if offer_id and item["kind"] == SALE and offers is not None:
        quoted_at = ops.adapt_datetimefield_value(
            offer_attributed(
                offers,
                offer_id=offer_id,
                product=item["product"],
                occurred_at=occurred_at,
                field=f"{prefix}.offer_id",
            )
        )
    ref = customer_reference(partner_id=partner_id, customer_id=item.get("customer_id") or "")
    return LedgerRow(
        partner_id,
        item["external_id"],
        scenario_id,
        item["scenario"],
        product_id,
        item["kind"],
        ops.adapt_decimalfield_value(amount, 16, 2),
        currency,
        ops.adapt_datetimefield_value(occurred_at),
        ops.adapt_datefield_value(occurred_on),
        ops.adapt_datetimefield_value(now),
        ref,
        source,
        refund_of,
        content_hash(item, ref),
        offer_id,
        quoted_at,
    )


# PostgreSQL types of INSERT_COLUMNS (the staging table of a batch).
PG_COLUMN_TYPES = (
    "bigint", "varchar", "bigint", "varchar", "bigint", "varchar", "numeric", "varchar", "timestamptz", "date",
    "timestamptz", "varchar", "varchar", "bigint", "varchar", "varchar", "timestamptz", "boolean",
)  # fmt: skip
PG_STAGING = "revenue_transaction_incoming"
CONFLICT = "ON CONFLICT (partner_id, external_id) DO NOTHING RETURNING external_id, id"


def _insert_new(
    rows: Sequence[LedgerRow], late: Sequence[bool], partner_id: int
) -> tuple[dict[str, int], dict[str, tuple[int, str]]]:
    """Insert ``rows`` with their ``late`` flags, skipping (partner, external_id) already
    stored: ``({external_id: id} created, {external_id: (id, content hash)} already stored)``.
    The database decides what is new (the unique constraint), never a read before the write."""
    if connection.vendor == "postgresql":
        return _insert_new_postgresql(rows, late, partner_id)
    table = Transaction._meta.db_table
    columns = ", ".join(INSERT_COLUMNS)
    one = "(" + ", ".join(["%s"] * len(INSERT_COLUMNS)) + ")"
    created: dict[str, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            chunk = rows[start : start + INSERT_BATCH]
            flags = late[start : start + INSERT_BATCH]
            # Only our own table and column names and placeholders go into the text.
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))} {CONFLICT}"  # noqa: S608
            # INSERT_COLUMNS order: the row, then its flag.
            cursor.execute(sql, [v for row, flag in zip(chunk, flags, strict=True) for v in (*row, flag)])
            created.update(cursor.fetchall())
    return created, _existing(
        [r.external_id for r in rows if r.external_id not in created], partner_id=partner_id
    )


def _insert_new_postgresql(
    rows: Sequence[LedgerRow], late: Sequence[bool], partner_id: int
) -> tuple[dict[str, int], dict[str, tuple[int, str]]]:
    """PostgreSQL: ``COPY`` the batch into a temporary staging table of this session (emptied
    at commit), then one ``INSERT … SELECT … ON CONFLICT DO NOTHING``. COPY streams the values
    without binding a parameter each, so the database does the same work as a plain COPY into
    the ledger plus one pass over the staged rows."""
    table = Transaction._meta.db_table
    columns = ", ".join(INSERT_COLUMNS)
    typed = ", ".join(f"{c} {t}" for c, t in zip(INSERT_COLUMNS, PG_COLUMN_TYPES, strict=True))
    # One transaction (the caller's): the staging table empties at its commit.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # Only our own table and column names go into the text.
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {PG_STAGING} ({typed}) ON COMMIT DELETE ROWS")
        cursor.execute(f"DELETE FROM {PG_STAGING}")  # noqa: S608 - an earlier batch of this transaction
        with cursor.cursor.copy(f"COPY {PG_STAGING} ({columns}) FROM STDIN") as copy:
            for row, flag in zip(rows, late, strict=True):
                copy.write_row((*row, flag))  # INSERT_COLUMNS order
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {PG_STAGING} {CONFLICT}"  # noqa: S608
        )
        created = dict(cursor.fetchall())
        existing: dict[str, tuple[int, str]] = {}
        if len(created) < len(rows):
            # What was there already, looked up id by id in the unique index (a replay: every
            # row). ``OFFSET 0`` keeps the planner from turning the lookups into a scan of all
            # the partner's rows (the staging table has no statistics).
            cursor.execute(
                f"SELECT s.external_id, t.id, t.content_hash FROM {PG_STAGING} s CROSS JOIN LATERAL "  # noqa: S608
                f"(SELECT id, content_hash FROM {table} WHERE partner_id = %s AND external_id = s.external_id "
                "OFFSET 0) t",
                [partner_id],
            )
            existing = {external_id: (pk, digest) for external_id, pk, digest in cursor.fetchall()}
        return created, existing


def transactions_record(
    *,
    partner: Partner,
    items: Sequence[Mapping],
    source: str = Transaction.Source.API,
    catalog: Catalog | None = None,
) -> RecordResult:
    """Record ``items`` (validated input: external_id, scenario, product, kind, amount, currency,
    occurred_at, customer_id?, refund_of?, offer_id?) for ``partner``: all or nothing. Raises ``TransactionInvalid``
    (400, naming ``transactions.<i>.<field>``) or ``TransactionConflict`` (409)."""
    catalog = catalog or partner_catalog_current(partner=partner)
    now = timezone.now()
    ops = connection.ops
    offers = offers_named(
        partner_id=partner.pk,
        claims=[(i["offer_id"], i["occurred_at"]) for i in items if i.get("offer_id") and i["kind"] == SALE],
    )
    rows: list[LedgerRow] = []
    first_seen: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, item in enumerate(items):
        row = ledger_row(partner.pk, item, catalog, index, now, source, ops, offers)
        external_id = item["external_id"]
        if external_id in first_seen:
            if rows[first_seen[external_id]].content_hash != row.content_hash:
                raise TransactionInvalid(
                    _("This external_id appears twice in the batch with different content."),
                    field=f"transactions.{index}.external_id",
                )
            continue
        first_seen[external_id] = len(rows)
        labels[external_id] = f"transactions.{index}"
        rows.append(row)
    with transaction.atomic():
        created, existing, conflicts = ledger_store(rows, partner_id=partner.pk, labels=labels)
        if conflicts:
            raise TransactionConflict(
                _("Already stored with different content: %(ids)s. Nothing was written.")
                % {"ids": ", ".join(conflicts[:20])},
                field="transactions",
            )
    result = RecordResult(created=len(created))
    for item in items:
        if item["scenario"] not in catalog.covered_from_start:
            gap = catalog.coverage_gap(item["scenario"], timezone.localdate(item["occurred_at"]))
            if gap:
                result.warnings[item["external_id"]] = gap
        external_id = item["external_id"]
        if external_id in created and first_seen.pop(external_id, None) is not None:
            result.results.append((external_id, created[external_id], "created"))
        else:
            tx_id = created.get(external_id) or existing[external_id][0]
            result.results.append((external_id, tx_id, "duplicate"))
            result.duplicates += 1
    return result


def ledger_store(
    rows: Sequence[LedgerRow], *, partner_id: int, labels: Mapping[str, str] | None = None
) -> tuple[dict, dict, list[str]]:
    """Insert ledger ``rows`` (all of one partner) that are new.
    Returns ``({external_id: id} created, {external_id: (id, hash)} already stored, [external_id
    stored with different content])``. Call inside a transaction and roll back on conflicts.

    Refunds name their sale (its external_id in the ``refund_of_id`` place): a sale stored
    earlier or one of this batch, of the same scenario, product and currency and not later; a
    refund never takes back more than remains of it. ``labels`` (``{external_id:
    "transactions.3"}``) name the row in the ``TransactionInvalid`` raised otherwise."""
    labels = labels or {}
    ledger_lock(partner_id=partner_id, scenario_codes={r.scenario_code for r in rows}, exclusive=False)
    rows, deferred, sales = _refunds_resolve(rows, partner_id=partner_id, labels=labels)
    stored = _store_postgresql(rows, deferred, partner_id) if connection.vendor == "postgresql" else None
    if stored is not None:  # all new, or all stored already
        created, existing, rows = stored
        deferred = []
    else:
        created, existing = _insert_flagged(rows, partner_id)
    if deferred:
        # Refunds of sales of this batch: their sales have ids now.
        ids = {**{e: pk for e, (pk, _h) in existing.items()}, **created}
        deferred = [r._replace(refund_of_id=ids[r.refund_of_id]) for r in deferred]
        more_created, more_existing = _insert_flagged(deferred, partner_id)
        created.update(more_created)
        existing.update(more_existing)
        rows = [*rows, *deferred]
    conflicts = [
        r.external_id
        for r in rows
        if r.external_id not in created and existing[r.external_id][1] != r.content_hash
    ]
    if conflicts:
        return created, existing, conflicts
    if sales:
        batch_ids = {**{e: p for e, (p, _h) in existing.items()}, **created}
        sale_ids = {pk if pk is not None else batch_ids[e]: (e, amount) for e, (pk, amount) in sales.items()}
        _refunds_within_sales(rows, created, sale_ids, labels=labels)
    if not conflicts:  # the new attributed sales' rewards, in this transaction
        reward_grant_for_sales(partner_id=partner_id, rows=rows, created=created)
    return created, existing, conflicts


def _store_postgresql(
    rows: Sequence[LedgerRow], deferred: Sequence[LedgerRow], partner_id: int
) -> tuple[dict[str, int], dict[str, tuple[int, str]], list[LedgerRow]] | None:
    """PostgreSQL's two common cases, each without the staging table: ``(created, existing,
    rows as stored)``, or None for the general path (``_insert_flagged``).

    One read of the batch's external ids in the unique index (committed rows only) tells them:
    - **none is stored** (a fresh batch): ids are taken from the ledger's sequence, the refunds
      of sales of this batch get their sale's id at once, and the whole batch goes into the
      ledger with one ``COPY`` (in a savepoint: when a concurrent batch stored one of these ids
      meanwhile, the ``COPY`` waits for it and fails, and the general path sees it as stored);
    - **all are stored** (a replay): nothing is written, the read is the answer."""
    table = Transaction._meta.db_table
    every = [*rows, *deferred]
    external_ids = [r.external_id for r in every]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT external_id, id, content_hash FROM {table} WHERE partner_id = %s "  # noqa: S608
            "AND external_id = ANY(%s)",
            [partner_id, external_ids],
        )
        existing = {external_id: (pk, digest) for external_id, pk, digest in cursor.fetchall()}
        if existing:
            if deferred or len(existing) < len(set(external_ids)):
                return None  # some new, some stored
            return {}, existing, list(rows)
        if len(set(external_ids)) < len(external_ids):
            return None  # an id twice: the general path stores the first
        # The sequence named once (a scalar subquery), not looked up again for every id.
        cursor.execute(
            "SELECT nextval((SELECT pg_get_serial_sequence(%s, 'id')::regclass)) FROM generate_series(1, %s)",
            [table, len(every)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    created = dict(zip(external_ids, ids, strict=True))
    every = [*rows, *(r._replace(refund_of_id=created[r.refund_of_id]) for r in deferred)]
    late = _late_flags(every, partner_id=partner_id)
    columns = ", ".join(("id", *INSERT_COLUMNS))
    try:
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for pk, row, flag in zip(ids, every, late, strict=True):
                copy.write_row((pk, *row, flag))  # id, then INSERT_COLUMNS order
    except IntegrityError:
        return None  # a concurrent batch stored some of these meanwhile (now committed)
    return created, {}, every


def _insert_flagged(
    rows: Sequence[LedgerRow], partner_id: int
) -> tuple[dict[str, int], dict[str, tuple[int, str]]]:
    if not rows:
        return {}, {}
    return _insert_new(rows, _late_flags(rows, partner_id=partner_id), partner_id)


def _refunds_resolve(
    rows: Sequence[LedgerRow], *, partner_id: int, labels: Mapping[str, str]
) -> tuple[list[LedgerRow], list[LedgerRow], dict[str, tuple[int | None, Decimal]]]:
    """Split ``rows`` into those to insert first (each refund of a stored sale carrying the
    sale's id) and the refunds of sales of this batch (inserted after them), with ``{sale
    external_id: (id or None while in this batch, amount)}`` of every sale refunded. Every
    refund takes its sale's offer (a refund naming another is refused). Stored sales are locked
    to the end of the transaction, so two batches refunding one sale check what remains one
    after the other."""
    wanted = {r.refund_of_id for r in rows if r.refund_of_id}
    if not wanted:
        return list(rows), [], {}
    stored = {
        row[0]: row[1:]
        for row in Transaction.objects.filter(partner_id=partner_id, external_id__in=wanted).values_list(
            "external_id",
            "id",
            "kind",
            "scenario_code",
            "product_id",
            "currency",
            "occurred_at",
            "amount",
            "offer_id",
            "offer_quoted_at",
        )
    }
    adapt = connection.ops.adapt_datetimefield_value
    in_batch = {
        r.external_id: r
        for r in rows
        if r.kind == SALE and r.external_id in wanted and r.external_id not in stored
    }
    first: list[LedgerRow] = []
    deferred: list[LedgerRow] = []
    sales: dict[str, tuple[int | None, Decimal]] = {}
    locks: set[int] = set()
    for row in rows:
        sale_external_id = row.refund_of_id
        if not sale_external_id:
            first.append(row)
            continue
        where = labels.get(row.external_id, "transactions")
        if sale_external_id in stored:
            pk, kind, code, product_id, currency, occurred_at, amount, offer_id, quoted_at = stored[
                sale_external_id
            ]
            occurred, quoted = adapt(occurred_at), adapt(quoted_at)
        elif sale_external_id in in_batch:
            sale = in_batch[sale_external_id]
            pk, kind, code, product_id = None, SALE, sale.scenario_code, sale.product_id
            currency, occurred, amount = sale.currency, sale.occurred_at, Decimal(str(sale.amount))
            offer_id, quoted = sale.offer_id, sale.offer_quoted_at
        else:
            pk = kind = None
        if kind != SALE:
            raise TransactionInvalid(
                _("No sale “%(id)s” is recorded: a refund names a sale of yours.") % {"id": sale_external_id},
                field=f"{where}.refund_of",
            )
        if (code, product_id, currency) != (row.scenario_code, row.product_id, row.currency):
            raise TransactionInvalid(
                _("The sale “%(id)s” is of another scenario, product or currency.")
                % {"id": sale_external_id},
                field=f"{where}.refund_of",
            )
        if occurred > row.occurred_at:
            raise TransactionInvalid(_("A refund cannot precede its sale."), field=f"{where}.occurred_at")
        if row.offer_id and row.offer_id != offer_id:
            raise TransactionInvalid(
                _("A refund carries its sale's offer: “%(id)s” is not the offer of the sale “%(sale)s”.")
                % {"id": row.offer_id, "sale": sale_external_id},
                field=f"{where}.offer_id",
            )
        row = row._replace(offer_id=offer_id, offer_quoted_at=quoted)  # the sale's, named or not
        sales[sale_external_id] = (pk, amount)
        if pk is None:
            deferred.append(row)
        else:
            locks.add(pk)
            first.append(row._replace(refund_of_id=pk))
    if locks and connection.vendor == "postgresql":
        # One bigint key per sale (a key space apart from the ledger's two-int locks); sorted,
        # so two batches never wait on each other in a cycle. SQLite serialises its writers.
        with connection.cursor() as cursor:
            for pk in sorted(locks):
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [pk])
    return first, deferred, sales


def _refunds_within_sales(
    rows: Sequence[LedgerRow],
    created: Mapping[str, int],
    sales: Mapping[int, tuple[str, Decimal]],
    *,
    labels: Mapping[str, str],
) -> None:
    """After the insert, under the sales' locks: the refunds of each sale (stored and new) add up
    to at most its amount. Summed in Python from the few refund rows of these sales (exact on
    SQLite too)."""
    touched = {r.refund_of_id for r in rows if r.refund_of_id and r.external_id in created}
    refunded: dict[int, Decimal] = dict.fromkeys(touched, Decimal(0))
    for sale_id, amount in Transaction.objects.filter(refund_of_id__in=touched).values_list(
        "refund_of_id", "amount"
    ):
        refunded[sale_id] += amount
    for row in rows:
        sale_id = row.refund_of_id
        if sale_id in touched and refunded[sale_id] > sales[sale_id][1]:
            external_id, amount = sales[sale_id]
            left = amount - (refunded[sale_id] - Decimal(str(row.amount)))
            raise TransactionInvalid(
                _("Refunds of the sale “%(id)s” would exceed it: %(left)s remains to refund.")
                % {"id": external_id, "left": f"{max(left, Decimal(0)):,.2f}"},
                field=f"{labels.get(row.external_id, 'transactions')}.amount",
            )


def _late_flags(rows: Sequence[LedgerRow], *, partner_id: int) -> list[bool]:
    """For each ledger row: does a statement of its scenario and currency already cover its
    business date? One query over the statements that could (period ending on or after the
    earliest date of the batch); none in the common case."""
    if not rows:
        return []
    earliest = min(str(r.occurred_on) for r in rows)
    periods: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for code, currency, start, end in Statement.objects.filter(
        partner_id=partner_id, scenario_code__in={r.scenario_code for r in rows}, period_end__gte=earliest
    ).values_list("scenario_code", "currency", "period_start", "period_end"):
        periods.setdefault((code, currency), []).append((start.isoformat(), end.isoformat()))
    if not periods:
        return [False] * len(rows)
    starts = {}
    for key, spans in periods.items():
        spans.sort()
        starts[key] = [start for start, _end in spans]
    flags = []
    for r in rows:
        key, day = (r.scenario_code, r.currency), str(r.occurred_on)  # ISO dates order as strings do
        spans = periods.get(key)
        at = bisect.bisect_right(starts[key], day) - 1 if spans else -1
        flags.append(at >= 0 and day <= spans[at][1])
    return flags


def _existing(external_ids: Iterable[str], *, partner_id: int) -> dict[str, tuple[int, str]]:
    ids = list(external_ids)
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(ids), INSERT_BATCH):
        chunk = ids[start : start + INSERT_BATCH]
        found.update(
            (external_id, (pk, digest))
            for external_id, pk, digest in Transaction.objects.filter(
                partner_id=partner_id, external_id__in=chunk
            ).values_list("external_id", "id", "content_hash")
        )
    return found
