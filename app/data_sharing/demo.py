"""Demo data sharing (after app.judging.demo): two datasets of Inserm U1219 stewarded by the demo steward,
offered to the cardiology challenges, with a grant in each state.

- "Échographies cardiaques pseudonymisées" (sensitive health data, files served by the platform, one CSV
  file really written to storage), offered to "Suivi de l'insuffisance cardiaque à domicile" and to
  "Réadaptation cardiaque connectée": HeartWatch holds an active grant (its two members accepted the
  agreement; one download in the access log, and one refused attempt by someone without a grant); CardioSense
  Domicile's request waits for the steward; CardioSense Réadaptation's grant was revoked.
- "Registre régional de l'insuffisance cardiaque" (restricted, external secure workspace), offered to
  "Arrhythmia detection with consumer wearables": RhythmAI's grant has expired.

Rows are written directly, keeping the services' rules: a request's state comes from its events (the
database sets it), grants stay within the dataset's longest duration and the challenge's end plus grace,
named members are current team members who accepted the agreement in force. Idempotent: a dataset found by
its slug is left as it is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.challenges.models import Challenge
from app.data_sharing.models import (
    FIVE_SAFES,
    AccessLogEntry,
    AccessRequest,
    AccessRequestEvent,
    AccessRequestMember,
    AgreementAcceptance,
    AgreementVersion,
    Dataset,
    DatasetFile,
    DatasetSteward,
    Grant,
    GrantMember,
    Offering,
)
from app.platform.storage import new_key, storage_for
from app.teams.models import Team

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.models import User
    from app.organizations.models import Organization
    from app.settings import Settings

DAY = dt.timedelta(days=1)

_AGREEMENT = (
    "1. Les données ne servent qu’au défi pour lequel l’accès est accordé.\n"
    "2. Aucune tentative de réidentification des patients.\n"
    "3. Aucune copie hors de l’espace prévu ; suppression à la fin de l’autorisation.\n"
    "4. Toute publication mentionne le CHU de Bordeaux et Inserm U1219."
)
_FIVE_SAFES = {
    "projects": "Projets limités au repérage précoce de la décompensation cardiaque, validés par le comité du défi.",
    "people": "Membres nommés des équipes, ayant accepté l’accord ; formation RGPD exigée.",
    "settings": "Téléchargement chiffré, lien personnel de 5 minutes ; stockage sur poste chiffré.",
    "data": "Données pseudonymisées, dates décalées, âges regroupés par tranches de 5 ans.",
    "outputs": "Seuls des résultats agrégés (au moins 10 patients par cellule) sortent du projet.",
}
_CSV = (
    b"patient,age_band,sex,lvef_percent,e_over_e_prime,nt_probnp\n"
    b"P0001,70-74,F,38,16.2,2450\nP0002,60-64,M,52,9.8,410\nP0003,80-84,F,30,19.5,5120\n"
)


@dataclasses.dataclass(frozen=True)
class DemoDataset:
    slug: str
    title: str
    description: str
    sensitivity: str
    access_mode: str
    max_grant_days: int
    offered_to: tuple[str, ...]
    workspace_instructions: str = ""


DATASETS = (
    DemoDataset(
        "echographies-cardiaques",
        "Échographies cardiaques pseudonymisées",
        "Comptes rendus d’échocardiographie de 1 200 patients suivis pour insuffisance cardiaque au CHU de "
        "Bordeaux (2019–2024) : fraction d’éjection, pressions de remplissage, NT-proBNP.",
        "sensitive",
        "files",
        90,
        ("insuffisance-cardiaque-a-domicile", "readaptation-cardiaque-connectee"),
    ),
    DemoDataset(
        "registre-insuffisance-cardiaque",
        "Registre régional de l’insuffisance cardiaque",
        "Hospitalisations pour insuffisance cardiaque en Nouvelle-Aquitaine, chaînées avec le suivi en ville.",
        "restricted",
        "workspace",
        60,
        ("arrhythmia-detection-wearables",),
        "Connectez-vous à l’espace sécurisé https://bulle.u1219.example avec la carte fournie par Inserm.",
    ),
)


async def load_data_sharing(
    session: AsyncSession,
    settings: Settings,
    people: dict[str, User],
    organizations: dict[str, Organization],
    now: dt.datetime,
) -> int:
    """Add the demo datasets that are missing, with their offerings, requests and grants; returns how many."""
    added = 0
    for item in DATASETS:
        if await session.scalar(select(Dataset.id).where(Dataset.slug == item.slug)) is not None:
            continue
        dataset = await _dataset(
            session, settings, item, people["steward"], organizations["inserm-u1219"], now
        )
        challenges = {
            c.slug: c
            for c in await session.scalars(select(Challenge).where(Challenge.slug.in_(item.offered_to)))
        }
        offerings = {
            slug: await _offering(session, dataset, challenges[slug], people, now) for slug in item.offered_to
        }
        await _requests(session, item, dataset, offerings, people, now)
        added += 1
    return added


async def _dataset(
    session: AsyncSession,
    settings: Settings,
    item: DemoDataset,
    steward: User,
    organization: Organization,
    now: dt.datetime,
) -> Dataset:
    dataset = Dataset(
        slug=item.slug, title=item.title, description=item.description, steward_organization_id=organization.id,
        sensitivity=item.sensitivity, access_mode=item.access_mode, max_grant_days=item.max_grant_days,
        workspace_instructions=item.workspace_instructions, created_by_id=steward.id, created_at=now - 60 * DAY,
    )  # fmt: skip
    session.add(dataset)
    await session.flush()
    session.add(DatasetSteward(dataset_id=dataset.id, user_id=steward.id))
    session.add(AgreementVersion(dataset_id=dataset.id, version=1, text=_AGREEMENT, created_by_id=steward.id))
    if item.access_mode == "files":

        async def chunks() -> AsyncIterator[bytes]:
            yield _CSV

        stored = await storage_for(settings).put_stream(new_key("datasets"), chunks(), max_bytes=len(_CSV))
        session.add(
            DatasetFile(
                dataset_id=dataset.id, storage_key=stored.key, name="echographies-extrait.csv", content_type="text/csv",
                size=stored.size, sha256=hashlib.sha256(_CSV).hexdigest(), uploaded_by_id=steward.id,
            )
        )  # fmt: skip
    await session.flush()
    return dataset


async def _offering(
    session: AsyncSession, dataset: Dataset, challenge: Challenge, people: dict[str, User], now: dt.datetime
) -> Offering:
    offering = Offering(
        dataset_id=dataset.id, challenge_id=challenge.id, created_at=now - 30 * DAY,
        founder_agreed_at=now - 29 * DAY, founder_agreed_by_id=people["founder"].id,
        steward_agreed_at=now - 28 * DAY, steward_agreed_by_id=people["steward"].id,
        five_safes={safe: _FIVE_SAFES[safe] for safe in FIVE_SAFES},
    )  # fmt: skip
    session.add(offering)
    await session.flush()
    return offering


# (challenge, team, named members, what happened: pending | active | revoked | expired)
_REQUESTS = (
    (
        "echographies-cardiaques",
        "insuffisance-cardiaque-a-domicile",
        "HeartWatch",
        ("engineer", "designer"),
        "active",
    ),
    (
        "echographies-cardiaques",
        "insuffisance-cardiaque-a-domicile",
        "CardioSense Domicile",
        ("captain",),
        "pending",
    ),
    (
        "echographies-cardiaques",
        "readaptation-cardiaque-connectee",
        "CardioSense Réadaptation",
        ("captain", "member"),
        "revoked",
    ),
    (
        "registre-insuffisance-cardiaque",
        "arrhythmia-detection-wearables",
        "RhythmAI",
        ("engineer",),
        "expired",
    ),
)


async def _requests(
    session: AsyncSession,
    item: DemoDataset,
    dataset: Dataset,
    offerings: dict[str, Offering],
    people: dict[str, User],
    now: dt.datetime,
) -> None:
    steward = people["steward"]
    accepted: set[str] = set()  # one acceptance per person and agreement version, whatever their requests
    for dataset_slug, challenge_slug, team_name, roles, fate in _REQUESTS:
        if dataset_slug != item.slug:
            continue
        offering = offerings[challenge_slug]
        team = await session.scalar(
            select(Team).where(Team.challenge_id == offering.challenge_id, Team.name == team_name)
        )
        if team is None:
            continue
        members = [people[role] for role in roles]
        request = AccessRequest(
            offering_id=offering.id, dataset_id=dataset.id, challenge_id=offering.challenge_id, team_id=team.id,
            purpose="Entraîner et valider un modèle de repérage précoce de la décompensation.",
            created_by_id=team.captain_id, created_at=now - 20 * DAY,
        )  # fmt: skip
        session.add(request)
        await session.flush()
        for member in members:
            session.add(AccessRequestMember(request_id=request.id, user_id=member.id))
            if member.email not in accepted:
                accepted.add(member.email)
                session.add(
                    AgreementAcceptance(
                        dataset_id=dataset.id, user_id=member.id, version=1, accepted_at=now - 19 * DAY
                    )
                )
        steps = [
            ("created", None, "draft", team.captain_id, 20),
            ("submitted", "draft", "submitted", team.captain_id, 18),
        ]
        if fate != "pending":
            steps.append(("approved", "submitted", "approved", steward.id, 15))
        for seq, (kind, before, after, actor, days_ago) in enumerate(steps, start=1):
            session.add(
                AccessRequestEvent(
                    request_id=request.id, seq=seq, kind=kind, from_state=before, to_state=after, actor_id=actor,
                    created_at=now - days_ago * DAY,
                )
            )  # fmt: skip
            await session.flush()
        if fate != "pending":
            await _grant(session, request, team, members, steward, fate, now, outsider=people["captain"])


async def _grant(
    session: AsyncSession,
    request: AccessRequest,
    team: Team,
    members: list[User],
    steward: User,
    fate: str,
    now: dt.datetime,
    *,
    outsider: User,
) -> None:
    starts = now - 15 * DAY
    expires = now - 2 * DAY if fate == "expired" else now + 30 * DAY
    grant = Grant(
        request_id=request.id, team_id=team.id, dataset_id=request.dataset_id, challenge_id=request.challenge_id,
        starts_at=starts, expires_at=expires, created_by_id=steward.id, created_at=starts,
        revoked_at=now - 3 * DAY if fate == "revoked" else None, revoked_by_id=steward.id if fate == "revoked" else None,
        revoke_reason="Copie des données constatée hors de l’espace prévu." if fate == "revoked" else None,
        expired_at=expires if fate == "expired" else None, warned_at=expires - 7 * DAY if fate == "expired" else None,
    )  # fmt: skip
    session.add(grant)
    await session.flush()
    for member in members:
        session.add(GrantMember(grant_id=grant.id, user_id=member.id, added_at=starts))
    if fate == "active":
        file_id = await session.scalar(
            select(DatasetFile.id).where(DatasetFile.dataset_id == request.dataset_id)
        )
        session.add(
            AccessLogEntry(
                at=now - 5 * DAY, user_id=members[0].id, dataset_id=request.dataset_id, file_id=file_id, grant_id=grant.id,
                team_id=team.id, action="download", outcome="allowed", ip="192.0.2.10",
            )
        )  # fmt: skip
        session.add(
            AccessLogEntry(
                at=now - 4 * DAY, user_id=outsider.id, dataset_id=request.dataset_id, file_id=file_id,
                action="link", outcome="refused", reason="no_grant", ip="192.0.2.11",
            )
        )  # fmt: skip
    await session.flush()
