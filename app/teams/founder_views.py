"""What founders see of the teams: every team with its members, and per round each team's submission,
with filters, pages and a CSV export.

Submissions are confidential: only the challenge's founders read these lists (admins included out).
Every list costs the same few queries whatever the number of teams.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar.exceptions import NotFoundException
from sqlalchemy import and_, case, func, select, tuple_
from sqlalchemy.orm import aliased

from app import authz
from app.accounts.models import User
from app.challenges.models import Registration, Round, RoundField
from app.challenges.queries import Visible, load_challenge
from app.organizations.models import Organization
from app.platform import audit
from app.platform.csv import BOM, csv_lines
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.platform.pagination import Page, paginate
from app.teams.files import file_ids, file_uuids
from app.teams.models import SUBMISSION_STATUSES, StoredFile, Submission, SubmissionVersion, Team, TeamMember

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

PAGE_SIZE = 50
EXPORT_BATCH = 500
# "none": the team has not started a submission for the round.
STATUS_FILTERS = ("none", *SUBMISSION_STATUSES)
SORTS = ("recent", "oldest", "team")


@dataclasses.dataclass(frozen=True, slots=True)
class SubmissionFilters:
    status: str = ""
    since: dt.date | None = None
    sort: str = "recent"

    def query_string(self) -> str:
        """The filters as URL parameters, for pagination and export links."""
        values = {
            "status": self.status,
            "since": self.since.isoformat() if self.since else "",
            "sort": "" if self.sort == "recent" else self.sort,
        }
        return urlencode({key: value for key, value in values.items() if value})


@dataclasses.dataclass(frozen=True, slots=True)
class SubmissionRow:
    team: Team
    organization_name: str | None
    submission: Submission | None
    changed_by: str | None

    @property
    def status(self) -> str:
        return self.submission.status if self.submission is not None else "none"


@dataclasses.dataclass(frozen=True, slots=True)
class RoundSubmissions:
    visible: Visible
    round: Round
    rows: Page[SubmissionRow]
    # status (none included) -> number of teams, for the filter's labels.
    counts: dict[str, int]
    filters: SubmissionFilters


@dataclasses.dataclass(frozen=True, slots=True)
class MemberRow:
    user: User
    role: str
    # The person's registration to the challenge: pending, approved, ... or "none".
    registration: str


@dataclasses.dataclass(frozen=True, slots=True)
class TeamRow:
    team: Team
    organization_name: str | None
    captain: User
    members: list[MemberRow]


@dataclasses.dataclass(frozen=True, slots=True)
class ChallengeTeams:
    visible: Visible
    rows: Page[TeamRow]
    below_minimum: bool


def submission_status_label(status: str) -> str:
    labels = {
        "none": _("Not started"),
        "draft": _("Draft"),
        "submitted": _("Submitted"),
        "withdrawn": _("Withdrawn"),
    }
    return labels.get(status, status)


def team_size_label(team: Team, team_min: int, team_max: int) -> str:
    """How the team's size stands against the challenge's limits, in words."""
    if team.member_count < team_min:
        return _("Below the minimum of %(num)s", num=team_min)
    if team.member_count >= team_max:
        return _("Full")
    return _("Within limits")


def submission_filters(status: str = "", since: str = "", sort: str = "") -> SubmissionFilters:
    """Filters from the query's text; InvalidInput names what is not understood."""
    errors: dict[str, str] = {}
    if status and status not in STATUS_FILTERS:
        errors["status"] = _("Choose a status from the list.")
    if sort and sort not in SORTS:
        errors["sort"] = _("Choose an order from the list.")
    day = None
    if since.strip():
        try:
            day = dt.date.fromisoformat(since.strip())
        except ValueError:
            errors["since"] = _("Enter a date as YYYY-MM-DD.")
    if errors:
        raise InvalidInput(errors)
    return SubmissionFilters(status, day, sort or "recent")


async def founder_round(
    session: AsyncSession, actor: Actor, slug: str, round_id: uuid.UUID
) -> tuple[Visible, Round]:
    """The challenge and one of its rounds, for its founders; 404 for a round of another challenge."""
    visible = await load_challenge(session, actor, slug)
    authz.require(actor, "team:list", visible.relations)
    for round_ in visible.rounds:
        if round_.id == round_id:
            return visible, round_
    raise NotFoundException()


# --- submissions per round --------------------------------------------------------------------------


def _submissions(visible: Visible, round_: Round) -> Select[*tuple[Any, ...]]:
    changer = aliased(User)
    return (
        select(Team, Organization.name, Submission, changer.name)
        .outerjoin(Submission, and_(Submission.team_id == Team.id, Submission.round_id == round_.id))
        .outerjoin(Organization, Organization.id == Team.organization_id)
        .outerjoin(changer, changer.id == Submission.updated_by_id)
        .where(Team.challenge_id == visible.challenge.id)
    )


def _filtered(statement: Select[Any], visible: Visible, filters: SubmissionFilters) -> Select[Any]:
    if filters.status == "none":
        statement = statement.where(Submission.id.is_(None))
    elif filters.status:
        statement = statement.where(Submission.status == filters.status)
    if filters.since:
        # The day as the challenge lives it, like the times on the page.
        start = dt.datetime.combine(filters.since, dt.time.min, tzinfo=ZoneInfo(visible.challenge.timezone))
        statement = statement.where(Submission.updated_at >= start)
    return statement


def _ordered(statement: Select[Any], sort: str) -> Select[Any]:
    by_name = (func.lower(Team.name), Team.id)
    if sort == "team":
        return statement.order_by(*by_name)
    changed = Submission.updated_at.asc() if sort == "oldest" else Submission.updated_at.desc()
    return statement.order_by(changed.nulls_last(), *by_name)


async def round_submissions(
    session: AsyncSession,
    actor: Actor,
    slug: str,
    round_id: uuid.UUID,
    filters: SubmissionFilters,
    page: int = 1,
) -> RoundSubmissions:
    """Every team of the challenge with its submission to the round (or none), filtered and in pages."""
    visible, round_ = await founder_round(session, actor, slug, round_id)
    statement = _ordered(_filtered(_submissions(visible, round_), visible, filters), filters.sort)
    result = await paginate(session, statement, page, PAGE_SIZE)
    rows = Page(
        items=[SubmissionRow(*row) for row in result.items],
        number=result.number,
        size=result.size,
        total=result.total,
    )
    status = func.coalesce(Submission.status, "none")
    counted = await session.execute(
        select(status, func.count())
        .select_from(Team)
        .outerjoin(Submission, and_(Submission.team_id == Team.id, Submission.round_id == round_.id))
        .where(Team.challenge_id == visible.challenge.id)
        .group_by(status)
    )
    counts = dict.fromkeys(STATUS_FILTERS, 0) | dict(counted.all())
    return RoundSubmissions(visible, round_, rows, counts, filters)


async def export_round_submissions(
    session: AsyncSession, actor: Actor, slug: str, round_id: uuid.UUID, filters: SubmissionFilters
) -> tuple[Round, AsyncIterator[bytes]]:
    """The filtered list as CSV with the current answers, by team name, produced batch by batch while the
    response streams. The permission check and the audit entry happen now, before the first byte."""
    visible, round_ = await founder_round(session, actor, slug, round_id)
    await audit.record(
        session,
        actor,
        "submissions:export",
        "round",
        round_.id,
        {"challenge": visible.challenge.slug, "filters": filters.query_string()},
    )
    fields = list(
        await session.scalars(
            select(RoundField)
            .where(RoundField.round_id == round_.id)
            .order_by(RoundField.position, RoundField.key)
        )
    )
    # The team's name as PostgreSQL lowers it is the export's order and the key to resume after a batch.
    statement = _filtered(_submissions(visible, round_), visible, filters).add_columns(
        SubmissionVersion, func.lower(Team.name)
    )
    statement = statement.outerjoin(
        SubmissionVersion,
        and_(
            SubmissionVersion.submission_id == Submission.id, SubmissionVersion.number == Submission.version
        ),
    )
    return round_, _csv_stream(session, statement, fields)


def _csv_header(fields: list[RoundField]) -> list[str]:
    return [
        _("Team"),
        _("Startup"),
        _("Members"),
        _("Status"),
        _("Version"),
        _("Submitted at"),
        _("Last change"),
        _("Changed by"),
        *(field.label for field in fields),
    ]


async def _csv_stream(
    session: AsyncSession, statement: Select[Any], fields: list[RoundField]
) -> AsyncIterator[bytes]:
    yield BOM + csv_lines([_csv_header(fields)])
    after: tuple[str, uuid.UUID] | None = None
    while True:
        batch = (
            statement if after is None else statement.where(tuple_(func.lower(Team.name), Team.id) > after)
        )
        rows = (
            await session.execute(batch.order_by(func.lower(Team.name), Team.id).limit(EXPORT_BATCH))
        ).all()
        if not rows:
            return
        names = await _file_names(session, [row[4] for row in rows])
        yield csv_lines([_csv_record(row, fields, names) for row in rows])
        after = (rows[-1][5], rows[-1][0].id)


async def _file_names(session: AsyncSession, versions: list[SubmissionVersion | None]) -> dict[str, str]:
    wanted = file_uuids(version.files if version else None for version in versions)
    if not wanted:
        return {}
    rows = await session.execute(
        select(StoredFile.id, StoredFile.original_name).where(StoredFile.id.in_(wanted))
    )
    return {str(file_id): name for file_id, name in rows.all()}


def _csv_record(row: Any, fields: list[RoundField], names: dict[str, str]) -> list[object]:
    team, organization_name, submission, changed_by, version, _sort_name = row
    answers = dict(version.answers) if version is not None else {}
    files = file_ids(version.files) if version is not None else {}
    cells: list[object] = [
        team.name,
        organization_name,
        team.member_count,
        submission.status if submission else "none",
        submission.version if submission else "",
        _iso(submission.submitted_at) if submission else "",
        _iso(submission.updated_at) if submission else "",
        changed_by,
    ]
    for field in fields:
        if field.kind == "file":
            cells.append("; ".join(names.get(file_id, file_id) for file_id in files.get(field.key, [])))
        else:
            cells.append(_answer_text(answers.get(field.key)))
    return cells


def _iso(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).isoformat() if value else ""


def _answer_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return str(value)


# --- teams ------------------------------------------------------------------------------------------


async def challenge_teams(
    session: AsyncSession, actor: Actor, slug: str, *, below_minimum: bool = False, page: int = 1
) -> ChallengeTeams:
    """Every team of the challenge by name, with captain, startup, size and each member's registration;
    `below_minimum` keeps the teams too small to submit. Founders only."""
    visible = await load_challenge(session, actor, slug)
    authz.require(actor, "team:list", visible.relations)
    challenge = visible.challenge
    captain = aliased(User)
    statement = (
        select(Team, Organization.name, captain)
        .join(captain, captain.id == Team.captain_id)
        .outerjoin(Organization, Organization.id == Team.organization_id)
        .where(Team.challenge_id == challenge.id)
        .order_by(func.lower(Team.name), Team.id)
    )
    if below_minimum:
        statement = statement.where(Team.member_count < challenge.team_min)
    result = await paginate(session, statement, page, PAGE_SIZE)
    members = await _members(session, challenge.id, [row[0].id for row in result.items])
    rows = [TeamRow(team, name, lead, members.get(team.id, [])) for team, name, lead in result.items]
    return ChallengeTeams(
        visible, Page(items=rows, number=result.number, size=result.size, total=result.total), below_minimum
    )


async def _members(
    session: AsyncSession, challenge_id: uuid.UUID, team_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[MemberRow]]:
    if not team_ids:
        return {}
    rows = await session.execute(
        select(TeamMember.team_id, TeamMember.role, User, func.coalesce(Registration.status, "none"))
        .join(User, User.id == TeamMember.user_id)
        .outerjoin(
            Registration,
            and_(Registration.challenge_id == challenge_id, Registration.user_id == TeamMember.user_id),
        )
        .where(TeamMember.team_id.in_(team_ids))
        .order_by(
            TeamMember.team_id,
            case((TeamMember.role == "captain", 0), else_=1),
            func.lower(User.name),
            User.id,
        )
    )
    members: dict[uuid.UUID, list[MemberRow]] = {}
    for team_id, role, user, registration in rows.all():
        members.setdefault(team_id, []).append(MemberRow(user, role, registration))
    return members
