"""The notification centre's one way in: ``notify(kind=…, partner=…, users=…, target=…, params=…)``.

Every kind is registered here with who receives it and its message in English and Chinese
(``gettext_lazy`` with ``%(name)s`` placeholders). A notification stores the kind and the
plain-string parameters; the message is rendered in the reader's language when it is read
(a parameter that is a code of a choice, such as a document type, shows its label).

``notify`` is called by services inside their transaction. It does its work after the commit
(``transaction.on_commit``): a rolled-back change tells nobody. It never raises into the
caller (a failure is logged: the business change stands) and never waits for e-mail (sent by
the worker). Recipients are the active members of ``partner`` whose role the kind goes to, or
for staff kinds the given ``users`` (else every active staff user holding the kind's
permission).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.jobs import enqueue_on_commit

from .models import Membership, Notification, NotificationPreference, Partner, PartnerDocument

logger = logging.getLogger(__name__)

R = Membership.Role
Delivery = NotificationPreference.Delivery
# The task that e-mails notifications at once (``partners.tasks``; see ``core.jobs``).
NOTIFICATION_EMAIL = "partners.tasks.notification_email_send"

FINANCE = (R.OWNER, R.FINANCE)
TECHNICAL = (R.OWNER, R.ADMIN, R.DEVELOPER)
MANAGERS = (R.OWNER, R.ADMIN)
SCENARIO_ROLES = (R.OWNER, R.ADMIN, R.DEVELOPER)


@dataclass(frozen=True)
class Group:
    code: str
    label: Promise


GROUPS = {
    g.code: g
    for g in (
        Group("statements", _("Statements and disputes")),
        Group("agreements", _("Agreements")),
        Group("scenarios", _("Scenarios")),
        Group("api", _("API keys, webhooks and quota")),
        Group("documents", _("Documents")),
    )
}


@dataclass(frozen=True)
class Kind:
    """``roles``: the partner roles it goes to (empty: a staff kind). ``params``: the names its
    message uses. ``portal_url``/``staff_url``: a URL name and how to get its argument from the
    target (``None``: no argument); when it does not resolve, ``fallback_url`` (no argument)."""

    code: str
    group: str
    message: Promise
    params: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    staff_permission: str = ""
    default_delivery: str = Delivery.PORTAL
    link_name: str = ""
    link_arg: Callable | None = None
    fallback_url: str = ""
    description: Promise | str = ""
    # Parameters stored as codes and shown as their label in the reader's language.
    choice_params: dict = field(default_factory=dict)

    @property
    def for_staff(self) -> bool:
        return not self.roles


def _pk(target) -> str:
    return str(target.pk)


def _code(target) -> str:
    return str(target.code)


def _scenario_code(target) -> str:
    # A participation's scenario: select_related by the caller, or one query here (after commit).
    return str(target.scenario.code)


def _statement_pk(target) -> str:
    # A VAT invoice's statement (its id is on the row: no query).
    return str(target.statement_id)


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.code] = kind
    return kind


for _kind in (
    # Statements and disputes: owners and finance.
    Kind(
        "statement.ready",
        "statements",
        _("Your statement %(statement)s for %(period)s is ready: %(amount)s."),
        params=("statement", "period", "amount"),
        roles=FINANCE,
        default_delivery=Delivery.IMMEDIATE,
        link_name="portal:statement",
        link_arg=_pk,
        fallback_url="portal:statements",
        description=_("Statement ready"),
    ),
    Kind(
        "statement.approved",
        "statements",
        _("Statement %(statement)s for %(period)s was approved: %(amount)s will be paid."),
        params=("statement", "period", "amount"),
        roles=FINANCE,
        link_name="portal:statement",
        link_arg=_pk,
        fallback_url="portal:statements",
        description=_("Statement approved"),
    ),
    Kind(
        "statement.paid",
        "statements",
        _("Statement %(statement)s for %(period)s was paid: %(amount)s."),
        params=("statement", "period", "amount"),
        roles=FINANCE,
        default_delivery=Delivery.IMMEDIATE,
        link_name="portal:statement",
        link_arg=_pk,
        fallback_url="portal:statements",
        description=_("Statement paid"),
    ),
    Kind(
        "dispute.received",
        "statements",
        _("The bank received your dispute of a line of statement %(statement)s."),
        params=("statement",),
        roles=FINANCE,
        fallback_url="portal:disputes",
        description=_("Dispute received"),
    ),
    Kind(
        "dispute.proposed",
        "statements",
        _("The bank proposes an adjustment of %(amount)s to your dispute of statement %(statement)s."),
        params=("statement", "amount"),
        roles=FINANCE,
        fallback_url="portal:disputes",
        description=_("Adjustment proposed"),
    ),
    Kind(
        "dispute.resolved",
        "statements",
        _(
            "Your dispute of statement %(statement)s was resolved: the bank approved an adjustment "
            "of %(amount)s, carried by your next statement."
        ),
        params=("statement", "amount"),
        roles=FINANCE,
        default_delivery=Delivery.IMMEDIATE,
        fallback_url="portal:disputes",
        description=_("Dispute resolved"),
    ),
    Kind(
        "dispute.rejected",
        "statements",
        _("The bank rejected your dispute of statement %(statement)s: %(reason)s"),
        params=("statement", "reason"),
        roles=FINANCE,
        default_delivery=Delivery.IMMEDIATE,
        fallback_url="portal:disputes",
        description=_("Dispute rejected"),
    ),
    # Agreements: owners and finance accept them.
    Kind(
        "agreement.sent",
        "agreements",
        _("Agreement %(agreement)s for %(scenario)s is waiting for your acceptance."),
        params=("agreement", "scenario"),
        roles=FINANCE,
        default_delivery=Delivery.IMMEDIATE,
        link_name="portal:agreement",
        link_arg=_pk,
        fallback_url="portal:agreements",
        description=_("Agreement sent for acceptance"),
    ),
    Kind(
        "agreement.superseded",
        "agreements",
        _("Agreement %(agreement)s for %(scenario)s was superseded by %(successor)s."),
        params=("agreement", "scenario", "successor"),
        roles=FINANCE,
        link_name="portal:agreement",
        link_arg=_pk,
        fallback_url="portal:agreements",
        description=_("Agreement superseded"),
    ),
    # Scenarios: the roles that take part in them.
    Kind(
        "participation.invited",
        "scenarios",
        _("You are invited to take part in the scenario %(scenario)s."),
        params=("scenario",),
        roles=SCENARIO_ROLES,
        default_delivery=Delivery.IMMEDIATE,
        link_name="portal:scenario",
        link_arg=_scenario_code,
        fallback_url="portal:scenarios",
        description=_("Scenario invitation"),
    ),
    Kind(
        "participation.approved",
        "scenarios",
        _("The bank approved your participation in the scenario %(scenario)s."),
        params=("scenario",),
        roles=SCENARIO_ROLES,
        link_name="portal:scenario",
        link_arg=_scenario_code,
        fallback_url="portal:scenarios",
        description=_("Participation approved"),
    ),
    Kind(
        "participation.declined",
        "scenarios",
        _("The bank declined your participation in the scenario %(scenario)s: %(reason)s"),
        params=("scenario", "reason"),
        roles=SCENARIO_ROLES,
        link_name="portal:scenario",
        link_arg=_scenario_code,
        fallback_url="portal:scenarios",
        description=_("Participation declined"),
    ),
    Kind(
        "scenario.version_published",
        "scenarios",
        _(
            "Version %(version)s of the scenario %(scenario)s is published: see what changed and move when you choose."
        ),
        params=("scenario", "version"),
        roles=SCENARIO_ROLES,
        link_name="portal:scenario",
        link_arg=_code,
        fallback_url="portal:scenarios",
        description=_("New scenario version"),
    ),
    # API keys, webhooks, quota: the technical roles.
    Kind(
        "key.expiring",
        "api",
        _("The API key %(key)s (%(prefix)s) expires on %(expires)s: rotate it before then."),
        params=("key", "prefix", "expires"),
        roles=TECHNICAL,
        default_delivery=Delivery.IMMEDIATE,
        fallback_url="portal:keys",
        description=_("API key expiring"),
    ),
    Kind(
        "webhook.failing",
        "api",
        _("Your webhook endpoint %(url)s failed %(failures)s times in a row. Check the delivery log."),
        params=("url", "failures"),
        roles=TECHNICAL,
        default_delivery=Delivery.IMMEDIATE,
        link_name="portal:webhook",
        link_arg=_pk,
        fallback_url="portal:webhooks",
        description=_("Webhook endpoint failing"),
    ),
    Kind(
        "webhook.disabled",
        "api",
        _(
            "Your webhook endpoint %(url)s was switched off after %(failures)s failures in a row. "
            "Fix the receiver, then switch it on again."
        ),
        params=("url", "failures"),
        roles=TECHNICAL,
        default_delivery=Delivery.IMMEDIATE,
        link_name="portal:webhook",
        link_arg=_pk,
        fallback_url="portal:webhooks",
        description=_("Webhook endpoint switched off"),
    ),
    Kind(
        "quota.80",
        "api",
        _("Your API use this month reached 80%% of the quota: %(used)s of %(quota)s calls."),
        params=("used", "quota", "month"),
        roles=TECHNICAL,
        default_delivery=Delivery.IMMEDIATE,
        fallback_url="portal:keys",
        description=_("API quota at 80%"),
    ),
    Kind(
        "quota.100",
        "api",
        _(
            "Your API use this month reached the quota: %(used)s of %(quota)s calls. Further calls are refused."
        ),
        params=("used", "quota", "month"),
        roles=TECHNICAL,
        default_delivery=Delivery.IMMEDIATE,
        fallback_url="portal:keys",
        description=_("API quota reached"),
    ),
    # Documents: owners and admins keep them current.
    Kind(
        "document.expiring",
        "documents",
        _("The document %(document)s expires on %(expires)s: upload a renewed one before then."),
        params=("document", "expires"),
        roles=MANAGERS,
        choice_params={"document": PartnerDocument.DocumentType},
        fallback_url="portal:application",
        description=_("Document expiring"),
    ),
    # Staff kinds.
    Kind(
        "agreement.accepted",
        "agreements",
        _("%(partner)s accepted agreement %(agreement)s."),
        params=("partner", "agreement"),
        staff_permission="revenue.submit_agreement",
        description=_("Agreement accepted (staff)"),
    ),
    Kind(
        "agreement.declined",
        "agreements",
        _("%(partner)s declined agreement %(agreement)s: %(reason)s"),
        params=("partner", "agreement", "reason"),
        staff_permission="revenue.submit_agreement",
        default_delivery=Delivery.IMMEDIATE,
        description=_("Agreement declined (staff)"),
    ),
    Kind(
        "participation.left",
        "scenarios",
        _("%(partner)s left the scenario %(scenario)s: %(reason)s"),
        params=("partner", "scenario", "reason"),
        staff_permission="scenarios.decide_participation",
        description=_("Partner left a scenario (staff)"),
    ),
    Kind(
        "dispute.opened",
        "statements",
        _("%(partner)s disputed a line of statement %(statement)s: %(reason)s"),
        params=("partner", "statement", "reason"),
        staff_permission="revenue.resolve_dispute",
        description=_("Dispute opened (staff)"),
    ),
    # reconcile (payouts): the bank's statement shows a payout paid, or the bank returned it.
    Kind(
        "payout.paid",
        "statements",
        _("Payout %(payout)s was paid on %(date)s: %(amount)s."),
        params=("payout", "amount", "date"),
        roles=FINANCE,
        default_delivery=Delivery.IMMEDIATE,
        link_name="portal:payout",
        link_arg=_pk,
        fallback_url="portal:payouts",
        description=_("Payout paid"),
    ),
    Kind(
        "payout.returned",
        "statements",
        _(
            "Payout %(payout)s of %(amount)s was returned by the bank: %(reason)s. Its statements will be paid again."
        ),
        params=("payout", "amount", "reason"),
        roles=FINANCE,
        default_delivery=Delivery.IMMEDIATE,
        link_name="portal:payout",
        link_arg=_pk,
        fallback_url="portal:payouts",
        description=_("Payout returned"),
    ),
    # Payout batches (batches): owners and finance, when a checker releases a batch.
    Kind(
        "payout.released",
        "statements",
        _(
            "The bank released a payment of %(amount)s to your payee account (%(reference)s, "
            "execution date %(date)s) for statements %(statements)s, net of %(netted)s of claw-backs."
        ),
        params=("amount", "reference", "date", "statements", "netted"),
        roles=FINANCE,
        default_delivery=Delivery.IMMEDIATE,
        fallback_url="portal:payouts",
        description=_("Payment released"),
    ),
    Kind(
        "payout.netted",
        "statements",
        _(
            "Statements %(statements)s were settled by netting: %(netted)s of claw-backs took all "
            "they owed, so nothing is paid this time."
        ),
        params=("statements", "netted"),
        roles=FINANCE,
        fallback_url="portal:payouts",
        description=_("Statements settled by netting"),
    ),
    # Payee accounts and VAT invoices (payouts; payee).
    Kind(
        "payee.verified",
        "statements",
        _("The bank verified your payee account %(account)s: payouts go to it from %(effective)s."),
        params=("account", "effective"),
        roles=FINANCE,
        default_delivery=Delivery.IMMEDIATE,
        fallback_url="portal:payee",
        description=_("Payee account verified"),
    ),
    Kind(
        "payee.rejected",
        "statements",
        _("The bank rejected your payee account %(account)s: %(reason)s"),
        params=("account", "reason"),
        roles=FINANCE,
        default_delivery=Delivery.IMMEDIATE,
        fallback_url="portal:payee",
        description=_("Payee account rejected"),
    ),
    Kind(
        "invoice.verified",
        "statements",
        _("The bank verified your VAT invoice %(invoice)s for statement %(statement)s."),
        params=("invoice", "statement"),
        roles=FINANCE,
        link_name="portal:statement",
        link_arg=_statement_pk,
        fallback_url="portal:statements",
        description=_("VAT invoice verified"),
    ),
    Kind(
        "invoice.rejected",
        "statements",
        _("The bank rejected your VAT invoice %(invoice)s for statement %(statement)s: %(reason)s"),
        params=("invoice", "statement", "reason"),
        roles=FINANCE,
        default_delivery=Delivery.IMMEDIATE,
        link_name="portal:statement",
        link_arg=_statement_pk,
        fallback_url="portal:statements",
        description=_("VAT invoice rejected"),
    ),
    Kind(
        "payee.submitted",
        "statements",
        _("%(partner)s submitted the payee account %(account)s: it waits for verification."),
        params=("partner", "account"),
        staff_permission="payouts.verify_payeeaccount",
        description=_("Payee account submitted (staff)"),
    ),
    Kind(
        "invoice.submitted",
        "statements",
        _("%(partner)s recorded the VAT invoice %(invoice)s for statement %(statement)s."),
        params=("partner", "invoice", "statement"),
        staff_permission="payouts.review_vatinvoice",
        description=_("VAT invoice recorded (staff)"),
    ),
    # The sandbox's own quota (sbxkeys): the technical roles, like the live quota's notices.
    Kind(
        "sandbox_quota.80",
        "api",
        _("Your sandbox API use this month reached 80%% of the sandbox quota: %(used)s of %(quota)s calls."),
        params=("used", "quota", "month"),
        roles=TECHNICAL,
        fallback_url="portal:keys",
        description=_("Sandbox quota at 80%"),
    ),
    Kind(
        "sandbox_quota.100",
        "api",
        _(
            "Your sandbox API use this month reached the sandbox quota: %(used)s of %(quota)s calls. "
            "Further sandbox calls are refused; live keys are not affected."
        ),
        params=("used", "quota", "month"),
        roles=TECHNICAL,
        fallback_url="portal:keys",
        description=_("Sandbox quota reached"),
    ),
    # API lifecycle (docs/api-lifecycle.md): the technical roles, by e-mail at once.
    Kind(
        "api.deprecation",
        "api",
        _(
            "Your API keys called %(what)s %(calls)s times in the last %(days)s days. It is deprecated "
            "and stops working on %(sunset)s: use %(replacement)s instead."
        ),
        params=("what", "calls", "days", "sunset", "replacement"),
        roles=TECHNICAL,
        default_delivery=Delivery.IMMEDIATE,
        fallback_url="portal:changelog",
        description=_("Deprecated API in use"),
    ),
):
    register(_kind)


class _Params(dict):
    """Parameters for ``%``: a name the caller left out renders empty, never a KeyError."""

    def __missing__(self, key: str) -> str:
        return ""


def render(kind_code: str, params: dict) -> str:
    """The message of a notification in the active language."""
    kind = KINDS.get(kind_code)
    if kind is None:
        return kind_code
    values = _Params(params or {})
    for name, choices in kind.choice_params.items():
        if values.get(name) in choices.values:
            values[name] = str(choices(values[name]).label)
    try:
        return str(kind.message) % values
    except (TypeError, ValueError):
        logger.warning("notification %s: parameters do not fit its message", kind_code)
        return str(kind.description or kind_code)


def kinds_for(*, staff: bool) -> list[Kind]:
    return [k for k in KINDS.values() if k.for_staff == staff]


@dataclass
class _Pending:
    kind: Kind
    partner_id: int | None
    user_ids: list[int] | None
    target_model: str
    target_id: str
    link: str
    params: dict[str, str] = field(default_factory=dict)
    once_key: str = ""


def _link(kind: Kind, target) -> str:
    """The page about ``target`` for this kind's readers; a staff kind links to the target's
    admin page. Worked out now, from the loaded target, so reading a list costs no query."""
    if kind.for_staff:
        if target is None:
            return ""
        meta = target._meta
        try:
            return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[target.pk])
        except NoReverseMatch:
            return ""
    if target is not None and kind.link_name and kind.link_arg is not None:
        try:
            return reverse(kind.link_name, args=[kind.link_arg(target)])
        except (NoReverseMatch, AttributeError):
            pass
    if kind.fallback_url:
        try:
            return reverse(kind.fallback_url)
        except NoReverseMatch:
            return ""
    return ""


def notify(
    *,
    kind: str,
    partner: Partner | None = None,
    users: Iterable | None = None,
    target=None,
    params: dict[str, str] | None = None,
    once: str = "",
) -> None:
    """Tell the members of ``partner`` (the roles ``kind`` goes to) or ``users`` about
    ``target``, after the current transaction commits. ``once``: a key under which each
    recipient gets this kind at most once (``quota.80`` with the month). Never raises."""
    try:
        spec = KINDS[kind]
        clean = {str(k): str(v) for k, v in (params or {}).items()}
        if partner is not None and "partner" not in clean:
            clean["partner"] = partner.display_name
        pending = _Pending(
            kind=spec,
            partner_id=partner.pk if partner is not None else None,
            user_ids=[u.pk for u in users] if users is not None else None,
            target_model=target._meta.label_lower if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            link=_link(spec, target),
            params=clean,
            once_key=str(once)[:60],
        )
    except Exception:
        logger.exception("notification %s not written", kind)
        return
    transaction.on_commit(lambda: _write(pending), robust=True)


def _recipients(pending: _Pending) -> list[int]:
    spec = pending.kind
    User = get_user_model()
    if pending.user_ids is not None:
        return list(User.objects.filter(pk__in=pending.user_ids, is_active=True).values_list("pk", flat=True))
    if spec.for_staff:
        app_label, codename = spec.staff_permission.split(".", 1)
        perm = Q(
            user_permissions__codename=codename, user_permissions__content_type__app_label=app_label
        ) | Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
        return list(
            User.objects.filter(is_active=True, is_staff=True)
            .filter(Q(is_superuser=True) | perm)
            .values_list("pk", flat=True)
            .distinct()
        )
    if pending.partner_id is None:
        return []
    return list(
        Membership.objects.filter(partner_id=pending.partner_id, role__in=spec.roles, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def deliveries(*, user_ids: list[int], kind: str) -> dict[int, str]:
    """How each of ``user_ids`` wants ``kind`` (their preference, else the kind's default)."""
    default = KINDS[kind].default_delivery
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=user_ids, kind=kind).values_list(
            "user_id", "delivery"
        )
    )
    return {pk: chosen.get(pk, default) for pk in user_ids}


def _write(pending: _Pending) -> None:
    """After commit: one row per recipient, then the immediate e-mails to the worker."""
    try:
        user_ids = _recipients(pending)
        if not user_ids:
            return
        partner_id = None if pending.kind.for_staff else pending.partner_id
        how = deliveries(user_ids=user_ids, kind=pending.kind.code)
        rows = [
            Notification(
                recipient_id=pk,
                partner_id=partner_id,
                kind=pending.kind.code,
                params=pending.params,
                target_model=pending.target_model,
                target_id=pending.target_id,
                link=pending.link,
                once_key=pending.once_key,
                mail="" if how[pk] == Delivery.PORTAL else how[pk],
            )
            for pk in user_ids
        ]
        immediate = [pk for pk in user_ids if how[pk] == Delivery.IMMEDIATE]
        if pending.once_key:
            # The database keeps each recipient to one per key; the ids are read back.
            Notification.objects.bulk_create(rows, ignore_conflicts=True)
            ids = list(
                Notification.objects.filter(
                    recipient_id__in=immediate,
                    kind=pending.kind.code,
                    once_key=pending.once_key,
                    emailed_at__isnull=True,
                ).values_list("pk", flat=True)
            )
        else:
            created = Notification.objects.bulk_create(rows)
            wanted = set(immediate)
            ids = [n.pk for n in created if n.recipient_id in wanted]
        if ids:
            enqueue_on_commit(NOTIFICATION_EMAIL, ids)
        logger.info("notification %s: %d recipients, %d by e-mail", pending.kind.code, len(rows), len(ids))
    except Exception:
        logger.exception("notification %s not written", pending.kind.code)


@dataclass(frozen=True)
class Notice:
    """A notification as its reader sees it: the message renders in the active language
    whenever it is read (a page, or each language of a bilingual e-mail)."""

    notification: Notification

    @property
    def pk(self) -> int:
        return self.notification.pk

    @property
    def kind(self) -> Kind | None:
        return KINDS.get(self.notification.kind)

    @property
    def message(self) -> str:
        return render(self.notification.kind, self.notification.params)

    @property
    def title(self) -> str:
        kind = self.kind
        return str(kind.description) if kind is not None else self.notification.kind

    @property
    def group(self) -> str:
        kind = self.kind
        return str(GROUPS[kind.group].label) if kind is not None else ""

    @property
    def link(self) -> str:
        return self.notification.link

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None

    @property
    def created_at(self):
        return self.notification.created_at
