"""The onboarding wizard of a new company (company, contacts, documents, review and submit)
and the application status page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.domain import DomainError
from partners import services as partner_services
from partners.models import PartnerDocument
from partners.selectors import partner_application_gaps, partner_documents

from .. import onboarding
from ..access import PartnerAccess, partner_page, resolve
from ..forms import CompanyForm, ContactsForm, DocumentForm, submit
from ..selectors import partner_status_changes

STEPS = (
    ("portal:apply", _("Company")),
    ("portal:apply-contacts", _("Contacts")),
    ("portal:apply-documents", _("Documents")),
    ("portal:apply-review", _("Review and submit")),
)


def _wizard(request, template: str, step: int, context: dict) -> HttpResponse:
    return render(request, template, {"steps": STEPS, "step": step, **context})


def _draft_or_status(access: PartnerAccess) -> HttpResponse | None:
    """Steps after the first only make sense while the application is a draft."""
    if not access.partner.is_onboarding:
        return redirect("portal:application")
    return None


@login_required
def apply_company(request: HttpRequest) -> HttpResponse:
    """Step 1: a new application, or the company details of the user's draft."""
    access = resolve(request)
    partner = access.partner if access else None
    if partner is not None and not partner.is_onboarding:
        return redirect("portal:application" if partner.status != "active" else "portal:dashboard")
    if partner is not None and not access.can_change("application"):
        return redirect("portal:application")
    initial = {}
    if partner is not None:
        initial = {f: getattr(partner, f) for f in CompanyForm.base_fields if f != "industry"}
        initial["industry"] = partner.industry_id
    form = CompanyForm(request.POST or None, initial=initial)

    def save(data):
        if partner is None:
            return onboarding.application_start(user=request.user, **data)
        return onboarding.application_update(partner=partner, user=request.user, **data)

    if submit(request, form, save):
        return redirect("portal:apply-contacts")
    return _wizard(request, "portal/onboarding/company.html", 1, {"form": form, "partner": partner})


@partner_page("application", onboarding=True, change=True)
def apply_contacts(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    if response := _draft_or_status(access):
        return response
    partner = access.partner
    form = ContactsForm(
        request.POST or None,
        initial={f: getattr(partner, f) for f in ContactsForm.base_fields}
        | {"contact_email": partner.contact_email or request.user.email},
    )
    if submit(
        request, form, lambda data: onboarding.application_update(partner=partner, user=request.user, **data)
    ):
        return redirect("portal:apply-documents")
    return _wizard(request, "portal/onboarding/contacts.html", 2, {"form": form, "partner": partner})


@partner_page("application", onboarding=True, change=True)
def apply_documents(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    if response := _draft_or_status(access):
        return response
    form = DocumentForm(request.POST or None, request.FILES or None)

    def upload(data):
        return partner_services.document_upload(
            partner=access.partner,
            actor=request.user,
            document_type=data["document_type"],
            upload=data["file"],
            expires_on=data["expires_on"],
        )

    if submit(request, form, upload):
        messages.success(request, _("The document was uploaded."))
        return redirect("portal:apply-documents")
    return _wizard(
        request,
        "portal/onboarding/documents.html",
        3,
        {
            "form": form,
            "partner": access.partner,
            "documents": partner_documents(partner=access.partner),
            "required": [PartnerDocument.DocumentType(t).label for t in PartnerDocument.REQUIRED_TYPES],
        },
    )


@partner_page("application", onboarding=True, change=True)
def apply_review(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    if response := _draft_or_status(access):
        return response
    partner = access.partner
    if request.method == "POST":
        try:
            partner_services.partner_submit(partner=partner, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your application was submitted: the bank will review it."))
            return redirect("portal:application")
    return _wizard(
        request,
        "portal/onboarding/review.html",
        4,
        {
            "partner": partner,
            "gaps": partner_application_gaps(partner=partner),
            "documents": partner_documents(partner=partner),
        },
    )


@partner_page("application", onboarding=True)
def application_status(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    """Where the application is, and what staff decided or asked for (reasons of each move,
    refused documents)."""
    return render(
        request,
        "portal/onboarding/status.html",
        {
            "access": access,
            "partner": access.partner,
            "changes": partner_status_changes(partner=access.partner),
            "documents": partner_documents(partner=access.partner),
            "gaps": partner_application_gaps(partner=access.partner) if access.partner.is_onboarding else [],
        },
    )
