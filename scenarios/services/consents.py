"""Customers' consents (PIPL): checked and recorded on the offer path, withdrawn by the partner.

An offer request that carries a customer reference, or a segment other than ``standard``,
must carry the customer's consent (the partner's consent id, its purposes, when it was
granted) covering every purpose the scenario declares (``Scenario.data_purposes``).
``consent_for_offer`` checks it and records it (``Consent``: the customer only as the keyed
hash of the partner's customer id); ``consent_withdraw`` records a withdrawal at once, after
which any request relying on that consent is refused.

Cost on the request path: one indexed read (the consent by partner, id and customer
reference, with whether it was already seen for this scenario); a write only the first time a
consent (or a consent for a scenario) is seen, and at most once an hour to move
``last_seen_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from core.secrets import customer_reference
from scenarios.exceptions import ConsentNotFound, ConsentRefused
from scenarios.models import Consent, ConsentScenario, DataPurpose, data_purposes_normalised

# The segment whose offers carry no customer data: it needs no consent.
STANDARD_SEGMENT = "standard"
# ``Consent.last_seen_at`` moves at most this often (a write per request would cost each one).
LAST_SEEN_RESOLUTION = timedelta(hours=1)
# How far a partner's clock may run ahead of ours for ``granted_at``.
CLOCK_SKEW = timedelta(minutes=5)


class ConsentGiven(NamedTuple):
    """A consent as an offer request carries it (``customer.consent``)."""

    id: str
    purposes: Sequence[str]
    granted_at: datetime


def consent_needed(*, customer_ref: str, segment: str | None) -> bool:
    """Whether a request uses customer data: a customer reference, or a segment other than
    standard."""
    return bool(customer_ref) or (segment or STANDARD_SEGMENT) != STANDARD_SEGMENT


def consent_purposes_missing(*, declared: Sequence[str], given: Sequence[str]) -> list[str]:
    """The purposes of ``declared`` that ``given`` does not cover, in declared order."""
    return [purpose for purpose in declared if purpose not in set(given)]


def consent_for_offer(
    *,
    partner,
    scenario_code: str,
    declared_purposes: Sequence[str],
    customer_ref: str,
    segment: str | None,
    consent: ConsentGiven | None,
    now: datetime | None = None,
    sandbox: bool = False,
) -> str:
    """The consent id an offer request relies on ("" for none), checked and recorded, for the
    scenario ``scenario_code`` that declares ``declared_purposes`` (``Scenario.data_purposes``).

    Raises ``ConsentRefused`` (400 naming ``customer.consent``) when the request uses customer
    data without a consent, when the consent does not cover the scenario's declared purposes
    (``purposes_missing``), when it was withdrawn, or when its id was sent before with other
    purposes or another grant time (a changed consent needs a new id). A consent sent where
    none is needed is checked and recorded all the same: the request relies on it.
    """
    declared = list(declared_purposes)
    if consent is None:
        if consent_needed(customer_ref=customer_ref, segment=segment):
            raise ConsentRefused(
                _(
                    "This request carries customer data: send the customer's consent "
                    "(customer.consent) covering %(purposes)s."
                )
                % {"purposes": ", ".join(declared) or _("this scenario")},
                purposes_missing=declared,
                code="consent_required",
            )
        return ""
    missing = consent_purposes_missing(declared=declared, given=consent.purposes)
    if missing:
        raise ConsentRefused(
            _("The customer's consent does not cover these purposes of the scenario: %(purposes)s.")
            % {"purposes": ", ".join(missing)},
            purposes_missing=missing,
            code="consent_not_covering",
        )
    now = now or timezone.now()
    if consent.granted_at > now + CLOCK_SKEW:
        raise ConsentRefused(
            _("The consent's granted_at is in the future: send when the customer granted it."),
            code="consent_not_granted_yet",
        )
    purposes = data_purposes_normalised(consent.purposes)
    stored = (
        Consent.objects.filter(
            partner=partner, sandbox=sandbox, consent_id=consent.id, customer_ref=customer_ref
        )
        .annotate(
            seen_here=Exists(
                ConsentScenario.objects.filter(consent=OuterRef("pk"), scenario_code=scenario_code)
            )
        )
        .first()
    )
    if stored is None:
        stored = _consent_record(
            partner=partner,
            consent=consent,
            purposes=purposes,
            customer_ref=customer_ref,
            now=now,
            sandbox=sandbox,
        )
        seen_here = False
    else:
        seen_here = stored.seen_here
    if stored.withdrawn_at is not None:
        raise ConsentRefused(
            _("Consent %(id)s was withdrawn: ask the customer for a new consent.") % {"id": consent.id},
            code="consent_withdrawn",
        )
    if stored.purposes != purposes or stored.granted_at != consent.granted_at:
        raise ConsentRefused(
            _(
                "Consent %(id)s was sent before with other purposes or another grant time: "
                "a changed consent needs a new id."
            )
            % {"id": consent.id},
            code="consent_changed",
        )
    if not seen_here:
        ConsentScenario.objects.bulk_create(
            [ConsentScenario(consent=stored, scenario_code=scenario_code, first_seen_at=now)],
            ignore_conflicts=True,
        )
    if now - stored.last_seen_at >= LAST_SEEN_RESOLUTION:
        Consent.objects.filter(pk=stored.pk, last_seen_at__lt=now).update(last_seen_at=now)
    return consent.id


def _consent_record(
    *, partner, consent: ConsentGiven, purposes: list[str], customer_ref: str, now: datetime, sandbox: bool
) -> Consent:
    """Insert a consent seen for the first time; a concurrent twin that lost the race reads
    the row the winner wrote (the unique constraint decides, not a read before the insert)."""
    try:
        with transaction.atomic():
            return Consent.objects.create(
                partner=partner,
                sandbox=sandbox,
                consent_id=consent.id,
                customer_ref=customer_ref,
                purposes=purposes,
                granted_at=consent.granted_at,
                first_seen_at=now,
                last_seen_at=now,
            )
    except IntegrityError:
        return Consent.objects.get(
            partner=partner, sandbox=sandbox, consent_id=consent.id, customer_ref=customer_ref
        )


def consent_purposes_errors(purposes: Sequence[object]) -> list[str]:
    """What is wrong with a list of purpose codes (unknown ones), for forms and services."""
    unknown = [str(code) for code in purposes if code not in DataPurpose.values]
    if unknown:
        return [
            _("Unknown purposes: %(codes)s. The purposes are %(known)s.")
            % {"codes": ", ".join(unknown), "known": ", ".join(DataPurpose.values)}
        ]
    return []


@transaction.atomic
def consent_withdraw(
    *, partner, customer_id: str, consent_id: str, now: datetime | None = None, sandbox: bool = False
) -> Consent:
    """Record the withdrawal of a consent ``partner`` sent for its customer ``customer_id``
    ("" for a consent sent without a customer reference): from now on every request relying on
    it is refused. Withdrawing again answers the first withdrawal. With ``sandbox`` (a sandbox
    key) only the consents sent with sandbox keys are looked at, never a live one. ``ConsentNotFound`` (404)
    for a consent the partner never sent (another partner's looks exactly the same)."""
    customer_ref = customer_reference(partner_id=partner.pk, customer_id=customer_id)
    consent = (
        Consent.objects.select_for_update()
        .filter(partner=partner, sandbox=sandbox, consent_id=consent_id, customer_ref=customer_ref)
        .first()
    )
    if consent is None:
        raise ConsentNotFound(
            _("You never sent a consent with this id for this customer."), field="consent_id"
        )
    if consent.withdrawn_at is None:
        consent.withdrawn_at = max(now or timezone.now(), consent.granted_at)
        consent.save(update_fields=["withdrawn_at"])
    return consent
