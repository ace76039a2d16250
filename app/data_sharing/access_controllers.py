"""Pages of access to dataset content: issuing a signed download link, downloading through it, reading a
workspace's instructions. Each runs the access rule (app.data_sharing.access), which logs every answer."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Stream
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.data_sharing import links
from app.data_sharing.access_api import ROUTES as API_ROUTES
from app.data_sharing.board_controllers import ROUTES as BOARD_ROUTES
from app.data_sharing.grant_controllers import ROUTES as GRANT_ROUTES
from app.platform.context import get_context
from app.platform.storage import storage_for
from app.teams.files import DOWNLOAD_CSP, _opened, content_disposition, safe_media_type
from app.web import redirect, render

PAGE: dict[str, Any] = {"include_in_schema": False}
PRESIGNED_LIFETIME = dt.timedelta(minutes=1)


def _secret(request: Request[Any, Any, Any]) -> str:
    return get_context(request.scope).settings.secret_key


@post("/data/files/{file_id:uuid}/link", name="data:link", **PAGE)
async def issue_link(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    file_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """A form's button: the link is issued and followed at once, so the download starts."""
    link = await links.issue(db, actor, _secret(request), file_id, now)
    return redirect(request, link.url)


@get("/data/download/{token:str}", name="data:download", **PAGE)
async def download(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    token: FromPath[str],
) -> Stream | Redirect:
    file = await links.redeem(db, actor, _secret(request), token, now)
    storage = storage_for(get_context(request.scope).settings)
    signed_url = getattr(storage, "signed_url", None)
    if signed_url is not None:
        return Redirect(await signed_url(file.storage_key, PRESIGNED_LIFETIME), status_code=303)
    headers = {
        "content-disposition": content_disposition(file.name),
        "content-security-policy": DOWNLOAD_CSP,
        "cache-control": "private, no-store",
        "content-length": str(file.size),
    }
    chunks = await _opened(storage, file)  # type: ignore[arg-type]  # a missing object: 404 before headers
    return Stream(chunks, media_type=safe_media_type(file.content_type), headers=headers)


@get("/datasets/{slug:str}/workspace", name="data:workspace", **PAGE)
async def workspace(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> Response[str]:
    dataset, decision = await links.workspace(db, actor, slug, now)
    return render(request, "data_sharing/workspace.html", {"dataset": dataset, "decision": decision})


ROUTES: list[Any] = [issue_link, download, workspace, *GRANT_ROUTES, *BOARD_ROUTES, *API_ROUTES]
