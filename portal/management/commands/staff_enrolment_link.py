"""Print (and optionally mail) a two-factor enrolment link for a staff member: how the first
superuser, or anyone whose mail does not arrive, enrols. Replaces the member's last link."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal.enrolment import staff_enrolment_issue, staff_enrolment_mail, staff_mfa_reset


class Command(BaseCommand):
    help = "Print a one-time two-factor enrolment link for a staff member."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--mail", action="store_true", help="also mail it to the member's address")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="remove the member's authenticators first (a lost phone); the link is mailed too",
        )

    def handle(self, *args, email: str, mail: bool, reset: bool, **options):
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None or not user.is_staff:
            raise CommandError(f"No staff account with the address {email}.")
        if reset:
            link = staff_mfa_reset(user=user, actor=None)
        elif mail:
            link = staff_enrolment_mail(user=user)
        else:
            link = staff_enrolment_issue(user=user)
        self.stdout.write(link)
