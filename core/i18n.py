"""Content in both languages: the ``<field>_zh`` pattern and its one reader.

A model holds content staff write twice, once per language: ``name`` and ``name_zh``,
``description`` and ``description_zh``... ``localized`` reads it in the active language and falls
back to the English when the Chinese is blank. Pages use the template filter
``{{ scenario|localized:"description" }}`` (``{% load content %}``); Python code calls
``localized(obj, "name")``. Rows from ``.values()`` work too: ``localized(row, "industry__name")``
reads ``industry__name_zh``.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import get_language

ZH_SUFFIX = "_zh"


def chinese_active() -> bool:
    """Whether the active language is Chinese (zh-hans, or any zh variant)."""
    return (get_language() or "").lower().startswith("zh")


def localized(obj: object, field: str) -> str:
    """``obj.<field>_zh`` when the UI is in Chinese and it is not blank, else ``obj.<field>``."""
    if obj is None:
        return ""
    if isinstance(obj, Mapping):
        english, chinese = obj.get(field), obj.get(field + ZH_SUFFIX)
    else:
        english, chinese = getattr(obj, field, ""), getattr(obj, field + ZH_SUFFIX, "")
    if chinese and str(chinese).strip() and chinese_active():
        return chinese
    return english or ""


class LocalNameMixin:
    """``local_name``: the name in the active language, for models with ``name`` and ``name_zh``.
    Their ``__str__`` uses it too, so admin lists, choices and the inbox follow the user."""

    @property
    def local_name(self) -> str:
        return localized(self, "name")
