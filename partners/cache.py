"""What the open API caches about partners and keys, and how a change reaches every process.

With Redis (``REDIS_URL``) the cache is shared: deleting an entry is seen by every web process
at once. On the embedded default the cache is local memory, one per process, so a change made
in another process (``revoke_api_key`` in a shell, a worker's document expiry sweep) could not
reach a running web server. There every change also replaces a small epoch file
(``API_AUTH_EPOCH_FILE``); the web process compares its identity (one ``stat``) on every API
call and drops what it cached when it differs — revocation and suspension take effect on the
very next request in every process.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def partner_cache_key(partner_id: int) -> str:
    """The cache key of a partner's status record (API key authentication). Every lifecycle
    move and document change drops it (``partner_cache_forget``)."""
    return f"partners:partner:{partner_id}"


def partner_cache_forget(*partner_ids: int) -> None:
    """Drop the cached status record of these partners, in every process."""
    cache.delete_many([partner_cache_key(pk) for pk in partner_ids])
    epoch_touch()


def epoch_touch() -> None:
    """Tell every process of this machine that cached verifications changed (a new file
    replaces the epoch file atomically, so its identity changes). Only on the embedded default:
    with Redis the shared cache already reaches every process, and production writes no file."""
    from .api.counters import shared_cache

    if shared_cache():
        return
    path = Path(settings.API_AUTH_EPOCH_FILE)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        temporary.write_text(uuid.uuid4().hex)
        os.replace(temporary, path)
    except OSError:  # never fail the change itself; other processes then wait for their TTL
        logger.exception("could not replace %s", path)


def epoch() -> tuple[int, int]:
    """The identity of the epoch file (inode, modification time); (0, 0) before any change."""
    try:
        stat = os.stat(settings.API_AUTH_EPOCH_FILE)
    except FileNotFoundError:
        return (0, 0)
    return (stat.st_ino, stat.st_mtime_ns)
