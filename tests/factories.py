"""Small async factories and the named cast used across tests."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User, UserSession
from app.accounts.passwords import hash_password
from app.accounts.sessions import hash_token
from app.db import utcnow
from app.organizations.models import Organization, OrganizationMember

DEFAULT_PASSWORD = "correct horse battery staple"
# Hashing with argon2 costs ~50 ms; factories reuse one hash of the default password.
_DEFAULT_HASH: str | None = None


def _default_hash() -> str:
    global _DEFAULT_HASH
    if _DEFAULT_HASH is None:
        _DEFAULT_HASH = hash_password(DEFAULT_PASSWORD)
    return _DEFAULT_HASH


async def make_user(
    db: AsyncSession,
    *,
    email: str | None = None,
    name: str = "Test Person",
    password: str | None = None,
    verified: bool = True,
    admin: bool = False,
    locale: str = "en",
    **fields: Any,
) -> User:
    user = User(
        email=(email or f"user-{uuid.uuid4().hex[:10]}@example.org").lower(),
        name=name,
        password_hash=hash_password(password) if password else _default_hash(),
        email_verified_at=utcnow() if verified else None,
        is_admin=admin,
        locale=locale,
        **fields,
    )
    db.add(user)
    await db.flush()
    return user


async def make_organization(
    db: AsyncSession,
    *,
    name: str | None = None,
    kind: str = "startup",
    country: str = "FR",
    verified: bool = False,
    owner: User | None = None,
    members: tuple[User, ...] = (),
) -> Organization:
    suffix = uuid.uuid4().hex[:8]
    organization = Organization(
        name=name or f"Organization {suffix}",
        slug=f"org-{suffix}",
        kind=kind,
        country=country,
        verified_at=utcnow() if verified else None,
    )
    db.add(organization)
    await db.flush()
    if owner is not None:
        db.add(OrganizationMember(organization_id=organization.id, user_id=owner.id, role="owner"))
    for member in members:
        db.add(OrganizationMember(organization_id=organization.id, user_id=member.id, role="member"))
    await db.flush()
    return organization


async def sign_in(client: Any, db: AsyncSession, user: User) -> str:
    """Give the test client a signed-in session for `user` without going through the login form."""
    token = "s_" + secrets.token_urlsafe(32)
    db.add(UserSession(id=hash_token(token), user_id=user.id))
    await db.flush()
    client.cookies.set("tremplin", token, domain="testserver.local")
    return token


async def make_challenge(
    db: AsyncSession,
    *,
    organizers: tuple[Organization, ...] = (),
    title: str | None = None,
    published: bool = True,
    visibility: str = "public",
    now: Any = None,
    rounds: int = 1,
    **fields: Any,
) -> Any:
    """A challenge with an open registration and `rounds` rounds, one week apart, around `now`."""
    import datetime as dt

    from app.challenges.models import Challenge, ChallengeOrganizer, Round

    now = now or utcnow()
    suffix = uuid.uuid4().hex[:8]
    values: dict[str, Any] = {
        "slug": f"challenge-{suffix}",
        "title": title or f"Challenge {suffix}",
        "summary": "A challenge for tests.",
        "description": "Build something useful.",
        "rules": "Be kind.",
        "visibility": visibility,
        "published_at": now - dt.timedelta(days=2) if published else None,
        "registration_opens_at": now - dt.timedelta(days=1),
        "registration_closes_at": now + dt.timedelta(days=7),
        "judging_ends_at": now + dt.timedelta(days=7 * (rounds + 1) + 7),
    }
    values.update(fields)
    challenge = Challenge(**values)
    db.add(challenge)
    await db.flush()
    for organization in organizers:
        db.add(ChallengeOrganizer(challenge_id=challenge.id, organization_id=organization.id))
    for position in range(1, rounds + 1):
        db.add(
            Round(
                challenge_id=challenge.id,
                position=position,
                name=f"Round {position}",
                opens_at=now - dt.timedelta(days=1) + dt.timedelta(days=7 * (position - 1)),
                deadline=now + dt.timedelta(days=7 * position + 7),
            )
        )
    await db.flush()
    return challenge


async def make_founder(db: AsyncSession, challenge: Any, **user_fields: Any) -> User:
    """A member of a new organizer organization of `challenge`."""
    from app.challenges.models import ChallengeOrganizer

    founder = await make_user(db, **user_fields)
    organization = await make_organization(db, kind="hospital", owner=founder, verified=True)
    db.add(ChallengeOrganizer(challenge_id=challenge.id, organization_id=organization.id))
    await db.flush()
    return founder


async def make_registration(
    db: AsyncSession, challenge: Any, user: User, *, status: str = "approved", **fields: Any
) -> Any:
    from app.challenges.models import Registration

    registration = Registration(
        challenge_id=challenge.id,
        user_id=user.id,
        status=status,
        rules_version=challenge.rules_version,
        rules_accepted_at=utcnow(),
        **fields,
    )
    db.add(registration)
    await db.flush()
    return registration


async def make_team(
    db: AsyncSession,
    challenge: Any,
    captain: User,
    *,
    members: tuple[User, ...] = (),
    name: str | None = None,
) -> Any:
    """A team of `challenge` with its captain and members (registrations are the caller's business)."""
    from app.teams.models import Team, TeamMember

    team = Team(
        challenge_id=challenge.id,
        name=name or f"Team {uuid.uuid4().hex[:6]}",
        captain_id=captain.id,
        member_count=1 + len(members),
    )
    db.add(team)
    await db.flush()
    db.add(TeamMember(team_id=team.id, user_id=captain.id, challenge_id=challenge.id, role="captain"))
    for member in members:
        db.add(TeamMember(team_id=team.id, user_id=member.id, challenge_id=challenge.id, role="member"))
    await db.flush()
    return team


async def make_judged_round(
    db: AsyncSession,
    *,
    now: Any = None,
    teams: int = 3,
    judges: int = 2,
    criteria: int = 2,
    screen: bool = True,
    assign: bool = True,
    rounds: int = 1,
) -> Any:
    """A published challenge whose first round's deadline passed a day ago and whose judging is open for a
    week: a founder, `teams` teams each with a submitted entry (screened eligible when `screen`), `judges`
    accepted judges (each assigned to every entry when `assign`) and a rubric of `criteria` criteria
    scored 0-10 with weights 1, 2, 3, ... Returns a namespace: challenge, round, rounds, founder, teams,
    captains, entries, judges, criteria."""
    import datetime as dt
    from types import SimpleNamespace

    from sqlalchemy import select

    from app.challenges.models import Round
    from app.judging.models import Assignment, Criterion, Judge, JudgingRound, Screening
    from app.teams.models import Submission, SubmissionVersion

    now = now or utcnow()
    challenge = await make_challenge(db, now=now, rounds=rounds, judging_ends_at=now + dt.timedelta(days=60))
    all_rounds = list(
        await db.scalars(select(Round).where(Round.challenge_id == challenge.id).order_by(Round.position))
    )
    first = all_rounds[0]
    first.opens_at = now - dt.timedelta(days=10)
    first.deadline = now - dt.timedelta(days=1)
    for later in all_rounds[1:]:
        later.opens_at = now + dt.timedelta(days=14 * (later.position - 1))
        later.deadline = now + dt.timedelta(days=14 * (later.position - 1) + 7)
    founder = await make_founder(db, challenge, name="Fiona Founder")
    db.add(JudgingRound(round_id=first.id, challenge_id=challenge.id, closes_at=now + dt.timedelta(days=7)))
    team_rows, captains, entries = [], [], []
    for index in range(teams):
        captain = await make_user(db, name=f"Captain {index + 1}")
        await make_registration(db, challenge, captain)
        team = await make_team(db, challenge, captain, name=f"Team {index + 1} {uuid.uuid4().hex[:4]}")
        entry = Submission(
            team_id=team.id,
            round_id=first.id,
            status="submitted",
            version=1,
            submitted_at=now - dt.timedelta(days=2),
        )
        db.add(entry)
        await db.flush()
        db.add(
            SubmissionVersion(
                submission_id=entry.id,
                number=1,
                answers={},
                files={},
                created_by_id=captain.id,
                action="submit",
            )
        )
        if screen:
            db.add(
                Screening(
                    submission_id=entry.id, round_id=first.id, decision="eligible", decided_by_id=founder.id
                )
            )
        team_rows.append(team)
        captains.append(captain)
        entries.append(entry)
    judge_users = []
    for index in range(judges):
        user = await make_user(db, name=f"Judge {index + 1}")
        db.add(
            Judge(
                round_id=first.id,
                challenge_id=challenge.id,
                email=user.email,
                user_id=user.id,
                invited_by_id=founder.id,
                accepted_at=now - dt.timedelta(days=3),
            )
        )
        judge_users.append(user)
    criteria_rows = []
    for index in range(criteria):
        criterion = Criterion(
            round_id=first.id,
            position=index,
            name=f"Criterion {index + 1}",
            weight=index + 1,
            scale_min=0,
            scale_max=10,
            scale_step=1,
        )
        db.add(criterion)
        criteria_rows.append(criterion)
    await db.flush()
    if assign:
        for entry in entries:
            for user in judge_users:
                db.add(Assignment(submission_id=entry.id, user_id=user.id, round_id=first.id))
        await db.flush()
    return SimpleNamespace(
        challenge=challenge,
        round=first,
        rounds=all_rounds,
        founder=founder,
        teams=team_rows,
        captains=captains,
        entries=entries,
        judges=judge_users,
        criteria=criteria_rows,
        now=now,
    )


async def make_dataset(
    db: AsyncSession,
    *,
    steward: User | None = None,
    sensitivity: str = "sensitive",
    access_mode: str = "files",
    max_grant_days: int = 90,
    agreement: str = "Use the data only for the challenge. Never try to re-identify anyone.",
    **fields: Any,
) -> Any:
    """A dataset of a new steward organization, with `steward` (made when missing) named steward and
    agreement version 1."""
    from app.data_sharing.models import AgreementVersion, Dataset, DatasetSteward

    steward = steward or await make_user(db, name="Sam Steward")
    organization = await make_organization(db, kind="hospital", owner=steward, verified=True)
    suffix = uuid.uuid4().hex[:8]
    dataset = Dataset(
        slug=f"dataset-{suffix}",
        title=f"Dataset {suffix}",
        description="Pseudonymised echocardiography reports.",
        steward_organization_id=organization.id,
        sensitivity=sensitivity,
        access_mode=access_mode,
        max_grant_days=max_grant_days,
        workspace_instructions="Connect to https://workspace.example with your hospital account."
        if access_mode == "workspace"
        else "",
        created_by_id=steward.id,
        **fields,
    )
    db.add(dataset)
    await db.flush()
    db.add(DatasetSteward(dataset_id=dataset.id, user_id=steward.id))
    db.add(AgreementVersion(dataset_id=dataset.id, version=1, text=agreement, created_by_id=steward.id))
    await db.flush()
    return dataset


async def make_offering(
    db: AsyncSession, dataset: Any, challenge: Any, *, agreed: bool = True, **fields: Any
) -> Any:
    """`dataset` offered to `challenge`, agreed by both sides unless `agreed` is False."""
    from app.data_sharing.models import FIVE_SAFES, Offering

    now = utcnow()
    offering = Offering(
        dataset_id=dataset.id,
        challenge_id=challenge.id,
        founder_agreed_at=now if agreed else None,
        steward_agreed_at=now if agreed else None,
        five_safes={safe: f"The {safe} are safe." for safe in FIVE_SAFES},
        **fields,
    )
    db.add(offering)
    await db.flush()
    return offering


async def make_grant(
    db: AsyncSession,
    offering: Any,
    team: Any,
    members: tuple[User, ...],
    *,
    starts_at: Any = None,
    expires_at: Any = None,
    accept: bool = True,
    steward: User | None = None,
) -> Any:
    """An approved request of `team` for the offering naming `members`, its history (created, submitted,
    approved) and its grant, active from a day ago for 30 days by default; each member accepted
    agreement version 1 unless `accept` is False."""
    import datetime as dt

    from app.data_sharing.models import (
        AccessRequest,
        AccessRequestEvent,
        AccessRequestMember,
        AgreementAcceptance,
        Grant,
        GrantMember,
    )

    now = utcnow()
    starts_at = starts_at or now - dt.timedelta(days=1)
    expires_at = expires_at or now + dt.timedelta(days=30)
    request = AccessRequest(
        offering_id=offering.id, dataset_id=offering.dataset_id, challenge_id=offering.challenge_id, team_id=team.id,
        purpose="Train and validate a model of decompensation.", created_by_id=team.captain_id,
    )  # fmt: skip
    db.add(request)
    await db.flush()
    for member in members:
        db.add(AccessRequestMember(request_id=request.id, user_id=member.id))
        if accept:
            db.add(AgreementAcceptance(dataset_id=offering.dataset_id, user_id=member.id, version=1))
    for seq, (kind, before, after, actor) in enumerate(
        (
            ("created", None, "draft", team.captain_id),
            ("submitted", "draft", "submitted", team.captain_id),
            ("approved", "submitted", "approved", steward.id if steward else None),
        ),
        start=1,
    ):
        db.add(
            AccessRequestEvent(
                request_id=request.id, seq=seq, kind=kind, from_state=before, to_state=after, actor_id=actor
            )
        )
        await db.flush()
    grant = Grant(
        request_id=request.id, team_id=team.id, dataset_id=offering.dataset_id, challenge_id=offering.challenge_id,
        starts_at=starts_at, expires_at=expires_at, created_by_id=steward.id if steward else None,
    )  # fmt: skip
    db.add(grant)
    await db.flush()
    for member in members:
        db.add(GrantMember(grant_id=grant.id, user_id=member.id))
    await db.flush()
    return grant
