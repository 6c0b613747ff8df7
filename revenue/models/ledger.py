"""The transaction ledger: append-only — a stored transaction is never changed or deleted, by
the model and by the database (``revenue.ledger_sql``) — and staff imports of partner files.

Which statement settled a transaction is not stored on it: a statement records the ledger ids
it saw (``Statement.ledger_after``/``ledger_through``), and the transactions of a statement are
its period's with ``id <= ledger_through`` plus the late arrivals with ``ledger_after < id <=
ledger_through`` (see ``revenue.selectors.statement_transactions``). Settling a million rows
therefore writes no ledger row."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.money import money_text
from core.progress import Progress

from ..exceptions import LedgerImmutable
from ..ledger_sql import DELETE_MESSAGE, UPDATE_MESSAGE
from ..money import TRANSACTION_AMOUNT_MAX
from .agreements import MONEY


class LedgerQuerySet(models.QuerySet):
    """Refuses bulk changes: the ledger only grows."""

    def update(self, **kwargs):
        raise LedgerImmutable(UPDATE_MESSAGE)

    def delete(self):
        raise LedgerImmutable(DELETE_MESSAGE)


class Transaction(models.Model):
    """A sale or refund a partner reported: append-only (see the module docstring)."""

    class Kind(models.TextChoices):
        SALE = "sale", _("Sale")
        REFUND = "refund", _("Refund")

    class Source(models.TextChoices):
        API = "api", _("Open API")
        IMPORT = "import", _("File import")

    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="transactions",
        # No index of its own: the unique (partner, external_id) and the indexes below all lead
        # with the partner. One index fewer to fill on every insert, and the planner never picks
        # a partner-only scan where the unique index finds the row.
        db_index=False,
    )
    external_id = models.CharField(_("external id"), max_length=100)
    scenario = models.ForeignKey(
        "scenarios.Scenario", verbose_name=_("scenario version"), on_delete=models.PROTECT, related_name="+"
    )
    scenario_code = models.SlugField(_("scenario code"), max_length=60)
    product = models.ForeignKey(
        "products.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    occurred_at = models.DateTimeField(_("occurred at"))
    # The business date (Asia/Shanghai) of ``occurred_at``: settlement selects by it.
    occurred_on = models.DateField(_("business date"))
    received_at = models.DateTimeField(_("received at"))
    customer_ref = models.CharField(
        _("customer reference"),
        max_length=64,
        blank=True,
        help_text=_("A keyed hash of the partner's customer id; the id itself is never stored."),
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.API)
    # A refund names the sale it reverses (the partner sends the sale's external_id); its
    # share is clawed back at what that sale earned. Null for sales, and for refunds recorded
    # before refunds named their sale.
    refund_of = models.ForeignKey(
        "self",
        verbose_name=_("refund of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
    )
    # SHA-256 of the reported content: an identical replay is a duplicate, a different one a conflict.
    content_hash = models.CharField(_("content hash"), max_length=64)
    # Its period already had a statement when it arrived: it settles as an adjustment in the
    # partner's next statement of the scenario. Decided on insert, under the ledger lock.
    late = models.BooleanField(_("arrived after its period was settled"), default=False, db_default=False)
    # The offer this sale came from (``scenarios.OfferRecord``: the partner's own offer of the
    # same product, quoted at most ``OFFER_ATTRIBUTION_DAYS`` before ``occurred_at``), with the
    # offer's ``quoted_at`` (the offer log's key is the pair, partitioned by it). A refund
    # carries its sale's offer. Empty and null when the partner named no offer.
    offer_id = models.CharField(_("offer id"), max_length=40, blank=True, default="", db_default="")
    offer_quoted_at = models.DateTimeField(_("offer quoted at"), null=True, blank=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ("-occurred_at", "-id")
        permissions = [
            ("import_transaction", _("Can import partner transaction files")),
            ("export_transaction", _("Can export transactions")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["partner", "external_id"], name="transaction_external_id_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="transaction_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount__lte=TRANSACTION_AMOUNT_MAX), name="transaction_amount_within_limit"
            ),
            models.CheckConstraint(condition=Q(kind__in=["sale", "refund"]), name="transaction_kind_known"),
            models.CheckConstraint(
                condition=Q(kind="refund") | Q(refund_of__isnull=True), name="transaction_only_refunds_refund"
            ),
            # An attributed row names the offer log's whole key: only a checked offer is stored.
            models.CheckConstraint(
                condition=Q(offer_id="") | Q(offer_quoted_at__isnull=False),
                name="transaction_offer_has_quote_time",
            ),
        ]
        indexes = [
            # Settlement: one partner's scenario over a range of business dates. Covering: the
            # month's sums are an index-only scan, whatever else the ledger holds (a month of a
            # million rows in a ledger of ten reads no heap page; docs/benchmarks.md).
            models.Index(
                fields=["partner", "scenario_code", "occurred_on"],
                include=["currency", "id", "refund_of", "product", "kind", "amount"],
                name="transaction_settle_cover_idx",
            ),
            # The API list: a partner's transactions, newest first (keyset on occurred_at, id).
            models.Index(fields=["partner", "-occurred_at", "-id"], name="transaction_partner_time_idx"),
            # Late arrivals of a partner's scenario, by id (the few settled as adjustments).
            models.Index(
                fields=["partner", "scenario_code", "id"], name="transaction_late_idx", condition=Q(late=True)
            ),
            # Attribution and the funnel: the sales of an offer (only attributed rows).
            models.Index(fields=["offer_id"], name="transaction_offer_idx", condition=~Q(offer_id="")),
            # The funnel's sales refresh: attributed rows received since its mark.
            models.Index(
                fields=["received_at"], name="transaction_offer_received_idx", condition=~Q(offer_id="")
            ),
            # The funnel's sales refresh: a partner's attributed rows of one quote-day.
            models.Index(
                fields=["partner", "offer_quoted_at"],
                name="transaction_offer_day_idx",
                condition=~Q(offer_id=""),
            ),
        ]

    def __str__(self) -> str:
        # The partner's own reference, the kind's name and the amount as money (the admin's title).
        return f"{self.external_id} · {self.get_kind_display()} · {money_text(self.amount, self.currency)}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerImmutable(UPDATE_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutable(DELETE_MESSAGE)

    @property
    def signed_amount(self):
        return -self.amount if self.kind == self.Kind.REFUND else self.amount


class TransactionImport(models.Model):
    """A staff upload of a partner's transaction file, imported by a Celery task: all rows or
    none. ``errors`` lists the bad rows (row number, field, message)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Imported")
        FAILED = "failed", _("Refused")

    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="revenue/imports/%Y/%m/")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows checked"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    # When a worker took it (the queue's wait is not part of the rate the estimate uses).
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Written when the import starts and as it goes: a running job whose heartbeat is older
    # than IMPORT_STALL_MINUTES lost its worker (``revenue.services.recovery``).
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)

    class Meta:
        verbose_name = _("transaction import")
        verbose_name_plural = _("transaction imports")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.partner} {self.file.name} ({self.get_status_display()})"

    @property
    def file_name(self) -> str:
        """The uploaded file's own name (files are never served: partner data)."""
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""

    @property
    def progress_state(self) -> Progress:
        """Rows checked of the file's rows, from the start to the last heartbeat."""
        return Progress(
            done=self.rows_done,
            total=self.rows_total,
            started_at=self.started_at,
            updated_at=self.heartbeat_at,
            finished=self.status in (self.Status.SUCCEEDED, self.Status.FAILED),
        )

    @property
    def progress(self) -> int:
        return self.progress_state.percent
