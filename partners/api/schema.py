"""OpenAPI (drf-spectacular) for the open API: the ``Api-Key`` security scheme, the error shape
on every operation, the scope each operation needs and its JR/T 0185-2020 security level."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

# JR/T 0185-2020 (商业银行应用程序接口安全管理规范) levels used here.
SECURITY_LEVELS = {
    "A1": "A1: read-only product and scenario information",
    "A2": "A2: customer or money data",
}

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(help_text="Stable machine-readable code, e.g. `invalid`."),
                "message": serializers.CharField(help_text="A sentence for people."),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()),
                    required=False,
                    help_text="For 400: each bad input field with its messages.",
                ),
                "details": serializers.DictField(
                    required=False,
                    help_text="Machine-readable facts about a refusal, e.g. `purposes_missing` "
                    "(the declared purposes a customer's consent does not cover).",
                ),
            },
        )
    },
)

# What every operation can answer besides its success.
ERROR_STATUSES = {
    401: "Missing, malformed, unknown, revoked or expired key.",
    403: "The key lacks the scope, or the partner is not active (or a required document expired).",
    404: "The object does not exist or belongs to another partner.",
    405: "Method not allowed on this route.",
    406: "The `Accept` header asks for something other than JSON.",
    429: "Over the key's rate limit or the partner's monthly quota; see `Retry-After`.",
}
# What an operation that reads input can answer too.
INPUT_ERROR_STATUSES = {
    400: "Invalid input: `error.fields` names each bad field; nothing is written.",
}
# What an operation that takes a body can answer too.
BODY_ERROR_STATUSES = {
    413: "The body is larger than the server takes (`DATA_UPLOAD_MAX_MEMORY_SIZE`).",
    415: "The body is not `application/json`.",
}


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "partners.api.auth.PartnerKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`. Keys are issued in the portal (shown once).",
        }


class PartnerAPISchema(AutoSchema):
    """Adds to every operation: the scope, the security level (``x-security-level`` and a line in
    the description) and the error responses in the shared error shape."""

    def get_description(self):
        base = super().get_description() or ""
        scope = self.view.scope_for(self.method)
        level = getattr(self.view, "security_level", "A1")
        lines = [
            base.strip(),
            f"**Scope:** `{scope}`.",
            f"**Security level (JR/T 0185-2020):** {SECURITY_LEVELS[level]}.",
        ]
        return "\n\n".join(line for line in lines if line)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        statuses = dict(ERROR_STATUSES)
        if self.method in ("POST", "PUT", "PATCH"):
            statuses.update(INPUT_ERROR_STATUSES)
            statuses.update(BODY_ERROR_STATUSES)
        elif self.view.filterset_class is not None or self._is_list_view():
            statuses.update(INPUT_ERROR_STATUSES)  # filters, ``page`` and ``page_size``
        statuses.update(getattr(self.view, "extra_error_statuses", {}).get(self.method, {}))
        for status, description in sorted(statuses.items()):
            if str(status) not in responses:
                response = self._get_response_for_code(ErrorSerializer, str(status), direction=direction)
                response["description"] = description
                responses[str(status)] = response
        return responses

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        operation["x-security-level"] = getattr(self.view, "security_level", "A1")
        operation["x-required-scope"] = self.view.scope_for(self.method)
        return operation
