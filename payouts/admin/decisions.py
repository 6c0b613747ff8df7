"""The verify and reject actions payee accounts and VAT invoices share: a reason page, each
record decided on its own, and the records the user entered listed apart (four eyes)."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from core.admin import action_with_reason
from core.four_eyes import Makers, may_check


def decide_selected(
    modeladmin,
    request,
    queryset,
    *,
    label: str,
    action: str,
    reason_required: bool,
    apply: Callable,
    makers_of: Callable[[object], Makers],
):
    """Run ``apply(obj, reason)`` on each selected record the user did not enter."""

    def refused(objects) -> dict:
        note = _("You entered this: another staff member decides it.")
        return {obj.pk: note for obj in objects if not may_check(request.user, makers_of(obj))}

    done = _("%(object)s: verified.") if action == "verify" else _("%(object)s: rejected.")
    return action_with_reason(
        modeladmin,
        request,
        queryset.select_related("partner"),
        label=label,
        action=action,
        reason_required=reason_required,
        apply=apply,
        success=lambda obj: done % {"object": obj},
        refusals=refused,
    )
