"""The open API's changelog (``API_CHANGELOG_PATH``, docs/api-changelog.yaml), read strictly.

Every entry has exactly ``version`` (semver, each strictly newer than the entry below it),
``date`` (never older than the entry below), ``compatible`` (a boolean) and ``changes`` (one or
more ``{en, zh}`` texts). Anything else is a ``ChangelogError`` naming the entry and the key,
so a malformed file fails its test, not a partner's page. Read once per process (the file
ships with the code).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from django.conf import settings
from django.utils.translation import get_language

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
ENTRY_KEYS = {"version", "date", "compatible", "changes"}
CHANGE_KEYS = {"en", "zh"}


class ChangelogError(ValueError):
    pass


@dataclass(frozen=True)
class Change:
    en: str
    zh: str

    @property
    def text(self) -> str:
        """The text in the active language (Chinese for every ``zh-*``)."""
        return self.zh if (get_language() or "").lower().startswith("zh") else self.en


@dataclass(frozen=True)
class Release:
    version: str
    date: date
    compatible: bool
    changes: tuple[Change, ...]

    @property
    def anchor(self) -> str:
        return "v" + self.version.replace(".", "-")


def _version(value, where: str) -> tuple[int, int, int]:
    match = SEMVER.match(value) if isinstance(value, str) else None
    if not match:
        raise ChangelogError(f"{where}: version must be a quoted MAJOR.MINOR.PATCH, not {value!r}")
    return int(match[1]), int(match[2]), int(match[3])


def changelog_parse(text: str) -> tuple[Release, ...]:
    """The releases of a changelog's YAML text, newest first."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ChangelogError(f"not YAML: {exc}") from None
    if not isinstance(data, list) or not data:
        raise ChangelogError("the changelog is a non-empty list of releases")
    releases: list[Release] = []
    for index, entry in enumerate(data):
        where = f"entry {index + 1}"
        if not isinstance(entry, dict) or set(entry) != ENTRY_KEYS:
            raise ChangelogError(f"{where}: exactly the keys {sorted(ENTRY_KEYS)}")
        version = _version(entry["version"], where)
        where = f"version {entry['version']}"
        if not isinstance(entry["date"], date):
            raise ChangelogError(f"{where}: date must be YYYY-MM-DD")
        if not isinstance(entry["compatible"], bool):
            raise ChangelogError(f"{where}: compatible must be true or false")
        changes = entry["changes"]
        if not isinstance(changes, list) or not changes:
            raise ChangelogError(f"{where}: changes must be a non-empty list")
        parsed = []
        for change in changes:
            if (
                not isinstance(change, dict)
                or set(change) != CHANGE_KEYS
                or not all(isinstance(change[k], str) and change[k].strip() for k in CHANGE_KEYS)
            ):
                raise ChangelogError(f"{where}: each change has a non-empty en and zh text, nothing else")
            parsed.append(Change(en=change["en"].strip(), zh=change["zh"].strip()))
        if releases:
            newer = releases[-1]
            if _version(newer.version, where) <= version:
                raise ChangelogError(f"{where}: versions must go down, newest first")
            if newer.date < entry["date"]:
                raise ChangelogError(f"{where}: dates must not go up, newest first")
        releases.append(
            Release(
                version=entry["version"],
                date=entry["date"],
                compatible=entry["compatible"],
                changes=tuple(parsed),
            )
        )
    return tuple(releases)


@functools.cache
def _read(path: Path) -> tuple[Release, ...]:
    return changelog_parse(Path(path).read_text(encoding="utf-8"))


def api_changelog() -> tuple[Release, ...]:
    """The repository's changelog, newest first (read once per process)."""
    return _read(Path(settings.API_CHANGELOG_PATH))
