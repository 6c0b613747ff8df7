"""Open API v1 routes of revenue sharing (DESIGN.md §4): ``agreements/``, ``statements/``,
``transactions/``. Built on the partners API toolkit: key authentication, scopes, rate limits,
capped pagination. Partner scoping happens in ``revenue.selectors``."""

from __future__ import annotations

from decimal import Decimal

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from partners.api.base import MoneyField, PartnerAPIView, query_input

from . import selectors, services
from .models import Statement, Transaction

MAX_BATCH = 1000


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
    status = serializers.CharField()
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
        batch = TransactionBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        result = services.transactions_record(
            partner=self.partner, items=batch.validated_data["transactions"], source=Transaction.Source.API
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
