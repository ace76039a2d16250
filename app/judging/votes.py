"""The public vote of a round: signed-in people choose one entry, for a people's choice kept apart from the jury.

- A round has a vote when its judging settings say so (`judging_rounds.public_vote`); otherwise its vote
  pages do not exist (404).
- Who votes: any signed-in person who may see the challenge, except for their own team (403). The
  people's choice is the public's: the challenge's founders and judges do not vote (403, and their
  page says so).
- For what: the round's submitted entries whose teams opted into the public gallery (their consent to
  be shown), leaving out entries screened ineligible. Voters read the entries' answers; files stay
  with the team until the gallery opens with the results.
- When: while the round's judging is open (from its submission deadline until judging closes, see
  app.judging.rounds.judging_open): every entry is final, and the people's choice is known when the
  jury's ranking is.
- Once: the primary key (round_id, user_id) of `votes`, written with INSERT ... ON CONFLICT DO NOTHING,
  so two clicks at once leave one vote and the other is told which team already has it (409). A vote
  is final; it is not an audited governance action (who voted for whom is not the founders' business).
- The tally: founders see it at any time; everyone once the results are published.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy import and_, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import insert

from app import authz
from app.challenges.models import RoundField
from app.judging.models import JudgingRound, Screening, Vote
from app.judging.rounds import RoundContext, judging_closes_at, judging_open, load_round
from app.organizations.models import Organization
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import format_datetime
from app.platform.i18n import gettext as _
from app.teams.models import Submission, SubmissionVersion, Team, TeamMember

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


@dataclasses.dataclass(frozen=True, slots=True)
class Candidate:
    submission_id: uuid.UUID
    team_id: uuid.UUID
    team_name: str
    organization: str | None
    answers: dict[str, Any]


@dataclasses.dataclass(frozen=True, slots=True)
class Choice:
    submission_id: uuid.UUID
    team_id: uuid.UUID
    team_name: str


@dataclasses.dataclass(frozen=True, slots=True)
class Count:
    submission_id: uuid.UUID
    team_id: uuid.UUID
    team_name: str
    votes: int


@dataclasses.dataclass(frozen=True, slots=True)
class Booth:
    """The vote of one round as one person sees it."""

    ctx: RoundContext
    candidates: list[Candidate]
    # The questions shown with each entry: current ones, files left out.
    fields: list[RoundField]
    my_vote: Choice | None
    my_team_id: uuid.UUID | None
    open: bool
    # Why the vote takes no vote now (None while open).
    closed_message: str | None
    # None when the person may not see it yet.
    tally: list[Count] | None
    # Whether the vote itself is running (`open` says whether this person may vote now).
    running: bool = False

    @property
    def total(self) -> int:
        return sum(count.votes for count in self.tally or [])


async def load_vote_round(
    session: AsyncSession, actor: Actor | None, round_id: uuid.UUID, slug: str | None = None
) -> RoundContext:
    """The round, when it has a public vote and the actor may see its challenge (404 otherwise)."""
    ctx = await load_round(session, actor, round_id, "challenge:view")
    if (slug is not None and ctx.challenge.slug != slug) or not ctx.settings.public_vote:
        raise NotFoundException()
    return ctx


def closed_message(ctx: RoundContext, now: dt.datetime) -> str | None:
    """Why the vote is not open at `now` (None while it is): it runs while the round's judging is open."""
    if judging_open(ctx.round, ctx.settings, ctx.challenge, now):
        return None
    if now < ctx.round.deadline:
        return _(
            "The vote opens when %(round)s closes to submissions, on %(date)s.",
            round=ctx.round.name,
            date=format_datetime(ctx.round.deadline, ctx.challenge.timezone),
        )
    return _(
        "The vote of %(round)s closed on %(date)s.",
        round=ctx.round.name,
        date=format_datetime(judging_closes_at(ctx.settings, ctx.challenge), ctx.challenge.timezone),
    )


def _votable(round_id: uuid.UUID) -> Any:
    """What makes a submission an entry of the round's vote (submissions, teams and screenings in the query)."""
    return and_(
        Submission.round_id == round_id,
        Submission.status == "submitted",
        Team.gallery_opt_in.is_(True),
        or_(Screening.decision.is_(None), Screening.decision != "ineligible"),
    )


def _candidates_query(round_id: uuid.UUID) -> Any:
    return (
        select(Submission.id, Team.id, Team.name, Organization.name, SubmissionVersion.answers)
        .join(Team, Team.id == Submission.team_id)
        .outerjoin(Organization, Organization.id == Team.organization_id)
        .outerjoin(Screening, Screening.submission_id == Submission.id)
        .outerjoin(
            SubmissionVersion,
            and_(
                SubmissionVersion.submission_id == Submission.id,
                SubmissionVersion.number == Submission.version,
            ),
        )
        .where(_votable(round_id))
        .order_by(func.lower(Team.name), Team.id)
    )


async def tally(session: AsyncSession, round_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Count]]:
    """Votes per entry of each round, most voted first (one query)."""
    rows = await session.execute(
        select(Vote.round_id, Submission.id, Team.id, Team.name, func.count())
        .join(Submission, Submission.id == Vote.submission_id)
        .join(Team, Team.id == Submission.team_id)
        .where(Vote.round_id.in_(round_ids))
        .group_by(Vote.round_id, Submission.id, Team.id)
        .order_by(func.count().desc(), func.lower(Team.name), Team.id)
    )
    counts: dict[uuid.UUID, list[Count]] = {round_id: [] for round_id in round_ids}
    for round_id, submission_id, team_id, name, votes in rows:
        counts[round_id].append(Count(submission_id, team_id, name, votes))
    return counts


def vote_round_ids_column(challenge_id: Any) -> Any:
    """`vote_round_ids` as a column (an array, NULL for none) for the query that loads the challenge."""
    return (
        select(func.array_agg(JudgingRound.round_id))
        .where(JudgingRound.challenge_id == challenge_id, JudgingRound.public_vote.is_(True))
        .scalar_subquery()
    )


async def vote_round_ids(session: AsyncSession, challenge_id: uuid.UUID) -> set[uuid.UUID]:
    """The rounds of the challenge that have a public vote (for links to it)."""
    return set(
        await session.scalars(
            select(JudgingRound.round_id).where(
                JudgingRound.challenge_id == challenge_id, JudgingRound.public_vote.is_(True)
            )
        )
    )


async def _mine(
    session: AsyncSession, actor: Actor | None, ctx: RoundContext
) -> tuple[Choice | None, uuid.UUID | None]:
    """The person's vote in the round and their team in the challenge (one query)."""
    if actor is None:
        return None, None
    my_team = (
        select(TeamMember.team_id)
        .where(TeamMember.challenge_id == ctx.challenge.id, TeamMember.user_id == actor.id)
        .scalar_subquery()
    )
    voted = (
        select(Vote.submission_id, Team.id.label("team_id"), Team.name)
        .join(Submission, Submission.id == Vote.submission_id)
        .join(Team, Team.id == Submission.team_id)
        .where(Vote.round_id == ctx.round.id, Vote.user_id == actor.id)
        .subquery("voted")
    )
    # One row whether or not the person voted: a one-row table left-joined to their vote.
    one = select(literal(1).label("one")).subquery("one")
    row = (
        await session.execute(
            select(my_team, voted.c.submission_id, voted.c.team_id, voted.c.name).select_from(
                one.outerjoin(voted, true())
            )
        )
    ).one()
    choice = Choice(row[1], row[2], row[3]) if row[1] is not None else None
    return choice, row[0]


def insider_message(ctx: RoundContext) -> str | None:
    """Why a founder or judge of the challenge takes no part in its people's choice, or None."""
    if ctx.relations & {"founder", "judge"}:
        return _("Organizers and judges of the challenge do not vote in its people’s choice.")
    return None


def may_see_tally(actor: Actor | None, ctx: RoundContext) -> bool:
    return ctx.challenge.results_published_at is not None or ctx.can(actor, "results:publish")


async def vote_booth(
    session: AsyncSession,
    actor: Actor | None,
    round_id: uuid.UUID,
    now: dt.datetime,
    *,
    slug: str | None = None,
) -> Booth:
    """The round's entries, the person's vote and team, whether the vote is open, and the tally when allowed.
    The same five queries after the round's own, whatever the number of entries or votes."""
    ctx = await load_vote_round(session, actor, round_id, slug)
    candidates = [
        Candidate(submission_id, team_id, name, organization, dict(answers or {}))
        for submission_id, team_id, name, organization, answers in await session.execute(
            _candidates_query(round_id)
        )
    ]
    fields = list(
        await session.scalars(
            select(RoundField)
            .where(
                RoundField.round_id == round_id, RoundField.retired_at.is_(None), RoundField.kind != "file"
            )
            .order_by(RoundField.position, RoundField.id)
        )
    )
    my_vote, my_team = await _mine(session, actor, ctx)
    counts = (await tally(session, [round_id]))[round_id] if may_see_tally(actor, ctx) else None
    clock = closed_message(ctx, now)
    message = insider_message(ctx) or clock
    return Booth(
        ctx, candidates, fields, my_vote, my_team, message is None, message, counts, running=clock is None
    )


async def cast_vote(
    session: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    submission_id: uuid.UUID | None,
    now: dt.datetime,
    *,
    slug: str | None = None,
) -> Candidate:
    """Record the person's one vote in the round for the entry `submission_id` (see the module's rules)."""
    ctx = await load_vote_round(session, actor, round_id, slug)
    authz.require(actor, "vote:cast", ctx.relations)
    if insider := insider_message(ctx):
        raise PermissionDeniedException(detail=insider)
    message = closed_message(ctx, now)
    if message:
        raise Conflict(detail=message)
    row = None
    if submission_id is not None:
        row = (
            await session.execute(_candidates_query(round_id).where(Submission.id == submission_id))
        ).one_or_none()
    if row is None:
        raise InvalidInput({"submission_id": _("Choose one of the entries of this vote.")})
    candidate = Candidate(row[0], row[1], row[2], row[3], dict(row[4] or {}))
    earlier, my_team = await _mine(session, actor, ctx)
    if candidate.team_id == my_team:
        raise PermissionDeniedException(detail=_("You cannot vote for your own team."))
    if earlier is None:
        inserted = await session.scalar(
            insert(Vote)
            .values(
                round_id=round_id, user_id=actor.id, submission_id=candidate.submission_id, created_at=now
            )
            .on_conflict_do_nothing(index_elements=["round_id", "user_id"])
            .returning(Vote.submission_id)
        )
        if inserted is not None:
            return candidate
        # Another request of the same person got there first: this statement sees its committed vote.
        earlier, _team = await _mine(session, actor, ctx)
    raise Conflict(
        detail=_(
            "You already voted for %(team)s in this vote: a vote cannot be changed.",
            team=earlier.team_name if earlier else "…",
        )
    )


def winners(counts: list[Count]) -> list[Count]:
    """The most voted entries (several on a tie), none without votes."""
    if not counts:
        return []
    top = max(count.votes for count in counts)
    return [count for count in counts if count.votes == top]
