"""Conflicts of interest as SQL: declared by the judge (`conflicts` rows) or automatic, when the judge belongs
to the team's startup or to any organization a team member belongs to. Computed at query time, so a
membership change is reflected on the very next request, with nothing to keep in sync."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CTE, Select, and_, exists, or_, select, union
from sqlalchemy.orm import aliased

from app.judging.models import Conflict
from app.organizations.models import OrganizationMember
from app.teams.models import Team, TeamMember

# Aliases, so that a caller's own `teams` or `team_members` in the outer query is never correlated in. Made
# once: an alias's columns are adapted on first use, which costs more than building the rest of a statement
# (about a millisecond per call, on every check of a judge's access). They only ever appear inside these
# EXISTS subqueries, never in a caller's FROM, so sharing them between statements correlates nothing.
_JUDGE_ORG = aliased(OrganizationMember)
_MEMBER_ORG = aliased(OrganizationMember)
_TEAM = aliased(Team)
_MEMBER = aliased(TeamMember)


def automatic_conflict(judge_id: Any, team_id: Any) -> Any:
    """SQL truth value: the judge shares an organization with the team's startup or one of its members."""
    judge_org, member_org, team, member = _JUDGE_ORG, _MEMBER_ORG, _TEAM, _MEMBER
    with_startup = exists().where(
        team.id == team_id, judge_org.user_id == judge_id, judge_org.organization_id == team.organization_id
    )
    with_member = exists().where(
        member.team_id == team_id,
        member_org.user_id == member.user_id,
        judge_org.organization_id == member_org.organization_id,
        judge_org.user_id == judge_id,
    )
    return or_(with_startup, with_member)


def declared_conflict(judge_id: Any, team_id: Any) -> Any:
    return exists().where(Conflict.user_id == judge_id, Conflict.team_id == team_id)


def in_conflict(judge_id: Any, team_id: Any) -> Any:
    """SQL truth value for any conflict between the judge and the team; usable with columns or values."""
    return or_(declared_conflict(judge_id, team_id), automatic_conflict(judge_id, team_id))


def not_in_conflict(judge_id: Any, team_id: Any) -> Any:
    return and_(~declared_conflict(judge_id, team_id), ~automatic_conflict(judge_id, team_id))


def conflicted_pairs(judge_ids: Any, team_ids: Any, name: str = "conflicted") -> CTE:
    """Every (judge_id, team_id) pair in conflict among the given judges and teams (two one-column SELECTs), as a CTE.

    The same rules as `in_conflict`, computed once for a whole set (a round's judges and teams) instead of
    per row: declared conflicts, the judge in the team's startup, the judge sharing an organization with a
    member. Anti-join it (`~exists()` on both columns) to keep the pairs with no conflict."""
    declared = select(Conflict.user_id.label("judge_id"), Conflict.team_id.label("team_id")).where(
        Conflict.user_id.in_(judge_ids), Conflict.team_id.in_(team_ids)
    )
    judge_org, member_org, team, member = _JUDGE_ORG, _MEMBER_ORG, _TEAM, _MEMBER
    with_startup = (
        select(judge_org.user_id, team.id)
        .join(team, team.organization_id == judge_org.organization_id)
        .where(judge_org.user_id.in_(judge_ids), team.id.in_(team_ids))
    )
    with_member = (
        select(judge_org.user_id, member.team_id)
        .join(member_org, member_org.organization_id == judge_org.organization_id)
        .join(member, member.user_id == member_org.user_id)
        .where(judge_org.user_id.in_(judge_ids), member.team_id.in_(team_ids))
    )
    return union(declared, with_startup, with_member).cte(name)


def conflicted_teams(judge_id: Any) -> Select[Any]:
    """The ids of the teams one judge is in conflict with (declared or automatic), as a one-column SELECT;
    `team_id.not_in(conflicted_teams(judge))` is `not_in_conflict` computed once instead of per row."""
    judge_org, member_org, team, member = _JUDGE_ORG, _MEMBER_ORG, _TEAM, _MEMBER
    declared = select(Conflict.team_id).where(Conflict.user_id == judge_id)
    with_startup = (
        select(team.id)
        .join(judge_org, judge_org.organization_id == team.organization_id)
        .where(judge_org.user_id == judge_id)
    )
    with_member = (
        select(member.team_id)
        .join(member_org, member_org.user_id == member.user_id)
        .join(judge_org, judge_org.organization_id == member_org.organization_id)
        .where(judge_org.user_id == judge_id)
    )
    return select(union(declared, with_startup, with_member).subquery().c[0])
