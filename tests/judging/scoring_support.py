"""The cast of the scoring tests: a round being judged (tests.factories.make_judged_round) with a question
answered by every team, and one person per role around its first entry: an assigned judge, a judge of the
round not assigned to it, an assigned judge in conflict with its team, a founder, a team member, another
signed-in person, an admin, and a visitor."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.challenges.models import RoundField
from app.judging.models import Assignment, Conflict, Criterion, Judge, JudgingRound
from app.teams.models import SubmissionVersion
from tests.factories import make_judged_round, make_user, sign_in

PITCH = "We listen to hearts with a stethoscope that never forgets."


# Who reaches an entry's review (page, fragments, API): its assigned judge only. Judges without the entry, or in
# conflict with its team, and people who cannot see the entry get 404; founders and the team, who see the
# entry, 403; visitors are sent to sign in (pages) or get 401 (API).
ENTRY_ROLES = [
    ("judge", 200),
    ("unassigned", 404),
    ("conflicted", 404),
    ("founder", 403),
    ("member", 403),
    ("outsider", 404),
    ("admin", 404),
]
PAGE_ROLES = [*ENTRY_ROLES, ("visitor", 303)]
API_ROLES = [*ENTRY_ROLES, ("visitor", 401)]


@dataclasses.dataclass
class Cast:
    judged: Any  # the make_judged_round namespace
    judge: User  # assigned to every entry
    other_judge: User  # assigned to every entry too: whose scores `judge` must never see
    unassigned: User  # on the round's panel, assigned to no entry
    conflicted: User  # assigned to every entry, in conflict with the first entry's team
    founder: User
    member: User  # the first team's captain
    outsider: User
    admin: User

    @property
    def round(self) -> Any:
        return self.judged.round

    @property
    def entry(self) -> Any:
        return self.judged.entries[0]

    @property
    def criteria(self) -> list[Criterion]:
        return self.judged.criteria

    @property
    def page(self) -> str:
        return f"/judge/entries/{self.entry.id}"

    @property
    def api(self) -> str:
        return f"/api/v1/entries/{self.entry.id}/review"

    @property
    def queue(self) -> str:
        return f"/judge/rounds/{self.round.id}"

    def role(self, name: str) -> User | None:
        return {
            "judge": self.judge,
            "unassigned": self.unassigned,
            "conflicted": self.conflicted,
            "founder": self.founder,
            "member": self.member,
            "outsider": self.outsider,
            "admin": self.admin,
            "visitor": None,
        }[name]


async def add_judge(db: Any, judged: Any, name: str, *, assign: bool = True) -> User:
    user = await make_user(db, name=name)
    db.add(
        Judge(
            round_id=judged.round.id, challenge_id=judged.challenge.id, email=user.email, user_id=user.id,
            invited_by_id=judged.founder.id, accepted_at=judged.now - dt.timedelta(days=3),
        )
    )  # fmt: skip
    await db.flush()
    if assign:
        for entry in judged.entries:
            db.add(Assignment(submission_id=entry.id, user_id=user.id, round_id=judged.round.id))
        await db.flush()
    return user


async def answer_question(db: Any, judged: Any) -> None:
    """A long-text question in the round, answered in every entry's latest version."""
    db.add(RoundField(round_id=judged.round.id, key="pitch", kind="long_text", position=0, label="Pitch"))
    versions = await db.scalars(
        select(SubmissionVersion).where(SubmissionVersion.submission_id.in_([e.id for e in judged.entries]))
    )
    for version in versions:
        version.answers = {"pitch": PITCH}
    await db.flush()


async def make_cast(db: Any, *, teams: int = 3, criteria: int = 2, **options: Any) -> Cast:
    judged = await make_judged_round(db, teams=teams, judges=2, criteria=criteria, **options)
    await answer_question(db, judged)
    unassigned = await add_judge(db, judged, "Uma Unassigned", assign=False)
    conflicted = await add_judge(db, judged, "Conrad Conflicted")
    db.add(
        Conflict(
            challenge_id=judged.challenge.id,
            user_id=conflicted.id,
            team_id=judged.teams[0].id,
            reason="Advisor",
        )
    )
    judged.judges[0].name = "Jade Judge"
    judged.judges[1].name = "Otto Other"
    await db.flush()
    return Cast(
        judged=judged,
        judge=judged.judges[0],
        other_judge=judged.judges[1],
        unassigned=unassigned,
        conflicted=conflicted,
        founder=judged.founder,
        member=judged.captains[0],
        outsider=await make_user(db, name="Olga Outsider"),
        admin=await make_user(db, name="Ada Admin", admin=True),
    )


async def as_user(client: Any, db: Any, user: User | None) -> Any:
    """Make the test client act as `user` (signed out for None)."""
    client.cookies.clear()
    if user is not None:
        await sign_in(client, db, user)
    return client


async def set_clock(
    db: Any, cast: Cast, *, deadline: dt.datetime | None = None, closes_at: dt.datetime | None = None
) -> None:
    """Move the round's deadline (judging opens) or judging's close."""
    if deadline is not None:
        cast.round.deadline = deadline
        cast.round.opens_at = deadline - dt.timedelta(days=10)
    if closes_at is not None:
        settings = await db.scalar(select(JudgingRound).where(JudgingRound.round_id == cast.round.id))
        settings.closes_at = closes_at
    await db.flush()


def value(number: float) -> Decimal:
    return Decimal(str(number))
