"""What a challenge needs before it is published, and keeps needing afterwards, as sentences for founders.

Publishing refuses an incomplete challenge and says what is missing; once published, an edit that
would make it incomplete again (dates out of order, a round removed...) is refused the same way,
so participants never see a timeline that contradicts itself. Checks read plain attributes, so a
proposed change can be checked before anything is written.
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Sequence
from typing import Any, Protocol

from litestar.exceptions import ClientException

from app.platform.i18n import gettext as _

CHALLENGE_ATTRIBUTES = (
    "id",
    "title",
    "summary",
    "description",
    "rules",
    "registration_opens_at",
    "registration_closes_at",
    "judging_ends_at",
    "results_at",
    "team_min",
    "team_max",
    "approval_mode",
    "approval_domains",
    "published_at",
)
ROUND_ATTRIBUTES = ("id", "name", "opens_at", "deadline", "rubric_planned", "position")


class Incomplete(ClientException):
    """The challenge would be (or is) incomplete; `problems` says what to fix, one sentence each."""

    status_code = 422

    def __init__(self, problems: list[str], detail: str) -> None:
        super().__init__(detail=detail, extra={"problems": problems})
        self.problems = problems


class RoundTimes(Protocol):
    name: str
    opens_at: dt.datetime
    deadline: dt.datetime
    rubric_planned: bool


def proposed(obj: Any, attributes: Sequence[str], **changes: Any) -> types.SimpleNamespace:
    """A copy of `obj`'s attributes with `changes` applied: the state a change would lead to."""
    values = {name: getattr(obj, name) for name in attributes}
    values.update(changes)
    return types.SimpleNamespace(**values)


def problems(challenge: Any, rounds: Sequence[RoundTimes], organizer_count: int) -> list[str]:
    """Everything missing or inconsistent, in the order a founder would fix it; empty when complete."""
    found = [message for present, message in _texts(challenge) if not present]
    found += _round_problems(rounds)
    found += _timeline_problems(challenge, rounds)
    if challenge.team_min > challenge.team_max:
        found.append(_("The minimum team size cannot be larger than the maximum."))
    if organizer_count < 1:
        found.append(_("Add at least one organizer organization."))
    if challenge.approval_mode == "domain" and not challenge.approval_domains:
        found.append(_("List the e-mail domains whose registrations are approved automatically."))
    return found


def _texts(challenge: Any) -> list[tuple[bool, str]]:
    return [
        (bool(challenge.title), _("Give the challenge a title.")),
        (bool(challenge.summary), _("Write a summary.")),
        (bool(challenge.description), _("Write a description.")),
        (bool(challenge.rules), _("Write the rules.")),
    ]


def _round_problems(rounds: Sequence[RoundTimes]) -> list[str]:
    if not rounds:
        return [_("Add at least one round.")]
    found = []
    for index, round_ in enumerate(rounds):
        if round_.deadline <= round_.opens_at:
            found.append(_("Round “%(round)s”: the deadline must come after the opening.", round=round_.name))
        if index and round_.deadline <= rounds[index - 1].deadline:
            found.append(_("Round “%(round)s” must end after the round before it.", round=round_.name))
        if not round_.rubric_planned:
            found.append(_("Round “%(round)s”: add a rubric or mark it as planned.", round=round_.name))
    return found


def _timeline_problems(challenge: Any, rounds: Sequence[RoundTimes]) -> list[str]:
    found = []
    opens, closes = challenge.registration_opens_at, challenge.registration_closes_at
    if opens is None or closes is None:
        found.append(_("Set when registration opens and when it closes."))
    elif opens >= closes:
        found.append(_("Registration must open before it closes."))
    if closes is not None and rounds and closes > rounds[0].deadline:
        found.append(_("Registration must close no later than the first round’s deadline."))
    judging, results = challenge.judging_ends_at, challenge.results_at
    if judging is None or results is None:
        found.append(_("Set when judging ends and when the results are announced."))
        return found
    if rounds and judging <= rounds[-1].deadline:
        found.append(_("Judging must end after the last round’s deadline."))
    if results < judging:
        found.append(_("The results cannot be announced before judging ends."))
    return found


def require_still_complete(challenge: Any, rounds: Sequence[RoundTimes], organizer_count: int) -> None:
    """For a published challenge: refuse a change that would leave it incomplete."""
    if challenge.published_at is None:
        return
    found = problems(challenge, rounds, organizer_count)
    if found:
        raise Incomplete(found, _("This change would leave the published challenge inconsistent."))
