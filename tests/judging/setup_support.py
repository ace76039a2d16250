"""The cast of the judging setup tests (rubric, screening, settings): a judged round from
make_judged_round plus the people each route is tried with, and the routes' URLs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import select

from app.db import utcnow
from app.platform.models import AuditEntry
from tests.factories import make_judged_round, make_registration, make_team, make_user, sign_in


@dataclasses.dataclass
class SetupCast:
    """`jr` is make_judged_round's namespace; roles are signed-in people other than the founder."""

    jr: Any
    member: Any
    outsider: Any
    admin: Any

    @property
    def challenge(self) -> Any:
        return self.jr.challenge

    @property
    def round(self) -> Any:
        return self.jr.round

    @property
    def founder(self) -> Any:
        return self.jr.founder

    @property
    def judge(self) -> Any:
        return self.jr.judges[0]

    @property
    def page(self) -> str:
        return f"/challenges/{self.challenge.slug}/rounds/{self.round.id}/judging"

    @property
    def api(self) -> str:
        return f"/api/v1/rounds/{self.round.id}"

    def person(self, role: str) -> Any:
        return {
            "founder": self.founder,
            "judge": self.judge,
            "team_member": self.member,
            "outsider": self.outsider,
            "admin": self.admin,
        }[role]


async def make_setup_cast(db: Any, **options: Any) -> SetupCast:
    jr = await make_judged_round(db, **options)
    member = await make_user(db, name="Marc Member")
    await make_registration(db, jr.challenge, member)
    from app.teams.models import TeamMember

    if jr.teams:
        db.add(
            TeamMember(team_id=jr.teams[0].id, user_id=member.id, challenge_id=jr.challenge.id, role="member")
        )
        jr.teams[0].member_count += 1
    else:
        await make_team(db, jr.challenge, member, name="Solo")
    await db.flush()
    outsider = await make_user(db, name="Olga Outsider")
    admin = await make_user(db, name="Ada Admin", admin=True)
    return SetupCast(jr, member, outsider, admin)


def open_round(cast: SetupCast, *, days: int = 3) -> None:
    """Round 1 takes submissions again (deadline in `days` days): returning entries is possible."""
    cast.round.deadline = utcnow() + dt.timedelta(days=days)


async def as_user(client: Any, db: Any, user: Any) -> None:
    if user is not None:
        await sign_in(client, db, user)


async def headers(client: Any) -> dict[str, str]:
    return {"X-CSRF-Token": await client.csrf()}


async def audit_entries(db: Any, action: str, object_id: Any = None) -> list[AuditEntry]:
    statement = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    if object_id is not None:
        statement = statement.where(AuditEntry.object_id == str(object_id))
    return list(await db.scalars(statement))


async def finalize_a_review(db: Any, cast: SetupCast, at: dt.datetime | None = None) -> Any:
    """A judge finalizes a review of the first entry: from then on the round's rubric is frozen."""
    from app.judging.models import Review

    review = Review(
        submission_id=cast.jr.entries[0].id,
        user_id=cast.judge.id,
        round_id=cast.round.id,
        finalized_at=at or utcnow() - dt.timedelta(hours=1),
    )
    db.add(review)
    await db.flush()
    return review
