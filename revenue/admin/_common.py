"""What the revenue admin pages share: a progress bar and form pages (the read-only bases are
``core.admin``'s)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from core.domain import DomainError


def progress_bar(percent: int) -> str:
    return format_html(
        '<progress max="100" value="{}" style="width:8em" aria-label="{}%"></progress> {}%',
        percent,
        percent,
        percent,
    )


def form_page(modeladmin, request, *, form, title: str, submit_label: str, obj=None, intro: str = "", apply):
    """A one-form staff page: on a valid POST ``apply(cleaned_data)`` runs (a service); a domain
    error lands on its field; success goes back to the object (or the list)."""
    if request.method == "POST" and form.is_valid():
        try:
            message = apply(form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, message)
            opts = modeladmin.model._meta
            name = "change" if obj is not None else "changelist"
            args = [obj.pk] if obj is not None else []
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_{name}", args=args)
            )
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "obj": obj,
        "title": title,
        "intro": intro,
        "form": form,
        "submit_label": submit_label,
    }
    return TemplateResponse(request, "revenue/admin/form_page.html", context)
