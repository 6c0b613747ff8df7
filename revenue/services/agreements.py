"""Writes of agreements: a maker drafts and submits, a checker (never the maker) approves or
sends back. Approval sends the agreement to the partner, whose owner or finance member accepts
it or declines it with a reason; staff may instead record an acceptance signed offline, with
the signed copy (never the checker who sent it). Only an accepted agreement comes into force.
An agreement sent is never edited — staff take it back to a draft (withdrawn, or after a
decline) and send it again; one in force is superseded by a new one from a date, the old one
ending the day before (no gap, no overlap) once the new one is accepted.

``draft → pending_approval → sent → active → superseded``; ``pending_approval → draft`` (sent
back), ``sent → declined`` (the partner), ``sent | declined → draft`` (revised by staff)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.transitions import change_row_write, transition, transition_check
from core.uploads import PAPER_CONTENT_TYPES, keep_file_on_commit, sniff_content_type
from partners.models import Membership
from partners.notifications import notify

from ..exceptions import AgreementImmutable, AgreementInvalid, RevenueNotAllowed, StatusMoveInvalid
from ..models import Agreement, AgreementStatusChange, Statement
from ..selectors import agreement_acceptance_makers, agreement_makers
from ..terms import terms_sha256
from ._common import lock_scenario_agreements, require, require_not_maker
from .ledger import catalog_forget

AStatus = Agreement.Status
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    AStatus.DRAFT: frozenset({AStatus.PENDING_APPROVAL}),
    AStatus.PENDING_APPROVAL: frozenset({AStatus.SENT, AStatus.DRAFT}),
    AStatus.SENT: frozenset({AStatus.ACTIVE, AStatus.DECLINED, AStatus.DRAFT}),
    AStatus.DECLINED: frozenset({AStatus.DRAFT}),
    AStatus.ACTIVE: frozenset({AStatus.SUPERSEDED}),
    AStatus.SUPERSEDED: frozenset(),
}
# What ``agreement_revise`` takes back to a draft (``agreement_return`` sends back a pending one).
REVISABLE = {status: ALLOWED_MOVES[status] & {AStatus.DRAFT} for status in (AStatus.SENT, AStatus.DECLINED)}
# The partner's members who accept or decline an agreement for it.
ACCEPTING_ROLES = frozenset({Membership.Role.OWNER, Membership.Role.FINANCE})
EDITABLE_FIELDS = ("model", "terms", "cycle", "effective_from", "effective_to", "currency")
MAX_RATE = Decimal("1")


def _decimal(value: object, field: str, *, places: int, minimum: Decimal, maximum: Decimal | None) -> str:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise AgreementInvalid(_("%(field)s must be a number.") % {"field": field}, field=field) from None
    if not number.is_finite() or number < minimum or (maximum is not None and number > maximum):
        bound = f"{minimum}–{maximum}" if maximum is not None else f"≥ {minimum}"
        raise AgreementInvalid(
            _("%(field)s must be within %(bound)s.") % {"field": field, "bound": bound}, field=field
        )
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise AgreementInvalid(
            _("%(field)s has more than %(places)d decimal places.") % {"field": field, "places": places},
            field=field,
        )
    return str(number.quantize(Decimal(1).scaleb(-places)))


def terms_clean(model: str, terms: object) -> dict:
    """The terms of ``model`` validated and normalised (rates 6 places, money 2, as strings).
    Raises ``AgreementInvalid`` naming the bad term (``terms.rate``, ``terms.tiers.1.up_to``…)."""
    if model not in Agreement.Model.values:
        raise AgreementInvalid(_("Unknown agreement model."), field="model")
    if not isinstance(terms, Mapping):
        raise AgreementInvalid(_("Terms must be an object."), field="terms")
    expected = {"percentage": {"rate"}, "tiered": {"tiers"}, "fixed_per_transaction": {"amount"}}[model]
    unknown = sorted(set(terms) - expected)
    if unknown:
        raise AgreementInvalid(
            _("Unknown term for this model: %(terms)s.") % {"terms": ", ".join(unknown)},
            field=f"terms.{unknown[0]}",
        )
    missing = sorted(expected - set(terms))
    if missing:
        raise AgreementInvalid(_("This term is required."), field=f"terms.{missing[0]}")
    if model == "percentage":
        return {"rate": _decimal(terms["rate"], "terms.rate", places=6, minimum=Decimal(0), maximum=MAX_RATE)}
    if model == "fixed_per_transaction":
        return {
            "amount": _decimal(
                terms["amount"], "terms.amount", places=2, minimum=Decimal("0.01"), maximum=None
            )
        }
    tiers = terms["tiers"]
    if not isinstance(tiers, list) or not tiers:
        raise AgreementInvalid(_("Give at least one band."), field="terms.tiers")
    clean = []
    previous = Decimal(0)
    for index, tier in enumerate(tiers):
        prefix = f"terms.tiers.{index}"
        if not isinstance(tier, Mapping) or set(tier) != {"up_to", "rate"}:
            raise AgreementInvalid(_("Each band is {“up_to”, “rate”}."), field=prefix)
        rate = _decimal(tier["rate"], f"{prefix}.rate", places=6, minimum=Decimal(0), maximum=MAX_RATE)
        last = index == len(tiers) - 1
        if tier["up_to"] is None:
            if not last:
                raise AgreementInvalid(_("Only the last band is open-ended."), field=f"{prefix}.up_to")
            clean.append({"up_to": None, "rate": rate})
            continue
        if last:
            raise AgreementInvalid(
                _("The last band must be open-ended (up_to null)."), field=f"{prefix}.up_to"
            )
        up_to = _decimal(tier["up_to"], f"{prefix}.up_to", places=2, minimum=Decimal("0.01"), maximum=None)
        if Decimal(up_to) <= previous:
            raise AgreementInvalid(
                _("Bands must rise: each up_to above the one before."), field=f"{prefix}.up_to"
            )
        previous = Decimal(up_to)
        clean.append({"up_to": up_to, "rate": rate})
    return {"tiers": clean}


def _check(agreement: Agreement) -> None:
    agreement.terms = terms_clean(agreement.model, agreement.terms)
    if agreement.cycle not in Agreement.Cycle.values:
        raise AgreementInvalid(_("Choose daily, weekly or monthly."), field="cycle")
    if agreement.basis not in Agreement.Basis.values:
        raise AgreementInvalid(_("Unknown basis."), field="basis")
    if agreement.effective_to and agreement.effective_to < agreement.effective_from:
        raise AgreementInvalid(_("The end is before the start."), field="effective_to")
    if agreement.scenario.status == "draft":
        raise AgreementInvalid(_("Agree on a published scenario, not a draft."), field="scenario")
    old = agreement.supersedes
    if old is not None:
        if old.partner_id != agreement.partner_id or old.scenario_code != agreement.scenario_code:
            raise AgreementInvalid(
                _("A new agreement supersedes one of the same partner and scenario."), field="supersedes"
            )
        if agreement.effective_from <= old.effective_from:
            raise AgreementInvalid(
                _("It must start after the agreement it supersedes started (%(date)s).")
                % {"date": old.effective_from},
                field="effective_from",
            )


def _move(agreement: Agreement, to: str, actor, reason: str = "", *, row=None, **changes) -> Agreement:
    transition(
        agreement,
        to,
        moves=ALLOWED_MOVES,
        actor=actor,
        reason=reason,
        change_model=AgreementStatusChange,
        error=StatusMoveInvalid,
        changes=changes,
        row=row,
    )
    catalog_forget()  # what a partner may report against follows every move, in every process
    return agreement


@transaction.atomic
def agreement_create(
    *,
    actor,
    partner,
    scenario,
    model: str,
    terms: Mapping,
    cycle: str,
    effective_from: date,
    effective_to: date | None = None,
    currency: str = "CNY",
    supersedes: Agreement | None = None,
    reason: str = "",
) -> Agreement:
    """A draft agreement made by ``by`` (the maker)."""
    require(actor, "revenue.add_agreement")
    agreement = Agreement(
        partner=partner,
        scenario=scenario,
        scenario_code=scenario.code,
        model=model,
        terms=dict(terms),
        cycle=cycle,
        effective_from=effective_from,
        effective_to=effective_to,
        currency=currency,
        supersedes=supersedes,
        created_by=actor,
    )
    _check(agreement)
    agreement.save()
    change_row_write(
        AgreementStatusChange, agreement, from_status="", to_status=AStatus.DRAFT, actor=actor, reason=reason
    )
    return agreement


@transaction.atomic
def agreement_update(*, agreement: Agreement, actor, **changes) -> Agreement:
    """Change a draft. Anything else is refused: an active agreement is superseded instead."""
    require(actor, "revenue.change_agreement")
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status != AStatus.DRAFT:
        raise AgreementImmutable(_("Only a draft agreement can be changed; supersede an active one."))
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise AgreementInvalid(_("This cannot be changed."), field=unknown[0])
    for name, value in changes.items():
        setattr(agreement, name, value)
    _check(agreement)
    agreement.save()
    if changes and actor is not None and actor.pk != agreement.created_by_id:
        agreement.editors.add(actor)  # whoever changed the terms is a maker: never its approver
    return agreement


@transaction.atomic
def agreement_submit(*, agreement: Agreement, actor, reason: str = "") -> Agreement:
    require(actor, "revenue.submit_agreement")
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    _check(agreement)
    return _move(agreement, AStatus.PENDING_APPROVAL, actor, reason)


@transaction.atomic
def agreement_return(*, agreement: Agreement, actor, reason: str) -> Agreement:
    """The checker sends a pending agreement back to its maker, saying why."""
    require(actor, "revenue.approve_agreement")
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if not reason.strip():
        raise AgreementInvalid(_("Say why it goes back."), field="reason")
    return _move(agreement, AStatus.DRAFT, actor, reason)


@transaction.atomic
def agreement_approve(*, agreement: Agreement, actor, reason: str = "") -> Agreement:
    """The checker approves, and the agreement is sent to the partner with the SHA-256 of its
    terms. It comes into force only when accepted (``agreement_accept``,
    ``agreement_acceptance_record``); an agreement it supersedes stays active until then.
    Refused when the checker is one of its makers (drafted, edited or submitted it), whoever
    they are, and when it could not come into force as it stands (``_effect_refusal``)."""
    require(actor, "revenue.approve_agreement")
    lock_scenario_agreements(partner_id=agreement.partner_id, scenario_code=agreement.scenario_code)
    agreement = Agreement.objects.select_related("partner", "scenario", "supersedes").get(pk=agreement.pk)
    require_not_maker(actor, agreement_makers(agreements=[agreement])[agreement.pk], _("an agreement"))
    transition_check(agreement, AStatus.SENT, moves=ALLOWED_MOVES, error=StatusMoveInvalid)
    _check(agreement)
    _effect_refusal(agreement)
    waiting = Agreement.objects.filter(
        partner_id=agreement.partner_id, scenario_code=agreement.scenario_code, status=AStatus.SENT
    ).exclude(pk=agreement.pk)
    if waiting.exists():
        raise AgreementInvalid(
            _("Another agreement of this scenario already waits for the partner's acceptance."),
            field="scenario",
        )
    digest = terms_sha256(agreement)
    _move(
        agreement,
        AStatus.SENT,
        actor,
        reason,
        row={"terms_sha256": digest},
        approved_by=actor,
        approved_at=timezone.now(),
        terms_sha256=digest,
    )
    notify(kind="agreement.sent", partner=agreement.partner, target=agreement, params=_params(agreement))
    return agreement


def _params(agreement: Agreement, **more: str) -> dict[str, str]:
    """What a notification about ``agreement`` says: its number and its scenario's name."""
    return {"agreement": f"#{agreement.pk}", "scenario": agreement.scenario.local_name, **more}


def _bank_side(agreement: Agreement) -> list:
    """Who drafted and who sent the agreement: the staff told of the partner's answer."""
    return [user for user in (agreement.created_by, agreement.approved_by) if user is not None]


def _effect_refusal(agreement: Agreement) -> None:
    """Raise ``AgreementInvalid`` unless ``agreement`` can come into force now: the one it
    supersedes is still active and not settled past its start, no other agreement is active
    for the scenario, none in force overlaps it. Checked when it is sent and again, under the
    scenario's lock, when it is accepted (settlement may have run in between)."""
    old = agreement.supersedes
    others = Agreement.objects.filter(
        partner_id=agreement.partner_id, scenario_code=agreement.scenario_code, status__in=Agreement.IN_FORCE
    ).exclude(pk=agreement.pk)
    if old is not None:
        if old.status != AStatus.ACTIVE:
            raise AgreementInvalid(_("The agreement it supersedes is no longer active."), field="supersedes")
        last_settled = (
            Statement.objects.filter(agreement=old)
            .order_by("-period_end")
            .values_list("period_end", flat=True)
            .first()
        )
        if last_settled and agreement.effective_from <= last_settled:
            raise AgreementInvalid(
                _("The old agreement is settled through %(date)s: start after that.")
                % {"date": last_settled},
                field="effective_from",
            )
        others = others.exclude(pk=old.pk)
    elif others.filter(status=AStatus.ACTIVE).exists():
        raise AgreementInvalid(
            _("This partner already has an active agreement for this scenario: supersede it."),
            field="supersedes",
        )
    overlapping = others.filter(effective_to__gte=agreement.effective_from)
    if agreement.effective_to is not None:
        overlapping = overlapping.filter(effective_from__lte=agreement.effective_to)
    if overlapping.exists():
        raise AgreementInvalid(
            _("It overlaps an earlier agreement of this scenario."), field="effective_from"
        )


def _locked_sent(agreement: Agreement) -> Agreement:
    """The agreement re-read under its scenario's lock (approvals, acceptances and settlement
    of one partner's scenario run one at a time)."""
    lock_scenario_agreements(partner_id=agreement.partner_id, scenario_code=agreement.scenario_code)
    return Agreement.objects.select_related(
        "partner", "scenario", "supersedes", "created_by", "approved_by"
    ).get(pk=agreement.pk)


def _take_effect(agreement: Agreement, actor, reason: str, **acceptance) -> Agreement:
    """Accept ``agreement`` (locked, sent): the terms still hash to what was sent, it can come
    into force, the one it supersedes ends the day before it starts; the acceptance row keeps
    the hash."""
    transition_check(agreement, AStatus.ACTIVE, moves=ALLOWED_MOVES, error=StatusMoveInvalid)
    digest = terms_sha256(agreement)
    if digest != agreement.terms_sha256:
        raise AgreementInvalid(
            _("The terms changed after they were sent: the bank must send the agreement again."),
            field="terms",
        )
    _effect_refusal(agreement)
    old = agreement.supersedes
    if old is not None:
        _move(
            old,
            AStatus.SUPERSEDED,
            actor,
            _("Superseded by agreement %(id)d.") % {"id": agreement.pk},
            effective_to=agreement.effective_from - timedelta(days=1),
        )
        notify(
            kind="agreement.superseded",
            partner=agreement.partner,
            target=old,
            params={
                "agreement": f"#{old.pk}",
                "scenario": agreement.scenario.local_name,
                "successor": f"#{agreement.pk}",
            },
        )
    _move(
        agreement,
        AStatus.ACTIVE,
        actor,
        reason,
        row={"terms_sha256": digest},
        accepted_by=actor,
        accepted_at=timezone.now(),
        **acceptance,
    )
    notify(
        kind="agreement.accepted",
        partner=agreement.partner,
        users=_bank_side(agreement),
        target=agreement,
        params=_params(agreement),
    )
    return agreement


def _require_accepting_member(actor, agreement: Agreement) -> None:
    """``actor`` answers for the partner: an owner or finance member of an open partner, and
    nobody who made or approved the agreement on the bank's side (four eyes across the table)."""
    partner = agreement.partner
    if (
        actor is None
        or not actor.is_active
        or not Membership.objects.filter(partner=partner, user=actor, role__in=ACCEPTING_ROLES).exists()
    ):
        raise RevenueNotAllowed(
            _("Only an owner or a finance member of the partner accepts or declines its agreements.")
        )
    if partner.is_read_only or partner.is_closed:
        raise RevenueNotAllowed(_("This partner is suspended or closed: nothing can be changed."))
    require_not_maker(actor, agreement_acceptance_makers(agreement, portal=True), _("an agreement"))


@transaction.atomic
def agreement_accept(
    *, agreement: Agreement, actor, reason: str = "", seen_sha256: str | None = None
) -> Agreement:
    """The partner accepts a sent agreement in the portal: it comes into force. ``seen_sha256``:
    the hash of the terms the member read (the portal's form), refused when it is not the
    hash of the terms sent."""
    agreement = _locked_sent(agreement)
    _require_accepting_member(actor, agreement)
    if seen_sha256 is not None and seen_sha256 != agreement.terms_sha256:
        raise AgreementInvalid(
            _("These terms are not the ones the bank sent: open the agreement again and read them."),
            field="terms_sha256",
        )
    return _take_effect(agreement, actor, reason, acceptance=Agreement.Acceptance.PORTAL)


@transaction.atomic
def agreement_decline(*, agreement: Agreement, actor, reason: str) -> Agreement:
    """The partner declines a sent agreement, saying why. The agreement it would supersede
    stays in force; staff revise it (``agreement_revise``) and send it again, or leave it."""
    agreement = _locked_sent(agreement)
    _require_accepting_member(actor, agreement)
    if not reason.strip():
        raise AgreementInvalid(_("Say why you decline it."), field="reason")
    _move(agreement, AStatus.DECLINED, actor, reason.strip(), row={"terms_sha256": agreement.terms_sha256})
    notify(
        kind="agreement.declined",
        partner=agreement.partner,
        users=_bank_side(agreement),
        target=agreement,
        params=_params(agreement, reason=reason.strip()),
    )
    return agreement


@transaction.atomic
def agreement_acceptance_record(
    *, agreement: Agreement, actor, signatory: str, signed_copy: File, reason: str = ""
) -> Agreement:
    """Staff record an acceptance the partner signed on paper, with the signed copy (PDF, JPEG
    or PNG by its content, at most ``PARTNER_DOCUMENT_MAX_BYTES``). The recorder is never the
    checker who approved and sent the agreement — not a superuser either."""
    require(actor, "revenue.record_agreement_acceptance")
    agreement = _locked_sent(agreement)
    require_not_maker(actor, agreement_acceptance_makers(agreement, portal=False), _("an agreement"))
    transition_check(agreement, AStatus.ACTIVE, moves=ALLOWED_MOVES, error=StatusMoveInvalid)
    signatory = (signatory or "").strip()
    if not signatory:
        raise AgreementInvalid(_("Name who signed for the partner."), field="signatory")
    content_type = _signed_copy_type(signed_copy)
    name = f"agreement-{agreement.pk}.{PAPER_CONTENT_TYPES[content_type]}"
    # The stored name takes the extension of the sniffed type, never the uploaded name's.
    agreement.signed_copy.save(name, signed_copy, save=False)
    keep_file_on_commit(agreement.signed_copy.storage, agreement.signed_copy.name)
    return _take_effect(
        agreement,
        actor,
        reason or _("Signed by %(name)s.") % {"name": signatory},
        acceptance=Agreement.Acceptance.OFFLINE,
        signatory=signatory[:200],
        signed_copy=agreement.signed_copy.name,
        signed_copy_type=content_type,
    )


def _signed_copy_type(upload: File | None) -> str:
    if upload is None or not (upload.size or 0):
        raise AgreementInvalid(_("Attach the signed copy."), field="signed_copy")
    limit = settings.PARTNER_DOCUMENT_MAX_BYTES
    if upload.size > limit:
        raise AgreementInvalid(
            _("The file is %(size)d bytes; the largest allowed is %(limit)d bytes.")
            % {"size": upload.size, "limit": limit},
            field="signed_copy",
        )
    content_type = sniff_content_type(upload)
    if content_type not in PAPER_CONTENT_TYPES:
        raise AgreementInvalid(
            _("Only PDF, JPEG and PNG files are accepted; the content of this file is not one of them."),
            field="signed_copy",
        )
    return content_type


@transaction.atomic
def agreement_revise(*, agreement: Agreement, actor, reason: str) -> Agreement:
    """Staff take a sent agreement back (withdrawn) or a declined one (to change it) to a
    draft, saying why. Its approval and hash are cleared: it is submitted, approved and sent
    again like any draft."""
    require(actor, "revenue.change_agreement")
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if not reason.strip():
        raise AgreementInvalid(_("Say why it goes back to a draft."), field="reason")
    transition_check(agreement, AStatus.DRAFT, moves=REVISABLE, error=StatusMoveInvalid)
    return _move(
        agreement, AStatus.DRAFT, actor, reason.strip(), approved_by=None, approved_at=None, terms_sha256=""
    )
