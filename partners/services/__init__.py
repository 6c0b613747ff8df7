"""Every write of the partners app. One module per concern; import from here.

The open API capability adds its modules (API keys, usage, webhooks) beside these.
"""

from .documents import (
    document_expiry_sweep,
    document_reject,
    document_upload,
    document_upload_bytes,
    document_verify,
)
from .keys import (
    IssuedKey,
    api_key_expiry_sweep,
    api_key_issue,
    api_key_revoke,
    api_key_rotate,
)
from .lifecycle import (
    ALLOWED_MOVES,
    partner_activate,
    partner_approve,
    partner_create,
    partner_credit_code_verify,
    partner_reinstate,
    partner_reject,
    partner_reopen,
    partner_review_start,
    partner_save,
    partner_submit,
    partner_suspend,
    partner_terminate,
    partner_update,
)
from .members import (
    account_create_verified,
    invitation_accept,
    invitation_create,
    invitation_link,
    invitation_revoke,
    membership_change_role,
    membership_create,
    membership_remove,
    ownership_transfer,
)
from .usage import api_access_log_prune
from .webhooks import (
    webhook_deliver,
    webhook_endpoint_create,
    webhook_endpoint_update,
    webhook_event_publish,
    webhook_retry_due,
    webhook_secret_rotate,
)

__all__ = [
    "ALLOWED_MOVES",
    "IssuedKey",
    "account_create_verified",
    "api_access_log_prune",
    "api_key_expiry_sweep",
    "api_key_issue",
    "api_key_revoke",
    "api_key_rotate",
    "document_expiry_sweep",
    "document_reject",
    "document_upload",
    "document_upload_bytes",
    "document_verify",
    "invitation_accept",
    "invitation_create",
    "invitation_link",
    "invitation_revoke",
    "membership_change_role",
    "membership_create",
    "membership_remove",
    "ownership_transfer",
    "partner_activate",
    "partner_approve",
    "partner_create",
    "partner_credit_code_verify",
    "partner_reinstate",
    "partner_reject",
    "partner_reopen",
    "partner_review_start",
    "partner_save",
    "partner_submit",
    "partner_suspend",
    "partner_terminate",
    "partner_update",
    "webhook_deliver",
    "webhook_endpoint_create",
    "webhook_endpoint_update",
    "webhook_event_publish",
    "webhook_retry_due",
    "webhook_secret_rotate",
]
