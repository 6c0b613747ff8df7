"""Load idempotent demo data (README, Demo logins)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import import_string

from core.progress import CommandProgress, command_progress
from portal.demo import DEMO_STAFF
from portal.enrolment import staff_enrolment_issue, staff_has_authenticator

# Each capability's ``demo.seed(*, password, stdout)``, in dependency order; each idempotent.
STEPS = [
    "portal.demo.seed",
    "partners.demo.seed",
    "products.demo.seed",
    "scenarios.demo.seed",
    "revenue.demo.seed",
    "payouts.demo.seed",
    "console.demo.seed",
]

DEMO_LOGINS = [
    ("admin@demo.local", "superuser"),
    ("maker@demo.local", "finance maker, partner and product manager"),
    ("checker@demo.local", "finance checker, partner manager"),
    ("auditor@demo.local", "auditor (read only)"),
    ("owner@skyway-travel.demo", "partner owner, Skyway Travel"),
    ("owner@greenleaf-community.demo", "partner owner, Greenleaf Community"),
]


class _Out:
    def __init__(self, progress: CommandProgress):
        self._progress = progress

    def write(self, message: str) -> None:
        self._progress.write(f"  {message}")


class Command(BaseCommand):
    help = "Load demo data: staff, industries, catalog, scenarios, partners, agreements and history."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=settings.DEMO_PASSWORD, help="password of every demo login")
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args, password: str, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo refuses to run with DEBUG off; pass --force if you mean it.")
        with transaction.atomic(), command_progress(self.stdout, len(STEPS), "demo data") as progress:
            out = _Out(progress)
            for dotted in STEPS:
                progress.write(f"{dotted}:")
                import_string(dotted)(password=password, stdout=out)
                progress.advance(note=dotted)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in at http://127.0.0.1:8000/ with:"))
        for email, role in DEMO_LOGINS:
            self.stdout.write(f"  {email:34} {role}")
        self.stdout.write(f"Password: {password}")
        self._enrolment_links()

    def _enrolment_links(self) -> None:
        """Staff reach the staff console only with an authenticator app, set up through a
        one-time link: print a fresh one for each demo staff member who has none yet."""
        emails = [email for email, *_rest in DEMO_STAFF]
        staff = get_user_model().objects.filter(email__in=emails, is_staff=True).order_by("email")
        links = [
            (user.email, staff_enrolment_issue(user=user))
            for user in staff
            if not staff_has_authenticator(user=user)
        ]
        if not links:
            return
        hours = settings.STAFF_ENROLMENT_LINK_HOURS
        self.stdout.write(
            f"Staff set up their authenticator app once, through their one-time link (valid {hours} hours; "
            "log in, open it, scan the code; run seed_demo again for new links):"
        )
        for email, link in links:
            self.stdout.write(f"  {email:34} {link}")
