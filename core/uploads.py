"""Uploaded files checked by what their bytes are, and kept only when their row is committed.

Used by every upload of a file a person vouches for (KYB documents, the signed copy of an
agreement): the content type is sniffed from the first bytes (``filetype``), never taken from
the name or the browser, and the stored file is deleted again when the transaction that wrote
its row does not commit. This module imports no app.
"""

from __future__ import annotations

import logging
import weakref

import filetype
from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import transaction

logger = logging.getLogger(__name__)

# filetype reads at most this many bytes to recognise a format.
SNIFF_BYTES = 8192
# PDF, JPEG and PNG: what a scanned or signed paper is sent as, by what its bytes are.
PAPER_CONTENT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def sniff_content_type(upload: File) -> str:
    """The MIME type of ``upload`` by its first bytes ("" when not recognised); the file is
    left at its start."""
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind = filetype.guess(head)
    return kind.mime if kind else ""


def keep_file_on_commit(storage: Storage, name: str) -> None:
    """Delete the stored file ``name`` unless the current transaction commits.

    The ``on_commit`` callback marks the file kept. A rollback of the transaction, or of a
    savepoint opened after this call, makes Django drop the callback uncalled; dropping it
    frees it, and its finalizer then deletes the file. CPython frees it at once (reference
    counting), which is why the callback lives only in Django's list: no frame, traceback or
    cycle may hold it. A commit-time hook registered earlier in the same transaction that
    raises also makes Django drop the hooks after it: the file is then deleted under a
    committed row, hence the warning in the log.
    """
    committed: list[bool] = []

    def keep() -> None:
        committed.append(True)

    weakref.finalize(keep, _delete_uncommitted, storage, name, committed)
    transaction.on_commit(keep)


def _delete_uncommitted(storage: Storage, name: str, committed: list[bool]) -> None:
    if committed:
        return
    logger.warning("uploaded file %s deleted: the transaction that stored it did not commit", name)
    try:
        storage.delete(name)
    except OSError:
        # A finalizer cannot raise: the file stays an orphan, and the log says which one.
        logger.exception("uploaded file %s could not be deleted", name)
