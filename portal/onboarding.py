"""Self-service applications: a new company's draft partner record, made and completed by the
applicant in the portal's onboarding wizard.

The partners services create partners for staff (``partner_create`` needs the staff
permission); an applicant has no permission yet, so the draft and its owner membership are made
here, with the same validation (``full_clean``, the credit-code validator). Submitting, document
uploads and every later move go through the partners services.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from partners.exceptions import PartnerConflict, PartnerError, PartnerNotAllowed
from partners.models import Membership, Partner
from partners.validators import normalise_credit_code

logger = logging.getLogger(__name__)

# What the applicant may fill in; tier, risk rating and relationship manager are staff's.
APPLICANT_FIELDS = (
    "legal_name",
    "display_name",
    "credit_code",
    "industry",
    "website",
    "contact_name",
    "contact_email",
    "contact_phone",
)


def _unique_slug(display_name: str) -> str:
    base = slugify(display_name)[:50] or "partner"
    slug = base
    while Partner.objects.filter(slug=slug).exists():
        slug = f"{base}-{get_random_string(5, 'abcdefghijkmnpqrstuvwxyz23456789')}"
    return slug


def _validated(partner: Partner) -> None:
    try:
        partner.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise PartnerError(messages[0], field=field if field != "__all__" else None) from exc


def application_start(*, user, **fields) -> Partner:
    """A draft partner for ``user``'s company with ``user`` as its owner."""
    unknown = set(fields) - set(APPLICANT_FIELDS)
    if unknown:
        raise TypeError(f"application_start() got unexpected fields: {', '.join(sorted(unknown))}")
    partner = Partner(**fields)
    partner.credit_code = normalise_credit_code(partner.credit_code or "")
    partner.slug = _unique_slug(partner.display_name)
    partner.status = Partner.Status.DRAFT
    partner.contact_email = partner.contact_email or user.email
    _validated(partner)
    partner._history_user = user
    try:
        with transaction.atomic():
            partner.save()
            membership = Membership(partner=partner, user=user, role=Membership.Role.OWNER)
            membership._history_user = user
            membership.save()
    except IntegrityError as exc:
        raise PartnerConflict(
            _("A partner with this credit code already exists: ask its owner to invite you."),
            field="credit_code",
        ) from exc
    logger.info("application %s started by user %s", partner.slug, user.pk)
    return partner


def application_update(*, partner: Partner, user, **fields) -> Partner:
    """Change the applicant's fields of a draft, by its owner or admin."""
    unknown = set(fields) - set(APPLICANT_FIELDS)
    if unknown:
        raise TypeError(f"application_update() got unexpected fields: {', '.join(sorted(unknown))}")
    role = Membership.objects.filter(partner=partner, user=user).values_list("role", flat=True).first()
    if role not in Membership.TEAM_MANAGER_ROLES:
        raise PartnerNotAllowed(_("Only the owner or an admin can change the application."))
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        if locked.status != Partner.Status.DRAFT:
            raise PartnerNotAllowed(_("The application was submitted: it can no longer be changed."))
        for name, value in fields.items():
            setattr(locked, name, value)
        if "credit_code" in fields:
            locked.credit_code = normalise_credit_code(locked.credit_code or "")
        _validated(locked)
        locked._history_user = user
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError as exc:
            raise PartnerConflict(
                _("A partner with this credit code already exists: ask its owner to invite you."),
                field="credit_code",
            ) from exc
    for name in fields:
        setattr(partner, name, getattr(locked, name))
    return partner
