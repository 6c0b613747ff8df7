"""Absolute links to the site, for what leaves it: e-mails, webhooks, files.

A request's host is whatever the client or a proxy sent; a link in a mail must point to the
site's configured address (``SITE_URL``, required in production), whoever triggered the mail.
Pages shown in the browser use the host the user is on instead (``request.build_absolute_uri``).
"""

from __future__ import annotations

from django.conf import settings


def site_url(path: str = "") -> str:
    """``SITE_URL`` joined with ``path`` (an absolute path such as ``reverse(...)``)."""
    return settings.SITE_URL.rstrip("/") + path
