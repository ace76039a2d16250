"""Notification kinds render in the reader's language and never fail, whatever is stored."""

from __future__ import annotations

import pytest

from app.notifications.kinds import KINDS, local_path, render
from app.platform.i18n import get_locale, in_locale


def test_invitation_renders_in_english_and_french():
    params = {"inviter": "Ada Lovelace", "organization": "Clinique Nord"}
    assert render("organization_invitation", params).title == "Ada Lovelace invited you to join Clinique Nord"
    with in_locale("fr"):
        assert (
            render("organization_invitation", params).title
            == "Ada Lovelace vous invite à rejoindre Clinique Nord"
        )


def test_choice_parameters_are_translated_too():
    params = {"organization": "Clinique Nord", "role": "member", "changed_by": "Ada"}
    with in_locale("fr"):
        assert (
            render("member_role_changed", params).title
            == "Votre rôle dans Clinique Nord est désormais : membre"
        )


def test_announcement_picks_the_readers_language_and_falls_back_to_english():
    params = {
        "title": {"en": "Maintenance tonight", "fr": "Maintenance ce soir"},
        "text": {"en": "Back at 23:00."},
    }
    with in_locale("fr"):
        rendered = render("announcement", params)
    assert rendered.title == "Maintenance ce soir"
    assert rendered.body == "Back at 23:00."


def test_parameter_values_are_not_formatted_again():
    rendered = render("announcement", {"title": "100% %(secret)s", "text": "%s"})
    assert (rendered.title, rendered.body) == ("100% %(secret)s", "%s")


def test_unknown_kind_renders_a_generic_title():
    assert render("no_such_kind", {"x": 1}).title == "New notification"
    with in_locale("fr"):
        assert render("no_such_kind", None).title == "Nouvelle notification"


@pytest.mark.parametrize(
    "params", [{}, None, {"inviter": None}, {"inviter": ["a"], "organization": {"de": "x"}}]
)
def test_missing_or_odd_parameters_never_crash(params):
    title = render("organization_invitation", params).title
    assert title.startswith(("…", "['a']")) and "invited you to join" in title


def test_every_kind_renders_with_no_parameters():
    for kind in KINDS:
        assert render(kind, {}).title


def test_in_locale_restores_the_callers_language():
    with in_locale("fr"):
        assert get_locale() == "fr"
    assert get_locale() == "en"


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("/organizations/x", "/organizations/x"),
        ("//evil.example/x", None),
        ("https://evil.example", None),
        ("javascript:alert(1)", None),
        ("/\\evil", None),
        (None, None),
    ],
)
def test_only_links_inside_tremplin_are_kept(link, expected):
    assert local_path(link) == expected
