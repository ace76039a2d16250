"""The French and English catalogs hold every string the code and templates show."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.platform import i18n

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "lazy": None, "ngettext": (1, 2)}
METHOD_MAP = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {
    "templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
}


def source_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, OPTIONS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(locale: str):
    with (ROOT / "app" / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def test_french_catalog_translates_every_string():
    fr = catalog("fr")
    missing = sorted(
        m
        for m in source_messages()
        if not (entry := fr.get(m))
        or not (entry.string if isinstance(entry.string, str) else all(entry.string))
        or entry.fuzzy
    )
    assert missing == [], (
        f"{len(missing)} strings lack a French translation (run `make messages`): {missing[:20]}"
    )


def test_english_catalog_lists_every_string():
    en = catalog("en")
    missing = sorted(m for m in source_messages() if en.get(m) is None)
    assert missing == [], (
        f"{len(missing)} strings missing from the English catalog (run `make messages`): {missing[:20]}"
    )


def test_there_are_strings_to_translate():
    # Guards the two tests above against an extractor that silently finds nothing.
    assert len(source_messages()) > 20


def test_gettext_follows_the_current_locale():
    token = i18n.set_locale("fr")
    try:
        assert i18n.gettext("Sign in") == "Se connecter"
    finally:
        i18n.reset_locale(token)
    assert i18n.gettext("Sign in") == "Sign in"


def test_accept_language_negotiation():
    assert i18n.negotiate("fr-CA,fr;q=0.9,en;q=0.8", "en") == "fr"
    assert i18n.negotiate("de-DE,en;q=0.5", "fr") == "en"
    assert i18n.negotiate("de-DE", "fr") == "fr"
    assert i18n.negotiate("en;q=nonsense,fr;q=0.3", "en") == "fr"


def test_a_count_summed_by_postgresql_as_a_decimal_picks_the_plural_form_of_its_integer() -> None:
    import decimal
    import warnings

    from app.platform import i18n

    token = i18n.set_locale("en")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # gettext warns (and will refuse) a non-integer plural value
            assert i18n.ngettext("%(num)s entry", "%(num)s entries", decimal.Decimal(1)) == "1 entry"
            assert i18n.ngettext("%(num)s entry", "%(num)s entries", decimal.Decimal(3)) == "3 entries"
    finally:
        i18n.reset_locale(token)


def test_label_functions_translate_their_lazy_labels():
    """`lazy()` only marks a string for extraction: whatever shows it must translate it. Three label functions
    gave `str()` of the English text, and the French dataset page read "Sensitive health data"."""
    from app.data_sharing import datasets, offerings, requests

    cases = [
        (datasets.sensitivity_label, datasets.SENSITIVITY_LABELS),
        (datasets.access_mode_label, datasets.ACCESS_MODE_LABELS),
        (offerings.safe_label, offerings.SAFE_LABELS),
        (requests.state_label, requests.STATE_LABELS),
    ]
    token = i18n.set_locale("fr")
    try:
        for label, labels in cases:
            for key, english in labels.items():
                assert label(key) == i18n.gettext(english) != english, (label.__name__, key)
    finally:
        i18n.reset_locale(token)
