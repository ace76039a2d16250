"""Demo teams and submissions, in French and English, in the challenges that have started (after app.challenges.demo).

Called by app.demo.load_demo once the challenges exist. Idempotent like the rest of the demo: a team
is found by its name within its challenge and, when it exists, left as it is with everything it holds
(members, submission, invitations, join requests); registrations and round questions are found by
their pair. Dates are relative to the first load's `now`, and only rounds that opened before it get
submissions. Rows are written directly (fixtures, not the services), but they keep the services'
rules: member_count equals the member rows, one team per person and challenge, every member and
requester has an approved registration, a submission's `version` is its latest version's number.
The PDFs of the submitted entries are really written to the configured storage.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from app.challenges.models import Challenge, Registration, Round, RoundField
from app.platform.storage import new_key, storage_for
from app.teams.models import (
    JoinRequest,
    StoredFile,
    Submission,
    SubmissionVersion,
    Team,
    TeamInvitation,
    TeamMember,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.models import User
    from app.organizations.models import Organization
    from app.settings import Settings

DAY = dt.timedelta(days=1)
MAX_PDF_BYTES = 1024 * 1024

# The first round's questions, by the challenge's language: (key, label, kind, required).
_FR_FIELDS = (
    ("resume", "Résumé de la solution", "long_text", True),
    ("video", "Lien vers une vidéo de démonstration", "url", False),
    ("dossier", "Dossier de candidature (PDF)", "file", False),
)
_EN_FIELDS = (
    ("summary", "Summary of the solution", "long_text", True),
    ("demo_url", "Link to a demo video", "url", False),
    ("deck", "Pitch deck (PDF)", "file", False),
)
ENGLISH_CHALLENGES = frozenset({"arrhythmia-detection-wearables"})


@dataclasses.dataclass(frozen=True)
class Step:
    """One version of a submission: what happened, when (relative to the first load), by whom."""

    action: str
    at: dt.timedelta
    by: str
    answers: dict[str, str] = dataclasses.field(default_factory=dict)
    # Attach the team's PDF to the file question from this version on.
    with_file: bool = False


@dataclasses.dataclass(frozen=True)
class DemoTeam:
    challenge: str
    name: str
    captain: str
    organization: str
    members: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    # Demo people invited by e-mail (pending) and asking to join (pending).
    invited: tuple[str, ...] = ()
    requesting: tuple[str, ...] = ()
    gallery_opt_in: bool = False


_FR_ANSWER = {"maturite": "Prototype testé avec des patients"}
_EN_ANSWER = {"stage": "Prototype validated on retrospective data"}
# Registration answers by challenge, for the registrations the teams need.
REGISTRATION_ANSWERS = {
    "insuffisance-cardiaque-a-domicile": _FR_ANSWER,
    "readaptation-cardiaque-connectee": _FR_ANSWER,
    "arrhythmia-detection-wearables": _EN_ANSWER,
    "prevention-hypertension": {},
}
# Which organization each demo person registers for.
AFFILIATIONS = {
    "captain": "cardiosense",
    "member": "cardiosense",
    "researcher": "inserm-u1219",
    "engineer": "medtech-group",
    "designer": "cardiosense",
}

_RESUME = (
    "Une balance et un tensiomètre connectés transmettent chaque matin le poids et la tension ; "
    "une alerte part vers l’infirmière de coordination quand le poids augmente de plus de 2 kg en 3 jours."
)
_SUMMARY = (
    "A single-lead ECG classifier running on the watch, with a second, server-side model that "
    "confirms atrial fibrillation before any alert reaches a cardiologist."
)

TEAMS = (
    # Open challenge (minimum two members): a team of one that cannot submit yet, with an invitation
    # and a join request waiting, and a complete team still working on its draft.
    DemoTeam(
        "insuffisance-cardiaque-a-domicile",
        "CardioSense Domicile",
        captain="captain",
        organization="cardiosense",
        steps=(Step("save", -3 * DAY, "captain", {"resume": "Télésurveillance du poids et de la tension."}),),
        invited=("member",),
        requesting=("researcher",),
    ),
    DemoTeam(
        "insuffisance-cardiaque-a-domicile",
        "HeartWatch",
        captain="engineer",
        organization="medtech-group",
        members=("designer",),
        steps=(
            Step("save", -5 * DAY, "engineer", {"resume": "Première idée : un patch ECG."}),
            Step("save", -4 * DAY, "designer", {"resume": "Patch ECG et application pour le patient."}),
            Step(
                "save",
                -1 * DAY,
                "engineer",
                {"resume": "Patch ECG, application patient et tableau de bord infirmier."},
            ),
        ),
    ),
    # In progress: a complete team that submitted with its PDF, and a team that withdrew.
    DemoTeam(
        "readaptation-cardiaque-connectee",
        "CardioSense Réadaptation",
        captain="captain",
        organization="cardiosense",
        members=("member",),
        steps=(
            Step("save", -6 * DAY, "member", {"resume": _RESUME}),
            Step("upload", -3 * DAY, "captain", {"resume": _RESUME}, with_file=True),
            Step(
                "submit",
                -2 * DAY,
                "captain",
                {"resume": _RESUME, "video": "https://video.example/cardiosense-readaptation"},
                with_file=True,
            ),
        ),
    ),
    DemoTeam(
        "readaptation-cardiaque-connectee",
        "Kiné Connect",
        captain="researcher",
        organization="inserm-u1219",
        steps=(
            Step("save", -8 * DAY, "researcher", {"resume": "Séances de kinésithérapie guidées par vidéo."}),
            Step(
                "submit", -5 * DAY, "researcher", {"resume": "Séances de kinésithérapie guidées par vidéo."}
            ),
            Step(
                "withdraw", -1 * DAY, "researcher", {"resume": "Séances de kinésithérapie guidées par vidéo."}
            ),
        ),
    ),
    # Judging: two entries submitted before the deadline, one draft that never was.
    DemoTeam(
        "arrhythmia-detection-wearables",
        "RhythmAI",
        captain="engineer",
        organization="medtech-group",
        members=("designer",),
        steps=(
            Step("save", -20 * DAY, "engineer", {"summary": "Watch-side classifier."}),
            Step(
                "submit",
                -6 * DAY,
                "engineer",
                {"summary": _SUMMARY, "demo_url": "https://video.example/rhythmai"},
                with_file=True,
            ),
        ),
    ),
    DemoTeam(
        "arrhythmia-detection-wearables",
        "PulseCheck",
        captain="captain",
        organization="cardiosense",
        members=("member",),
        steps=(
            Step("save", -15 * DAY, "captain", {"summary": "Photoplethysmography first."}),
            Step(
                "submit",
                -5 * DAY,
                "captain",
                {
                    "summary": "Continuous photoplethysmography on the wrist flags irregular rhythm; a "
                    "30-second ECG is then requested from the wearer before anything is reported.",
                    "demo_url": "https://video.example/pulsecheck",
                },
            ),
        ),
    ),
    DemoTeam(
        "arrhythmia-detection-wearables",
        "AF Screen Lab",
        captain="researcher",
        organization="inserm-u1219",
        steps=(Step("save", -10 * DAY, "researcher", {"summary": "Screening in GP practices."}),),
    ),
    # Results published: a team in the gallery with its submitted entry, and one that did not win.
    DemoTeam(
        "prevention-hypertension",
        "TensioPharma",
        captain="member",
        organization="cardiosense",
        members=("researcher",),
        steps=(
            Step("save", -110 * DAY, "member", {"resume": "Borne de mesure en officine."}),
            Step(
                "submit",
                -95 * DAY,
                "member",
                {
                    "resume": "Une borne de mesure en officine et l’orientation vers le médecin traitant "
                    "par messagerie sécurisée.",
                    "video": "https://video.example/tensiopharma",
                },
                with_file=True,
            ),
        ),
        gallery_opt_in=True,
    ),
    DemoTeam(
        "prevention-hypertension",
        "Officine+",
        captain="engineer",
        organization="medtech-group",
        steps=(
            Step(
                "submit",
                -100 * DAY,
                "engineer",
                {"resume": "Un questionnaire de risque sur tablette et un tensiomètre validé au comptoir."},
            ),
        ),
    ),
)


@dataclasses.dataclass
class TeamDemoResult:
    registrations: int = 0
    teams: int = 0
    submissions: int = 0


async def load_teams(
    session: AsyncSession,
    settings: Settings,
    people: dict[str, User],
    organizations: dict[str, Organization],
    now: dt.datetime,
) -> TeamDemoResult:
    """Add the demo teams that are missing, with what they hold; never commits (files are written to storage)."""
    result = TeamDemoResult()
    slugs = {item.challenge for item in TEAMS}
    challenges = {
        c.slug: c for c in await session.scalars(select(Challenge).where(Challenge.slug.in_(slugs)))
    }
    for item in TEAMS:
        challenge = challenges[item.challenge]
        if await _team_exists(session, challenge, item.name):
            continue
        for role in (item.captain, *item.members, *item.requesting):
            await _registration(
                session, challenge, people[role], organizations, people["founder"], now, result
            )
        team = await _team(session, challenge, item, people, organizations, now)
        result.teams += 1
        if item.steps:
            await _submission(session, settings, challenge, team, item, people, now)
            result.submissions += 1
    return result


async def _team_exists(session: AsyncSession, challenge: Challenge, name: str) -> bool:
    found = await session.scalar(
        select(Team.id).where(Team.challenge_id == challenge.id, func.lower(Team.name) == name.lower())
    )
    return found is not None


async def _registration(
    session: AsyncSession,
    challenge: Challenge,
    user: User,
    organizations: dict[str, Organization],
    founder: User,
    now: dt.datetime,
    result: TeamDemoResult,
) -> None:
    found = await session.scalar(
        select(Registration.status).where(
            Registration.challenge_id == challenge.id, Registration.user_id == user.id
        )
    )
    if found is not None:
        if found != "approved":
            raise ValueError(
                f"demo: {user.email} is in a team of {challenge.slug} without an approved registration"
            )
        return
    role = user.email.split("@")[0]
    session.add(
        Registration(
            challenge_id=challenge.id,
            user_id=user.id,
            organization_id=organizations[AFFILIATIONS[role]].id,
            status="approved",
            rules_version=challenge.rules_version,
            rules_accepted_at=_before_registration_closed(challenge, now) - DAY,
            answers=dict(REGISTRATION_ANSWERS[challenge.slug]),
            decided_by_id=founder.id,
            decided_at=_before_registration_closed(challenge, now),
        )
    )
    await session.flush()
    result.registrations += 1


def _before_registration_closed(challenge: Challenge, now: dt.datetime) -> dt.datetime:
    closes = challenge.registration_closes_at
    return min(now, closes - DAY) if closes is not None else now


async def _team(
    session: AsyncSession,
    challenge: Challenge,
    item: DemoTeam,
    people: dict[str, User],
    organizations: dict[str, Organization],
    now: dt.datetime,
) -> Team:
    captain = people[item.captain]
    team = Team(
        challenge_id=challenge.id,
        name=item.name,
        captain_id=captain.id,
        organization_id=organizations[item.organization].id,
        member_count=1 + len(item.members),
        gallery_opt_in=item.gallery_opt_in,
        # Formed a day before its first save.
        created_at=now + (item.steps[0].at if item.steps else dt.timedelta(0)) - DAY,
    )
    session.add(team)
    await session.flush()
    session.add(TeamMember(team_id=team.id, user_id=captain.id, challenge_id=challenge.id, role="captain"))
    for role in item.members:
        session.add(
            TeamMember(team_id=team.id, user_id=people[role].id, challenge_id=challenge.id, role="member")
        )
    for role in item.invited:
        session.add(
            TeamInvitation(
                team_id=team.id, email=people[role].email, invited_by_id=captain.id, expires_at=now + 14 * DAY
            )
        )
    for role in item.requesting:
        session.add(
            JoinRequest(
                team_id=team.id,
                user_id=people[role].id,
                message="Je peux aider sur l’analyse des données cliniques.",
            )
        )
    await session.flush()
    return team


async def _submission(
    session: AsyncSession,
    settings: Settings,
    challenge: Challenge,
    team: Team,
    item: DemoTeam,
    people: dict[str, User],
    now: dt.datetime,
) -> None:
    round_ = await session.scalar(
        select(Round).where(Round.challenge_id == challenge.id, Round.position == 1)
    )
    assert round_ is not None
    if round_.opens_at > now + item.steps[0].at or round_.deadline <= now + item.steps[-1].at:
        raise ValueError(f"demo: {item.name}'s versions fall outside {challenge.slug}'s first round")
    file_key = await _fields(session, challenge, round_)
    stored = None
    if any(step.with_file for step in item.steps):
        stored = await _pdf(session, settings, team, item, people[item.captain])
    submission = Submission(team_id=team.id, round_id=round_.id, created_at=now + item.steps[0].at)
    session.add(submission)
    await session.flush()
    for number, step in enumerate(item.steps, start=1):
        at = now + step.at
        files = {file_key: str(stored.id)} if step.with_file and stored is not None else {}
        session.add(
            SubmissionVersion(
                submission_id=submission.id,
                number=number,
                answers=dict(step.answers),
                files=files,
                created_by_id=people[step.by].id,
                action=step.action,
                created_at=at,
            )
        )
        if step.action == "submit":
            submission.status, submission.submitted_at = "submitted", at
        elif step.action == "withdraw":
            submission.status = "withdrawn"
        submission.version, submission.updated_at, submission.updated_by_id = number, at, people[step.by].id
    await session.flush()


async def _fields(session: AsyncSession, challenge: Challenge, round_: Round) -> str:
    """Give the round its demo questions (those missing); the key of its file question."""
    fields = _EN_FIELDS if challenge.slug in ENGLISH_CHALLENGES else _FR_FIELDS
    existing = set(await session.scalars(select(RoundField.key).where(RoundField.round_id == round_.id)))
    for position, (key, label, kind, required) in enumerate(fields, start=1):
        if key in existing:
            continue
        session.add(
            RoundField(
                round_id=round_.id,
                key=key,
                position=position,
                label=label,
                kind=kind,
                required=required,
                max_size_mb=10 if kind == "file" else None,
                allowed_types=["pdf"] if kind == "file" else [],
            )
        )
    await session.flush()
    return next(key for key, _label, kind, _required in fields if kind == "file")


async def _pdf(
    session: AsyncSession, settings: Settings, team: Team, item: DemoTeam, uploader: User
) -> StoredFile:
    """Write the team's one-page PDF to storage and record it."""
    data = pdf_document(f"{item.name} - {item.challenge}")

    async def chunks() -> AsyncIterator[bytes]:
        yield data

    stored = await storage_for(settings).put_stream(new_key("submissions"), chunks(), max_bytes=MAX_PDF_BYTES)
    stored_file = StoredFile(
        storage_key=stored.key,
        original_name=f"{item.name.lower().replace(' ', '-')}.pdf",
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_id=uploader.id,
        team_id=team.id,
    )
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    session.add(stored_file)
    await session.flush()
    return stored_file


def pdf_document(title: str) -> bytes:
    """A valid one-page PDF showing `title` (ASCII), with a correct cross-reference table."""
    text = (
        title.encode("ascii", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    )
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects: list[Any] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>"
        ),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
