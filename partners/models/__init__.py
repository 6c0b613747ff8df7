"""Models of the partners app, one module per concern.

The open API capability adds its own modules here (API keys, usage, webhooks) and imports them
below, so that ``from partners.models import …`` keeps working for every model.
"""

from .core import Industry, Membership, Partner, PartnerStatusChange
from .deprecations import ApiDeprecationUsage
from .documents import PartnerDocument
from .invitations import Invitation
from .keys import ApiAccessLog, ApiUsage, PartnerAPIKey, PartnerAPIKeyEvent
from .notifications import Notification, NotificationPreference
from .webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiAccessLog",
    "ApiDeprecationUsage",
    "ApiUsage",
    "Industry",
    "Invitation",
    "Membership",
    "Notification",
    "NotificationPreference",
    "Partner",
    "PartnerAPIKey",
    "PartnerAPIKeyEvent",
    "PartnerDocument",
    "PartnerStatusChange",
    "WebhookDelivery",
    "WebhookEndpoint",
]
