"""Form widgets shared by the portal, the console and the admin."""

from __future__ import annotations

from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker. Its value is always ISO (``2026-11-30``), whatever the page's
    language: in Chinese Django would render ``2026/11/30``, which the picker drops, and a
    required date then stops the form at the browser."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
