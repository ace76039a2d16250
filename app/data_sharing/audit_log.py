"""A dataset's audit log, opened for its stewards and admins (which entries: app.platform.audit_scopes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.data_sharing.datasets import load_dataset
from app.platform.audit_log import ScopedLog
from app.platform.audit_scopes import dataset_entries
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


async def dataset_log(session: AsyncSession, actor: Actor, slug: str) -> ScopedLog:
    """The dataset's log once `dataset:audit` is allowed: 403 to whoever sees it in the catalogue only."""
    dataset, _relations = await load_dataset(session, actor, slug, "dataset:audit")
    return ScopedLog(
        subject=dataset.title,
        back_url=f"/datasets/{dataset.slug}",
        base_url=f"/datasets/{dataset.slug}/audit",
        intro=_(
            "Every governance action on this dataset, its offerings to challenges, access requests and "
            "grants, newest first."
        ),
        about=("dataset", dataset.id),
        scope=dataset_entries(dataset.id),
    )
