"""Files of a submission: a multipart upload streamed into storage, checked, recorded as a new version.

What an upload promises:
- The body is parsed as it arrives (multipart.PushMultipartParser) and written chunk by chunk to the
  storage backend: a 200 MB file never sits in memory. The field's size limit is enforced while
  streaming (a Content-Length over it is refused before reading anything), and reading stops there.
- The type is checked by the name's extension (among the field's allowed types) and by the content's
  first bytes (a small table of signatures below). The stored name is generated (storage.new_key);
  the person's file name is kept for display only, without folders, control characters or excess length.
- A refused or failed upload leaves nothing behind: no file in storage, no row. The database
  transaction that checked permissions is ended before the body streams, so a slow upload holds no
  connection; the rows are written in a second transaction once the file is complete.
- Deadline: the instant the request arrived decides, as for every change (app.teams.submissions):
  an upload whose request arrived before the deadline is accepted even if its body finishes streaming
  after it, provided it finishes within LATE_BODY_GRACE of the deadline. A body still trickling in
  after that is refused and removed, so a slow sender cannot keep the round open.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

from litestar.exceptions import ClientException, HTTPException, NotFoundException
from multipart import (
    MultipartError,
    MultipartSegment,
    ParserLimitReached,
    PushMultipartParser,
    parse_options_header,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.platform.i18n import gettext as _
from app.platform.storage import Storage, Stored, TooLarge, new_key, storage_for
from app.teams.files import display_name
from app.teams.models import StoredFile
from app.teams.submission_schemas import editable
from app.teams.submissions import Change, SubmissionRefused, add_version, locked_submission, open_for_change

if TYPE_CHECKING:
    from app.accounts.sessions import Actor
    from app.settings import Settings
    from app.teams.submission_queries import FieldFacts
    from app.teams.submissions import RoundScope

MB = 1024 * 1024
# When the founders set no limit on a file question.
DEFAULT_MAX_MB = 20
# Room for the multipart envelope around the file: boundaries, part headers, a small field or two.
ENVELOPE_BYTES = 64 * 1024
LATE_BODY_GRACE = dt.timedelta(minutes=10)

# Extension -> (content type recorded, signatures: the first bytes a file of that type starts with).
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
FILE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "zip": ("application/zip", _ZIP),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    "odt": ("application/vnd.oasis.opendocument.text", _ZIP),
    "mp4": ("video/mp4", ()),
    "csv": ("text/csv", ()),
    "txt": ("text/plain", ()),
}
EXTENSION_ALIASES = {"jpeg": "jpg"}
# Bytes that do not occur in text files, whatever their 8-bit encoding (tab, newlines and form feed do).
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


class UploadRefused(ClientException):
    """The file is refused (empty, unreadable, of another type); the detail says why and what would do."""

    status_code = 422


class WrongType(UploadRefused):
    status_code = 415


def extension_of(name: str) -> str:
    _stem, dot, extension = name.rpartition(".")
    extension = extension.lower() if dot else ""
    return EXTENSION_ALIASES.get(extension, extension)


def content_matches(extension: str, head: bytes) -> bool:
    """Whether the first bytes of the content are those of a file of this type."""
    if extension in ("csv", "txt"):
        return not _BINARY.search(head)
    if extension == "mp4":
        return head[4:8] == b"ftyp"
    if extension == "odt" and head[30:38] != b"mimetype":
        # An OpenDocument file is a zip whose first member is its uncompressed "mimetype".
        return False
    return head.startswith(FILE_TYPES[extension][1])


def allowed_extensions(field: FieldFacts) -> list[str]:
    chosen = [
        EXTENSION_ALIASES.get(item.lower().lstrip("."), item.lower().lstrip("."))
        for item in field.allowed_types
    ]
    return [item for item in chosen if item in FILE_TYPES] or list(FILE_TYPES)


def max_bytes(field: FieldFacts) -> int:
    return (field.max_size_mb or DEFAULT_MAX_MB) * MB


@dataclasses.dataclass(frozen=True, slots=True)
class IncomingBody:
    """The request as the upload reads it: its headers, and its body as it arrives."""

    content_type: str
    content_length: int | None
    chunks: AsyncIterator[bytes]

    @classmethod
    def of(cls, headers: Mapping[str, str], chunks: AsyncIterator[bytes]) -> IncomingBody:
        length = headers.get("content-length", "")
        return cls(headers.get("content-type", ""), int(length) if length.isdigit() else None, chunks)


class MultipartFile:
    """The first file of a multipart/form-data body, read as the bytes arrive; other fields are skipped."""

    def __init__(self, body: IncomingBody, limit: int) -> None:
        kind, options = parse_options_header(body.content_type)
        if kind != "multipart/form-data" or not options.get("boundary"):
            raise UploadRefused(detail=_("Send the file as multipart/form-data."))
        self.boundary = options["boundary"]
        self.chunks = _bounded(body.chunks, limit)
        self.events = self._parse()

    async def _parse(self) -> AsyncIterator[MultipartSegment | bytes | None]:
        with PushMultipartParser(self.boundary, max_segment_count=16) as parser:
            async for chunk in self.chunks:
                for event in parser.parse(chunk):
                    yield bytes(event) if isinstance(event, (bytes, bytearray, memoryview)) else event
                if parser.closed:
                    return

    async def filename(self) -> str:
        """Read up to the headers of the first part that carries a file, and give its name as sent."""
        async for event in self.events:
            if isinstance(event, MultipartSegment) and event.filename:
                return event.filename
        raise UploadRefused(detail=_("Choose a file to upload."))

    async def content(self) -> AsyncIterator[bytes]:
        """The file's bytes, chunk by chunk, up to the end of its part (call after filename())."""
        async for event in self.events:
            if event is None:
                return
            if isinstance(event, bytes):
                yield event

    async def close(self) -> None:
        await self.events.aclose()  # type: ignore[attr-defined]


async def _bounded(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    """The body, stopped as soon as it goes over the file's limit plus its envelope."""
    total = 0
    async for chunk in chunks:
        total += len(chunk)
        if total > limit + ENVELOPE_BYTES:
            raise TooLarge()
        yield chunk


@dataclasses.dataclass(frozen=True, slots=True)
class Received:
    stored: Stored
    name: str
    content_type: str


async def receive(storage: Storage, body: IncomingBody, field: FieldFacts) -> Received:
    """Stream the upload into storage under a new key, checked; on any refusal nothing stays stored."""
    limit = max_bytes(field)
    if body.content_length is not None and body.content_length > limit + ENVELOPE_BYTES:
        raise _too_large(field)
    source = MultipartFile(body, limit)
    try:
        name = display_name(await source.filename())
        extension = extension_of(name)
        allowed = allowed_extensions(field)
        if extension not in allowed:
            raise WrongType(detail=_types_message(allowed))
        stored = await storage.put_stream(new_key("submissions"), source.content(), max_bytes=limit)
    except TooLarge:
        raise _too_large(field) from None
    except ParserLimitReached:
        raise _too_large(field) from None
    except MultipartError:
        raise UploadRefused(
            status_code=400, detail=_("The upload was incomplete or malformed. Please try again.")
        ) from None
    except HTTPException as exc:
        if exc.status_code >= 500:
            # Litestar's answer to a client that went away mid-body: there is nobody to tell, and nothing to keep.
            raise UploadRefused(
                status_code=400, detail=_("The upload was interrupted. Please try again.")
            ) from None
        raise
    finally:
        await source.close()
    if stored.size == 0 or not content_matches(extension, stored.head):
        await storage.delete(stored.key)
        if stored.size == 0:
            raise UploadRefused(detail=_("The file is empty."))
        raise WrongType(
            detail=_(
                "The file’s content is not a %(type)s file, whatever its name says.", type=extension.upper()
            )
        )
    return Received(stored, name, FILE_TYPES[extension][0])


def _too_large(field: FieldFacts) -> ClientException:
    return ClientException(
        status_code=413,
        detail=_(
            "The file is larger than the %(num)s MB this question accepts.",
            num=field.max_size_mb or DEFAULT_MAX_MB,
        ),
    )


def _types_message(allowed: list[str]) -> str:
    return _(
        "This question accepts these types of file: %(types)s.", types=", ".join(t.upper() for t in allowed)
    )


async def upload_file(
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    team_id: uuid.UUID,
    round_id: uuid.UUID,
    field_key: str,
    now: dt.datetime,
    body: IncomingBody,
) -> Change:
    """Store the uploaded file of a file question and make it part of a new version (action "upload").

    The latest answers and other files are kept; the file replaces the question's previous one (which
    stays in the earlier versions). Refused when the round is closed at `now` (403), for a question
    that is not an open file question (404), a file too large (413) or of the wrong type (422).
    """
    scope = await open_for_change(session, actor, team_id, round_id, now)
    field = scope.field(field_key)
    if field is None or field.kind != "file" or not editable(field):
        raise NotFoundException()
    # Nothing is written yet: end this transaction so that the upload, however slow, holds no connection.
    await session.commit()
    storage = storage_for(settings)
    received = await receive(storage, body, field)
    try:
        return await _attach(session, actor, scope, field, received)
    except BaseException:
        await storage.delete(received.stored.key)
        raise


async def _attach(
    session: AsyncSession, actor: Actor, scope: RoundScope, field: FieldFacts, received: Received
) -> Change:
    # The finishing instant, not the arrival one: it only bounds how late a started upload may end.
    finished = utcnow()
    if finished >= scope.round.deadline + LATE_BODY_GRACE:
        raise SubmissionRefused(
            detail=_(
                "The upload started before the deadline but finished too long after it: it is not accepted."
            )
        )
    stored_file = StoredFile(
        storage_key=received.stored.key,
        original_name=received.name,
        content_type=received.content_type,
        size=received.stored.size,
        sha256=received.stored.sha256,
        uploaded_by_id=actor.id,
        team_id=scope.team.id,
    )
    session.add(stored_file)
    await session.flush()
    submission, current = await locked_submission(session, scope)
    answers = dict(current.answers) if current else {}
    files = {**(current.files if current else {}), field.key: str(stored_file.id)}
    version = await add_version(
        session, actor, submission, answers=answers, files=files, action="upload", at=finished
    )
    return Change(scope, submission, version, file=stored_file)
