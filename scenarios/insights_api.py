"""Open API v1: ``GET insights/funnel/`` — the calling partner's own offer funnel.

Reads the roll-up only (``scenarios.insights``); needs the ``read`` scope, as every GET. The
figures are the partner's money data: security level A2.
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.api import ApiDateField, given_twice
from partners.api.base import PartnerAPIView
from partners.selectors import business_today

from .insights import PARTNER_GROUPS, funnel_for_partner

DEFAULT_DAYS = 30
MAX_DAYS = 731


class FunnelQuerySerializer(serializers.Serializer):
    since = ApiDateField(
        required=False,
        help_text="First business day (Asia/Shanghai) of the offers; default: 29 days before `until`.",
    )
    until = ApiDateField(
        required=False, help_text="Last business day of the offers, inclusive; default: today."
    )
    scenario = serializers.SlugField(
        required=False, max_length=60, help_text="Only this scenario's offers (its code)."
    )
    group_by = serializers.ChoiceField(
        choices=PARTNER_GROUPS, required=False, default="scenario", help_text="The breakdown of the rows."
    )

    def validate(self, data):
        until = data.get("until") or business_today()
        since = data.get("since") or until - timedelta(days=DEFAULT_DAYS - 1)
        if since > until:
            raise serializers.ValidationError({"since": [_("The start must be on or before the end.")]})
        if (until - since).days >= MAX_DAYS:
            raise serializers.ValidationError({"since": [_("Choose a period of at most two years.")]})
        return {**data, "since": since, "until": until}


class FunnelRowSerializer(serializers.Serializer):
    scenario = serializers.CharField(required=False, help_text="group_by scenario or version")
    version = serializers.IntegerField(required=False, help_text="group_by version")
    product = serializers.CharField(required=False, help_text="group_by product")
    segment = serializers.CharField(required=False, help_text="group_by segment")
    channel = serializers.CharField(required=False, help_text="group_by channel")
    day = serializers.DateField(required=False, help_text="group_by day")
    offers = serializers.IntegerField(help_text="Offers answered (try-outs never count).")
    taken = serializers.IntegerField(help_text="Distinct offers with at least one attributed sale.")
    conversion = serializers.CharField(help_text='taken / offers, 4 decimals ("0.0000" without offers).')
    gross_amount = serializers.CharField(help_text='Attributed sales less their refunds: "1234.50".')


class FunnelSerializer(serializers.Serializer):
    results = FunnelRowSerializer(many=True)


def _row(row: dict, keys: tuple[str, ...]) -> dict:
    out = {key: row[key] for key in keys}
    if "day" in out:
        out["day"] = out["day"].isoformat()
    if "segment" in out:
        out["segment"] = out["segment"] or "standard"
    out["offers"] = row["offers"]
    out["taken"] = row["taken"]
    out["conversion"] = f"{row['conversion']:.4f}"
    out["gross_amount"] = f"{row['gross_amount']:.2f}"
    return out


GROUP_KEYS = {
    "scenario": ("scenario",),
    "version": ("scenario", "version"),
    "product": ("product",),
    "segment": ("segment",),
    "channel": ("channel",),
    "day": ("day",),
}


class FunnelView(PartnerAPIView):
    """The partner's offers → distinct offers taken → net gross, by one breakdown."""

    security_level = "A2"
    extra_error_statuses = {"GET": {400: "Invalid input: `error.fields` names each bad query parameter."}}

    @extend_schema(
        operation_id="insights_funnel",
        parameters=[FunnelQuerySerializer],
        responses={200: FunnelSerializer},
        examples=[
            OpenApiExample(
                "By version",
                response_only=True,
                value={
                    "results": [
                        {
                            "scenario": "travel-finance",
                            "version": 2,
                            "offers": 1200,
                            "taken": 96,
                            "conversion": "0.0800",
                            "gross_amount": "412800.00",
                        }
                    ]
                },
            )
        ],
        tags=["insights"],
    )
    def get(self, request):
        repeated = [
            name for name in FunnelQuerySerializer().fields if len(request.query_params.getlist(name)) > 1
        ]
        if repeated:
            raise given_twice(repeated)
        query = FunnelQuerySerializer(data=request.query_params.dict())  # a plain dict: "" is a value
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if request.user.sandbox:  # sandbox offers are never counted: the sandbox has no funnel
            return Response({"results": []})
        rows = funnel_for_partner(
            partner=self.partner,
            start=data["since"],
            end=data["until"],
            group_by=data["group_by"],
            scenario=data.get("scenario", ""),
        )
        keys = GROUP_KEYS[data["group_by"]]
        return Response({"results": [_row(row, keys) for row in rows]})


urlpatterns = [
    path("insights/funnel/", FunnelView.as_view(), name="insights-funnel"),
]
