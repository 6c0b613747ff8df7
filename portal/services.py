"""Writes of the portal shell: staff roles and demo staff users."""

from __future__ import annotations

import logging

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from . import roles

logger = logging.getLogger(__name__)


def _permissions_for(group: str) -> list[Permission]:
    view_apps = roles.AUDITOR_VIEW_APPS if group == roles.AUDITORS else roles.STAFF_VIEW_APPS
    perms = list(
        Permission.objects.filter(
            content_type__app_label__in=view_apps, codename__startswith="view_"
        ).exclude(codename__in=roles.NOT_WITH_VIEWING)
    )
    for dotted in roles.GROUP_PERMISSIONS[group]:
        app_label, codename = dotted.split(".", 1)
        try:
            perms.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        except Permission.DoesNotExist as exc:
            raise LookupError(f"permission {dotted} named in portal.roles does not exist") from exc
    return perms


@transaction.atomic
def staff_roles_sync() -> dict[str, Group]:
    """Create the staff groups and set exactly the permissions ``portal.roles`` gives them."""
    groups = {}
    for name in roles.GROUP_PERMISSIONS:
        group, _created = Group.objects.get_or_create(name=name)
        wanted = {p.pk for p in _permissions_for(name)}
        if set(group.permissions.values_list("pk", flat=True)) != wanted:
            group.permissions.set(wanted)
        groups[name] = group
    return groups


def staff_user_ensure(
    *, email: str, password: str, full_name: str = "", groups: list[str] = (), superuser: bool = False
):
    """Create a staff user once; later calls leave an existing user as it is."""
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=password, full_name=full_name, is_staff=True, is_superuser=superuser
        )
        if groups:
            user.groups.set(Group.objects.filter(name__in=groups))
        _verified_email(user)
    return user


def _verified_email(user) -> None:
    """Mark the user's address verified for allauth so that demo logins work at once."""
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
