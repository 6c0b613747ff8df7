"""The open API's changelog and its deprecations (docs/api-lifecycle.md), for every member."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from partners.changelog import api_changelog
from partners.deprecations import api_deprecations

from ..access import PartnerAccess, partner_page


@partner_page("docs", onboarding=True)
def changelog(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    return render(
        request,
        "portal/changelog.html",
        {"access": access, "releases": api_changelog(), "deprecations": api_deprecations()},
    )
