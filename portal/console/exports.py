"""Downloads of console figures (CSV, XLSX) through tablib, which the import/export admin
already uses."""

from __future__ import annotations

import tablib
from django.http import HttpResponse

from .forms import Filters
from .selectors.revenue import FUNNEL_HEADERS, Funnel, funnel_table

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def funnel_response(funnel: Funnel, *, filters: Filters, file_format: str) -> HttpResponse:
    data = tablib.Dataset(*funnel_table(funnel), headers=FUNNEL_HEADERS, title="funnel")
    body = data.export(file_format)
    response = HttpResponse(body, content_type=FORMATS[file_format])
    name = f"funnel-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
