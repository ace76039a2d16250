"""Re-extract the strings (`make messages`), then fill French translations from JSON files.

Usage: .venv/bin/python scripts/add_translations.py path/to/fr.json [...]

Each JSON file maps an English msgid to its French text (a list of two texts for ngettext plurals).
Entries already translated are overwritten by the file; strings no file translates are listed at the
end, so a missing translation is seen here rather than in the i18n test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
FR = ROOT / "app" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"


def main(paths: list[str]) -> int:
    subprocess.run(["make", "-s", "messages"], cwd=ROOT, check=True)
    translations: dict[str, object] = {}
    for path in paths:
        translations.update(json.loads(Path(path).read_text(encoding="utf-8")))
    catalog = polib.pofile(str(FR))
    missing = []
    for entry in catalog:
        if entry.obsolete:
            continue
        value = translations.get(entry.msgid)
        if value is not None:
            if entry.msgid_plural:
                forms = value if isinstance(value, list) else [value, value]
                entry.msgstr_plural = {0: forms[0], 1: forms[1]}
            else:
                entry.msgstr = str(value)
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        translated = all(entry.msgstr_plural.values()) if entry.msgid_plural else bool(entry.msgstr)
        if not translated:
            missing.append(entry.msgid)
    catalog.save(str(FR))
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
