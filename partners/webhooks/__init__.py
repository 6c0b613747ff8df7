"""Signed outbound webhooks: signing and secret encryption (``signing``), the SSRF-guarded
HTTP transport (``transport``). The writes are in ``partners.services.webhooks``; other
capabilities publish events with ``partners.services.webhook_event_publish``."""
