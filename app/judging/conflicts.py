"""Conflicts of interest as SQL: declared by the judge (`conflicts` rows) or automatic, when the judge belongs
to the team's startup or to any organization a team member belongs to. Computed at query time, so a
membership change is reflected on the very next request, with nothing to keep in sync."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, or_
from sqlalchemy.orm import aliased

from app.judging.models import Conflict
from app.organizations.models import OrganizationMember
from app.teams.models import Team, TeamMember


def automatic_conflict(judge_id: Any, team_id: Any) -> Any:
    """SQL truth value: the judge shares an organization with the team's startup or one of its members."""
    # Aliases, so that a caller's own `teams` or `team_members` in the outer query is never correlated in.
    judge_org = aliased(OrganizationMember)
    member_org = aliased(OrganizationMember)
    team = aliased(Team)
    member = aliased(TeamMember)
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
