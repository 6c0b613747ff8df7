"""The open API v1 toolkit (docs/api.md). Every ``/api/v1/`` route is built from it.

What it gives a route
---------------------
- ``base.PartnerAPIView`` — the base class. Authentication (``Authorization: Api-Key <key>``,
  ``auth.PartnerKeyAuthentication``: 401 for a missing, malformed, unknown, revoked or expired
  key; 403 when the partner is not active or a required KYB document is not valid), the scope
  check (``base.HasScope``: ``read`` for every GET, ``scopes[method]`` for writes; 403), rate
  limits and the monthly quota (``throttling.PartnerKeyThrottle``; 429 with ``Retry-After``),
  capped pagination (``base.ApiPagination``: ``count/next/previous/results``, ``?page_size`` ≤
  200), the OpenAPI extras (``schema.PartnerAPISchema``: scope, JR/T 0185-2020 level and the
  error responses on every operation). ``self.partner`` is the calling ``Partner`` (no query).
- Metering and the access log need nothing from a route: ``middleware.ApiAccessMiddleware``
  counts every call per key, day and endpoint and logs it (no key, no body).
- Errors: raise a ``core.domain.DomainError`` subclass, a DRF ``ValidationError`` (400 with
  ``error.fields``) or ``NotFound``; ``core.errors`` renders the one JSON error shape.
- ``base.query_input(Serializer, request)`` validates query parameters (400 naming each; a
  parameter given twice or empty is refused); ``page``/``page_size`` are whole numbers or a 400.
- Strict input: ``base.MoneyField`` is every money field, in and out (in: a string of ASCII
  digits with at most two decimals, ``money_parse``; ``signed=True`` where refunds and
  claw-backs make it negative); ``base.ApiDateTimeField`` (in: ISO 8601 with a whole-minute
  offset, 1970–2100; out: RFC 3339) and ``base.ApiDateField`` (1970–2100). Bodies are JSON
  only (``base.ApiJSONParser``: at most 32 levels deep; over ``DATA_UPLOAD_MAX_MEMORY_SIZE``
  a 413). ``OPTIONS`` describes the route (``base.ApiMetadata``).

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

    class TransactionListView(PartnerAPIView):
        scopes = {"POST": "transactions"}  # the scope a write needs
        ...

    urlpatterns = [path("statements/", StatementListView.as_view(), name="statements")]

then one line in ``v1_patterns`` of ``portal/api.py``: ``*revenue_api.urlpatterns``. Reach partner data
only through a selector that takes ``self.partner`` so another partner's object is a 404.
``tests/api/test_cross_partner.py`` sweeps every route found in the URL resolver: register a
new route with a path parameter in ``OTHER_PARTNERS_OBJECT`` and a new write in
``WRITE_BODIES`` (the sweep fails naming what is missing).

Modules: ``auth`` (keys → partner), ``base`` (view, scope, pagination), ``throttling``,
``counters`` (usage metering and the access-log buffer), ``middleware``, ``schema``,
``selectors``, ``views`` + ``urls`` (``me/``, ``usage/``). Below the API layer, never importing
it: ``partners.keycache`` (the verification cache of keys and partners, its cache key names and
its invalidation) and the services; in the kernel: ``core.clock`` (business day and month),
``core.counters`` (atomic and buffered counters, one backend chosen at start-up) and
``core.epoch``. The domain errors of keys and webhooks are in ``partners.exceptions``.
"""
