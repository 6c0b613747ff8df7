"""Open API v1 routes of revenue sharing (docs/api.md): ``agreements/``, ``statements/``,
``transactions/``. Built on the partners API toolkit: key authentication, scopes, rate limits,
capped pagination. Partner scoping happens in ``revenue.selectors``."""

from __future__ import annotations

import re

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.api import ApiDateTimeField, ApiFilterSet, MoneyField, QueryFilter
from partners.api.base import PartnerAPIView

from . import selectors, services
from .models import Agreement, Cycle, SandboxTransaction, Statement, StatementLine, Transaction

MAX_BATCH = 1000
KINDS = frozenset(Transaction.Kind.values)
SLUG = re.compile(r"[-a-zA-Z0-9_]+", re.ASCII)
CURRENCY = re.compile(r"^[A-Z]{3}$", re.ASCII)


class AgreementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scenario = serializers.CharField(source="scenario_code")
    model = serializers.ChoiceField(choices=Agreement.Model.values)
    terms = serializers.JSONField(help_text="`{rate}`, `{tiers: [{up_to, rate}]}` or `{amount}`.")
    cycle = serializers.ChoiceField(choices=Cycle.values)
    effective_from = serializers.DateField()
    effective_to = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=Agreement.IN_FORCE)
    acceptance = serializers.ChoiceField(
        choices=Agreement.Acceptance.values,
        help_text="How the partner accepted it: `portal`, `offline` (signed copy recorded by the bank) "
        "or `before_acceptance` (in force before acceptance existed).",
    )
    accepted_at = ApiDateTimeField()
    terms_sha256 = serializers.CharField(
        help_text="SHA-256 of the canonical terms accepted (docs/revenue.md, *Agreement lifecycle*)."
    )


class StatementLineSerializer(serializers.Serializer):
    scenario = serializers.CharField(source="scenario_code")
    product = serializers.CharField(source="product.code", allow_null=True, default=None)
    kind = serializers.ChoiceField(choices=StatementLine.Kind.choices)
    transaction_count = serializers.IntegerField()
    gross_amount = MoneyField(signed=True, help_text="Negative on refund lines.")
    share_amount = MoneyField(signed=True, help_text="Negative on refund lines and claw-backs.")


class StatementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agreement = serializers.IntegerField(source="agreement_id")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    # draft, approved or paid: a payout recorded but not yet confirmed is still "approved".
    status = serializers.ChoiceField(choices=["draft", "approved", "paid"], source="api_status")
    currency = serializers.CharField()
    transaction_count = serializers.IntegerField()
    gross_amount = MoneyField(
        signed=True, help_text="Sales less refunds: negative when refunds exceed sales."
    )
    share_amount = MoneyField(signed=True, help_text="Negative when the partner owes a claw-back.")
    adjustment_amount = MoneyField(signed=True)
    lines = StatementLineSerializer(many=True)


class BlankAsNullField(serializers.CharField):
    """A text column stored as "" when empty, shown as null."""

    def to_representation(self, value):
        return value or None


class TransactionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    scenario = serializers.CharField(source="scenario_code")
    product = serializers.CharField(source="product.code")
    kind = serializers.ChoiceField(choices=Transaction.Kind.choices)
    amount = MoneyField()
    currency = serializers.CharField()
    occurred_at = ApiDateTimeField()
    received_at = ApiDateTimeField()
    statement = serializers.IntegerField(source="statement_id", allow_null=True)
    refund_of = serializers.CharField(
        source="refund_of.external_id",
        allow_null=True,
        default=None,
        help_text="A refund: the external_id of the sale it reverses.",
    )
    offer_id = BlankAsNullField(
        allow_null=True,
        help_text="The offer the sale came from (a refund: its sale's offer); null when none was named.",
    )


class TransactionItemSerializer(serializers.Serializer):
    """One transaction of ``POST transactions/``: documents the shape ``batch_input`` checks."""

    external_id = serializers.CharField(max_length=100)
    scenario = serializers.SlugField(max_length=60)
    product = serializers.SlugField(max_length=40)
    kind = serializers.ChoiceField(choices=Transaction.Kind.choices)
    amount = MoneyField()
    currency = serializers.RegexField(CURRENCY.pattern, required=False, default="CNY")
    occurred_at = ApiDateTimeField(help_text="RFC 3339 with its offset; a year within 1970–2100.")
    refund_of = serializers.CharField(
        max_length=100,
        required=False,
        help_text="Required for a refund: the external_id of the sale it reverses (recorded earlier or "
        "in the same batch).",
    )
    offer_id = serializers.CharField(
        max_length=40,
        required=False,
        help_text="The `offer_id` of the `POST offers/` answer this sale came from: your own offer of the same "
        "product, quoted at most `OFFER_ATTRIBUTION_DAYS` (30) days before `occurred_at` and not after it. "
        "Anything else is a 400 naming `transactions.<i>.offer_id`. A refund carries its sale's offer; "
        "it may repeat it, never name another.",
    )
    customer_id = serializers.CharField(
        max_length=100,
        required=False,
        write_only=True,
        help_text="Your customer's id: the bank stores only a keyed hash of it.",
    )


# The item's own fields read its money and time in ``batch_input``: what is documented is what is checked.
ITEM_FIELDS = TransactionItemSerializer().fields


class TransactionBatchSerializer(serializers.Serializer):
    transactions = serializers.ListField(
        child=TransactionItemSerializer(),
        min_length=1,
        max_length=MAX_BATCH,
        help_text=f"1 to {MAX_BATCH} transactions, all or nothing.",
    )


class TransactionResultSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "duplicate"])
    warning = serializers.CharField(
        required=False,
        help_text="Present when no approved agreement covers the transaction's date: it is stored but "
        "not settled until one does.",
    )


class TransactionBatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    results = TransactionResultSerializer(many=True)


class TransactionFilter(ApiFilterSet):
    occurred_after = QueryFilter(
        ApiDateTimeField(required=False, help_text="From this time on (inclusive)."), "occurred_at", "gte"
    )
    occurred_before = QueryFilter(
        ApiDateTimeField(required=False, help_text="Before this time (exclusive)."), "occurred_at", "lt"
    )
    scenario = QueryFilter(
        serializers.SlugField(required=False, max_length=60, help_text="Only this scenario code."),
        "scenario_code",
    )


def _text(value, *, max_length: int, slug: bool = False) -> tuple[str | None, str | None]:
    """A string as ``serializers.CharField`` reads it (trimmed, no NUL, no lone surrogate),
    without a field object per value."""
    if not isinstance(value, str) or not (value := value.strip()):
        return None, _("Give a non-empty string.")
    if len(value) > max_length:
        return None, _("At most %(n)d characters.") % {"n": max_length}
    if slug and not SLUG.fullmatch(value):
        return None, _("Use letters, digits, hyphens and underscores only.")
    if "\x00" in value:
        return None, _("Null characters are not allowed.")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return None, _("Surrogate characters are not allowed.")
    return value, None


def _checked(parse, value):
    """``parse`` (a strict field's ``to_internal_value``) as ``(value, message)``."""
    try:
        return parse(value), None
    except serializers.ValidationError as exc:
        return None, str(exc.detail[0])


# How each required field of an item is read, in the order its errors are named; made once,
# not per item.
AMOUNT_PARSE = ITEM_FIELDS["amount"].to_internal_value
OCCURRED_AT_PARSE = ITEM_FIELDS["occurred_at"].to_internal_value
ITEM_CHECKS = (
    ("external_id", lambda v: _text(v, max_length=100)),
    ("scenario", lambda v: _text(v, max_length=60, slug=True)),
    ("product", lambda v: _text(v, max_length=40, slug=True)),
    ("amount", lambda v: _checked(AMOUNT_PARSE, v)),
    ("occurred_at", lambda v: _checked(OCCURRED_AT_PARSE, v)),
)


def batch_input(data) -> list[dict]:
    """The ``transactions`` of a POST body, checked field by field without a serializer per item
    (a 1000-item batch is the hot path of ingestion). Raises ``ValidationError`` naming every bad
    field as ``transactions.<i>.<field>``; ``TransactionBatchSerializer`` documents the shape."""
    items = data.get("transactions") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise serializers.ValidationError(
            {"transactions": [_("Give a list of 1 to %(n)d transactions.") % {"n": MAX_BATCH}]}
        )
    if len(items) > MAX_BATCH:
        raise serializers.ValidationError(
            {"transactions": [_("At most %(n)d transactions per call.") % {"n": MAX_BATCH}]}
        )
    clean: list[dict] = []
    errors: dict[str, dict[str, list[str]]] = {}
    required = _("This field is required.")
    for index, raw in enumerate(items):
        bad: dict[str, list[str]] = {}
        if not isinstance(raw, dict):
            errors[str(index)] = {"non_field_errors": [_("Each transaction is an object.")]}
            continue
        item: dict = {}
        for name, check in ITEM_CHECKS:
            value = raw.get(name)
            if value is None:
                bad[name] = [required]
                continue
            value, message = check(value)
            if message:
                bad[name] = [message]
            item[name] = value
        kind = raw.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            bad["kind"] = [_("Use “sale” or “refund”.")]
        item["kind"] = kind
        currency = raw.get("currency", "CNY")
        if not isinstance(currency, str) or not CURRENCY.fullmatch(currency):
            bad["currency"] = [_("A three-letter currency code, e.g. CNY.")]
        item["currency"] = currency
        if (sale := raw.get("refund_of")) is not None:
            sale, message = _text(sale, max_length=100)
            if message:
                bad["refund_of"] = [message]
            item["refund_of"] = sale
        if (offer := raw.get("offer_id")) is not None:
            offer, message = _text(offer, max_length=40)
            if message:
                bad["offer_id"] = [message]
            item["offer_id"] = offer
        if (customer := raw.get("customer_id")) is not None:
            customer, message = _text(customer, max_length=100)
            if message:
                bad["customer_id"] = [message]
            item["customer_id"] = customer
        if bad:
            errors[str(index)] = bad
        else:
            clean.append(item)
    if errors:
        raise serializers.ValidationError({"transactions": errors})
    return clean


class AgreementListView(PartnerAPIView):
    """The partner's agreements (approved: in force or superseded)."""

    security_level = "A2"

    @extend_schema(operation_id="agreements_list", responses=AgreementSerializer(many=True), tags=["revenue"])
    def get(self, request):
        if request.user.sandbox:  # the sandbox has no agreements: it never settles
            return self.paginated(Agreement.objects.none(), AgreementSerializer)
        return self.paginated(selectors.agreements_for_partner(partner=self.partner), AgreementSerializer)


class StatementListView(PartnerAPIView):
    """The partner's statements, newest period first, each with its lines."""

    security_level = "A2"

    @extend_schema(operation_id="statements_list", responses=StatementSerializer(many=True), tags=["revenue"])
    def get(self, request):
        if request.user.sandbox:  # the sandbox has no statements (its simulations are the portal's)
            return self.paginated(Statement.objects.none(), StatementSerializer)
        return self.paginated(selectors.statements_for_partner(partner=self.partner), StatementSerializer)


class StatementDetailView(PartnerAPIView):
    """One statement of the partner with its lines."""

    security_level = "A2"

    @extend_schema(operation_id="statements_retrieve", responses=StatementSerializer, tags=["revenue"])
    def get(self, request, statement_id: int):
        try:
            if request.user.sandbox:
                raise Statement.DoesNotExist
            statement = selectors.statement_for_partner(partner=self.partner, statement_id=statement_id)
        except Statement.DoesNotExist:
            raise NotFound(_("No such statement.")) from None
        return Response(StatementSerializer(statement).data)


class TransactionListView(PartnerAPIView):
    """``GET``: the partner's transactions, newest first, with filters. ``POST``: report 1 to
    1000 transactions, all or nothing; an identical replay is a duplicate, never a second row."""

    security_level = "A2"
    scopes = {"POST": "transactions"}
    filterset_class = TransactionFilter
    extra_error_statuses = {
        "POST": {409: "An external_id is already stored with different content; nothing is written."}
    }

    @extend_schema(
        operation_id="transactions_list",
        responses=TransactionSerializer(many=True),
        tags=["revenue"],
    )
    def get(self, request):
        if request.user.sandbox:
            rows = selectors.sandbox_transactions_for_partner(partner=self.partner)
        else:
            rows = selectors.transactions_for_partner(partner=self.partner)
        return self.paginated(self.filter_queryset(rows), TransactionSerializer)

    @extend_schema(
        operation_id="transactions_create",
        request=TransactionBatchSerializer,
        responses={201: TransactionBatchResultSerializer, 200: TransactionBatchResultSerializer},
        examples=[
            OpenApiExample(
                "A sale taken from an offer, and a partial refund (it carries the sale's offer)",
                request_only=True,
                value={
                    "transactions": [
                        {
                            "external_id": "order-20261102-0001",
                            "scenario": "travel-finance",
                            "product": "travel-installment",
                            "kind": "sale",
                            "amount": "8000.00",
                            "currency": "CNY",
                            "occurred_at": "2026-11-02T10:30:00+08:00",
                            "offer_id": "ofr_4mB0x9TqLr2VbZ7nWc1sEA",
                        },
                        {
                            "external_id": "order-20261102-0001-r1",
                            "scenario": "travel-finance",
                            "product": "travel-installment",
                            "kind": "refund",
                            "amount": "1200.50",
                            "currency": "CNY",
                            "occurred_at": "2026-11-03T09:00:00+08:00",
                        },
                    ]
                },
            )
        ],
        tags=["revenue"],
    )
    def post(self, request):
        items = batch_input(request.data)
        if request.user.sandbox:  # the same checks and answers, into the sandbox ledger only
            result = services.sandbox_transactions_record(partner=self.partner, items=items)
        else:
            result = services.transactions_record(
                partner=self.partner, items=items, source=Transaction.Source.API
            )
        body = {
            "created": result.created,
            "duplicates": result.duplicates,
            "results": [
                {
                    "external_id": e,
                    "id": i,
                    "status": s,
                    **({"warning": result.warnings[e]} if e in result.warnings else {}),
                }
                for e, i, s in result.results
            ],
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class TransactionDetailView(PartnerAPIView):
    """One transaction of the partner, with its statement (null until settled)."""

    security_level = "A2"

    @extend_schema(operation_id="transactions_retrieve", responses=TransactionSerializer, tags=["revenue"])
    def get(self, request, transaction_id: int):
        try:
            if request.user.sandbox:
                row = selectors.sandbox_transaction_for_partner(
                    partner=self.partner, transaction_id=transaction_id
                )
            else:
                row = selectors.transaction_for_partner(partner=self.partner, transaction_id=transaction_id)
        except (Transaction.DoesNotExist, SandboxTransaction.DoesNotExist):
            raise NotFound(_("No such transaction.")) from None
        return Response(TransactionSerializer(row).data)


urlpatterns = [
    path("agreements/", AgreementListView.as_view(), name="agreements"),
    path("statements/", StatementListView.as_view(), name="statements"),
    path("statements/<int:statement_id>/", StatementDetailView.as_view(), name="statement"),
    path("transactions/", TransactionListView.as_view(), name="transactions"),
    path("transactions/<int:transaction_id>/", TransactionDetailView.as_view(), name="transaction"),
]
