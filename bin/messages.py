"""Refresh the Simplified Chinese catalog: extract, fill from the glossaries, compile.

Translations live in ``locale/zh_Hans/src/*.json`` (one glossary per app: ``{"English":
"中文"}``, a list of forms for plurals) so that several people can add strings without
editing one catalog at once. This script extracts every string with ``makemessages``, fills
each empty or fuzzy entry from the glossaries, reports what is still untranslated and compiles.
Run it with ``make messages``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
SRC = ROOT / "locale/zh_Hans/src"
IGNORE = [".venv/*", "var/*", "tests/*", "bench/*", "staticfiles/*", "bin/*", "node_modules/*"]


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def glossary() -> dict[str, object]:
    merged: dict[str, object] = {}
    for path in sorted(SRC.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def main() -> int:
    args = ["makemessages", "-l", "zh_Hans", "--no-obsolete", "--add-location=file"]
    for pattern in IGNORE:
        args += ["-i", pattern]
    manage(*args)
    words = glossary()
    po = polib.pofile(str(PO))
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        value = words.get(entry.msgid)
        if entry.msgid_plural:
            if value is not None:
                forms = value if isinstance(value, list) else [value]
                entry.msgstr_plural = {0: forms[-1]}
            if not entry.msgstr_plural or not entry.msgstr_plural.get(0):
                missing.append(entry.msgid)
        else:
            if value is not None:
                entry.msgstr = value if isinstance(value, str) else value[0]
            if not entry.msgstr:
                missing.append(entry.msgid)
        if "fuzzy" in entry.flags:
            if value is not None:
                entry.flags.remove("fuzzy")
            elif entry.msgid not in missing:  # a guess of makemessages' is not a translation
                missing.append(entry.msgid)
    po.save(str(PO))
    manage("compilemessages", "-l", "zh_Hans", "-i", ".venv")
    if missing:
        print(f"{len(missing)} strings have no Chinese translation yet:")
        for msgid in missing:
            print(f"  {msgid!r}")
        return 1
    print(f"catalog complete: {len([e for e in po if not e.obsolete])} strings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
