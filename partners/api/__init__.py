"""The open API v1 of partners (docs/api.md). Every ``/api/v1/`` route is built from it and
from the generic API toolkit in ``core.api``.

What it gives a route
---------------------
- ``base.PartnerAPIView`` — the base class. Authentication (``Authorization: Api-Key <key>``,
  ``auth.PartnerKeyAuthentication``: 401 for a missing, malformed, unknown, revoked or expired
  key; 403 when the partner is not active or a required KYB document is not valid), the scope
  check (``base.HasScope``: ``read`` for every GET, ``scopes[method]`` for writes; 403), rate
  limits and the monthly quota (``throttling.PartnerKeyThrottle``; 429 with ``Retry-After``),
  and from ``core.api.ApiView`` capped pagination (``ApiPagination``:
  ``count/next/previous/results``, ``?page_size`` ≤ 200) and list filters; the OpenAPI extras
  (``schema.PartnerAPISchema``: scope, JR/T 0185-2020 level and the error responses on every
  operation). ``self.partner`` is the calling ``Partner`` (no query).
- Metering and the access log need nothing from a route: ``middleware.ApiAccessMiddleware``
  counts every call per key, day and endpoint and logs it (no key, no body).
- Errors: raise a ``core.domain.DomainError`` subclass, a DRF ``ValidationError`` (400 with
  ``error.fields``) or ``NotFound``; ``core.errors`` renders the one JSON error shape.
- List filters (``core.api``): a django-filter ``ApiFilterSet`` of ``QueryFilter``s named by the
  view's ``filterset_class`` and applied with ``self.filter_queryset(rows)``; each parameter is
  read by a strict API field (400 naming each; a parameter given twice or empty is refused, one
  the list does not know is left alone) and documented from it. ``page``/``page_size`` are
  whole numbers or a 400.
- Strict input (``core.api``): ``MoneyField`` is every money field, in and out (in: a string of
  ASCII digits with at most two decimals, ``money_parse``; ``signed=True`` where refunds and
  claw-backs make it negative); ``ApiDateTimeField`` (in: ISO 8601 with a whole-minute
  offset, 1970–2100; out: RFC 3339) and ``ApiDateField`` (1970–2100). Bodies are JSON
  only (``ApiJSONParser``: at most 32 levels deep; over ``DATA_UPLOAD_MAX_MEMORY_SIZE``
  a 413). ``OPTIONS`` describes the route (``ApiMetadata``).

Adding a route (e.g. revenue's)
-------------------------------
::

    from partners.api.base import PartnerAPIView

    class StatementListView(PartnerAPIView):
        security_level = "A2"            # customer or money data ("A1": product info)

        @extend_schema(operation_id="statements_list", responses=StatementSerializer(many=True))
        def get(self, request):
            return self.paginated(selectors.statements_for_partner(partner=self.partner),
                                  StatementSerializer)

    class TransactionFilter(ApiFilterSet):  # core.api; the field reads and documents ?scenario=
        scenario = QueryFilter(serializers.SlugField(required=False, max_length=60), "scenario_code")

    class TransactionListView(PartnerAPIView):
        scopes = {"POST": "transactions"}  # the scope a write needs
        filterset_class = TransactionFilter

        def get(self, request):
            rows = self.filter_queryset(selectors.transactions_for_partner(partner=self.partner))
            return self.paginated(rows, TransactionSerializer)

    urlpatterns = [path("statements/", StatementListView.as_view(), name="statements")]

then one line in ``v1_patterns`` of ``portal/api.py``: ``*revenue_api.urlpatterns``. Reach partner data
only through a selector that takes ``self.partner`` so another partner's object is a 404.
``tests/api/test_cross_partner.py`` sweeps every route found in the URL resolver: register a
new route with a path parameter in ``OTHER_PARTNERS_OBJECT`` and a new write in
``WRITE_BODIES`` (the sweep fails naming what is missing).

Modules: ``auth`` (keys → partner), ``base`` (the partner's view and scope), ``throttling``,
``counters`` (usage metering and the access-log buffer), ``middleware``, ``schema``,
``selectors``, ``views`` + ``urls`` (``me/``, ``usage/``). Below the API layer, never importing
it: ``partners.keycache`` (the verification cache of keys and partners, its cache key names and
its invalidation) and the services; in the kernel: ``core.clock`` (business day and month),
``core.counters`` (atomic and buffered counters, one backend chosen at start-up),
``core.epoch`` and ``core.api`` (pagination, strict input). The domain errors of keys and
webhooks are in ``partners.exceptions``.
"""
