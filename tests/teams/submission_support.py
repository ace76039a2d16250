"""The cast of the submission tests: a challenge whose first round has a form of every kind, a team
(captain and member), another team, a founder, a judge (a plain user until issue #5), an outsider;
plus helpers to save, upload and read back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.challenges.models import Challenge, Round, RoundField
from app.db import utcnow
from app.teams.models import StoredFile, Submission, SubmissionVersion, Team
from tests.factories import make_challenge, make_founder, make_registration, make_team, make_user, sign_in

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)


@dataclasses.dataclass
class Cast:
    challenge: Challenge
    round: Round
    second_round: Round
    fields: dict[str, RoundField]
    team: Team
    other_team: Team
    captain: User
    member: User
    other_member: User
    founder: User
    judge: User
    outsider: User

    @property
    def path(self) -> str:
        return f"/teams/{self.team.id}/rounds/{self.round.id}"

    @property
    def api(self) -> str:
        return f"/api/v1/teams/{self.team.id}/rounds/{self.round.id}"


async def add_field(db: Any, round_: Round, key: str, kind: str, position: int, **values: Any) -> RoundField:
    field = RoundField(
        round_id=round_.id, key=key, kind=kind, position=position, label=values.pop("label", key), **values
    )
    db.add(field)
    await db.flush()
    return field


async def make_cast(
    db: Any, *, deadline_in: dt.timedelta = dt.timedelta(days=14), **challenge_fields: Any
) -> Cast:
    """Challenge "Heart Data": round 1 open until `deadline_in` from now, with one question of each kind."""
    challenge = await make_challenge(db, title="Heart Data", rounds=2, **challenge_fields)
    rounds = list(
        await db.scalars(select(Round).where(Round.challenge_id == challenge.id).order_by(Round.position))
    )
    first, second = rounds
    first.deadline = utcnow() + deadline_in
    await db.flush()
    fields = {
        "pitch": await add_field(db, first, "pitch", "short_text", 1, label="Pitch", required=True),
        "summary": await add_field(db, first, "summary", "long_text", 2, label="Summary"),
        "site": await add_field(db, first, "site", "url", 3, label="Website"),
        "stage": await add_field(
            db, first, "stage", "single_choice", 4, label="Stage", choices=["idea", "prototype", "product"]
        ),
        "tags": await add_field(
            db, first, "tags", "multiple_choice", 5, label="Topics", choices=["ai", "devices", "data"]
        ),
        "deck": await add_field(
            db,
            first,
            "deck",
            "file",
            6,
            label="Pitch deck",
            required=True,
            allowed_types=["pdf"],
            max_size_mb=1,
        ),
        "old": await add_field(db, first, "old", "short_text", 7, label="Old question", retired_at=utcnow()),
    }
    captain = await make_user(db, name="Carla Captain")
    member = await make_user(db, name="Milo Member")
    other_member = await make_user(db, name="Otto Other")
    for person in (captain, member, other_member):
        await make_registration(db, challenge, person)
    team = await make_team(db, challenge, captain, members=(member,), name="Beat")
    other_team = await make_team(db, challenge, other_member, name="Pulse")
    founder = await make_founder(db, challenge, name="Fanny Founder")
    judge = await make_user(db, name="Jules Judge")
    outsider = await make_user(db, name="Olga Outsider")
    return Cast(
        challenge,
        first,
        second,
        fields,
        team,
        other_team,
        captain,
        member,
        other_member,
        founder,
        judge,
        outsider,
    )


async def as_user(client: Any, db: Any, user: User | None) -> Any:
    client.cookies.clear()
    if user is not None:
        await sign_in(client, db, user)
    return client


def form(base_version: int, **answers: Any) -> dict[str, Any]:
    """The page's form: answers named "answer.<key>" (a list for several boxes ticked)."""
    return {"base_version": str(base_version), **{f"answer.{key}": value for key, value in answers.items()}}


async def api(client: Any, method: str, url: str, **kwargs: Any) -> Any:
    return await client.request(method, url, headers={"X-CSRF-Token": await client.csrf()}, **kwargs)


async def upload(client: Any, url: str, name: str, content: bytes, *, htmx: bool = False) -> Any:
    """A multipart upload as the page sends it: the token in the query (plain form) or the header (htmx)."""
    token = await client.csrf()
    if htmx:
        return await client.post(
            url, files={"file": (name, content)}, headers={"HX-Request": "true", "X-CSRF-Token": token}
        )
    return await client.post(url, params={"_csrf": token}, files={"file": (name, content)})


async def submission_of(db: Any, team: Team, round_: Round) -> Submission | None:
    return await db.scalar(
        select(Submission)
        .where(Submission.team_id == team.id, Submission.round_id == round_.id)
        .execution_options(populate_existing=True)
    )


async def versions_of(db: Any, team: Team, round_: Round) -> list[SubmissionVersion]:
    return list(
        await db.scalars(
            select(SubmissionVersion)
            .join(Submission, Submission.id == SubmissionVersion.submission_id)
            .where(Submission.team_id == team.id, Submission.round_id == round_.id)
            .order_by(SubmissionVersion.number)
            .execution_options(populate_existing=True)
        )
    )


async def count_files(db: Any) -> int:
    return await db.scalar(select(func.count()).select_from(StoredFile))


def stored_paths(settings: Any) -> set[Path]:
    """Every file under the storage folder (temporary parts included)."""
    root = settings.data_dir / "files"
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def unique_key() -> str:
    return uuid.uuid4().hex[:8]
