"""Domain errors of scenarios, participation and offers.

Offer refusals carry ``field`` = the name of the request field at fault (``scenario``,
``event``, ``amount``, ``currency``, ``segment``, ``tenor_months``), so the API answers 400 with
that field named. This module imports nothing but ``core.domain``: the offer engine raises
these errors and stays free of the database.
"""

from __future__ import annotations

from core.domain import Conflict, DomainError, InvalidTransition, NotAllowed


class ScenarioError(DomainError):
    """A refused change to a scenario or its items."""


class ScenarioImmutable(Conflict):
    """Only a draft version can change; a published version is immutable."""

    code = "scenario_immutable"


class ScenarioNotPublishable(ScenarioError):
    """The draft is not ready: ``problems`` lists every reason, ``message`` the first."""

    code = "not_publishable"

    def __init__(self, problems: list[tuple[str, str]]):
        field, message = problems[0]
        super().__init__(message, field=field or None)
        self.problems = problems


class ScenarioStatusInvalid(InvalidTransition):
    """A scenario status move the allowed-moves map does not permit."""


class BundleItemInvalid(ScenarioError):
    """An item whose product or overrides do not fit (``field`` names the bad one)."""

    code = "invalid_item"


class CampaignInvalid(ScenarioError):
    """A campaign's terms or budget change do not hold (``field`` names the bad one)."""

    code = "invalid_campaign"


class CampaignStatusInvalid(InvalidTransition):
    """A campaign status move the allowed-moves map does not permit."""


class ScenarioNotAllowed(NotAllowed):
    """The acting staff member lacks the permission."""


class ParticipationError(DomainError):
    """A refused participation request or decision."""


class ParticipationConflict(Conflict):
    """The partner already has an open participation, or the version is not the one to join."""


class ParticipationStatusInvalid(InvalidTransition):
    """A participation status move the allowed-moves map does not permit."""


class PartnerNotActive(NotAllowed):
    """Only an active partner participates in scenarios and asks for offers."""

    code = "partner_not_active"


class OfferRefused(DomainError):
    """The request cannot be quoted; ``field`` names the request field at fault."""

    code = "offer_refused"


class ScenarioNotAvailable(OfferRefused):
    """No scenario with that code in which the partner actively participates (another partner's
    scenario looks exactly the same as a missing one)."""

    code = "unknown_scenario"


class EventNotTriggered(OfferRefused):
    code = "event_not_triggered"


class AmountNotOffered(OfferRefused):
    code = "amount_not_offered"


class CurrencyNotOffered(OfferRefused):
    code = "currency_not_offered"


class SegmentUnknown(OfferRefused):
    code = "unknown_segment"


class TenorNotOffered(OfferRefused):
    code = "tenor_not_offered"


class NothingToOffer(OfferRefused):
    """The bundle has no product on sale any more (every one retired)."""

    code = "nothing_to_offer"


class ConsentRefused(OfferRefused):
    """The customer's consent is missing, does not cover the scenario's declared purposes, was
    withdrawn, or differs from what was sent before under its id: ``field`` is
    ``customer.consent``; ``purposes_missing`` lists the declared purposes it does not cover."""

    code = "consent_refused"

    def __init__(self, message: str, *, purposes_missing: list[str] | None = None, code: str | None = None):
        super().__init__(message, field="customer.consent", code=code)
        self.purposes_missing = list(purposes_missing or ())
        if self.purposes_missing:
            self.details = {"purposes_missing": self.purposes_missing}


class ConsentNotFound(DomainError):
    """A consent the partner never sent (another partner's looks exactly the same): 404."""

    status_code = 404
    code = "not_found"
