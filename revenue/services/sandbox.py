"""The sandbox ledger: ``POST transactions/`` with a sandbox key (docs/sandbox.md, *Sandbox data*).

Every row is checked exactly as the live ledger checks it, by the live ledger's own functions
(``ledger.ledger_row``: scenario, product, currency, amount limits, times, refund naming,
``offer_id`` attribution; ``ledger.content_hash``: an identical replay is a duplicate, the same
``external_id`` with other content a conflict). What differs:

- the catalog is what the sandbox sees (every published scenario of the partner's industry, no
  participation or agreement needed: ``sandbox_catalog``);
- an ``offer_id`` names a sandbox offer (``POST offers/`` with a sandbox key), never a live one;
- rows go to ``SandboxTransaction`` only: no ledger lock, no ``late`` flag, no reward grant, and
  an ``external_id`` of the sandbox never blocks the live ledger (nor the other way round).

Sandbox volumes are small: rows are written with the ORM, not the live ledger's COPY path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Exists, OuterRef, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.fen import to_fen
from partners.models import Partner
from products.models import Product
from scenarios.models import BundleItem, Consent, OfferRecord, Scenario
from scenarios.selectors import offer_records_for_partner

from ..exceptions import TransactionConflict, TransactionInvalid
from ..models import Agreement, SandboxTransaction, Transaction
from ..money import ZERO, line_shares
from .ledger import Catalog, LedgerRow, RecordResult, catalog_scenarios, ledger_row

SALE = Transaction.Kind.SALE
# ``ledger_row`` adapts values for raw SQL through the connection's ops; the ORM takes them as
# they are.
AS_IS = SimpleNamespace(
    adapt_decimalfield_value=lambda value, *_args: value,
    adapt_datetimefield_value=lambda value: value,
    adapt_datefield_value=lambda value: value,
)


def sandbox_catalog(*, partner: Partner) -> Catalog:
    """What a sandbox key may report against: the latest published version of every scenario
    of the partner's industry (not reserved for another partner) and their products. No
    agreement is needed: the sandbox never settles. One query."""
    newer = Scenario.objects.filter(
        code=OuterRef("scenario__code"),
        status=Scenario.Status.PUBLISHED,
        version__gt=OuterRef("scenario__version"),
    )
    return Catalog(
        catalog_scenarios(
            BundleItem.objects.filter(
                scenario__status=Scenario.Status.PUBLISHED, scenario__industry_id=partner.industry_id
            )
            .filter(Q(scenario__reserved_for__isnull=True) | Q(scenario__reserved_for=partner))
            .exclude(Exists(newer))
        )
    )


def _sandbox_offers(partner_id: int, items: Sequence[Mapping]):
    claims = [(i["offer_id"], i["occurred_at"]) for i in items if i.get("offer_id") and i["kind"] == SALE]
    if not claims:
        return {}
    return offer_records_for_partner(
        partner_id=partner_id,
        offer_ids={offer_id for offer_id, _at in claims},
        quoted_from=min(at for _id, at in claims) - timedelta(days=settings.OFFER_ATTRIBUTION_DAYS),
        quoted_until=max(at for _id, at in claims) + settings.REVENUE_CLOCK_SKEW,
        sandbox=True,
    )


def sandbox_transactions_record(*, partner: Partner, items: Sequence[Mapping]) -> RecordResult:
    """Record ``items`` (``revenue.api.batch_input``) in ``partner``'s sandbox: all or nothing,
    with the live ledger's checks and answers (``TransactionInvalid`` 400 naming
    ``transactions.<i>.<field>``, ``TransactionConflict`` 409)."""
    catalog = sandbox_catalog(partner=partner)
    now = timezone.now()
    offers = _sandbox_offers(partner.pk, items)
    rows: list[LedgerRow] = []
    first_seen: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, item in enumerate(items):
        row = ledger_row(partner.pk, item, catalog, index, now, Transaction.Source.API, AS_IS, offers)
        if row.external_id in first_seen:
            if rows[first_seen[row.external_id]].content_hash != row.content_hash:
                raise TransactionInvalid(
                    _("This external_id appears twice in the batch with different content."),
                    field=f"transactions.{index}.external_id",
                )
            continue
        first_seen[row.external_id] = len(rows)
        labels[row.external_id] = f"transactions.{index}"
        rows.append(row)
    with transaction.atomic():
        created, ids = _store(partner, rows, labels)
    result = RecordResult(created=len(created))
    for item in items:
        external_id = item["external_id"]
        if external_id in created:
            result.results.append((external_id, created.pop(external_id), "created"))
        else:
            result.results.append((external_id, ids[external_id], "duplicate"))
            result.duplicates += 1
    return result


def _store(
    partner: Partner, rows: Sequence[LedgerRow], labels: Mapping[str, str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Insert the new ``rows`` (sales before the refunds naming them), after checking replays
    and refunds as the live ledger does: ``({external_id: id} created, {external_id: id} of
    every row of the batch})``. Locks the partner's row: two sandbox batches of one partner run
    one after the other."""
    Partner.objects.select_for_update().filter(pk=partner.pk).exists()
    wanted = {r.external_id for r in rows} | {r.refund_of_id for r in rows if r.refund_of_id}
    stored = {
        t.external_id: t for t in SandboxTransaction.objects.filter(partner=partner, external_id__in=wanted)
    }
    conflicts = [
        r.external_id
        for r in rows
        if r.external_id in stored and stored[r.external_id].content_hash != r.content_hash
    ]
    if conflicts:
        raise TransactionConflict(
            _("Already stored with different content: %(ids)s. Nothing was written.")
            % {"ids": ", ".join(conflicts[:20])},
            field="transactions",
        )
    new = [r for r in rows if r.external_id not in stored]
    created: dict[str, int] = {}
    by_id: dict[str, SandboxTransaction] = dict(stored)
    refunded: dict[str, Decimal] = {}
    for row in sorted(new, key=lambda r: r.kind != SALE):  # sales first: a refund may name one of the batch
        where = labels.get(row.external_id, "transactions")
        sale = None
        if row.refund_of_id:
            sale = _refunded_sale(row, by_id.get(row.refund_of_id), where)
            if sale.pk not in refunded:
                refunded[sale.pk] = sum((r.amount for r in sale.refunds.all()), Decimal(0))
            refunded[sale.pk] += row.amount
            if refunded[sale.pk] > sale.amount:
                left = sale.amount - (refunded[sale.pk] - row.amount)
                raise TransactionInvalid(
                    _("Refunds of the sale “%(id)s” would exceed it: %(left)s remains to refund.")
                    % {"id": sale.external_id, "left": f"{max(left, Decimal(0)):,.2f}"},
                    field=f"{where}.amount",
                )
        values = row._asdict()
        del values["source"], values["refund_of_id"]
        if sale is not None:  # a refund carries its sale's offer
            values["offer_id"], values["offer_quoted_at"] = sale.offer_id, sale.offer_quoted_at
        saved = SandboxTransaction.objects.create(**values, refund_of=sale)
        by_id[row.external_id] = saved
        created[row.external_id] = saved.pk
    return created, {external_id: t.pk for external_id, t in by_id.items()}


def _refunded_sale(row: LedgerRow, sale: SandboxTransaction | None, where: str) -> SandboxTransaction:
    """The sandbox sale a refund names (stored earlier, or a sale of this batch: sales are
    stored first), checked as the live ledger checks it."""
    if sale is None or sale.kind != SALE:
        raise TransactionInvalid(
            _("No sale “%(id)s” is recorded: a refund names a sale of yours.") % {"id": row.refund_of_id},
            field=f"{where}.refund_of",
        )
    if (sale.scenario_code, sale.product_id, sale.currency) != (
        row.scenario_code,
        row.product_id,
        row.currency,
    ):
        raise TransactionInvalid(
            _("The sale “%(id)s” is of another scenario, product or currency.") % {"id": row.refund_of_id},
            field=f"{where}.refund_of",
        )
    if sale.occurred_at > row.occurred_at:
        raise TransactionInvalid(_("A refund cannot precede its sale."), field=f"{where}.occurred_at")
    if row.offer_id and row.offer_id != sale.offer_id:
        raise TransactionInvalid(
            _("A refund carries its sale's offer: “%(id)s” is not the offer of the sale “%(sale)s”.")
            % {"id": row.offer_id, "sale": row.refund_of_id},
            field=f"{where}.offer_id",
        )
    return sale


# --------------------------------------------------------------------------------------
# Reset and retention
# --------------------------------------------------------------------------------------
class SandboxDeleted(NamedTuple):
    transactions: int
    offers: int
    consents: int


@transaction.atomic
def sandbox_reset(*, partner: Partner) -> SandboxDeleted:
    """Delete all of ``partner``'s sandbox data: its sandbox transactions, the offers logged
    for its sandbox keys and the consents they sent. Live data is never touched (every delete
    filters on the sandbox mark). Simulated statements are never stored: nothing else to
    delete. The caller checks that the user may (``portal.views.sandbox``)."""
    return _sandbox_delete(
        SandboxTransaction.objects.filter(partner=partner),
        OfferRecord.objects.filter(partner_id=partner.pk, sandbox=True),
        Consent.objects.filter(partner=partner, sandbox=True),
    )


@transaction.atomic
def sandbox_purge(*, now: datetime | None = None) -> SandboxDeleted:
    """Delete every partner's sandbox data older than ``SANDBOX_RETENTION_DAYS`` (beat, daily):
    transactions by when they were received, offers by when they were quoted, consents by when
    an offer request last relied on them. On PostgreSQL the offer log is partitioned by month:
    its sandbox rows go by a plain ``DELETE`` (sandbox volumes are small)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SANDBOX_RETENTION_DAYS)
    return _sandbox_delete(
        # A refund goes with its sale (the model cascades), however recent.
        SandboxTransaction.objects.filter(received_at__lt=cutoff),
        OfferRecord.objects.filter(sandbox=True, quoted_at__lt=cutoff),
        Consent.objects.filter(sandbox=True, last_seen_at__lt=cutoff),
    )


def _sandbox_delete(transactions, offers, consents) -> SandboxDeleted:
    # Only the sandbox table and sandbox-marked rows are ever given here.
    _count, by_model = transactions.delete()
    offer_count, _by_model = offers.delete()
    _count, consent_models = consents.delete()
    return SandboxDeleted(
        transactions=by_model.get(SandboxTransaction._meta.label, 0),
        offers=offer_count,
        consents=consent_models.get(Consent._meta.label, 0),
    )


# --------------------------------------------------------------------------------------
# Simulated settlement
# --------------------------------------------------------------------------------------
class SimulatedLine(NamedTuple):
    scenario_code: str
    product: Product
    kind: str
    transaction_count: int
    gross_amount: Decimal
    share_amount: Decimal


class Simulation(NamedTuple):
    """A statement as settlement would compute it for the sandbox's transactions: never stored,
    never approved or paid."""

    scenario_code: str
    period_start: date
    period_end: date
    currency: str
    model: str
    terms: dict
    agreement: Agreement | None  # the draft or sent agreement simulated; None: the default share
    lines: list[SimulatedLine]

    @property
    def transaction_count(self) -> int:
        return sum(line.transaction_count for line in self.lines)

    @property
    def gross_amount(self) -> Decimal:
        return sum((line.gross_amount for line in self.lines), ZERO)

    @property
    def share_amount(self) -> Decimal:
        return sum((line.share_amount for line in self.lines), ZERO)


def sandbox_simulated_agreement(*, partner: Partner, scenario_code: str) -> Agreement | None:
    """The agreement a simulation uses: the partner's agreement of the scenario sent for its
    acceptance, else its draft (newest first); None when it has neither. One query."""
    return (
        Agreement.objects.filter(
            partner=partner,
            scenario_code=scenario_code,
            status__in=[Agreement.Status.SENT, Agreement.Status.DRAFT],
        )
        .order_by(
            Case(When(status=Agreement.Status.SENT, then=0), default=1),
            "-effective_from",
            "-id",
        )
        .first()
    )


def sandbox_settlement_simulate(
    *, partner: Partner, scenario_code: str, start: date, end: date
) -> Simulation:
    """Settle ``partner``'s sandbox transactions of ``scenario_code`` occurred ``start``…``end``
    (business dates) against the simulated agreement (``sandbox_simulated_agreement``, else
    ``SANDBOX_DEFAULT_SHARE_PERCENT`` of the amount), with real settlement's arithmetic: one line
    per (product, kind), refunds netted against the period's basis, a fixed fee reversed only by
    the refund that completes its sale's refund, shares by ``revenue.money.line_shares``
    (ROUND_HALF_UP to the fen per line; tiered shares allocated by largest remainder). Reads
    only the sandbox table; writes nothing. Three queries."""
    agreement = sandbox_simulated_agreement(partner=partner, scenario_code=scenario_code)
    if agreement is not None:
        model, terms, currency = agreement.model, agreement.terms, agreement.currency
    else:
        rate = Decimal(str(settings.SANDBOX_DEFAULT_SHARE_PERCENT)) / 100
        model, terms, currency = Agreement.Model.PERCENTAGE, {"rate": str(rate)}, "CNY"
    rows = list(
        SandboxTransaction.objects.filter(
            partner=partner,
            scenario_code=scenario_code,
            currency=currency,
            occurred_on__gte=start,
            occurred_on__lte=end,
        )
        .select_related("product", "refund_of")
        .order_by("id")
    )
    completing = _completing_refunds(rows)
    groups: dict[tuple[str, str], list] = {}  # (product code, kind) → [product, count, fees, gross]
    for row in rows:
        group = groups.setdefault((row.product.code, row.kind), [row.product, 0, 0, ZERO])
        group[1] += 1
        group[2] += 1 if row.kind == SALE or row.refund_of_id is None or row.pk in completing else 0
        group[3] += row.signed_amount
    keys = sorted(groups)
    basis = [(key[1], groups[key][2], groups[key][3]) for key in keys]
    priced = [i for i, (_kind, fees, gross) in enumerate(basis) if gross or fees]
    shares = dict(
        zip(priced, line_shares(model=model, terms=terms, lines=[basis[i] for i in priced]), strict=True)
    )
    lines = [
        SimulatedLine(
            scenario_code, groups[key][0], key[1], groups[key][1], to_fen(groups[key][3]), shares.get(i, ZERO)
        )
        for i, key in enumerate(keys)
    ]
    return Simulation(scenario_code, start, end, currency, model, terms, agreement, lines)


def _completing_refunds(rows: Sequence[SandboxTransaction]) -> set[int]:
    """The refunds among ``rows`` that complete their sale's refund (all its refunds through
    this one, in id order, reach the sale's amount). One query."""
    sales = {row.refund_of_id for row in rows if row.refund_of_id}
    if not sales:
        return set()
    refunded: dict[int, Decimal] = dict.fromkeys(sales, ZERO)
    done: set[int] = set()
    completed: set[int] = set()
    for pk, sale_id, amount, sale_amount in (
        SandboxTransaction.objects.filter(refund_of_id__in=sales)
        .order_by("id")
        .values_list("pk", "refund_of_id", "amount", "refund_of__amount")
    ):
        refunded[sale_id] += amount
        if sale_id not in completed and refunded[sale_id] >= sale_amount:
            done.add(pk)
            completed.add(sale_id)  # only the first refund that completes it
    return done
