"""What every revenue service shares: permission checks, maker-checker and change rows."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from core.actors import staff_may
from core.four_eyes import Makers, maker_parts, may_check

from ..exceptions import MakerCheckerViolation, RevenueNotAllowed
from ..models import Agreement


def require(actor, permission: str, *, system: bool = False) -> None:
    """``actor`` is an active staff user holding ``permission``; the system (``None``) only
    where the service is one it runs (``system=True``). See ``core.actors``."""
    if not staff_may(actor, permission, system=system):
        raise RevenueNotAllowed(_("You do not have permission to do this."))


def require_not_maker(checker, makers: Makers, what: str) -> None:
    """Four eyes: the checker is none of the object's makers — not even a superuser — and a
    person (the system checks nothing). The refusal says what the checker made of it."""
    parts = maker_parts(checker, makers)
    if not may_check(checker, makers):
        raise MakerCheckerViolation(
            _("Maker-checker: %(what)s must be checked by someone other than its maker (you %(parts)s).")
            % {"what": what, "parts": ", ".join(parts)}
            if parts
            else _("Maker-checker: %(what)s must be checked by someone other than its maker.")
            % {"what": what}
        )


def lock_scenario_agreements(*, partner_id: int, scenario_code: str) -> list[int]:
    """Lock every agreement of a partner's scenario, in id order (no deadlock between two
    lockers): approvals and settlement of one partner's scenario run one at a time. Inside a
    transaction; a no-op on SQLite, where writers are serialised anyway."""
    return list(
        Agreement.objects.select_for_update()
        .filter(partner_id=partner_id, scenario_code=scenario_code)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def ledger_lock(*, partner_id: int, scenario_codes, exclusive: bool) -> None:
    """The ledger lock of a partner's scenarios, held to the end of the transaction.

    Recording transactions takes it shared (recorders never wait for each other); generating a
    statement takes it exclusive, so no recording of that partner's scenario is in flight when
    the statement reads the ledger's last id: every row committed later gets a higher id and
    is the next statement's. PostgreSQL: transaction-level advisory locks on (partner, hash of
    the code), taken in code order. SQLite: a no-op — its transactions begin IMMEDIATE (see
    settings), one writer at a time."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        for code in sorted(set(scenario_codes)):
            cursor.execute(f"SELECT {function}(%s, hashtext(%s))", [partner_id, code])
