"""The public gallery: once results are published, the submitted entries of the teams that opted in.

Every round has its gallery, the final round shown first: a team that stopped after the application
round still chose to show its work. An entry is a submission whose status is `submitted`, shown as
its current version (after the deadline, the version that was submitted); drafts and withdrawn
submissions never appear. A team may opt out at any time, and its entries and files leave the
gallery at once.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import and_, cast, func, select
from sqlalchemy.dialects.postgresql import JSONPATH

from app import authz
from app.challenges.models import Challenge, Round, RoundField
from app.challenges.queries import Visible, load_challenge
from app.organizations.models import Organization
from app.platform import audit
from app.platform.pagination import Page, paginate
from app.teams.files import file_ids, file_uuids
from app.teams.models import StoredFile, Submission, SubmissionVersion, Team

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

PAGE_SIZE = 20


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    team: Team
    organization: Organization | None
    submission: Submission
    answers: dict[str, Any]
    # field key -> the files of that field, in the order the version lists them.
    files: dict[str, list[StoredFile]]


@dataclasses.dataclass(frozen=True, slots=True)
class Gallery:
    visible: Visible
    # None until results are published: the page then says the gallery is not open yet.
    round: Round | None
    fields: list[RoundField]
    entries: Page[Entry]

    @property
    def is_open(self) -> bool:
        return self.round is not None


async def show_gallery(
    session: AsyncSession, actor: Actor | None, slug: str, round_id: uuid.UUID | None = None, page: int = 1
) -> Gallery:
    """The gallery of one round (the final one unless `round_id` names another), for whoever may see the
    challenge. Before results are published it is empty and closed. The same queries whatever the count."""
    visible = await load_challenge(session, actor, slug)
    if visible.challenge.results_published_at is None or not visible.rounds:
        return Gallery(visible, None, [], Page(items=[], number=1, size=PAGE_SIZE, total=0))
    round_ = _round(visible, round_id)
    fields = list(
        await session.scalars(
            select(RoundField).where(RoundField.round_id == round_.id).order_by(RoundField.position)
        )
    )
    statement = (
        select(Team, Organization, Submission, SubmissionVersion)
        .join(Submission, Submission.team_id == Team.id)
        .outerjoin(Organization, Organization.id == Team.organization_id)
        .outerjoin(SubmissionVersion, _current_version())
        .where(Submission.round_id == round_.id, _published(visible.challenge))
        .order_by(func.lower(Team.name), Team.id)
    )
    result = await paginate(session, statement, page, PAGE_SIZE)
    entries = await _entries(session, result.items)
    return Gallery(
        visible,
        round_,
        fields,
        Page(items=entries, number=result.number, size=result.size, total=result.total),
    )


def _round(visible: Visible, round_id: uuid.UUID | None) -> Round:
    if round_id is None:
        return visible.rounds[-1]
    for round_ in visible.rounds:
        if round_.id == round_id:
            return round_
    raise NotFoundException()


def _current_version() -> Any:
    return and_(
        SubmissionVersion.submission_id == Submission.id, SubmissionVersion.number == Submission.version
    )


def _published(challenge: Challenge) -> Any:
    """What makes a team's submission a gallery entry once results are published (the submission and its
    team are in the query)."""
    return and_(
        Team.challenge_id == challenge.id,
        Team.gallery_opt_in.is_(True),
        Submission.status == "submitted",
    )


async def _entries(session: AsyncSession, rows: Any) -> list[Entry]:
    wanted = file_uuids(version.files for *_, version in rows if version is not None)
    stored: dict[str, StoredFile] = {}
    if wanted:
        stored = {
            str(f.id): f for f in await session.scalars(select(StoredFile).where(StoredFile.id.in_(wanted)))
        }
    entries = []
    for team, organization, submission, version in rows:
        listed = file_ids(version.files) if version is not None else {}
        # Only the team's own files: a version naming another team's file does not publish it.
        files = {
            key: [stored[i] for i in ids if i in stored and stored[i].team_id == team.id]
            for key, ids in listed.items()
        }
        answers = dict(version.answers) if version is not None else {}
        entries.append(Entry(team, organization, submission, answers, files))
    return entries


async def in_published_gallery(
    session: AsyncSession, challenge: Challenge, team: Team, file_id: uuid.UUID
) -> bool:
    """Whether the file belongs to one of the team's gallery entries (in any round) right now."""
    if challenge.results_published_at is None or not team.gallery_opt_in:
        return False
    # `$.**` finds the id however a field holds it (one id, a list, objects with an id).
    holds_file = func.jsonb_path_exists(
        SubmissionVersion.files,
        cast("$.** ? (@ == $id)", JSONPATH),
        func.jsonb_build_object("id", str(file_id)),
    )
    statement = select(
        select(Submission.id)
        .join(Team, Team.id == Submission.team_id)
        .join(SubmissionVersion, _current_version())
        .where(Submission.team_id == team.id, _published(challenge), holds_file)
        .exists()
    )
    return bool(await session.scalar(statement))


# --- opting in --------------------------------------------------------------------------------------


async def set_gallery_opt_in(session: AsyncSession, actor: Actor, team: Team, value: bool) -> Team:
    """The captain chooses whether the team's submitted entries appear in the public gallery once results
    are published. Recorded in the audit log: it is the team's consent to publication."""
    challenge = await session.get_one(Challenge, team.challenge_id)
    authz.require(actor, "team:edit", await authz.relations_to_team(session, actor, team, challenge))
    if team.gallery_opt_in != value:
        team.gallery_opt_in = value
        await session.flush()
        await audit.record(
            session,
            actor,
            "team:gallery_opt_in",
            "team",
            team.id,
            {"challenge": challenge.slug, "opt_in": value},
        )
    return team


async def set_gallery_opt_in_by_id(
    session: AsyncSession, actor: Actor, team_id: uuid.UUID, value: bool
) -> Team:
    """set_gallery_opt_in for the team behind an id from a URL (404 when there is none)."""
    team = await session.scalar(select(Team).where(Team.id == team_id))
    if team is None:
        raise NotFoundException()
    return await set_gallery_opt_in(session, actor, team, value)
