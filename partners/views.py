"""Pages of the partners app: accepting an invitation, and KYB files (the only way they are
served: there is no public media route)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.domain import DomainError

from . import services
from .exceptions import InvitationInvalid
from .forms import InvitationSignupForm
from .models import PartnerDocument
from .selectors import document_for_member, invitation_by_token, invitation_ensure_usable


def document_file_response(document: PartnerDocument) -> FileResponse:
    """A KYB file as a download: never rendered inline, never sniffed into another type, never
    kept by a shared cache. Its content type is the one sniffed from the content at upload."""
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:  # ValueError: no file attached
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
@login_required
@require_GET
def document_download(request: HttpRequest, document_id: int) -> FileResponse:
    """A KYB file for the owners and admins of its partner; a 404 for everyone else. Staff
    download from the admin (behind its two-factor rule, with the view permission)."""
    try:
        document = document_for_member(user=request.user, document_id=document_id)
    except PartnerDocument.DoesNotExist as exc:
        raise Http404 from exc
    return document_file_response(document)


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link of an invitation e-mail: join with the account you are logged in with, or
    create one (the e-mail address is proven by the link)."""
    invitation = invitation_by_token(token=token)
    try:
        invitation_ensure_usable(invitation=invitation)
    except InvitationInvalid as exc:
        return render(
            request,
            "partners/invitation_invalid.html",
            {"message": exc.message},
            status=410 if invitation else 404,
        )

    user = request.user if request.user.is_authenticated else None
    wrong_user = user is not None and user.email.lower() != invitation.email.lower()
    has_account = user is None and get_user_model().objects.filter(email__iexact=invitation.email).exists()
    form = None
    if user is None and not has_account:
        form = InvitationSignupForm(request.POST or None, email=invitation.email)

    if request.method == "POST" and not wrong_user and not has_account and (form is None or form.is_valid()):
        try:
            membership = services.invitation_accept(
                token=token,
                user=user,
                password=form.cleaned_data["password1"] if form else "",
                full_name=form.cleaned_data["full_name"] if form else "",
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if user is None:
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome to %(partner)s: you joined as %(role)s.")
                % {"partner": membership.partner, "role": membership.get_role_display().lower()},
            )
            return redirect("home")

    return render(
        request,
        "partners/invitation_accept.html",
        {"invitation": invitation, "form": form, "wrong_user": wrong_user, "has_account": has_account},
    )
