"""``issue_api_key SLUG --name NAME --scopes read,offers,transactions [--expires-days N] [--sandbox]``:
issue a key and print it once, alone on the last line. A live key goes to an active partner
with valid documents; a ``--sandbox`` key (``fnk_sbx_…``, test data only) to a partner whose
application is submitted, under review, approved or active."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.domain import DomainError
from partners.models import Partner, PartnerAPIKey
from partners.services import api_key_issue


class Command(BaseCommand):
    help = "Issue an API key to a partner; the key is printed once, alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The partner's slug.")
        parser.add_argument("--name", required=True, help="What the key is for (at most 50 characters).")
        parser.add_argument("--scopes", required=True, help="Comma-separated: read,offers,transactions.")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Lifetime in days (default from settings)."
        )
        parser.add_argument(
            "--channel", default=PartnerAPIKey.Channel.OTHER, choices=PartnerAPIKey.Channel.values
        )
        parser.add_argument(
            "--sandbox",
            action="store_true",
            help="A sandbox key (fnk_sbx_…): test data only, from the submitted application on.",
        )

    def handle(self, *args, slug, name, scopes, expires_days, channel, sandbox, **options):
        partner = Partner.objects.filter(slug=slug).first()
        if partner is None:
            raise CommandError(f"No partner with the slug {slug!r}.")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        try:
            issued = api_key_issue(
                partner=partner,
                actor=None,
                name=name,
                scopes=scopes.split(","),
                channel=channel,
                expires_at=expires_at,
                reason="issued with manage.py issue_api_key",
                sandbox=sandbox,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        api_key = issued.api_key
        self.stdout.write(
            f"Issued {'sandbox ' if sandbox else ''}key {api_key.prefix} “{api_key.name}” to {partner.slug}: scopes "
            f"{','.join(api_key.scopes)}, expires {api_key.expiry_date.isoformat()}. "
            "Store it now: it is not shown again."
        )
        self.stdout.write(issued.key)
