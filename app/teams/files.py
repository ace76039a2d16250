"""Serving stored files to those allowed, as attachments with safe names; nobody else learns they exist.

Downloads of submission files are not audited: the audit log is for governance actions, and the
access log (issue #6) is for dataset content, which these files are not.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import unicodedata
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from litestar.exceptions import NotFoundException

from app import authz
from app.teams.models import StoredFile

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.platform.storage import Storage

log = logging.getLogger("tremplin")

MAX_NAME = 150
# What a browser may render of a downloaded file: nothing active (no scripts, forms, plugins, same origin).
DOWNLOAD_CSP = "sandbox; default-src 'none'"
MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")
ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._() -]+")
# Characters Windows refuses in file names (and quotes, which end a header parameter).
RESERVED = re.compile(r'[<>:"|?*]')


@dataclasses.dataclass(frozen=True, slots=True)
class Download:
    file: StoredFile
    chunks: AsyncIterator[bytes]

    @property
    def media_type(self) -> str:
        return safe_media_type(self.file.content_type)

    def headers(self) -> dict[str, str]:
        return {
            "content-disposition": content_disposition(self.file.original_name),
            "content-security-policy": DOWNLOAD_CSP,
            "cache-control": "private, no-store",
            "content-length": str(self.file.size),
        }


async def open_download(
    session: AsyncSession, actor: Actor | None, file_id: uuid.UUID, storage: Storage
) -> Download:
    """The file's bytes, ready to stream, for its team's members and its challenge's founders, and for
    whoever may see the gallery once it shows the file. Anyone else, and any unknown id: 404."""
    stored = await session.get(StoredFile, file_id)
    if stored is None:
        raise NotFoundException()
    authz.require(actor, "file:download", await authz.relations_to_file(session, actor, stored))
    return Download(stored, await _opened(storage, stored))


async def _opened(storage: Storage, stored: StoredFile) -> AsyncIterator[bytes]:
    """The stream with its first chunk already read, so that a missing object is a 404 before any header
    is sent rather than a response cut short."""
    chunks = storage.read(stored.storage_key)
    try:
        first = await anext(chunks, b"")
    except FileNotFoundError:
        log.error(
            "stored file missing from storage", extra={"file_id": str(stored.id), "key": stored.storage_key}
        )
        raise NotFoundException() from None
    return _chained(first, chunks)


async def _chained(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in rest:
        yield chunk


# --- names and types --------------------------------------------------------------------------------


def display_name(name: str) -> str:
    """A file name safe to show and to offer for saving: no folders, no control or direction characters,
    none that systems refuse in names, not hidden, at most 150 characters with its extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        " " if char.isspace() else char for char in name if char.isspace() or not _is_control(char)
    )
    name = re.sub(r"\s+", " ", RESERVED.sub("_", name)).strip(" .")
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_NAME - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:MAX_NAME].rstrip(" .")
    return name or "file"


def _is_control(char: str) -> bool:
    # Cc controls, Cf formats (right-to-left overrides that disguise "gpj.exe" as "exe.jpg"), and the rest of C.
    return unicodedata.category(char).startswith("C")


def ascii_name(name: str) -> str:
    """The closest ASCII name, for the `filename=` of browsers that ignore `filename*`."""
    decomposed = unicodedata.normalize("NFKD", name)
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    folded = re.sub(r"_+", "_", ASCII_UNSAFE.sub("_", folded))
    folded = re.sub(r" +", " ", folded)
    stem, dot, extension = folded.rpartition(".")
    if not dot:
        stem, extension = folded, ""
    stem, extension = stem.strip(" ._") or "file", extension.strip(" ._")
    return f"{stem}.{extension}" if extension else stem


def content_disposition(name: str) -> str:
    """`attachment` with the sanitized name: plain ASCII in `filename`, the exact name in `filename*`
    (RFC 6266, RFC 5987) when it is not plain ASCII."""
    shown = display_name(name)
    fallback = ascii_name(shown)
    value = f'attachment; filename="{fallback}"'
    if fallback != shown:
        value += f"; filename*=UTF-8''{quote(shown, safe='')}"
    return value


def safe_media_type(content_type: str | None) -> str:
    """The stored type when it is a well-formed `type/subtype`, octet-stream otherwise."""
    value = (content_type or "").split(";", 1)[0].strip().lower()
    return value if MEDIA_TYPE.match(value) else "application/octet-stream"


def file_ids(files: dict[str, Any] | None) -> dict[str, list[str]]:
    """The stored-file ids a version names, by field key. A field holds one id, a list of ids, or
    objects carrying an `id`."""
    return {key: list(_ids_in(value)) for key, value in (files or {}).items()}


def _ids_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict) and isinstance(value.get("id"), str):
        yield value["id"]
    elif isinstance(value, list):
        for item in value:
            yield from _ids_in(item)


def file_uuids(versions_files: Iterable[dict[str, Any] | None]) -> set[uuid.UUID]:
    """Every well-formed stored-file id named by these versions' files, to load them in one query."""
    found = set()
    for files in versions_files:
        for ids in file_ids(files).values():
            for value in ids:
                try:
                    found.add(uuid.UUID(value))
                except ValueError:
                    continue
    return found
