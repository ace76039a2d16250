"""Signed download links: short-lived, for one person, for one file, issued only after the access rule.

A link carries the file, the person and its expiry, signed with the app's secret under a salt of its
own (so no other signed token of the platform passes for one). Holding a link is not enough: the
download checks that the signed-in person is the link's person and runs the access rule again, so a
link stops working the moment the grant is revoked, the member removed or the team left, whatever its
expiry. With S3 storage the download answers with a presigned URL valid for a minute, after the same
checks; with local storage the app streams the file itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, URLSafeSerializer
from litestar.exceptions import NotFoundException
from sqlalchemy import select

from app.data_sharing import access
from app.data_sharing.models import Dataset, DatasetFile

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

SALT = "tremplin.data-download"
LINK_LIFETIME = dt.timedelta(minutes=5)


@dataclasses.dataclass(frozen=True, slots=True)
class Link:
    token: str
    file: DatasetFile
    expires_at: dt.datetime

    @property
    def url(self) -> str:
        return f"/data/download/{self.token}"


@dataclasses.dataclass(frozen=True, slots=True)
class Claim:
    file_id: uuid.UUID
    user_id: uuid.UUID
    expires_at: dt.datetime


def sign(secret: str, file_id: uuid.UUID, user_id: uuid.UUID, expires_at: dt.datetime) -> str:
    payload = {"f": file_id.hex, "u": user_id.hex, "e": int(expires_at.timestamp())}
    return URLSafeSerializer(secret, salt=SALT).dumps(payload)


def read(secret: str, token: str) -> Claim:
    """What a link says; a token not signed by us, or altered, is a 404 (nothing to log: no trusted claim)."""
    try:
        payload: Any = URLSafeSerializer(secret, salt=SALT).loads(token)
        return Claim(
            uuid.UUID(payload["f"]),
            uuid.UUID(payload["u"]),
            dt.datetime.fromtimestamp(int(payload["e"]), dt.UTC),
        )
    except (BadSignature, KeyError, TypeError, ValueError):
        raise NotFoundException() from None


async def dataset_file(session: AsyncSession, file_id: uuid.UUID) -> tuple[DatasetFile, Dataset]:
    """A file still part of a files-mode dataset, with its dataset; anything else is a 404."""
    row = (
        await session.execute(
            select(DatasetFile, Dataset)
            .join(Dataset, Dataset.id == DatasetFile.dataset_id)
            .where(
                DatasetFile.id == file_id, DatasetFile.removed_at.is_(None), Dataset.access_mode == "files"
            )
        )
    ).first()
    if row is None:
        raise NotFoundException()
    return row[0], row[1]


async def issue(
    session: AsyncSession, actor: Actor, secret: str, file_id: uuid.UUID, now: dt.datetime
) -> Link:
    """A link for the actor to download the file, after the access rule (logged either way)."""
    file, dataset = await dataset_file(session, file_id)
    await access.require_access(session, actor, dataset.id, "link", now, file.id)
    expires_at = now + LINK_LIFETIME
    return Link(sign(secret, file.id, actor.id, expires_at), file, expires_at)


async def redeem(
    session: AsyncSession, actor: Actor, secret: str, token: str, now: dt.datetime
) -> DatasetFile:
    """The file a link opens for the actor at `now`: the link's own person, before its expiry, and the rule
    still holding. Every refusal is logged (403) with the link's file."""
    claim = read(secret, token)
    file, dataset = await dataset_file(session, claim.file_id)
    if claim.user_id != actor.id:
        await access.refuse(
            session, actor, dataset.id, access.Decision(False, "other_user"), "download", now, file.id
        )
    if now >= claim.expires_at:
        await access.refuse(
            session, actor, dataset.id, access.Decision(False, "link_expired"), "download", now, file.id
        )
    await access.require_access(session, actor, dataset.id, "download", now, file.id)
    return file


async def workspace(
    session: AsyncSession, actor: Actor, slug: str, now: dt.datetime
) -> tuple[Dataset, access.Decision]:
    """A workspace-mode dataset's instructions are content: shown only under the rule, every view logged."""
    dataset = await session.scalar(
        select(Dataset).where(Dataset.slug == slug, Dataset.access_mode == "workspace")
    )
    if dataset is None:
        raise NotFoundException()
    decision = await access.require_access(session, actor, dataset.id, "workspace", now)
    return dataset, decision
