"""Demo content in French and English: an organization of each kind, a person for each role, and
a cardiovascular program with challenges in every phase (app.challenges.demo), and teams with
submissions in several states in those that have started (app.teams.demo), then a round being judged
and a challenge with published results (app.judging.demo), then datasets offered to challenges with
pending, active, expired and revoked grants (app.data_sharing.demo).

Loading is idempotent: organizations are found by slug, people by e-mail, memberships by their
pair, and whatever already exists is left as it is (a demo password changed since stays changed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.challenges.demo import load_challenges
from app.data_sharing.demo import load_data_sharing
from app.db import utcnow
from app.judging.demo import load_judging
from app.organizations.models import Organization, OrganizationMember
from app.platform import audit
from app.teams.demo import load_teams

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.settings import Settings

DEMO_DOMAIN = "demo.tremplin.local"
DEMO_PASSWORD = "tremplin-demo-2026"  # noqa: S105 (public, in the README: demo accounts only)


@dataclasses.dataclass(frozen=True)
class DemoOrganization:
    slug: str
    name: str
    kind: str
    country: str
    website: str
    verified: bool = True


@dataclasses.dataclass(frozen=True)
class DemoPerson:
    role: str
    name: str
    locale: str
    # (organization slug, member role) pairs.
    memberships: tuple[tuple[str, str], ...] = ()
    admin: bool = False
    notify_mode: str = "immediate"

    @property
    def email(self) -> str:
        return f"{self.role}@{DEMO_DOMAIN}"


ORGANIZATIONS = (
    DemoOrganization("cardiosense", "CardioSense", "startup", "FR", "https://cardiosense.example"),
    DemoOrganization("chu-de-bordeaux", "CHU de Bordeaux", "hospital", "FR", "https://chu-bordeaux.example"),
    DemoOrganization(
        "ars-nouvelle-aquitaine",
        "Agence régionale de santé Nouvelle-Aquitaine",
        "public_body",
        "FR",
        "https://ars.example",
    ),
    DemoOrganization(
        "inserm-u1219",
        "Inserm U1219 – Bordeaux Population Health",
        "academic_lab",
        "FR",
        "https://u1219.example",
    ),
    DemoOrganization("medtech-group", "MedTech Group", "company", "DE", "https://medtech-group.example"),
    # Left unverified so that an admin has something to verify in the demo.
    DemoOrganization(
        "france-patients", "France Patients", "association", "FR", "https://france-patients.example", False
    ),
)

PEOPLE = (
    DemoPerson("admin", "Camille Laurent", "fr", admin=True),
    DemoPerson(
        "founder", "Hélène Moreau", "fr", (("chu-de-bordeaux", "owner"), ("ars-nouvelle-aquitaine", "member"))
    ),
    DemoPerson("judge", "James Whitfield", "en", (("medtech-group", "member"),), notify_mode="digest"),
    DemoPerson("steward", "Amira Benali", "fr", (("inserm-u1219", "owner"),)),
    DemoPerson("captain", "Emily Carter", "en", (("cardiosense", "owner"),)),
    DemoPerson("member", "Lucas Martin", "fr", (("cardiosense", "member"), ("france-patients", "owner"))),
    # More participants, so that the demo's teams have members (app.teams.demo).
    DemoPerson("researcher", "Chloé Dubois", "fr", (("inserm-u1219", "member"),)),
    DemoPerson("engineer", "Noah Becker", "en", (("medtech-group", "member"),)),
    DemoPerson("designer", "Sofia Rossi", "en", (("cardiosense", "member"),)),
    # Two more judges, independent of every demo organization (app.judging.demo).
    DemoPerson("cardiologist", "Dr Anne Lefèvre", "fr"),
    DemoPerson("datascientist", "Priya Natarajan", "en"),
)


@dataclasses.dataclass
class DemoResult:
    organizations: int = 0
    people: int = 0
    memberships: int = 0
    programs: int = 0
    challenges: int = 0
    registrations: int = 0
    teams: int = 0
    submissions: int = 0
    judged_rounds: int = 0
    datasets: int = 0

    @property
    def created(self) -> int:
        return sum(dataclasses.astuple(self))


async def has_users(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(User)))


async def accounts_present(session: AsyncSession) -> bool:
    emails = [person.email for person in PEOPLE]
    return bool(await session.scalar(select(func.count()).select_from(User).where(User.email.in_(emails))))


async def load_demo(session: AsyncSession, settings: Settings, now: dt.datetime | None = None) -> DemoResult:
    """Add whatever demo organizations, people, program, challenges and teams are missing; never commits.

    Challenge dates are placed around `now` (the present by default) when first loaded. The submitted
    entries' files are written to the storage `settings` configure.
    """
    now = now or utcnow()
    result = DemoResult()
    people = {person.role: await _person(session, person, result) for person in PEOPLE}
    admin = people["admin"]
    organizations = {item.slug: await _organization(session, item, admin, result) for item in ORGANIZATIONS}
    for person in PEOPLE:
        for slug, role in person.memberships:
            await _membership(session, organizations[slug], people[person.role], role, result)
    loaded = await load_challenges(session, people, organizations, now)
    teams = await load_teams(session, settings, people, organizations, now)
    result.programs, result.challenges, result.registrations = (
        loaded.programs,
        loaded.challenges,
        loaded.registrations + teams.registrations,
    )
    result.teams, result.submissions = teams.teams, teams.submissions
    result.judged_rounds = await load_judging(session, people, now)
    result.datasets = await load_data_sharing(session, settings, people, organizations, now)
    if result.created:
        await audit.record(session, None, "demo:load", "demo", details=dataclasses.asdict(result))
    return result


async def _organization(
    session: AsyncSession, item: DemoOrganization, admin: User, result: DemoResult
) -> Organization:
    found = await session.scalar(select(Organization).where(Organization.slug == item.slug))
    if found is not None:
        return found
    organization = Organization(
        slug=item.slug,
        name=item.name,
        kind=item.kind,
        country=item.country,
        website=item.website,
        verified_at=utcnow() if item.verified else None,
        verified_by_id=admin.id if item.verified else None,
    )
    session.add(organization)
    await session.flush()
    result.organizations += 1
    return organization


async def _person(session: AsyncSession, person: DemoPerson, result: DemoResult) -> User:
    found = await session.scalar(select(User).where(func.lower(User.email) == person.email))
    if found is not None:
        return found
    user = User(
        email=person.email,
        name=person.name,
        password_hash=hash_password(DEMO_PASSWORD),
        locale=person.locale,
        notify_mode=person.notify_mode,
        email_verified_at=utcnow(),
        is_admin=person.admin,
    )
    session.add(user)
    await session.flush()
    result.people += 1
    if person.admin:
        await audit.record(
            session, None, "user:grant_admin", "user", user.id, {"email": user.email, "via": "demo"}
        )
    return user


async def _membership(
    session: AsyncSession, organization: Organization, user: User, role: str, result: DemoResult
) -> None:
    found = await session.get(OrganizationMember, (organization.id, user.id))
    if found is not None:
        return
    session.add(OrganizationMember(organization_id=organization.id, user_id=user.id, role=role))
    await session.flush()
    result.memberships += 1


def accounts_summary() -> list[tuple[str, str, str]]:
    """(e-mail, role, language) of each demo account, for printing."""
    return [(person.email, person.role, person.locale) for person in PEOPLE]
