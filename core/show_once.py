"""Secrets shown once (a new API key, a webhook signing secret) without a page that a reload
repeats. The POST that makes the secret keeps it, encrypted, in the user's session under a
random one-time token and redirects; the first GET of the token's page takes it out and shows
it. A reload, the back button or another tab finds nothing: the secret is gone from the server.

The session is server-side; the secret is encrypted there too (``core.secrets.fernet``) so a
dump of the session table does not hold live keys. Nothing is kept longer than the session."""

from __future__ import annotations

import json
import secrets

from cryptography.fernet import InvalidToken

from .secrets import fernet

SESSION_KEY = "show_once"
LABEL = b"finance-n secrets shown once"
# A secret not picked up within this many seconds is never shown (a lost redirect).
TTL_SECONDS = 600


def show_once_keep(request, *, kind: str, payload: dict) -> str:
    """Keep ``payload`` (holding the secret) for one display on a page of ``kind``; the token
    to put in that page's address."""
    token = secrets.token_urlsafe(16)
    sealed = fernet(LABEL).encrypt(json.dumps({"kind": kind, **payload}).encode()).decode()
    kept = request.session.get(SESSION_KEY, {})
    kept[token] = sealed
    request.session[SESSION_KEY] = kept
    return token


def show_once_take(request, *, kind: str, token: str) -> dict | None:
    """The payload kept under ``token`` for ``kind``, removed from the session; None when it was
    already shown, expired, or belongs to another kind of page."""
    kept = request.session.get(SESSION_KEY, {})
    sealed = kept.pop(token, None)
    if sealed is None:
        return None
    request.session[SESSION_KEY] = kept
    try:
        payload = json.loads(fernet(LABEL).decrypt(sealed.encode(), ttl=TTL_SECONDS))
    except InvalidToken:
        return None
    if payload.pop("kind", None) != kind:
        return None
    return payload
