"""Pages of the portal shell (health, home) and, in the modules beside, the partner portal."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..health import health_report, readiness_report


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: database, cache, broker (cheap; never asks the workers)."""
    return _checks_answer(*health_report())


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the liveness checks plus workers per queue, beat, settlement, migrations."""
    return _checks_answer(*readiness_report())


def _checks_answer(healthy: bool, checks: dict) -> JsonResponse:
    return JsonResponse(
        {"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503
    )


def home(request: HttpRequest) -> HttpResponse:
    """The public front page; a logged-in partner user goes to the portal."""
    if request.user.is_authenticated and not request.user.is_staff:
        return redirect("portal:dashboard")
    return render(request, "portal/home.html")
