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
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Partner
from scenarios.models import BundleItem, Scenario
from scenarios.selectors import offer_records_for_partner

from ..exceptions import TransactionConflict, TransactionInvalid
from ..models import SandboxTransaction, Transaction
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
