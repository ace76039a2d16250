"""The cast of data-sharing tests: a dataset with its steward, another member of the steward organization,
a challenge with a founder and a team's captain, someone unrelated and an admin."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select

from app.organizations.models import OrganizationMember
from app.platform.models import AuditEntry
from tests.factories import (
    make_challenge,
    make_dataset,
    make_founder,
    make_registration,
    make_team,
    make_user,
    sign_in,
)

ROLES = ("steward", "org_member", "founder", "captain", "other", "admin", "visitor")


@dataclasses.dataclass
class Cast:
    dataset: Any
    challenge: Any
    steward: Any
    org_member: Any
    founder: Any
    captain: Any
    team: Any
    other: Any
    admin: Any

    def user(self, role: str) -> Any:
        return None if role == "visitor" else getattr(self, role)


async def make_cast(db: Any, **dataset_fields: Any) -> Cast:
    steward = await make_user(db, name="Sam Steward")
    dataset = await make_dataset(db, steward=steward, **dataset_fields)
    org_member = await make_user(db, name="Olga Member")
    db.add(
        OrganizationMember(
            organization_id=dataset.steward_organization_id, user_id=org_member.id, role="member"
        )
    )
    challenge = await make_challenge(db, title="Heart failure challenge")
    founder = await make_founder(db, challenge, name="Fanny Founder")
    captain = await make_user(db, name="Carl Captain")
    await make_registration(db, challenge, captain)
    team = await make_team(db, challenge, captain)
    other = await make_user(db, name="Otto Other")
    admin = await make_user(db, name="Ada Admin", admin=True)
    await db.flush()
    return Cast(dataset, challenge, steward, org_member, founder, captain, team, other, admin)


async def as_role(client: Any, db: Any, cast: Cast, role: str) -> Any:
    user = cast.user(role)
    if user is not None:
        await sign_in(client, db, user)
    return user


async def audit_entries(db: Any, action: str, object_id: Any = None) -> list[AuditEntry]:
    statement = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    if object_id is not None:
        statement = statement.where(AuditEntry.object_id == str(object_id))
    return list(await db.scalars(statement))


def denied(status: int, role: str) -> bool:
    """Refused without a server error: visitors are sent to sign in, others get 403 or 404."""
    if role == "visitor":
        return status in (302, 303, 401)
    return status in (403, 404)
