"""The catalogue's reads for the API, as statements compiled once (app/platform/rows.py).

The filters change the statement's shape (a sensitivity or not, up to 8 words, an administrator sees every
challenge), so one statement is compiled per shape, when first asked for; what varies travels as parameters.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Integer, String, Text, Uuid, bindparam, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from app import authz
from app.challenges.models import Challenge
from app.data_sharing.models import Dataset, Offering
from app.organizations.models import Organization
from app.platform.rows import Query

MAX_WORDS = 8  # words of a search that count; the rest are ignored


def _offered_to(admin: bool) -> Any:
    """The challenges `actor_id` may see that the dataset is offered to (both sides agreed), by title, as the
    text of a JSON list of {slug, title}: a column of the dataset's row instead of a second statement, decoded
    straight into its API shape (app.data_sharing.dataset_api)."""
    challenge = func.json_build_object("slug", Challenge.slug, "title", Challenge.title)
    offered = func.json_agg(aggregate_order_by(challenge, Challenge.title))
    return (
        select(cast(func.coalesce(offered, literal_column("'[]'::json")), Text))
        .select_from(Offering)
        .join(Challenge, Challenge.id == Offering.challenge_id)
        .where(
            Offering.dataset_id == Dataset.id,
            Offering.founder_agreed_at.is_not(None),
            Offering.steward_agreed_at.is_not(None),
            Offering.withdrawn_at.is_(None),
            authz.visible_challenges_of(bindparam("actor_id", type_=Uuid), admin=admin),
        )
        .scalar_subquery()
    )  # fmt: skip


def _catalogue(sensitivity: bool, words: int) -> Any:
    statement = (
        select(Dataset.id)
        .join(Organization, Organization.id == Dataset.steward_organization_id)
        .where(Dataset.archived_at.is_(None))
    )
    if sensitivity:
        statement = statement.where(Dataset.sensitivity == bindparam("sensitivity"))
    for index in range(words):
        # ILIKE patterns made by contains_pattern(): "/" escapes the wildcards
        word = bindparam(f"word{index}", type_=String)
        statement = statement.where(
            Dataset.title.ilike(word, escape="/") | Dataset.description.ilike(word, escape="/")
        )
    return statement


@functools.cache
def catalogue_page(sensitivity: bool, words: int, admin: bool) -> Query:
    """A page (`limit`, `offset`) of the datasets that are not archived, by title, with their organization's
    name, the challenges they are offered to (`offered_to`, JSON text) and how many match (`total`)."""
    statement = _catalogue(sensitivity, words).with_only_columns(
        Dataset.slug, Dataset.title, Dataset.description, Organization.name.label("organization"),
        Dataset.sensitivity, Dataset.access_mode, Dataset.max_grant_days, _offered_to(admin).label("offered_to"),
        func.count().over().label("total"),
    )  # fmt: skip
    return Query(
        statement.order_by(func.lower(Dataset.title), Dataset.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


@functools.cache
def catalogue_count(sensitivity: bool, words: int) -> Query:
    return Query(select(func.count()).select_from(_catalogue(sensitivity, words).subquery()))


def contains_pattern(word: str) -> str:
    """An ILIKE pattern for `word` anywhere, its wildcards taken literally (escaped with "/")."""
    # NUL is refused by PostgreSQL in text: dropped, as a search never means it.
    return "%" + word.replace("\x00", "").replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
