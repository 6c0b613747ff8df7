"""The staff admin of revenue sharing: agreements under maker-checker, the read-only ledger and
imports, statements with their lines and files, settlement runs, disputes and adjustments."""

from . import agreements, disputes, ledger, rewards, statements  # noqa: F401 - registers the admins
