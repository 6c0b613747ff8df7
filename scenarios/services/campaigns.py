"""Writes of reward campaigns (权益奖励): their terms under four eyes, and budget changes.

A campaign's terms (dates, currency, budget, count cap, who funds it) are money: one person
prepares them in a draft and submits it, another approves it (``core.four_eyes``: whoever
created, edited or submitted the draft never approves it, superuser or not). Only an approved
campaign grants rewards (``revenue.services.rewards``). Its budget or count cap changes later
only through a ``CampaignBudgetChange`` that a second person approves; the approval applies it
under the campaign's row lock, never below what is already spent or granted.

Every change that can start or stop a reward in offers (approval, closing, a budget change)
tells the offer engine's terms after commit (``scenarios.selectors.terms_forget``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.four_eyes import Makers, maker_parts, makers_add, may_check
from core.transitions import transition
from scenarios.exceptions import CampaignInvalid, CampaignStatusInvalid, ScenarioNotAllowed
from scenarios.models import Campaign, CampaignBudgetChange
from scenarios.selectors import terms_forget

from ._common import require

Status = Campaign.Status
CAMPAIGN_MOVES: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.PENDING}),
    Status.PENDING: frozenset({Status.APPROVED, Status.DRAFT}),
    Status.APPROVED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
# What staff set on a draft, in form order.
CAMPAIGN_FIELDS = (
    "name",
    "name_zh",
    "starts_at",
    "ends_at",
    "currency",
    "budget",
    "count_cap",
    "funded_by",
    "partner_share",
)
# The fields that stay free after approval: names are not money.
NAME_FIELDS = ("name", "name_zh")
FEN = Decimal("0.01")


def _fen_exact(value: object, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise CampaignInvalid(_("Give an amount such as 10000.00."), field=field) from None
    if not amount.is_finite() or amount != amount.quantize(FEN):
        raise CampaignInvalid(_("An amount has at most two decimals (fen)."), field=field)
    return amount


def campaign_terms_errors(values: Mapping[str, object]) -> dict[str, str]:
    """Every reason the terms ``values`` (``CAMPAIGN_FIELDS``) are not acceptable, by field."""
    errors: dict[str, str] = {}
    starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
    if isinstance(starts_at, datetime) and isinstance(ends_at, datetime) and ends_at <= starts_at:
        errors["ends_at"] = _("A campaign ends after it starts.")
    try:
        budget = _fen_exact(values.get("budget"), "budget")
    except CampaignInvalid as exc:
        errors["budget"] = exc.message
    else:
        if budget <= 0:
            errors["budget"] = _("A budget is more than zero.")
    cap = values.get("count_cap")
    if cap is not None and cap < 1:
        errors["count_cap"] = _("At least one reward, or leave it empty for no count limit.")
    funded_by = values.get("funded_by") or Campaign.Funder.BANK
    share = values.get("partner_share")
    share = Decimal(0) if share in (None, "") else Decimal(str(share))
    if funded_by == Campaign.Funder.BANK and share != 0:
        errors["partner_share"] = _("The bank funds it all: the partner's share is 0.")
    elif funded_by == Campaign.Funder.PARTNER and share != 1:
        errors["partner_share"] = _("The partner funds it all: its share is 100 %.")
    elif funded_by == Campaign.Funder.SPLIT and not (0 < share < 1):
        errors["partner_share"] = _("A split gives the partner a share between 0 and 100 %.")
    return errors


def _check_terms(values: Mapping[str, object]) -> None:
    errors = campaign_terms_errors(values)
    if errors:
        field, message = next(iter(errors.items()))
        exc = CampaignInvalid(message, field=field)
        exc.errors = errors
        raise exc


def _share_for(funded_by: str, share: object) -> Decimal:
    if funded_by == Campaign.Funder.BANK:
        return Decimal(0)
    if funded_by == Campaign.Funder.PARTNER:
        return Decimal(1)
    return Decimal(str(share))


@transaction.atomic
def campaign_create(*, actor, code: str, **terms) -> Campaign:
    """A draft campaign; ``terms`` are ``CAMPAIGN_FIELDS`` (``partner_share`` a fraction, set
    from ``funded_by`` when the bank or the partner funds it all)."""
    require(actor, "scenarios.add_campaign")
    unknown = set(terms) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise TypeError(f"unexpected campaign fields: {', '.join(sorted(unknown))}")
    terms.setdefault("funded_by", Campaign.Funder.BANK)
    if terms["funded_by"] != Campaign.Funder.SPLIT:
        terms["partner_share"] = _share_for(terms["funded_by"], terms.get("partner_share"))
    _check_terms(terms)
    if Campaign.objects.filter(code=code).exists():
        raise CampaignInvalid(_("Another campaign has this code."), field="code")
    campaign = Campaign(code=code, created_by=actor, **terms)
    campaign._history_user = actor
    campaign.save()
    return campaign


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


@transaction.atomic
def campaign_update(*, campaign: Campaign, actor, **changes) -> Campaign:
    """Change a campaign: every term while it is a draft, only its names after that."""
    require(actor, "scenarios.change_campaign")
    locked = _locked(campaign)
    unknown = set(changes) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise TypeError(f"unexpected campaign fields: {', '.join(sorted(unknown))}")
    if locked.status != Status.DRAFT:
        moved = [f for f in changes if f not in NAME_FIELDS and changes[f] != getattr(locked, f)]
        if moved:
            raise CampaignInvalid(
                _(
                    "Only a draft campaign's terms change: propose a budget change, or close it and "
                    "start another."
                ),
                field=moved[0],
            )
    for field, value in changes.items():
        setattr(locked, field, value)
    if locked.funded_by != Campaign.Funder.SPLIT:
        locked.partner_share = _share_for(locked.funded_by, locked.partner_share)
    _check_terms({f: getattr(locked, f) for f in CAMPAIGN_FIELDS})
    locked._history_user = actor
    locked.save()
    return locked


def campaign_makers(campaign: Campaign) -> Makers:
    """Who made the campaign's terms: who created it, edited its draft and submitted it (one
    query over its history)."""
    makers: dict[int, list[str]] = {}
    makers_add(makers, campaign.created_by_id, _("created it"))
    # Edits of the draft: history rows of a draft without a move note (a send-back back to
    # draft carries one, and its checker made nothing).
    edits = campaign.history.filter(status=Status.DRAFT, history_type="~", history_change_reason__isnull=True)
    for user_id in edits.values_list("history_user_id", flat=True):
        makers_add(makers, user_id, _("edited its terms"))
    makers_add(makers, campaign.submitted_by_id, _("submitted it"))
    return makers


def _require_checker(actor, makers: Makers, what: str) -> None:
    if not may_check(actor, makers):
        parts = maker_parts(actor, makers)
        raise ScenarioNotAllowed(
            _("Maker-checker: %(what)s must be approved by someone other than its maker (you %(parts)s).")
            % {"what": what, "parts": ", ".join(parts)},
            code="maker_checker",
        )


def _move(campaign: Campaign, to: str, *, actor, reason: str = "", **changes) -> Campaign:
    transition(
        campaign,
        to,
        moves=CAMPAIGN_MOVES,
        actor=actor,
        reason=reason,
        change_model=None,
        error=CampaignStatusInvalid,
        changes=changes,
    )
    return campaign


@transaction.atomic
def campaign_submit(*, campaign: Campaign, actor) -> Campaign:
    """Send a draft for approval: its terms are frozen from now on."""
    require(actor, "scenarios.change_campaign")
    locked = _locked(campaign)
    return _move(locked, Status.PENDING, actor=actor, submitted_by=actor, submitted_at=timezone.now())


@transaction.atomic
def campaign_approve(*, campaign: Campaign, actor) -> Campaign:
    """Approve a submitted campaign (four eyes): from now on its sales are granted rewards."""
    require(actor, "scenarios.approve_campaign")
    locked = _locked(campaign)
    if locked.status == Status.PENDING:
        _require_checker(actor, campaign_makers(locked), _("a campaign"))
    _move(locked, Status.APPROVED, actor=actor, approved_by=actor, approved_at=timezone.now())
    transaction.on_commit(terms_forget)
    return locked


@transaction.atomic
def campaign_send_back(*, campaign: Campaign, actor, reason: str) -> Campaign:
    """Return a submitted campaign to its draft, saying why."""
    require(actor, "scenarios.approve_campaign")
    if not reason.strip():
        raise CampaignInvalid(_("Say why it goes back."), field="reason")
    locked = _locked(campaign)
    return _move(locked, Status.DRAFT, actor=actor, reason=reason, submitted_by=None, submitted_at=None)


@transaction.atomic
def campaign_close(*, campaign: Campaign, actor, reason: str) -> Campaign:
    """Stop an approved campaign before its end: no more grants, offers stop carrying its
    reward. Closing spends nothing, so it needs no second person."""
    require(actor, "scenarios.change_campaign")
    if not reason.strip():
        raise CampaignInvalid(_("Say why it closes."), field="reason")
    locked = _locked(campaign)
    _move(locked, Status.CLOSED, actor=actor, reason=reason)
    transaction.on_commit(terms_forget)
    return locked


def _within_use(campaign: Campaign, budget: Decimal, count_cap: int | None) -> None:
    if budget < campaign.spent:
        raise CampaignInvalid(
            _("%(spent)s is already spent: the budget cannot go below it.")
            % {"spent": f"{campaign.spent:,.2f}"},
            field="budget",
        )
    if count_cap is not None and count_cap < campaign.granted:
        raise CampaignInvalid(
            _("%(granted)d rewards are already granted: the cap cannot go below it.")
            % {"granted": campaign.granted},
            field="count_cap",
        )


@transaction.atomic
def campaign_budget_propose(
    *, campaign: Campaign, actor, budget: object, count_cap: int | None, reason: str
) -> CampaignBudgetChange:
    """Prepare a change of an approved campaign's budget and count cap; another person approves
    it (``campaign_budget_approve``). One pending change per campaign."""
    require(actor, "scenarios.change_campaign")
    locked = _locked(campaign)
    if locked.status != Status.APPROVED:
        raise CampaignInvalid(
            _("Only an approved campaign's budget changes this way; a draft's is edited."), field="budget"
        )
    amount = _fen_exact(budget, "budget")
    if amount <= 0:
        raise CampaignInvalid(_("A budget is more than zero."), field="budget")
    if count_cap is not None and count_cap < 1:
        raise CampaignInvalid(
            _("At least one reward, or leave it empty for no count limit."), field="count_cap"
        )
    if not reason.strip():
        raise CampaignInvalid(_("Say why the budget changes."), field="reason")
    _within_use(locked, amount, count_cap)
    if (amount, count_cap) == (locked.budget, locked.count_cap):
        raise CampaignInvalid(_("This is the budget it has already."), field="budget")
    if CampaignBudgetChange.objects.filter(
        campaign=locked, status=CampaignBudgetChange.Status.PENDING
    ).exists():
        raise CampaignInvalid(_("A budget change of this campaign already awaits approval."), field="budget")
    change = CampaignBudgetChange(
        campaign=locked,
        budget=amount,
        count_cap=count_cap,
        reason=reason,
        budget_before=locked.budget,
        count_cap_before=locked.count_cap,
        prepared_by=actor,
    )
    change._history_user = actor
    change.save()
    return change


def _pending_change(change: CampaignBudgetChange) -> CampaignBudgetChange:
    locked = CampaignBudgetChange.objects.select_for_update().get(pk=change.pk)
    if locked.status != CampaignBudgetChange.Status.PENDING:
        raise CampaignStatusInvalid(_("This budget change has been decided already."), field="status")
    return locked


@transaction.atomic
def campaign_budget_approve(*, change: CampaignBudgetChange, actor) -> Campaign:
    """Apply a proposed budget change (four eyes: its preparer never approves it), under the
    campaign's row lock, which grants take too: never below what is spent or granted by now."""
    require(actor, "scenarios.approve_campaign")
    makers: dict[int, list[str]] = {}
    makers_add(makers, change.prepared_by_id, _("prepared it"))
    _require_checker(actor, makers, _("a budget change"))
    # The campaign first, as grants lock it, then the change: one order for every locker.
    campaign = _locked(change.campaign)
    change = _pending_change(change)
    _within_use(campaign, change.budget, change.count_cap)
    campaign.budget, campaign.count_cap = change.budget, change.count_cap
    campaign._history_user = actor
    campaign._change_reason = "budget changed"
    campaign.save(update_fields=["budget", "count_cap"])
    change.status = CampaignBudgetChange.Status.APPROVED
    change.decided_by, change.decided_at = actor, timezone.now()
    change._history_user = actor
    change.save(update_fields=["status", "decided_by", "decided_at"])
    transaction.on_commit(terms_forget)
    return campaign


@transaction.atomic
def campaign_budget_reject(*, change: CampaignBudgetChange, actor, reason: str) -> CampaignBudgetChange:
    """Refuse a proposed budget change (the preparer may withdraw their own)."""
    require(actor, "scenarios.approve_campaign")
    if not reason.strip():
        raise CampaignInvalid(_("Say why it is refused."), field="reason")
    change = _pending_change(change)
    change.status = CampaignBudgetChange.Status.REJECTED
    change.decided_by = None if actor.pk == change.prepared_by_id else actor
    change.decided_at = timezone.now()
    change._history_user = actor
    change._change_reason = reason[:100]
    change.save(update_fields=["status", "decided_by", "decided_at"])
    return change


def bundle_item_campaign_errors(*, product, reward_kind: str, campaign: Campaign | None) -> dict[str, str]:
    """Why ``campaign`` cannot pay the reward of a bundle item of ``product``: only a reward
    does, of a campaign in the product's currency, not a closed one."""
    if campaign is None:
        return {}
    if not reward_kind:
        return {"campaign": _("Only a reward is paid from a campaign: choose a reward kind.")}
    if campaign.currency != product.currency:
        return {
            "campaign": _("This campaign's budget is in %(campaign)s; the product is sold in %(product)s.")
            % {"campaign": campaign.currency, "product": product.currency}
        }
    if campaign.status == Status.CLOSED:
        return {"campaign": _("This campaign is closed.")}
    return {}
