"""Demo judging (after app.teams.demo): a round being judged, and a finished challenge with its results.

- "Arrhythmia detection with consumer wearables": the round's deadline passed three days ago and its
  judging is open. A rubric of four criteria, both submitted entries screened eligible, three judges:
  the demo judge (a member of MedTech Group, hence automatically in conflict with RhythmAI, MedTech's
  own team, and assigned only to PulseCheck, not yet scored), the cardiologist (both entries finalized)
  and the data scientist (one finalized, one draft). The founder sees a ranking, the judges a queue.
- "Prévention de l'hypertension en pharmacie": judged by the cardiologist and the data scientist with
  comments, the regional prize awarded to TensioPharma, results published with the public ranking.

Rows are written directly, keeping the services' rules (only eligible entries assigned, no conflicted
assignment, scores inside the scale and on its steps, finalized reviews complete). Idempotent: a round
that already has judging settings is left as it is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.challenges.models import Challenge, Prize, Round
from app.judging.models import (
    Assignment,
    Criterion,
    Judge,
    JudgingRound,
    PrizeAward,
    Review,
    Score,
    Screening,
)
from app.teams.models import Submission, Team

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.models import User

DAY = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class DemoCriterion:
    name: str
    description: str
    weight: int
    # Descriptors of the levels 0, 5 and 10 (the scale is 0-10 by steps of 1; the others stay blank).
    low: str
    middle: str
    high: str


@dataclasses.dataclass(frozen=True)
class DemoReview:
    judge: str
    team: str
    values: tuple[int, ...]
    comment: str = ""
    comments: tuple[str, ...] = ()
    final: bool = True


@dataclasses.dataclass(frozen=True)
class DemoJudging:
    challenge: str
    judges: tuple[str, ...]
    criteria: tuple[DemoCriterion, ...]
    reviews: tuple[DemoReview, ...]
    awards: tuple[tuple[str, str], ...] = ()  # (prize title, team name)
    results_visibility: str = "winners"


_EN_CRITERIA = (
    DemoCriterion(
        "Clinical value",
        "Does it change what happens to patients?",
        3,
        "No clear benefit",
        "Plausible benefit",
        "Benefit shown on real patients",
    ),
    DemoCriterion(
        "Detection performance",
        "Sensitivity and false alarms on the annotated recordings.",
        3,
        "Not measured",
        "Measured on own data",
        "Measured on the challenge's test set",
    ),
    DemoCriterion(
        "Fit with care pathways",
        "Who acts on an alert, and how fast?",
        2,
        "Nobody identified",
        "A pathway is sketched",
        "Agreed with a cardiology team",
    ),
    DemoCriterion(
        "Team and feasibility",
        "Can this team deliver a pilot within a year?",
        1,
        "Unclear",
        "Credible",
        "Already piloting",
    ),
)
_FR_CRITERIA = (
    DemoCriterion(
        "Intérêt pour la santé publique",
        "Combien d’hypertendus non dépistés la solution peut-elle atteindre ?",
        3,
        "Faible",
        "Réel mais limité",
        "Important et mesuré",
    ),
    DemoCriterion(
        "Intégration en officine",
        "La solution tient-elle dans le temps d’un passage au comptoir ?",
        2,
        "Difficile",
        "Possible avec formation",
        "Immédiate",
    ),
    DemoCriterion(
        "Orientation vers le médecin",
        "Le patient dépisté est-il vraiment orienté et suivi ?",
        2,
        "Non prévu",
        "Prévu",
        "Organisé avec les médecins",
    ),
)

JUDGINGS = (
    DemoJudging(
        "arrhythmia-detection-wearables",
        judges=("judge", "cardiologist", "datascientist"),
        criteria=_EN_CRITERIA,
        reviews=(
            DemoReview(
                "cardiologist",
                "RhythmAI",
                (8, 7, 6, 7),
                "Convincing confirmation step; ask for the false alarm rate per 1,000 patient-days.",
            ),
            DemoReview(
                "cardiologist",
                "PulseCheck",
                (6, 5, 7, 6),
                "Good pathway; the optical signal alone will not convince cardiologists.",
            ),
            DemoReview(
                "datascientist",
                "RhythmAI",
                (7, 8, 5, 8),
                "Strong validation design.",
                ("", "Held-out test set used properly.", "", ""),
            ),
            DemoReview("datascientist", "PulseCheck", (6, 6, 0, 0), final=False),
        ),
    ),
    DemoJudging(
        "prevention-hypertension",
        judges=("cardiologist", "datascientist"),
        criteria=_FR_CRITERIA,
        reviews=(
            DemoReview(
                "cardiologist",
                "TensioPharma",
                (9, 8, 8),
                "Solution simple, déjà testée dans trois officines.",
            ),
            DemoReview(
                "cardiologist",
                "Officine+",
                (7, 6, 5),
                "Le questionnaire allonge trop le passage au comptoir.",
            ),
            DemoReview(
                "datascientist",
                "TensioPharma",
                (8, 9, 7),
                "Very clear referral circuit.",
                ("", "", "Le courrier au médecin est généré automatiquement."),
            ),
            DemoReview(
                "datascientist", "Officine+", (6, 7, 6), "Good screening questionnaire, weaker follow-up."
            ),
        ),
        awards=(("Lauréat régional", "TensioPharma"),),
        results_visibility="ranking",
    ),
)


async def load_judging(session: AsyncSession, people: dict[str, User], now: dt.datetime) -> int:
    """Add the demo judging that is missing; returns how many rounds were set up. Never commits."""
    loaded = 0
    for item in JUDGINGS:
        row = (
            await session.execute(
                select(Challenge, Round)
                .join(Round, Round.challenge_id == Challenge.id)
                .where(Challenge.slug == item.challenge, Round.position == 1)
            )
        ).one_or_none()
        if row is None or await session.get(JudgingRound, row[1].id) is not None:
            continue
        await _judging(session, item, row[0], row[1], people, now)
        loaded += 1
    return loaded


async def _judging(
    session: AsyncSession,
    item: DemoJudging,
    challenge: Challenge,
    round_: Round,
    people: dict[str, User],
    now: dt.datetime,
) -> None:
    founder = people["founder"]
    finished = challenge.results_published_at is not None
    session.add(
        JudgingRound(
            round_id=round_.id,
            challenge_id=challenge.id,
            closes_at=challenge.judging_ends_at if finished else None,
        )
    )
    criteria = [
        Criterion(
            round_id=round_.id,
            position=position,
            name=c.name,
            description=c.description,
            weight=c.weight,
            scale_min=0,
            scale_max=10,
            scale_step=1,
            descriptors=[
                {"value": 0, "text": c.low},
                {"value": 5, "text": c.middle},
                {"value": 10, "text": c.high},
            ],
        )
        for position, c in enumerate(item.criteria)
    ]
    session.add_all(criteria)
    entries = {
        team.name: (team, entry)
        for team, entry in await session.execute(
            select(Team, Submission)
            .join(Submission, Submission.team_id == Team.id)
            .where(Submission.round_id == round_.id, Submission.status == "submitted")
        )
    }
    screened_at = round_.deadline + DAY
    for _team, entry in entries.values():
        session.add(
            Screening(
                submission_id=entry.id,
                round_id=round_.id,
                decision="eligible",
                decided_by_id=founder.id,
                decided_at=screened_at,
            )
        )
    for role in item.judges:
        judge = people[role]
        session.add(
            Judge(
                round_id=round_.id,
                challenge_id=challenge.id,
                email=judge.email,
                user_id=judge.id,
                invited_by_id=founder.id,
                accepted_at=round_.deadline - 5 * DAY,
                created_at=round_.deadline - 6 * DAY,
            )
        )
        for team, entry in entries.values():
            if not await _in_conflict(session, judge, team):
                session.add(
                    Assignment(
                        submission_id=entry.id, user_id=judge.id, round_id=round_.id, created_at=screened_at
                    )
                )
    await session.flush()
    for review in item.reviews:
        await _review(session, review, criteria, entries[review.team][1], people, round_, now, finished)
    for prize_title, team_name in item.awards:
        prize = await session.scalar(
            select(Prize).where(Prize.challenge_id == challenge.id, Prize.title == prize_title)
        )
        if prize is not None:
            session.add(
                PrizeAward(prize_id=prize.id, team_id=entries[team_name][0].id, awarded_by_id=founder.id)
            )
    challenge.results_visibility = item.results_visibility
    await session.flush()


async def _review(
    session: AsyncSession,
    item: DemoReview,
    criteria: list[Criterion],
    entry: Submission,
    people: dict[str, User],
    round_: Round,
    now: dt.datetime,
    finished: bool,
) -> None:
    at = round_.deadline + 2 * DAY if finished else now - DAY
    review = Review(
        submission_id=entry.id,
        user_id=people[item.judge].id,
        round_id=round_.id,
        comment=item.comment,
        finalized_at=at if item.final else None,
        updated_at=at,
    )
    session.add(review)
    await session.flush()
    comments = item.comments or ("",) * len(criteria)
    for criterion, value, comment in zip(criteria, item.values, comments, strict=True):
        if not item.final and value == 0:
            continue  # a draft: the criteria not scored yet
        session.add(
            Score(
                review_id=review.id,
                criterion_id=criterion.id,
                value=Decimal(value),
                comment=comment,
                updated_at=at,
            )
        )


async def _in_conflict(session: AsyncSession, judge: User, team: Team) -> bool:
    from app.judging.conflicts import in_conflict

    return bool(await session.scalar(select(in_conflict(judge.id, team.id))))
