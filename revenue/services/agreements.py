"""Writes of agreements: a maker drafts and submits, a checker (never the maker) approves or
sends back; an approved agreement is never edited — a new one supersedes it from a date, the
old one ending the day before (no gap, no overlap)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.transitions import change_row_write, transition, transition_check

from ..exceptions import AgreementImmutable, AgreementInvalid, StatusMoveInvalid
from ..models import Agreement, AgreementStatusChange, Statement
from ..selectors import agreement_makers
from ._common import lock_scenario_agreements, require, require_not_maker

AStatus = Agreement.Status
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    AStatus.DRAFT: frozenset({AStatus.PENDING_APPROVAL}),
    AStatus.PENDING_APPROVAL: frozenset({AStatus.ACTIVE, AStatus.DRAFT}),
    AStatus.ACTIVE: frozenset({AStatus.SUPERSEDED}),
    AStatus.SUPERSEDED: frozenset(),
}
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


def _move(agreement: Agreement, to: str, actor, reason: str = "", **changes) -> Agreement:
    transition(
        agreement,
        to,
        moves=ALLOWED_MOVES,
        actor=actor,
        reason=reason,
        change_model=AgreementStatusChange,
        error=StatusMoveInvalid,
        changes=changes,
    )
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
    """The checker approves: the agreement becomes active, and the one it supersedes ends the day
    before it starts. Refused when the checker is one of its makers (drafted, edited or
    submitted it), whoever they are."""
    require(actor, "revenue.approve_agreement")
    lock_scenario_agreements(partner_id=agreement.partner_id, scenario_code=agreement.scenario_code)
    agreement = Agreement.objects.select_related("scenario", "supersedes").get(pk=agreement.pk)
    require_not_maker(actor, agreement_makers(agreements=[agreement])[agreement.pk], _("an agreement"))
    transition_check(agreement, AStatus.ACTIVE, moves=ALLOWED_MOVES, error=StatusMoveInvalid)
    _check(agreement)
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
        _move(
            old,
            AStatus.SUPERSEDED,
            actor,
            _("Superseded by agreement %(id)d.") % {"id": agreement.pk},
            effective_to=agreement.effective_from - timedelta(days=1),
        )
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
    return _move(agreement, AStatus.ACTIVE, actor, reason, approved_by=actor, approved_at=timezone.now())
