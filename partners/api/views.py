"""``GET me/`` and ``GET usage/`` of the open API v1."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from core.api import ApiDateField, ApiDateTimeField, ApiFilterSet, QueryFilter, QueryForm

from ..selectors import business_today
from . import counters
from .base import PartnerAPIView
from .selectors import partner_api_usage

USAGE_MAX_DAYS = 92


class MeView(PartnerAPIView):
    """The calling partner and the key in use. Answered from the cache: no query."""

    class MeSerializer(serializers.Serializer):
        partner = inline_serializer(
            name="MePartner",
            fields={
                "slug": serializers.CharField(),
                "name": serializers.CharField(),
                "industry": serializers.CharField(),
                "status": serializers.CharField(),
            },
        )
        key = inline_serializer(
            name="MeKey",
            fields={
                "prefix": serializers.CharField(),
                "scopes": serializers.ListField(child=serializers.CharField()),
                "expires_at": ApiDateTimeField(),
            },
        )

    @extend_schema(operation_id="me", responses=MeSerializer, tags=["partner"])
    def get(self, request):
        p = request.user.partner_record
        key = request.user.key
        return Response(
            {
                "partner": {"slug": p.slug, "name": p.name, "industry": p.industry, "status": p.status},
                "key": {"prefix": key.prefix, "scopes": list(key.scopes), "expires_at": key.expires_iso},
            }
        )


class UsageWindowForm(QueryForm):
    """The usage window: ``until`` is today unless given, ``since`` 30 days before ``until``;
    ``since`` at most 92 days before ``until``."""

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if cleaned["until"] is None:
            cleaned["until"] = business_today()
        if cleaned["since"] is None:
            cleaned["since"] = cleaned["until"] - timedelta(days=30)
        if cleaned["since"] > cleaned["until"]:
            raise forms.ValidationError({"since": _("“since” is after “until”.")})
        if (cleaned["until"] - cleaned["since"]).days > USAGE_MAX_DAYS:
            raise forms.ValidationError(
                {"since": _("Ask for at most %(days)d days at a time.") % {"days": USAGE_MAX_DAYS}}
            )
        return cleaned


class UsageFilter(ApiFilterSet):
    since = QueryFilter(
        ApiDateField(
            required=False,
            help_text=f"First day (default: 30 days before `until`); at most {USAGE_MAX_DAYS} days before `until`.",
        ),
        "day",
        "gte",
    )
    until = QueryFilter(
        ApiDateField(required=False, help_text="Last day (default: today, Beijing time)."), "day", "lte"
    )
    key = QueryFilter(
        serializers.CharField(required=False, max_length=16, help_text="Only this key prefix."), "key__prefix"
    )

    class Meta(ApiFilterSet.Meta):
        form = UsageWindowForm


class UsageView(PartnerAPIView):
    """Daily calls and errors per endpoint for the partner's keys (all of them, or one with
    ``key``), ``since`` at most 92 days before ``until`` (both inclusive). Counts reach
    this list within a minute (the metering flush)."""

    filterset_class = UsageFilter

    class UsageSerializer(serializers.Serializer):
        day = serializers.DateField()
        endpoint = serializers.CharField()
        key = serializers.CharField(source="key.prefix")
        calls = serializers.IntegerField()
        errors = serializers.IntegerField()

    @extend_schema(operation_id="usage_list", responses=UsageSerializer(many=True), tags=["partner"])
    def get(self, request):
        # A sandbox key's usage is its sandbox keys', a live key's its live keys' (billing is live only).
        rows = self.filter_queryset(
            partner_api_usage(partner=self.partner).filter(key__sandbox=request.user.sandbox)
        )
        if counters.pending_locally():
            counters.flush_usage()  # the embedded default buffers counts in this process
        return self.paginated(rows, self.UsageSerializer)
