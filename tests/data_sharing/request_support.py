"""A fixed cast for access requests: a challenge with a team (captain, two members), a dataset with its steward
offered to the challenge, and everyone else who must be refused."""

from __future__ import annotations

import dataclasses
from typing import Any

from app.accounts.sessions import actor_from_user
from app.organizations.models import OrganizationMember
from tests.factories import (
    make_challenge,
    make_dataset,
    make_founder,
    make_offering,
    make_organization,
    make_team,
    make_user,
)


@dataclasses.dataclass
class Cast:
    challenge: Any
    team: Any
    captain: Any
    member: Any  # named on the request
    other_member: Any  # in the team, not named
    steward: Any
    steward_org_member: Any  # in the steward organization, not named steward of the dataset
    founder: Any
    other_user: Any
    admin: Any
    dataset: Any
    offering: Any

    def actor(self, user: Any) -> Any:
        return actor_from_user(user)


async def make_cast(db: Any, *, rounds: int = 1, max_grant_days: int = 90, **offering: Any) -> Cast:
    challenge = await make_challenge(db, rounds=rounds)
    captain = await make_user(db, name="Carla Captain")
    member = await make_user(db, name="Milo Member")
    other_member = await make_user(db, name="Olga Other")
    team = await make_team(db, challenge, captain, members=(member, other_member), name="Heartbeat")
    steward = await make_user(db, name="Sam Steward")
    dataset = await make_dataset(db, steward=steward, max_grant_days=max_grant_days)
    steward_org_member = await make_user(db, name="Stella Colleague")
    db.add(
        OrganizationMember(
            organization_id=dataset.steward_organization_id, user_id=steward_org_member.id, role="member"
        )
    )
    founder = await make_founder(db, challenge, name="Fanny Founder")
    other_user = await make_user(db, name="Otto Outsider")
    await make_organization(db, owner=other_user)
    admin = await make_user(db, name="Ada Admin", admin=True)
    offer = await make_offering(db, dataset, challenge, **offering)
    await db.flush()
    return Cast(challenge, team, captain, member, other_member, steward, steward_org_member, founder, other_user,
                admin, dataset, offer)  # fmt: skip
