"""The cache epoch: how the processes of one machine that each cache in their own memory (the
embedded default, no Redis) learn that something they cached changed elsewhere.

A change made in another process (``revoke_api_key`` in a shell, a worker's document expiry
sweep) cannot reach a running web server's memory. So every such change replaces a small file,
``API_AUTH_EPOCH_FILE`` (under ``var/``; one per pytest-xdist worker in tests, see
``portal.settings.test``), and a process compares the file's identity (one ``stat``) before it
trusts what it cached, dropping it all when the identity differs. With Redis the shared cache
reaches every process by itself and no file is written. Only ``core.generations`` touches and
reads the file: the process-memory caches (compiled offer terms, and key verification's
process-memory layer in ``partners.keycache``) go through it.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

Epoch = tuple[int, int]


def epoch_touch() -> None:
    """Tell every process of this machine that cached records changed: a new file replaces the
    epoch file atomically, so its identity changes."""
    path = Path(settings.API_AUTH_EPOCH_FILE)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        temporary.write_text(uuid.uuid4().hex)
        os.replace(temporary, path)
    except OSError:  # never fail the change itself; other processes then wait for their TTL
        logger.exception("could not replace %s", path)


def epoch() -> Epoch:
    """The identity of the epoch file (inode, modification time); (0, 0) before any change."""
    try:
        stat = os.stat(settings.API_AUTH_EPOCH_FILE)
    except FileNotFoundError:
        return (0, 0)
    return (stat.st_ino, stat.st_mtime_ns)
