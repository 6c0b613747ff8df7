"""The dashboard's next steps: what this member can do now to move the integration on.

A step is offered only to a member whose role may take it (``PartnerAccess.can_change``, the
rule the step's own page enforces) and only while it is still to do: a partner already live in
a scenario is not told to join one, a partner with a key is not told to create one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scenarios.models import Participation

from .access import PartnerAccess
from .selectors import SetupFacts

P = Participation.Status


@dataclass(frozen=True)
class NextStep:
    url: str
    label: str


def dashboard_next_steps(access: PartnerAccess, *, facts: SetupFacts, calls: int | None) -> list[NextStep]:
    """``calls``: the partner's API calls of the last days, None when this member does not see
    usage."""
    steps: list[NextStep] = []
    if P.INVITED in facts.participations and access.can_change("scenarios"):
        steps.append(NextStep(reverse("portal:scenarios"), _("Answer the bank's invitation to a scenario")))
    elif not facts.participations & {P.ACTIVE, P.REQUESTED, P.INVITED} and access.can_change("scenarios"):
        steps.append(NextStep(reverse("portal:scenarios"), _("Browse scenarios and join one")))
    if access.can_change("keys"):
        if not facts.usable_keys:
            steps.append(NextStep(reverse("portal:key-create"), _("Create an API key")))
        elif not calls:
            steps.append(NextStep(reverse("portal:getting-started"), _("Make your first API call")))
    return steps
