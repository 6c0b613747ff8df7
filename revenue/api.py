"""Open API v1 routes of revenue sharing (DESIGN.md §4): ``agreements/``, ``statements/``,
``transactions/``. Built on the partners API toolkit: key authentication, scopes, rate limits,
capped pagination. Partner scoping happens in ``revenue.selectors``."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from partners.api.base import MoneyField, PartnerAPIView, query_input

from . import selectors, services
from .models import Statement, Transaction

MAX_BATCH = 1000
KINDS = frozenset(Transaction.Kind.values)


class AgreementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scenario = serializers.CharField(source="scenario_code")
    model = serializers.CharField()
    terms = serializers.JSONField(help_text="`{rate}`, `{tiers: [{up_to, rate}]}` or `{amount}`.")
    cycle = serializers.CharField()
    effective_from = serializers.DateField()
    effective_to = serializers.DateField(allow_null=True)
    status = serializers.CharField()


class StatementLineSerializer(serializers.Serializer):
    scenario = serializers.CharField(source="scenario_code")
    product = serializers.CharField(source="product.code", allow_null=True, default=None)
    kind = serializers.CharField()
    transaction_count = serializers.IntegerField()
    gross_amount = MoneyField()
    share_amount = MoneyField()


class StatementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agreement = serializers.IntegerField(source="agreement_id")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    # draft, approved or paid: a payout recorded but not yet confirmed is still "approved".
    status = serializers.ChoiceField(choices=["draft", "approved", "paid"], source="api_status")
    currency = serializers.CharField()
    transaction_count = serializers.IntegerField()
    gross_amount = MoneyField()
    share_amount = MoneyField()
    adjustment_amount = MoneyField()
    lines = StatementLineSerializer(many=True)


class TransactionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    scenario = serializers.CharField(source="scenario_code")
    product = serializers.CharField(source="product.code")
    kind = serializers.CharField()
    amount = MoneyField()
    currency = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    statement = serializers.IntegerField(source="statement_id", allow_null=True)


class TransactionItemSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100)
    scenario = serializers.SlugField(max_length=60)
    product = serializers.SlugField(max_length=40)
    kind = serializers.ChoiceField(choices=Transaction.Kind.values)
    amount = MoneyField(min_value=Decimal("0.01"))
    currency = serializers.CharField(max_length=3, min_length=3, required=False, default="CNY")
    occurred_at = serializers.DateTimeField()
    customer_id = serializers.CharField(
        max_length=100,
        required=False,
        write_only=True,
        help_text="Your customer's id: the bank stores only a keyed hash of it.",
    )


class TransactionBatchSerializer(serializers.Serializer):
    transactions = TransactionItemSerializer(many=True, allow_empty=False, max_length=MAX_BATCH)


class TransactionResultSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "duplicate"])


class TransactionBatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    results = TransactionResultSerializer(many=True)


class TransactionFilterSerializer(serializers.Serializer):
    occurred_after = serializers.DateTimeField(required=False, help_text="From this time on (inclusive).")
    occurred_before = serializers.DateTimeField(required=False, help_text="Before this time (exclusive).")
    scenario = serializers.SlugField(required=False, max_length=60, help_text="Only this scenario code.")


SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _text(value, *, max_length: int, slug: bool = False) -> tuple[str | None, str | None]:
    if not isinstance(value, str) or not value.strip():
        return None, _("Give a non-empty string.")
    value = value.strip()
    if len(value) > max_length:
        return None, _("At most %(n)d characters.") % {"n": max_length}
    if slug and not SLUG.match(value):
        return None, _("Use letters, digits, hyphens and underscores only.")
    return value, None


def _amount(value) -> tuple[Decimal | None, str | None]:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None, _('Give the amount as a string with two decimals, e.g. "1234.50".')
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None, _('Give the amount as a string with two decimals, e.g. "1234.50".')
    if not amount.is_finite() or amount < Decimal("0.01") or amount >= Decimal("1e12"):
        return None, _("The amount must be at least 0.01 and below one trillion.")
    if amount != amount.quantize(Decimal("0.01")):
        return None, _("At most two decimal places.")
    return amount, None


def _time(value) -> tuple[datetime | None, str | None]:
    if not isinstance(value, str) or not ISO_TIME.match(value):
        return None, _("Give an ISO 8601 time with its offset, e.g. 2026-01-15T10:00:00+08:00.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None, _("Give an ISO 8601 time with its offset, e.g. 2026-01-15T10:00:00+08:00.")
    if parsed.tzinfo is None:
        parsed = timezone.make_aware(parsed)  # Asia/Shanghai, as DESIGN.md says for business times
    return parsed, None


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
        checks = (
            ("external_id", lambda v: _text(v, max_length=100)),
            ("scenario", lambda v: _text(v, max_length=60, slug=True)),
            ("product", lambda v: _text(v, max_length=40, slug=True)),
            ("amount", _amount),
            ("occurred_at", _time),
        )
        for name, check in checks:
            if raw.get(name) is None:
                bad[name] = [required]
                continue
            value, message = check(raw[name])
            if message:
                bad[name] = [message]
            item[name] = value
        kind = raw.get("kind")
        if kind not in KINDS:
            bad["kind"] = [_("Use “sale” or “refund”.")]
        item["kind"] = kind
        currency = raw.get("currency", "CNY")
        if not isinstance(currency, str) or len(currency) != 3:
            bad["currency"] = [_("A three-letter currency code, e.g. CNY.")]
        item["currency"] = currency
        if raw.get("customer_id") is not None:
            customer, message = _text(raw["customer_id"], max_length=100)
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
        return self.paginated(selectors.agreements_for_partner(partner=self.partner), AgreementSerializer)


class StatementListView(PartnerAPIView):
    """The partner's statements, newest period first, each with its lines."""

    security_level = "A2"

    @extend_schema(operation_id="statements_list", responses=StatementSerializer(many=True), tags=["revenue"])
    def get(self, request):
        return self.paginated(selectors.statements_for_partner(partner=self.partner), StatementSerializer)


class StatementDetailView(PartnerAPIView):
    """One statement of the partner with its lines."""

    security_level = "A2"

    @extend_schema(operation_id="statements_retrieve", responses=StatementSerializer, tags=["revenue"])
    def get(self, request, statement_id: int):
        try:
            statement = selectors.statement_for_partner(partner=self.partner, statement_id=statement_id)
        except Statement.DoesNotExist:
            from rest_framework.exceptions import NotFound

            raise NotFound(_("No such statement.")) from None
        return Response(StatementSerializer(statement).data)


class TransactionListView(PartnerAPIView):
    """``GET``: the partner's transactions, newest first, with filters. ``POST``: report 1 to
    1000 transactions, all or nothing; an identical replay is a duplicate, never a second row."""

    security_level = "A2"
    scopes = {"POST": "transactions"}
    has_query_input = True
    extra_error_statuses = {
        409: "An external_id is already stored with different content; nothing is written."
    }

    @extend_schema(
        operation_id="transactions_list",
        parameters=[TransactionFilterSerializer],
        responses=TransactionSerializer(many=True),
        tags=["revenue"],
    )
    def get(self, request):
        filters = query_input(TransactionFilterSerializer, request)
        rows = selectors.transactions_for_partner(partner=self.partner, **filters)
        return self.paginated(rows, TransactionSerializer)

    @extend_schema(
        operation_id="transactions_create",
        request=TransactionBatchSerializer,
        responses={201: TransactionBatchResultSerializer, 200: TransactionBatchResultSerializer},
        tags=["revenue"],
    )
    def post(self, request):
        result = services.transactions_record(
            partner=self.partner, items=batch_input(request.data), source=Transaction.Source.API
        )
        body = {
            "created": result.created,
            "duplicates": result.duplicates,
            "results": [{"external_id": e, "id": i, "status": s} for e, i, s in result.results],
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class TransactionDetailView(PartnerAPIView):
    """One transaction of the partner, with its statement (null until settled)."""

    security_level = "A2"

    @extend_schema(operation_id="transactions_retrieve", responses=TransactionSerializer, tags=["revenue"])
    def get(self, request, transaction_id: int):
        try:
            row = selectors.transaction_for_partner(partner=self.partner, transaction_id=transaction_id)
        except Transaction.DoesNotExist:
            from rest_framework.exceptions import NotFound

            raise NotFound(_("No such transaction.")) from None
        return Response(TransactionSerializer(row).data)


urlpatterns = [
    path("agreements/", AgreementListView.as_view(), name="agreements"),
    path("statements/", StatementListView.as_view(), name="statements"),
    path("statements/<int:statement_id>/", StatementDetailView.as_view(), name="statement"),
    path("transactions/", TransactionListView.as_view(), name="transactions"),
    path("transactions/<int:transaction_id>/", TransactionDetailView.as_view(), name="transaction"),
]
