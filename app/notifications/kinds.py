"""The kinds of notification and how each renders, in the reader's language, when it is shown or e-mailed.

A notification stores only its kind and parameters; its words are chosen at display time, so a French
reader sees French even when an English speaker caused it. Adding a kind is one entry in `KINDS`:
a title and a body written as English message ids with `%(name)s` parameters. Parameters whose values
come from a fixed vocabulary (a role, a decision) name their translations in `choices`. A parameter
may also be given in several languages as `{"en": ..., "fr": ...}` (announcements written by people).
Rendering never fails: unknown kinds, missing parameters and malformed templates all give readable text.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from app.platform.i18n import get_locale, gettext, lazy

log = logging.getLogger("tremplin.notifications")

MISSING = "…"


@dataclasses.dataclass(frozen=True, slots=True)
class Kind:
    title: str
    body: str = ""
    # parameter -> {stored value -> message id}, for values that must be translated themselves.
    choices: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class Rendered:
    title: str
    body: str


ROLE_LABELS = {"owner": lazy("owner"), "member": lazy("member")}

KINDS: dict[str, Kind] = {
    "organization_invitation": Kind(
        title=lazy("%(inviter)s invited you to join %(organization)s"),
        body=lazy("Open the invitation to accept or decline it."),
    ),
    "organization_verified": Kind(
        title=lazy("%(organization)s is now verified"),
        body=lazy("A platform administrator checked your organization. Its verified badge is now shown."),
    ),
    "member_role_changed": Kind(
        title=lazy("Your role in %(organization)s is now: %(role)s"),
        body=lazy("%(changed_by)s changed your role."),
        choices={"role": ROLE_LABELS},
    ),
    # Written by people, not by the code: no message id to translate, the text is the parameter itself.
    "announcement": Kind(title="%(title)s", body="%(text)s"),
    # registrations to challenges (issue #3)
    "registration_pending": Kind(
        title=lazy("%(person)s registered for %(challenge)s"),
        body=lazy("The registration awaits your review."),
    ),
    "registration_approved": Kind(
        title=lazy("Your registration for %(challenge)s is approved"),
        body=lazy("You can now take part in the challenge."),
    ),
    "registration_rejected": Kind(
        title=lazy("Your registration for %(challenge)s was not accepted"),
        body=lazy("The founders’ reason: %(reason)s"),
    ),
    # teams (issue #4)
    "team_invitation": Kind(
        title=lazy("%(inviter)s invited you to join the team %(team)s"),
        body=lazy("In the challenge %(challenge)s. Open the invitation to accept it."),
    ),
    "join_request": Kind(
        title=lazy("%(person)s asks to join %(team)s"),
        body=lazy("In the challenge %(challenge)s. Approve or decline the request on your team’s page."),
    ),
    "join_request_decided": Kind(
        title=lazy("Your request to join %(team)s was %(decision)s"),
        body=lazy("In the challenge %(challenge)s."),
        choices={"decision": {"approved": lazy("approved"), "declined": lazy("declined")}},
    ),
    "team_member_removed": Kind(
        title=lazy("You are no longer in the team %(team)s"),
        body=lazy("You were removed from the team, in the challenge %(challenge)s."),
    ),
    "captaincy_transferred": Kind(
        title=lazy("You are now the captain of %(team)s"),
        body=lazy("%(by)s handed the captaincy over to you, in the challenge %(challenge)s."),
    ),
    # `milestone` and `until` are given in each language by app.challenges.rounds.extend_deadline.
    "deadline_extended": Kind(
        title=lazy("%(challenge)s: a deadline has been extended"),
        body=lazy("New closing time for %(milestone)s: %(until)s."),
    ),
    # Sent by app.challenges.jobs; `milestone` and `when` come written in each language.
    "deadline_reminder": Kind(
        title=lazy("Reminder for %(challenge)s: %(milestone)s on %(when)s"),
        body=lazy("Open the challenge to see what remains to be done before then."),
    ),
    # submissions (issue #4)
    "submission_received": Kind(
        title=lazy("%(team)s submitted %(round)s of %(challenge)s"),
        body=lazy("Version %(version)s is received. Your e-mail receipt lists each file’s checksum."),
    ),
    # shortlist and results (issue #5, app.judging.shortlist and app.judging.results)
    "team_advanced": Kind(
        title=lazy("%(team)s is advanced to %(round)s of %(challenge)s"),
        body=lazy("Congratulations! Your team can now prepare its submission to %(round)s."),
    ),
    "team_not_advanced": Kind(
        title=lazy("%(team)s is not advanced to %(round)s of %(challenge)s"),
        body=lazy(
            "Thank you for taking part. The judges’ feedback on your entry will be available once the results are published."
        ),
    ),
    "results_published": Kind(
        title=lazy("The results of %(challenge)s are published"),
        body=lazy("See the winners, and the judges’ feedback on your team’s work."),
    ),
    # judging (issue #5); `closing` comes written in each language (app.judging.completion).
    "judging_reminder": Kind(
        title=lazy("Reminder: your reviews for %(round)s of %(challenge)s are waiting"),
        body=lazy("Some entries assigned to you have no finalized review yet. %(closing)s"),
    ),
    # judging panels (issue #5)
    "judge_invitation": Kind(
        title=lazy("%(inviter)s invited you to judge %(challenge)s"),
        body=lazy("On the panel of %(round)s. Open the invitation to accept it."),
    ),
    "new_assignments": Kind(
        title=lazy("New entries to review in %(challenge)s"),
        body=lazy("Entries newly assigned to you in %(round)s: %(count)s. Open your queue to review them."),
    ),
    # screening (issue #5)
    "entry_ineligible": Kind(
        title=lazy("%(team)s: your entry to %(round)s of %(challenge)s is not eligible"),
        body=lazy("The founders’ reason: %(reason)s"),
    ),
    # `deadline` comes written in each language by app.judging.screening.
    "entry_returned": Kind(
        title=lazy("%(team)s: your entry to %(round)s of %(challenge)s was returned for changes"),
        body=lazy("Change it and submit it again before %(deadline)s. The founders’ comment: %(reason)s"),
    ),
    # Access requests (app.data_sharing.requests): the comment is the steward's or the team's own words.
    "access_request_named": Kind(
        title=lazy("%(team)s named you on its request for %(dataset)s"),
        body=lazy(
            "Read the data use agreement and accept it on the request’s page: the captain can submit the request once every named member has."
        ),
    ),
    "access_request_submitted": Kind(
        title=lazy("%(team)s requests access to %(dataset)s"),
        body=lazy("Review the request and decide."),
    ),
    "access_request_resubmitted": Kind(
        title=lazy("%(team)s changed and resubmitted its request for %(dataset)s"),
        body=lazy("Review the request and decide."),
    ),
    "access_request_withdrawn": Kind(title=lazy("%(team)s withdrew its request for %(dataset)s")),
    "access_request_approved": Kind(
        title=lazy("Your request for %(dataset)s was approved"),
        body=lazy("The named members may access the data during the grant. %(comment)s"),
    ),
    "access_request_rejected": Kind(
        title=lazy("Your request for %(dataset)s was rejected"),
        body=lazy("The stewards’ reason: %(comment)s"),
    ),
    "access_request_returned": Kind(
        title=lazy("Your request for %(dataset)s was returned for changes"),
        body=lazy("Change it and submit it again. The stewards’ comment: %(comment)s"),
    ),
    "access_request_comment": Kind(
        title=lazy("New comment on the request of %(team)s for %(dataset)s"),
        body=lazy("%(comment)s"),
    ),
    "access_request_internal_comment": Kind(
        title=lazy("Internal note on the request of %(team)s for %(dataset)s"),
        body=lazy("%(comment)s"),
    ),
    # offerings of datasets to challenges (issue #6)
    "offering_asked": Kind(
        title=lazy("%(challenge)s asks for %(dataset)s"),
        body=lazy(
            "Its founders would like to offer the dataset to their teams. Fill in the Five Safes and agree, or decline."
        ),
    ),
    "offering_offered": Kind(
        title=lazy("%(dataset)s is offered to %(challenge)s"),
        body=lazy(
            "Its stewards offer the dataset to your challenge's teams. Read their Five Safes, then agree or decline."
        ),
    ),
    "offering_agreed": Kind(
        title=lazy("%(dataset)s is now available to %(challenge)s"),
        body=lazy("Both sides agreed: the challenge's teams can request access to the dataset."),
    ),
    "offering_withdrawn": Kind(
        title=lazy("%(dataset)s is no longer offered to %(challenge)s"),
        body=lazy("The other side withdrew or declined the offering."),
    ),
    # grants on datasets (issue #6, app.data_sharing.grants and app.data_sharing.jobs)
    "grant_revoked": Kind(
        title=lazy("Access to %(dataset)s was revoked for %(team)s"),
        body=lazy("A data steward revoked the grant. Reason: %(reason)s"),
    ),
    "grant_member_removed": Kind(
        title=lazy("You no longer have access to %(dataset)s"),
        body=lazy("A data steward removed you from the grant of %(team)s. Reason: %(reason)s"),
    ),
    "grant_member_asked": Kind(
        title=lazy("%(team)s asks to add you to its grant on %(dataset)s"),
        body=lazy(
            "Open the request and accept the data use agreement yourself; then your captain submits it to the stewards."
        ),
    ),
    "grant_expiring": Kind(
        title=lazy("Access to %(dataset)s ends on %(expires_at)s"),
        body=lazy("The grant of %(team)s for %(challenge)s expires in a week or less."),
    ),
    "grant_expired": Kind(
        title=lazy("Access to %(dataset)s has ended"),
        body=lazy("The grant of %(team)s for %(challenge)s expired."),
    ),
}


def render(kind: str, params: Mapping[str, Any] | None) -> Rendered:
    """Title and body of a notification in the current locale."""
    spec = KINDS.get(kind)
    if spec is None:
        log.warning("no renderer for notification kind %r", kind)
        return Rendered(title=gettext("New notification"), body="")
    values = _Params(params or {}, spec.choices)
    return Rendered(title=_fill(spec.title, values), body=_fill(spec.body, values) if spec.body else "")


def local_path(link: str | None) -> str | None:
    """A link inside Tremplin ("/organizations/x"), or None: stored links never point elsewhere."""
    if link and link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return None


def _fill(message: str, values: _Params) -> str:
    translated = gettext(message)
    try:
        return translated % values
    except (ValueError, TypeError):
        log.warning("malformed notification message %r", message)
        return translated


class _Params(dict[str, Any]):
    """Parameters as the reader should see them: localized, translated choices, never a KeyError."""

    def __init__(self, params: Mapping[str, Any], choices: Mapping[str, Mapping[str, str]]) -> None:
        super().__init__(params)
        self.choices = choices

    def __getitem__(self, name: str) -> str:
        if name not in self:
            return MISSING
        value = _localized(super().__getitem__(name))
        labels = self.choices.get(name)
        if labels is not None and value in labels:
            return gettext(labels[value])
        return value


def _localized(value: Any) -> str:
    if isinstance(value, Mapping):
        chosen = value.get(get_locale()) or value.get("en") or next(iter(value.values()), "")
        return str(chosen)
    if value is None:
        return MISSING
    return str(value)
