"""Payee accounts: a partner (or staff on its behalf) submits one, bank staff verify or reject
it under maker-checker, the verified one pays after the cooling-off period.

A changed account is the classic fraud path (a forged e-mail, a hijacked login): every change
is a new row that pays nothing until someone at the bank who did not enter it verified it, then
waits ``PAYEE_CHANGE_COOLING_HOURS``; the partner's owners are e-mailed at submission and at
verification, saying what changed (numbers masked). The number is stored encrypted under its
own label and never logged."""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.four_eyes import Makers, makers_add
from core.secrets import fernet
from core.transitions import change_row_write, transition, transition_check
from partners.mail import send_bilingual
from partners.models import Partner
from partners.notifications import notify

from ..exceptions import PayeeAccountInvalid, PayoutStatusMoveInvalid
from ..models import PayeeAccount, PayeeAccountChange
from ..selectors import PAYEE_ACCOUNT_LABEL, payee_account_number
from ._common import acting_for, owner_emails, require_checker, require_staff

logger = logging.getLogger(__name__)

A = PayeeAccount.Status
ACCOUNT_MOVES: dict[str, frozenset[str]] = {
    A.PENDING: frozenset({A.VERIFIED, A.REJECTED, A.REPLACED}),
    A.VERIFIED: frozenset({A.REPLACED}),
    A.REJECTED: frozenset(),
    A.REPLACED: frozenset(),
}
# Partner members who add or change the payee account (as accept agreements).
PAYEE_ROLES = frozenset({"owner", "finance"})
ENTER_PERMISSION = "payouts.add_payeeaccount"
VERIFY_PERMISSION = "payouts.verify_payeeaccount"
NUMBER_PERMISSION = "payouts.view_payee_account_number"
# Each kind of secret has its own key (core.secrets).
NUMBER_LABEL = PAYEE_ACCOUNT_LABEL

CNAPS = re.compile(r"\d{12}")
ACCOUNT_NUMBER = re.compile(r"\d{8,32}")
TEXT_LIMIT = 120


def normalised_name(name: str) -> str:
    """A company name as compared: NFKC (full-width brackets and spaces become ASCII), runs of
    whitespace one space, no space inside brackets, case folded."""
    text = unicodedata.normalize("NFKC", name or "")
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s*\(\s*", "(", text)
    text = re.sub(r"\s*\)\s*", ")", text).strip()
    return text.casefold()


def name_matches(account_name: str, legal_name: str) -> bool:
    return normalised_name(account_name) == normalised_name(legal_name)


def account_number_encrypt(number: str) -> str:
    return fernet(NUMBER_LABEL).encrypt(number.encode()).decode()


def account_number_shown(account: PayeeAccount, user) -> str:
    """The number as ``user`` may see it: in full with ``view_payee_account_number``, else masked."""
    if user is not None and user.is_active and user.is_staff and user.has_perm(NUMBER_PERMISSION):
        return payee_account_number(account)
    return account.masked_number


def payee_account_makers(account: PayeeAccount) -> Makers:
    """Who entered the account (the partner's member, or staff on its behalf): never its checker."""
    makers: dict[int, list[str]] = {}
    makers_add(makers, account.submitted_by_id, _("entered it"))
    return makers


def _text(value: str, field: str, label: str) -> str:
    text = re.sub(r"\s+", " ", value or "").strip()
    if not text:
        raise PayeeAccountInvalid(_("Enter the %(field)s.") % {"field": label}, field=field)
    if len(text) > TEXT_LIMIT:
        raise PayeeAccountInvalid(
            _("The %(field)s is at most %(limit)s characters.") % {"field": label, "limit": TEXT_LIMIT},
            field=field,
        )
    return text


def _digits(value: str) -> str:
    return re.sub(r"[\s-]+", "", unicodedata.normalize("NFKC", value or ""))


def payee_account_submit(
    *,
    partner: Partner,
    actor,
    account_name: str,
    bank_name: str,
    branch_name: str,
    cnaps_code: str,
    account_number: str,
    name_mismatch_reason: str = "",
) -> PayeeAccount:
    """A new or changed payee account, pending verification. An owner or finance member of the
    partner submits it, or staff holding ``payouts.add_payeeaccount`` enter it for the partner
    (they may then not verify it). A pending account of the partner is replaced by this one.
    The account name must be the partner's legal name, or the partner says why it is not
    (staff then accept the difference, with their own reason, when they verify)."""
    acting_for(actor, partner, permission=ENTER_PERMISSION, roles=PAYEE_ROLES)
    account_name = _text(account_name, "account_name", _("account name"))
    bank_name = _text(bank_name, "bank_name", _("bank"))
    branch_name = _text(branch_name, "branch_name", _("branch"))
    cnaps_code = _digits(cnaps_code)
    if not CNAPS.fullmatch(cnaps_code):
        raise PayeeAccountInvalid(_("The CNAPS code is 12 digits."), field="cnaps_code")
    number = _digits(account_number)
    if not ACCOUNT_NUMBER.fullmatch(number):
        raise PayeeAccountInvalid(_("The account number is 8 to 32 digits."), field="account_number")
    reason = (name_mismatch_reason or "").strip()
    if name_matches(account_name, partner.legal_name):
        reason = ""
    elif not reason:
        raise PayeeAccountInvalid(
            _(
                "The account name is not your legal name (%(legal)s): say why the account is held "
                "under another name, and the bank will decide."
            )
            % {"legal": partner.legal_name},
            field="name_mismatch_reason",
        )
    try:
        with transaction.atomic():
            Partner.objects.select_for_update().filter(pk=partner.pk).first()
            for pending in PayeeAccount.objects.select_for_update().filter(
                partner=partner, currency="CNY", status=A.PENDING
            ):
                transition(
                    pending,
                    A.REPLACED,
                    moves=ACCOUNT_MOVES,
                    actor=actor,
                    reason="replaced by a newer submission",
                    change_model=PayeeAccountChange,
                    error=PayoutStatusMoveInvalid,
                )
            account = PayeeAccount.objects.create(
                partner=partner,
                account_name=account_name,
                bank_name=bank_name,
                branch_name=branch_name,
                cnaps_code=cnaps_code,
                account_number_encrypted=account_number_encrypt(number),
                account_number_last4=number[-4:],
                name_mismatch_reason=reason,
                submitted_by=actor,
            )
            change_row_write(
                PayeeAccountChange, account, from_status="", to_status=A.PENDING, actor=actor, reason=reason
            )
            previous = _verified(partner)
            _owners_told(partner, "payee_account_submitted", account, previous, actor=actor)
            notify(
                kind="payee.submitted",
                partner=partner,
                target=account,
                params={"account": account.masked_number},
            )
    except IntegrityError as exc:  # two submissions at once: the other one won
        raise PayeeAccountInvalid(
            _("Another change of the payee account was submitted at the same time: reload and try again."),
            field="account_number",
        ) from exc
    logger.info("payee account %s submitted for partner %s", account.pk, partner.slug)
    return account


def _verified(partner: Partner) -> PayeeAccount | None:
    return PayeeAccount.objects.filter(partner=partner, currency="CNY", status=A.VERIFIED).first()


def _locked(account: PayeeAccount) -> PayeeAccount:
    return PayeeAccount.objects.select_for_update().select_related("partner").get(pk=account.pk)


def payee_account_verify(*, account: PayeeAccount, actor, name_difference_approval: str = "") -> PayeeAccount:
    """Bank staff checked the account (with the bank, against the licence): it is verified and
    pays from ``verified_at + PAYEE_CHANGE_COOLING_HOURS``; the verified account it replaces
    pays no more. Refused to whoever entered it (superusers too). An account name other than
    the legal name needs the verifier's reason for accepting it."""
    require_staff(actor, VERIFY_PERMISSION)
    approval = (name_difference_approval or "").strip()
    with transaction.atomic():
        locked = _locked(account)
        partner = locked.partner
        transition_check(locked, A.VERIFIED, moves=ACCOUNT_MOVES, error=PayoutStatusMoveInvalid)
        require_checker(actor, payee_account_makers(locked), _("a payee account"))
        differs = not name_matches(locked.account_name, partner.legal_name)
        if differs and not approval:
            raise PayeeAccountInvalid(
                _(
                    "The account name (%(name)s) is not the partner's legal name (%(legal)s): give "
                    "the reason the bank accepts the difference."
                )
                % {"name": locked.account_name, "legal": partner.legal_name},
                field="name_difference_approval",
            )
        previous = (
            PayeeAccount.objects.select_for_update()
            .filter(partner=partner, currency=locked.currency, status=A.VERIFIED)
            .first()
        )
        if previous is not None:
            transition(
                previous,
                A.REPLACED,
                moves=ACCOUNT_MOVES,
                actor=actor,
                reason=f"replaced by {locked.masked_number}",
                change_model=PayeeAccountChange,
                error=PayoutStatusMoveInvalid,
            )
        now = timezone.now()
        transition(
            locked,
            A.VERIFIED,
            moves=ACCOUNT_MOVES,
            actor=actor,
            reason=approval if differs else "",
            change_model=PayeeAccountChange,
            error=PayoutStatusMoveInvalid,
            changes={
                "verified_by": actor,
                "verified_at": now,
                "effective_at": now + timedelta(hours=settings.PAYEE_CHANGE_COOLING_HOURS),
                "name_difference_approval": approval if differs else "",
            },
        )
        _owners_told(partner, "payee_account_verified", locked, previous, actor=None)
        notify(
            kind="payee.verified",
            partner=partner,
            target=locked,
            params={
                "account": locked.masked_number,
                "effective": timezone.localtime(locked.effective_at).strftime("%Y-%m-%d %H:%M"),
            },
        )
    logger.info("payee account %s verified by user %s", locked.pk, actor.pk)
    return locked


def payee_account_reject(*, account: PayeeAccount, actor, reason: str) -> PayeeAccount:
    """Bank staff refuse the account (wrong bank details, name not accepted…), with a reason
    the partner reads. Whoever entered it does not decide it either."""
    require_staff(actor, VERIFY_PERMISSION)
    reason = (reason or "").strip()
    if not reason:
        raise PayeeAccountInvalid(_("Give a reason for this change."), field="reason")
    with transaction.atomic():
        locked = _locked(account)
        transition_check(locked, A.REJECTED, moves=ACCOUNT_MOVES, error=PayoutStatusMoveInvalid)
        require_checker(actor, payee_account_makers(locked), _("a payee account"))
        transition(
            locked,
            A.REJECTED,
            moves=ACCOUNT_MOVES,
            actor=actor,
            reason=reason,
            change_model=PayeeAccountChange,
            error=PayoutStatusMoveInvalid,
            changes={"rejection_reason": reason},
        )
        notify(
            kind="payee.rejected",
            partner=locked.partner,
            target=locked,
            params={"account": locked.masked_number, "reason": reason[:200]},
        )
    logger.info("payee account %s rejected by user %s", locked.pk, actor.pk)
    return locked


# What the owners' e-mail compares, old against new (the number masked).
COMPARED = (
    ("account_name", gettext_lazy("Account name")),
    ("bank_name", gettext_lazy("Bank")),
    ("branch_name", gettext_lazy("Branch")),
    ("cnaps_code", gettext_lazy("CNAPS code")),
    ("masked_number", gettext_lazy("Account number")),
)


def _owners_told(partner: Partner, template: str, account: PayeeAccount, previous, *, actor) -> None:
    """E-mail the partner's owners (after commit) what the account is and what it was."""
    to = owner_emails(partner)
    if not to:
        return
    changes = [
        (label, getattr(previous, name) if previous else "—", getattr(account, name))
        for name, label in COMPARED
    ]
    context = {
        "partner": partner,
        "account": account,
        "previous": previous,
        "changes": changes,
        "changed": [row for row in changes if row[1] != row[2]],
        "by": getattr(actor, "email", ""),
        "effective_at": timezone.localtime(account.effective_at) if account.effective_at else None,
        "site_url": settings.SITE_URL,
    }
    transaction.on_commit(lambda: send_bilingual(template=template, context=context, to=to))
