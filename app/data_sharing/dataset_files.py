"""Files of a dataset (access mode "files"): stewards upload them into storage, streamed and checksummed,
list them and remove them. Content is never served here: downloads go through the access rule only
(app.data_sharing access slice), stewards included.

An upload is parsed as it arrives and written chunk by chunk (app.teams.uploads.MultipartFile), under a
generated key; the person's file name is kept for display only. The transaction that checked the
steward is ended before the body streams, so a slow upload holds no connection; the row is written in a
second transaction that checks again, and a refused or failed upload leaves nothing stored.
"""

from __future__ import annotations

import mimetypes
import uuid
from typing import TYPE_CHECKING

from litestar.exceptions import ClientException, HTTPException, NotFoundException
from multipart import MultipartError, ParserLimitReached
from sqlalchemy import select

from app.data_sharing.datasets import load_dataset
from app.data_sharing.models import Dataset, DatasetFile
from app.platform import audit
from app.platform.errors import Conflict
from app.platform.i18n import gettext as _
from app.platform.storage import Storage, Stored, TooLarge, new_key, storage_for
from app.teams.files import display_name
from app.teams.uploads import ENVELOPE_BYTES, MB, IncomingBody, MultipartFile, UploadRefused

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.settings import Settings

MAX_FILE_MB = 2048


def _too_large() -> ClientException:
    return ClientException(
        status_code=413, detail=_("A dataset file may hold at most %(num)s MB.", num=MAX_FILE_MB)
    )


def _files_mode(dataset: Dataset) -> None:
    if dataset.access_mode != "files":
        raise Conflict(
            _("This dataset gives access in an external secure workspace: it holds no files here.")
        )


async def _receive(storage: Storage, body: IncomingBody) -> tuple[Stored, str]:
    """Stream the body's first file into storage under a new key; on any refusal nothing stays stored."""
    limit = MAX_FILE_MB * MB
    if body.content_length is not None and body.content_length > limit + ENVELOPE_BYTES:
        raise _too_large()
    source = MultipartFile(body, limit)
    try:
        name = display_name(await source.filename()) or "data"
        stored = await storage.put_stream(new_key("datasets"), source.content(), max_bytes=limit)
    except (TooLarge, ParserLimitReached):
        raise _too_large() from None
    except MultipartError:
        raise UploadRefused(
            status_code=400, detail=_("The upload was incomplete or malformed. Please try again.")
        ) from None
    except HTTPException as exc:
        if exc.status_code >= 500:  # the client went away mid-body
            raise UploadRefused(
                status_code=400, detail=_("The upload was interrupted. Please try again.")
            ) from None
        raise
    finally:
        await source.close()
    if stored.size == 0:
        await storage.delete(stored.key)
        raise UploadRefused(detail=_("The file is empty."))
    return stored, name


async def upload(
    session: AsyncSession, actor: Actor, settings: Settings, slug: str, body: IncomingBody
) -> DatasetFile:
    """A steward adds a file to a dataset given as files (409 for a workspace dataset)."""
    dataset, _relations = await load_dataset(session, actor, slug, "dataset:manage")
    _files_mode(dataset)
    await session.commit()  # nothing written yet: the upload, however slow, holds no connection
    storage = storage_for(settings)
    stored, name = await _receive(storage, body)
    try:
        dataset, _relations = await load_dataset(session, actor, slug, "dataset:manage")
        _files_mode(dataset)
        content_type = (mimetypes.guess_type(name)[0] or "application/octet-stream")[:100]
        row = DatasetFile(
            dataset_id=dataset.id,
            storage_key=stored.key,
            name=name,
            content_type=content_type,
            size=stored.size,
            sha256=stored.sha256,
            uploaded_by_id=actor.id,
        )
        session.add(row)
        await session.flush()
        details = {"file_id": str(row.id), "name": name, "size": stored.size, "sha256": stored.sha256}
        await audit.record(session, actor, "dataset:upload_file", "dataset", dataset.id, details)
    except BaseException:
        await storage.delete(stored.key)
        raise
    return row


async def files_of(session: AsyncSession, actor: Actor, slug: str) -> tuple[Dataset, list[DatasetFile]]:
    """The dataset's files still in it, newest first: for its stewards only (names, sizes, checksums)."""
    dataset, _relations = await load_dataset(session, actor, slug, "dataset:manage")
    files = await session.scalars(
        select(DatasetFile)
        .where(DatasetFile.dataset_id == dataset.id, DatasetFile.removed_at.is_(None))
        .order_by(DatasetFile.created_at.desc(), DatasetFile.id)
    )
    return dataset, list(files)


async def remove(
    session: AsyncSession, actor: Actor, slug: str, file_id: uuid.UUID, now: dt.datetime
) -> DatasetFile:
    """Take a file out of the dataset: it is no longer listed nor served; the row stays for the access log."""
    dataset, _relations = await load_dataset(session, actor, slug, "dataset:manage")
    row = await session.scalar(
        select(DatasetFile)
        .where(
            DatasetFile.id == file_id, DatasetFile.dataset_id == dataset.id, DatasetFile.removed_at.is_(None)
        )
        .with_for_update()
    )
    if row is None:
        raise NotFoundException()
    row.removed_at = now
    await session.flush()
    await audit.record(
        session,
        actor,
        "dataset:remove_file",
        "dataset",
        dataset.id,
        {"file_id": str(row.id), "name": row.name},
    )
    return row
