"""A cast for the access tests: a steward's dataset with one stored file, offered to a challenge whose team
(captain Cleo, member Max) holds a grant naming both; a founder, an outsider and Olive, a team member not named."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from sqlalchemy import select

from app.data_sharing.models import AccessLogEntry, DatasetFile
from app.platform.storage import storage_for
from tests.factories import (
    make_challenge,
    make_dataset,
    make_founder,
    make_grant,
    make_offering,
    make_team,
    make_user,
)

CONTENT = b"patient_id,ef\n1,55\n2,38\n"


@dataclasses.dataclass
class Cast:
    steward: Any
    dataset: Any
    challenge: Any
    offering: Any
    captain: Any
    member: Any
    unnamed: Any
    founder: Any
    outsider: Any
    team: Any
    grant: Any
    file: Any


async def add_file(db, settings, dataset, content: bytes = CONTENT, name: str = "echo.csv") -> DatasetFile:
    """A real file in storage and its row (the dataset pages build these through uploads)."""
    key = f"datasets/{uuid.uuid4().hex}"

    async def chunks():
        yield content

    stored = await storage_for(settings).put_stream(key, chunks(), 10_000_000)
    row = DatasetFile(
        dataset_id=dataset.id,
        storage_key=key,
        name=name,
        content_type="text/csv",
        size=stored.size,
        sha256=stored.sha256,
    )
    db.add(row)
    await db.flush()
    return row


async def make_cast(db, settings, *, access_mode: str = "files", **grant_fields: Any) -> Cast:
    steward = await make_user(db, name="Sam Steward")
    dataset = await make_dataset(db, steward=steward, access_mode=access_mode)
    challenge = await make_challenge(db)
    offering = await make_offering(db, dataset, challenge)
    captain = await make_user(db, name="Cleo Captain")
    member = await make_user(db, name="Max Member")
    unnamed = await make_user(db, name="Olive Unnamed")
    team = await make_team(db, challenge, captain, members=(member, unnamed))
    grant = await make_grant(db, offering, team, (captain, member), steward=steward, **grant_fields)
    founder = await make_founder(db, challenge, name="Fay Founder")
    outsider = await make_user(db, name="Otto Outsider")
    file = await add_file(db, settings, dataset)
    return Cast(
        steward, dataset, challenge, offering, captain, member, unnamed, founder, outsider, team, grant, file
    )


async def log_rows(db, dataset_id) -> list[AccessLogEntry]:
    return list(
        (
            await db.scalars(
                select(AccessLogEntry)
                .where(AccessLogEntry.dataset_id == dataset_id)
                .order_by(AccessLogEntry.id)
            )
        ).all()
    )
