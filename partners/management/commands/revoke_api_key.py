"""``revoke_api_key PREFIX [--reason TEXT]``: refuse a key from the next request on."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.domain import DomainError
from partners.api.selectors import api_key_by_prefix
from partners.services import api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key by its prefix (fnk_…): it is refused from the next request on."

    def add_arguments(self, parser):
        parser.add_argument("prefix", help="The key's prefix, the part before the dot.")
        parser.add_argument("--reason", default="revoked with manage.py revoke_api_key")

    def handle(self, *args, prefix, reason, **options):
        api_key = api_key_by_prefix(prefix=prefix.partition(".")[0])
        if api_key is None:
            raise CommandError(f"No key with the prefix {prefix!r}.")
        try:
            api_key_revoke(api_key=api_key, actor=None, reason=reason)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Revoked key {api_key.prefix} “{api_key.name}” of {api_key.partner.slug}.")
