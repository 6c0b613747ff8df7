"""Open API v1 routes of scenarios: ``GET scenarios/``, ``GET scenarios/{code}/``, ``POST offers/``,
``POST consents/withdraw/``.

Built on the ``partners.api`` toolkit; reads go through ``scenarios.selectors`` (only the
versions the calling partner actively participates in), quotes through
``scenarios.services.offer_quote``.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.api import ApiCharField, ApiDateTimeField, MoneyField, body_validate
from core.domain import DomainError
from partners.api.base import PartnerAPIView
from products.terms import MAX_TENOR, MIN_TENOR, Category

from . import selectors
from .exceptions import ScenarioNotAvailable
from .models import DataPurpose, Scenario
from .services import ConsentGiven, consent_withdraw, offer_quote, offer_quote_as_dict


class ScenarioNotFound(DomainError):
    """A scenario code the partner does not actively participate in (or that does not exist):
    404, naming the field, exactly as for a missing one."""

    status_code = 404
    code = "not_found"


class ProductSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.choices)


class ScenarioSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    industry = serializers.CharField(source="industry.code")
    version = serializers.IntegerField()
    trigger_events = serializers.ListField(child=serializers.CharField())
    data_purposes = serializers.ListField(
        child=serializers.ChoiceField(choices=DataPurpose.choices),
        help_text="What the bank uses customer data for in this scenario: an offer request with a "
        "customer reference or a segment other than `standard` must carry the customer's consent "
        "covering each of them.",
    )
    data_shared = serializers.CharField(help_text="Which customer data an offer request carries.")
    data_purpose = serializers.CharField(help_text="Why the bank needs that data, in words.")
    products = serializers.SerializerMethodField()

    @extend_schema_field(ProductSerializer(many=True))
    def get_products(self, scenario: Scenario) -> list[dict]:
        # ``items`` (on sale, with their product) are prefetched by the selector: no query.
        return [
            {"code": item.product.code, "name": item.product.name, "category": item.product.category}
            for item in scenario.items.all()
        ]


class ScenarioListView(PartnerAPIView):
    """The scenario versions the partner actively participates in, by code."""

    @extend_schema(operation_id="scenarios_list", responses=ScenarioSerializer(many=True), tags=["scenarios"])
    def get(self, request):
        return self.paginated(
            selectors.scenario_list_for_partner(partner=self.partner, sandbox=request.user.sandbox),
            ScenarioSerializer,
        )


class ScenarioDetailView(PartnerAPIView):
    """One scenario the partner actively participates in (the version it joined)."""

    @extend_schema(operation_id="scenarios_retrieve", responses=ScenarioSerializer, tags=["scenarios"])
    def get(self, request, code: str):
        try:
            scenario = selectors.scenario_get_for_partner(
                partner=self.partner, code=code, sandbox=request.user.sandbox
            )
        except Scenario.DoesNotExist:
            raise NotFound() from None
        return Response(ScenarioSerializer(scenario).data)


class ScheduleRowSerializer(serializers.Serializer):
    period = serializers.IntegerField()
    principal = serializers.CharField(help_text='Money: "1234.50".')
    interest = serializers.CharField()
    fee = serializers.CharField()
    payment = serializers.CharField(help_text="principal + interest + fee")


class PriceSerializer(serializers.Serializer):
    """Rates as decimal-fraction strings with 6 places, money with 2; only the keys that apply
    to the offer's category are present."""

    annual_rate = serializers.CharField(required=False)
    fee_rate = serializers.CharField(required=False)
    apr = serializers.CharField(
        required=False,
        help_text="Every credit offer: the annualised rate by IRR of the schedule's cash flows "
        '(monthly IRR × 12, e.g. "0.172708"), never above the product\'s ceiling.',
    )
    premium_rate = serializers.CharField(required=False)
    fee = serializers.CharField(required=False)
    premium = serializers.CharField(required=False)
    expected_return = serializers.CharField(required=False)


class OfferSerializer(serializers.Serializer):
    offer_id = serializers.CharField(
        min_length=16,
        help_text="Opaque and unguessable; name it on the transaction of a sale that follows this offer.",
    )
    expires_at = ApiDateTimeField(help_text="The offer may be followed until then (RFC 3339).")
    product = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.choices)
    price = PriceSerializer(help_text="Rates and amounts as strings; keys depend on the category.")
    reward = serializers.DictField(required=False)
    schedule = ScheduleRowSerializer(many=True, required=False, help_text="Principals sum exactly to amount.")


class ConsentSerializer(serializers.Serializer):
    id = ApiCharField(max_length=64, help_text="The partner's own id of the customer's consent.")
    purposes = serializers.ListField(
        child=serializers.ChoiceField(choices=DataPurpose.choices),
        allow_empty=False,
        max_length=len(DataPurpose.values) * 2,
        help_text="The purposes the customer consented to; they must cover the scenario's `data_purposes`.",
    )
    granted_at = ApiDateTimeField(help_text="When the customer granted it (RFC 3339).")


class CustomerSerializer(serializers.Serializer):
    ref = ApiCharField(
        max_length=128,
        required=False,
        help_text="The partner's own id of the customer: stored only as a keyed hash, never as sent.",
    )
    consent = ConsentSerializer(
        required=False,
        help_text="Required with a `ref` or a segment other than `standard`: the customer's consent.",
    )

    def validate(self, attrs):
        if not attrs:  # ``"customer": {}`` says nothing: name what it lacks
            raise serializers.ValidationError({"ref": [serializers.Field.default_error_messages["required"]]})
        return attrs


class OfferView(PartnerAPIView):
    """Priced offers of a scenario's products for a customer at a trigger event."""

    scopes = {"POST": "offers"}
    security_level = "A2"

    class OfferRequestSerializer(serializers.Serializer):
        scenario = serializers.CharField(max_length=60)
        event = serializers.CharField(max_length=60)
        amount = MoneyField()
        currency = serializers.CharField(max_length=3, min_length=3, default="CNY")
        segment = serializers.CharField(max_length=40, required=False, allow_null=True)
        tenor_months = serializers.IntegerField(
            min_value=MIN_TENOR, max_value=MAX_TENOR, required=False, allow_null=True
        )
        customer = CustomerSerializer(required=False)

    class OffersSerializer(serializers.Serializer):
        request_id = serializers.CharField(help_text="This request's id, to quote when asking about it.")
        offers = OfferSerializer(many=True)

    @extend_schema(
        operation_id="offers_create",
        request=OfferRequestSerializer,
        responses={200: OffersSerializer},
        examples=[
            OpenApiExample(
                "An installment plan at booking",
                request_only=True,
                value={
                    "scenario": "travel-finance",
                    "event": "booking.created",
                    "amount": "8000.00",
                    "tenor_months": 12,
                },
            ),
            OpenApiExample(
                "For a known customer, with their consent",
                request_only=True,
                value={
                    "scenario": "travel-finance",
                    "event": "booking.created",
                    "amount": "8000.00",
                    "segment": "vip",
                    "tenor_months": 12,
                    "customer": {
                        "ref": "cust-88231",
                        "consent": {
                            "id": "cns-2026-000123",
                            "purposes": ["offer_personalisation", "credit_pre_assessment"],
                            "granted_at": "2026-11-02T09:30:00+08:00",
                        },
                    },
                },
            ),
            OpenApiExample(
                "The answer",
                response_only=True,
                value={
                    "request_id": "req_Xc1bB2kL9mQw3rTz",
                    "offers": [
                        {
                            "offer_id": "ofr_4mB0x9TqLr2VbZ7nWc1sEA",
                            "expires_at": "2026-11-30T18:30:00+08:00",
                            "product": "trip-installment",
                            "category": "installment",
                            "price": {"annual_rate": "0.129000", "apr": "0.129000"},
                        }
                    ],
                },
            ),
        ],
        tags=["offers"],
    )
    def post(self, request):
        data = body_validate(OFFER_REQUEST, request.data)
        customer = data.get("customer", {})
        consent = customer.get("consent")
        try:
            answer = offer_quote(
                partner=self.partner,
                scenario_code=data["scenario"],
                event=data["event"],
                amount=data["amount"],
                currency=data["currency"],
                segment=data.get("segment"),
                tenor_months=data.get("tenor_months"),
                customer_id=customer.get("ref", ""),
                consent=None if consent is None else ConsentGiven(**consent),
                key_prefix=request.user.key.prefix,
                sandbox=request.user.sandbox,
            )
        except ScenarioNotAvailable as exc:
            raise ScenarioNotFound(exc.message, field="scenario") from None
        return Response(offer_quote_as_dict(answer))


# The request's fields, built once (``body_validate``): the hot path of the open API.
OFFER_REQUEST = OfferView.OfferRequestSerializer()


class ConsentWithdrawView(PartnerAPIView):
    """Record that a customer withdrew a consent the partner sent with an offer request: from
    now on any offer request relying on it is refused (400 naming `customer.consent`)."""

    # Withdrawal is part of the offer flow whose consents it ends: the scope of POST offers/.
    scopes = {"POST": "offers"}
    security_level = "A2"

    class WithdrawSerializer(serializers.Serializer):
        customer_ref = ApiCharField(
            max_length=128,
            allow_blank=True,
            help_text="The customer's id as sent in `customer.ref` (empty for a consent sent without one).",
        )
        consent_id = ApiCharField(max_length=64, help_text="The consent's `id` as sent.")

    class WithdrawnSerializer(serializers.Serializer):
        consent_id = serializers.CharField()
        withdrawn_at = ApiDateTimeField(
            help_text="When the withdrawal was recorded (the first one, if repeated)."
        )

    @extend_schema(
        operation_id="consents_withdraw",
        request=WithdrawSerializer,
        responses={200: WithdrawnSerializer},
        examples=[
            OpenApiExample(
                "A customer withdraws a consent",
                request_only=True,
                value={"customer_ref": "cust-88231", "consent_id": "cns-2026-000123"},
            ),
            OpenApiExample(
                "The answer",
                response_only=True,
                value={"consent_id": "cns-2026-000123", "withdrawn_at": "2026-11-30T18:05:00+08:00"},
            ),
        ],
        tags=["consents"],
    )
    def post(self, request):
        serializer = self.WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        consent = consent_withdraw(
            partner=self.partner,
            customer_id=data["customer_ref"],
            consent_id=data["consent_id"],
            sandbox=request.user.sandbox,
        )
        return Response(self.WithdrawnSerializer(consent).data)


urlpatterns = [
    path("scenarios/", ScenarioListView.as_view(), name="scenarios"),
    path("scenarios/<str:code>/", ScenarioDetailView.as_view(), name="scenario"),
    path("offers/", OfferView.as_view(), name="offers"),
    path("consents/withdraw/", ConsentWithdrawView.as_view(), name="consents-withdraw"),
]
