"""allauth's account adapter of the portal: its mails speak in the product's name and link to
the site's configured address.

Without ``django.contrib.sites`` allauth names the site after the request's host ("Hello from
127.0.0.1:8101!") and builds its links (confirmation, password reset, sign-up) on that host.
Every mail allauth sends passes ``send_mail``: there the site becomes the product, and a link on
the request's host is moved onto ``SITE_URL``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.utils.translation import gettext as _

from core.links import site_url


@dataclass(frozen=True)
class ProductSite:
    """What allauth's mail templates read as ``current_site``."""

    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        origin = request.build_absolute_uri("/") if request is not None else None
        context = {key: _on_site(value, origin) for key, value in context.items()}
        context["current_site"] = ProductSite(
            name=_("Finance+N Partner Portal"), domain=urlsplit(site_url()).netloc
        )
        super().send_mail(template_prefix, email, context)


def _on_site(value, origin: str | None):
    """A link on the request's host, moved onto ``SITE_URL``; anything else as it is."""
    if origin and isinstance(value, str) and value.startswith(origin):
        return site_url("/" + value[len(origin) :])
    return value
