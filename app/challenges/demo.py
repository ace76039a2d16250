"""Demo program and challenges, in French and English, one in each phase around the moment they are loaded.

Called by app.demo.load_demo with the demo's people and organizations. Idempotent like the rest of
the demo: the program and challenges are found by slug, organizers, invitees and registrations by
their pair, and whatever exists is left as it is. Dates are set relative to the first load, so the
phases drift as time passes (a demo loaded last month has its open challenge in progress today).
Rows are written directly: these are fixtures, not founders' actions going through the services.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.challenges.models import (
    Challenge,
    ChallengeInvitee,
    ChallengeOrganizer,
    Prize,
    Program,
    ProgramOrganization,
    Registration,
    Round,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.models import User
    from app.organizations.models import Organization

DAY = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class DemoProgram:
    slug: str
    title: str
    kind: str
    starts_on: dt.date
    ends_on: dt.date
    description: str
    founders: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class DemoRound:
    name: str
    # Relative to the moment the demo is loaded.
    opens: dt.timedelta
    deadline: dt.timedelta
    description: str = ""


@dataclasses.dataclass(frozen=True)
class DemoChallenge:
    slug: str
    title: str
    summary: str
    description: str
    rules: str
    organizers: tuple[str, ...]
    rounds: tuple[DemoRound, ...]
    # Relative instants; None leaves the date unset.
    registration_opens: dt.timedelta | None
    registration_closes: dt.timedelta | None
    judging_ends: dt.timedelta | None
    results_at: dt.timedelta | None
    published: bool = True
    results_published: bool = False
    visibility: str = "public"
    approval_mode: str = "manual"
    allowed_kinds: tuple[str, ...] = ("startup", "company", "academic_lab")
    allowed_countries: tuple[str, ...] = ()
    team_min: int = 1
    team_max: int = 5
    # (title, description, reward)
    prizes: tuple[tuple[str, str, str], ...] = ()
    questions: tuple[dict[str, Any], ...] = ()
    # (demo person's role, registration status, answers)
    registrations: tuple[tuple[str, str, dict[str, str]], ...] = ()
    # Demo people who followed the invitation link.
    invitees: tuple[str, ...] = ()


PROGRAM = DemoProgram(
    slug="cardiovasculaire-2026-2027",
    title="Cardiovasculaire 2026–2027",
    kind="pathology",
    starts_on=dt.date(2026, 1, 1),
    ends_on=dt.date(2027, 12, 31),
    founders=("chu-de-bordeaux", "ars-nouvelle-aquitaine"),
    description=(
        "Détecter plus tôt l’insuffisance cardiaque, mieux suivre les patients à domicile et prévenir "
        "l’hypertension en Nouvelle-Aquitaine.\n\n"
        "*In English:* detect heart failure earlier, follow patients better at home and prevent "
        "hypertension across the region."
    ),
)

_FR_QUESTIONS = (
    {"key": "maturite", "label": "Où en est votre solution (idée, prototype, produit) ?", "required": True},
    {"key": "donnees", "label": "De quelles données de santé auriez-vous besoin ?", "required": False},
)
_EN_QUESTIONS = (
    {"key": "stage", "label": "How mature is your solution (idea, prototype, product)?", "required": True},
    {"key": "evidence", "label": "What clinical evidence do you already have?", "required": False},
)

CHALLENGES = (
    DemoChallenge(
        slug="insuffisance-cardiaque-a-domicile",
        title="Suivi de l’insuffisance cardiaque à domicile",
        summary="Repérer les signes de décompensation cardiaque avant l’hospitalisation.",
        description=(
            "## Le défi\n\nChaque année, des milliers de patients atteints d’**insuffisance cardiaque** sont "
            "réhospitalisés en urgence. Proposez une solution de télésurveillance qui repère les signes de "
            "décompensation (prise de poids, essoufflement, œdèmes) et alerte l’équipe soignante à temps.\n\n"
            "## Ce que nous offrons\n\n- un accès encadré à des données pseudonymisées du CHU ;\n"
            "- un accompagnement par les cardiologues et les infirmières de coordination."
        ),
        rules="Les solutions doivent respecter le RGPD et le référentiel d’interopérabilité de l’ANS.",
        organizers=("chu-de-bordeaux", "ars-nouvelle-aquitaine"),
        registration_opens=-7 * DAY,
        registration_closes=14 * DAY,
        rounds=(
            DemoRound("Candidature", -7 * DAY, 21 * DAY, "Dossier écrit et vidéo de démonstration."),
            DemoRound("Pitch final", 35 * DAY, 42 * DAY, "Présentation devant le jury au CHU."),
        ),
        judging_ends=56 * DAY,
        results_at=60 * DAY,
        team_min=2,
        team_max=6,
        prizes=(
            ("Grand prix", "Un pilote de six mois dans le service de cardiologie.", "30 000 €"),
            ("Prix des patients", "Choisi avec l’association France Patients.", "Accompagnement de 3 mois"),
        ),
        questions=_FR_QUESTIONS,
        registrations=(
            ("captain", "approved", {"maturite": "Prototype testé avec 20 patients"}),
            ("member", "pending", {"maturite": "Prototype"}),
        ),
    ),
    DemoChallenge(
        slug="remote-monitoring-heart-failure",
        title="Remote monitoring of heart failure patients",
        summary="Predict heart failure decompensation from connected scales and wearables.",
        description=(
            "## The challenge\n\nHeart failure patients often deteriorate at home days before anyone "
            "notices. Build a model or a service that turns data from **connected scales, blood pressure "
            "cuffs and wearables** into early, actionable alerts for nurses.\n\n"
            "Applications open soon: prepare your team."
        ),
        rules="Solutions must be CE-marked or on their way to it as medical device software.",
        organizers=("chu-de-bordeaux", "medtech-group"),
        registration_opens=10 * DAY,
        registration_closes=40 * DAY,
        rounds=(
            DemoRound("Application", 10 * DAY, 45 * DAY),
            DemoRound("Demo day", 60 * DAY, 61 * DAY),
        ),
        judging_ends=75 * DAY,
        results_at=80 * DAY,
        approval_mode="verified",
        allowed_countries=("FR", "DE", "BE"),
        prizes=(("Pilot contract", "A paid pilot with MedTech Group’s home care network.", "€50,000"),),
        questions=_EN_QUESTIONS,
    ),
    DemoChallenge(
        slug="readaptation-cardiaque-connectee",
        title="Réadaptation cardiaque connectée",
        summary="Accompagner la réadaptation après un infarctus, depuis chez soi.",
        description=(
            "Après un infarctus, moins d’un patient sur trois suit un programme de **réadaptation "
            "cardiaque**. Concevez un programme à domicile, motivant et sûr, suivi à distance par "
            "l’équipe de réadaptation."
        ),
        rules="Les prototypes sont évalués par des kinésithérapeutes et des cardiologues du CHU.",
        organizers=("chu-de-bordeaux",),
        registration_opens=-40 * DAY,
        registration_closes=-10 * DAY,
        rounds=(DemoRound("Prototype", -10 * DAY, 10 * DAY),),
        judging_ends=25 * DAY,
        results_at=30 * DAY,
        approval_mode="everyone",
        prizes=(("Prix de l’innovation", "", "15 000 €"),),
        questions=_FR_QUESTIONS,
        registrations=(("captain", "approved", {"maturite": "Produit en bêta"}),),
    ),
    DemoChallenge(
        slug="arrhythmia-detection-wearables",
        title="Arrhythmia detection with consumer wearables",
        summary="Screen for atrial fibrillation with smartwatches, without flooding cardiologists.",
        description=(
            "Consumer smartwatches can record single-lead ECGs. Show that your algorithm detects "
            "**atrial fibrillation** with few false alarms on the challenge’s annotated recordings."
        ),
        rules="Submissions are scored on a held-out test set; the ranking formula is published.",
        organizers=("medtech-group", "chu-de-bordeaux"),
        registration_opens=-60 * DAY,
        registration_closes=-40 * DAY,
        rounds=(DemoRound("Submission", -40 * DAY, -3 * DAY),),
        judging_ends=10 * DAY,
        results_at=14 * DAY,
        prizes=(
            ("Best algorithm", "", "€20,000"),
            ("Best newcomer", "A startup less than two years old.", "€5,000"),
        ),
        questions=_EN_QUESTIONS,
    ),
    DemoChallenge(
        slug="prevention-hypertension",
        title="Prévention de l’hypertension en pharmacie",
        summary="Dépister l’hypertension artérielle là où les patients passent déjà : à la pharmacie.",
        description=(
            "Un adulte sur trois est hypertendu, et la moitié l’ignore. Ce défi cherchait des outils de "
            "**dépistage en officine** et d’orientation vers le médecin traitant. Les lauréats sont connus."
        ),
        rules="Défi terminé : les résultats sont publiés.",
        organizers=("ars-nouvelle-aquitaine",),
        registration_opens=-150 * DAY,
        registration_closes=-120 * DAY,
        rounds=(DemoRound("Dossier", -120 * DAY, -90 * DAY),),
        judging_ends=-45 * DAY,
        results_at=-30 * DAY,
        results_published=True,
        allowed_kinds=(),
        prizes=(("Lauréat régional", "Déploiement dans 50 pharmacies.", "25 000 €"),),
    ),
    DemoChallenge(
        slug="cardio-data-hackathon",
        title="Cardio data hackathon (by invitation)",
        summary="A closed weekend on the hospital’s cardiology data warehouse.",
        description=(
            "For invited teams only: two days on a secure workspace with pseudonymised cardiology data, "
            "to prototype **heart failure** risk scores with the hospital’s data scientists."
        ),
        rules="Participants sign the data use agreement before the weekend.",
        organizers=("chu-de-bordeaux", "inserm-u1219"),
        registration_opens=-3 * DAY,
        registration_closes=10 * DAY,
        rounds=(DemoRound("Hackathon", 12 * DAY, 14 * DAY),),
        judging_ends=16 * DAY,
        results_at=17 * DAY,
        visibility="invitation",
        team_max=4,
        prizes=(("Follow-up grant", "", "€10,000"),),
        questions=_EN_QUESTIONS,
        invitees=("member",),
    ),
    DemoChallenge(
        slug="imagerie-cardiaque-ia",
        title="IA et imagerie cardiaque",
        summary="Brouillon : automatiser la mesure de la fraction d’éjection en échocardiographie.",
        description="Défi en préparation avec le service d’imagerie ; les dates restent à confirmer.",
        rules="À rédiger.",
        organizers=("chu-de-bordeaux",),
        registration_opens=30 * DAY,
        registration_closes=60 * DAY,
        rounds=(DemoRound("Candidature", 30 * DAY, 70 * DAY),),
        judging_ends=90 * DAY,
        results_at=95 * DAY,
        published=False,
    ),
)


@dataclasses.dataclass
class ChallengeDemoResult:
    programs: int = 0
    challenges: int = 0
    registrations: int = 0


async def load_challenges(
    session: AsyncSession,
    people: dict[str, User],
    organizations: dict[str, Organization],
    now: dt.datetime,
) -> ChallengeDemoResult:
    """Add the demo program, its challenges, invitees and registrations that are missing; never commits."""
    result = ChallengeDemoResult()
    program = await _program(session, PROGRAM, organizations, people["founder"], result)
    for item in CHALLENGES:
        challenge = await _challenge(session, item, program, organizations, people["founder"], now, result)
        for role in item.invitees:
            await _invitee(session, challenge, people[role])
        for role, status, answers in item.registrations:
            await _registration(
                session,
                challenge,
                people[role],
                status,
                answers,
                people["founder"],
                organizations,
                now,
                result,
            )
    return result


async def _program(
    session: AsyncSession,
    item: DemoProgram,
    organizations: dict[str, Organization],
    founder: User,
    result: ChallengeDemoResult,
) -> Program:
    program = await session.scalar(select(Program).where(Program.slug == item.slug))
    if program is None:
        program = Program(
            slug=item.slug,
            title=item.title,
            kind=item.kind,
            starts_on=item.starts_on,
            ends_on=item.ends_on,
            description=item.description,
            created_by_id=founder.id,
        )
        session.add(program)
        await session.flush()
        result.programs += 1
    for slug in item.founders:
        if await session.get(ProgramOrganization, (program.id, organizations[slug].id)) is None:
            session.add(ProgramOrganization(program_id=program.id, organization_id=organizations[slug].id))
    await session.flush()
    return program


async def _challenge(
    session: AsyncSession,
    item: DemoChallenge,
    program: Program,
    organizations: dict[str, Organization],
    founder: User,
    now: dt.datetime,
    result: ChallengeDemoResult,
) -> Challenge:
    found = await session.scalar(select(Challenge).where(Challenge.slug == item.slug))
    if found is not None:
        return found
    challenge = Challenge(
        slug=item.slug,
        program_id=program.id,
        title=item.title,
        summary=item.summary,
        description=item.description,
        rules=item.rules,
        rules_version=1,
        **_timeline(item, now),
        allowed_kinds=list(item.allowed_kinds),
        allowed_countries=list(item.allowed_countries),
        team_min=item.team_min,
        team_max=item.team_max,
        visibility=item.visibility,
        invitation_token=secrets.token_urlsafe(24) if item.visibility == "invitation" else None,
        approval_mode=item.approval_mode,
        registration_questions=[dict(question) for question in item.questions],
        created_by_id=founder.id,
    )
    session.add(challenge)
    await session.flush()
    for slug in item.organizers:
        session.add(ChallengeOrganizer(challenge_id=challenge.id, organization_id=organizations[slug].id))
    for position, round_ in enumerate(item.rounds, start=1):
        session.add(
            Round(
                challenge_id=challenge.id,
                position=position,
                name=round_.name,
                description=round_.description,
                opens_at=now + round_.opens,
                deadline=now + round_.deadline,
            )
        )
    for position, (title, description, reward) in enumerate(item.prizes, start=1):
        session.add(
            Prize(
                challenge_id=challenge.id,
                position=position,
                title=title,
                description=description,
                reward=reward,
            )
        )
    await session.flush()
    result.challenges += 1
    return challenge


def _timeline(item: DemoChallenge, now: dt.datetime) -> dict[str, dt.datetime | None]:
    def at(offset: dt.timedelta | None) -> dt.datetime | None:
        return None if offset is None else now + offset

    # Published a little before registration opens (or a week ago when it opened long since).
    opened = item.registration_opens if item.registration_opens is not None else dt.timedelta(0)
    return {
        "registration_opens_at": at(item.registration_opens),
        "registration_closes_at": at(item.registration_closes),
        "judging_ends_at": at(item.judging_ends),
        "results_at": at(item.results_at),
        "published_at": at(min(opened, dt.timedelta(0)) - 7 * DAY) if item.published else None,
        "results_published_at": at(item.results_at) if item.results_published else None,
    }


async def _invitee(session: AsyncSession, challenge: Challenge, user: User) -> None:
    if await session.get(ChallengeInvitee, (challenge.id, user.id)) is None:
        session.add(ChallengeInvitee(challenge_id=challenge.id, user_id=user.id))
        await session.flush()


async def _registration(
    session: AsyncSession,
    challenge: Challenge,
    user: User,
    status: str,
    answers: dict[str, str],
    founder: User,
    organizations: dict[str, Organization],
    now: dt.datetime,
    result: ChallengeDemoResult,
) -> None:
    found = await session.scalar(
        select(Registration.id).where(
            Registration.challenge_id == challenge.id, Registration.user_id == user.id
        )
    )
    if found is not None:
        return
    decided = status in ("approved", "rejected")
    session.add(
        Registration(
            challenge_id=challenge.id,
            user_id=user.id,
            # The demo's participants (captain, member) both work for the demo startup.
            organization_id=organizations["cardiosense"].id,
            status=status,
            rules_version=challenge.rules_version,
            rules_accepted_at=now - 2 * DAY,
            answers=answers,
            decided_by_id=founder.id if decided else None,
            decided_at=now - DAY if decided else None,
        )
    )
    await session.flush()
    result.registrations += 1
