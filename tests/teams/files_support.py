"""The cast and helpers of the files, founders' views and gallery tests: one challenge with two teams, its
founder, a founder of another challenge, an outsider, a would-be judge and an admin; stored files and
submissions with versions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

from app.accounts.models import User
from app.challenges.models import Challenge, RoundField
from app.db import utcnow
from app.platform.storage import new_key, storage_for
from app.teams.models import StoredFile, Submission, SubmissionVersion, Team
from tests.factories import make_challenge, make_founder, make_registration, make_team, make_user, sign_in

PDF = b"%PDF-1.7\n" + b"0123456789" * 300


@dataclasses.dataclass
class Cast:
    challenge: Challenge
    other_challenge: Challenge
    founder: User
    other_founder: User
    captain: User
    member: User
    other_captain: User
    outsider: User
    judge: User
    admin: User
    team: Team
    other_team: Team

    def person(self, role: str) -> User | None:
        """The cast member playing `role`; None for a visitor."""
        return {
            "captain": self.captain,
            "member": self.member,
            "other_team": self.other_captain,
            "founder": self.founder,
            "other_founder": self.other_founder,
            # Judges arrive with issue #5: until then a judge is a signed-in person with no relation.
            "judge": self.judge,
            "outsider": self.outsider,
            "admin": self.admin,
            "visitor": None,
        }[role]


async def make_cast(db: Any, **challenge_fields: Any) -> Cast:
    challenge = await make_challenge(db, title="Heart Data", **challenge_fields)
    other_challenge = await make_challenge(db, title="Lung Data")
    founder = await make_founder(db, challenge, name="Fanny Founder")
    other_founder = await make_founder(db, other_challenge, name="Oscar Other")
    captain = await make_user(db, name="Carla Captain")
    member = await make_user(db, name="Marc Member")
    other_captain = await make_user(db, name="Olga Rival")
    for person in (captain, member, other_captain):
        await make_registration(db, challenge, person)
    team = await make_team(db, challenge, captain, members=(member,), name="Cardio Crew")
    other_team = await make_team(db, challenge, other_captain, name="Rival Team")
    outsider = await make_user(db, name="Otto Outsider")
    judge = await make_user(db, name="Judy Judge")
    admin = await make_user(db, name="Ada Admin", admin=True)
    return Cast(
        challenge,
        other_challenge,
        founder,
        other_founder,
        captain,
        member,
        other_captain,
        outsider,
        judge,
        admin,
        team,
        other_team,
    )


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


class FileStore:
    """Puts team files in the app's storage as an upload leaves them, and removes them after the test
    (the database rolls back; the storage does not)."""

    def __init__(self, db: Any, settings: Any) -> None:
        self.db = db
        self.storage = storage_for(settings)
        self.keys: list[str] = []

    async def add(
        self,
        team: Team,
        *,
        name: str = "pitch.pdf",
        data: bytes = PDF,
        content_type: str = "application/pdf",
        uploader: User | None = None,
    ) -> StoredFile:
        stored = await self.storage.put_stream(new_key("submissions"), chunks(data), max_bytes=10**8)
        self.keys.append(stored.key)
        row = StoredFile(
            storage_key=stored.key,
            original_name=name,
            content_type=content_type,
            size=stored.size,
            sha256=stored.sha256,
            uploaded_by_id=uploader.id if uploader else team.captain_id,
            team_id=team.id,
        )
        self.db.add(row)
        await self.db.flush()
        return row

    async def remove_all(self) -> None:
        for key in self.keys:
            await self.storage.delete(key)


async def add_field(
    db: Any, round_: Any, key: str, label: str, kind: str = "long_text", position: int = 0
) -> RoundField:
    field = RoundField(round_id=round_.id, key=key, label=label, kind=kind, position=position)
    db.add(field)
    await db.flush()
    return field


async def make_submission(
    db: Any,
    team: Team,
    round_: Any,
    *,
    status: str = "submitted",
    answers: dict[str, Any] | None = None,
    files: dict[str, Any] | None = None,
    by: User | None = None,
    updated_at: dt.datetime | None = None,
    versions: int = 1,
    older_files: dict[str, Any] | None = None,
) -> Submission:
    """A submission with `versions` versions, the last holding `answers` and `files`, earlier ones
    `older_files`."""
    when = updated_at or utcnow()
    submission = Submission(
        team_id=team.id,
        round_id=round_.id,
        status=status,
        version=versions,
        submitted_at=when if status == "submitted" else None,
        updated_at=when,
        updated_by_id=(by.id if by else team.captain_id),
    )
    db.add(submission)
    await db.flush()
    for number in range(1, versions + 1):
        last = number == versions
        db.add(
            SubmissionVersion(
                submission_id=submission.id,
                number=number,
                answers=(answers or {}) if last else {"summary": f"older version {number}"},
                files=(files or {}) if last else (older_files or {}),
                created_by_id=submission.updated_by_id,
                action="submit" if last and status == "submitted" else "save",
            )
        )
    await db.flush()
    return submission


async def as_user(client: Any, db: Any, user: User | None) -> Any:
    """Make the test client act as `user` (signed out for None)."""
    client.cookies.clear()
    if user is not None:
        await sign_in(client, db, user)
    return client


def file_url(stored: StoredFile | uuid.UUID, api: bool = False) -> str:
    file_id = stored if isinstance(stored, uuid.UUID) else stored.id
    return f"/api/v1/files/{file_id}" if api else f"/files/{file_id}"


async def bulk_teams(
    db: Any, challenge: Challenge, count: int, *, round_: Any = None, prefix: str = "Bulk"
) -> None:
    """`count` teams of one captain each, inserted in a few statements (factories would take too long for
    hundreds); every other one with a draft submission to `round_`."""
    from sqlalchemy import insert

    from app.accounts.models import User as UserModel
    from app.teams.models import TeamMember

    suffix = uuid.uuid4().hex[:6]
    people = [
        {
            "id": uuid.uuid4(),
            "email": f"bulk-{suffix}-{n}@example.org",
            "name": f"Captain {n}",
            "password_hash": "x",
        }
        for n in range(count)
    ]
    await db.execute(insert(UserModel), people)
    teams = [
        {
            "id": uuid.uuid4(),
            "challenge_id": challenge.id,
            "name": f"{prefix} {n:04d}",
            "captain_id": p["id"],
            "member_count": 1,
        }
        for n, p in enumerate(people)
    ]
    await db.execute(insert(Team), teams)
    await db.execute(
        insert(TeamMember),
        [
            {"team_id": t["id"], "user_id": t["captain_id"], "challenge_id": challenge.id, "role": "captain"}
            for t in teams
        ],
    )
    if round_ is not None:
        rows = [
            {
                "id": uuid.uuid4(),
                "team_id": t["id"],
                "round_id": round_.id,
                "status": "draft",
                "version": 1,
                "updated_by_id": t["captain_id"],
            }
            for t in teams[::2]
        ]
        await db.execute(insert(Submission), rows)
        await db.execute(
            insert(SubmissionVersion),
            [
                {"submission_id": r["id"], "number": 1, "answers": {"summary": "bulk"}, "files": {}}
                for r in rows
            ],
        )
    await db.flush()


async def counted_statements(connection: Any, action: Any) -> int:
    """How many SQL statements `action()` sends on the test's connection."""
    from sqlalchemy import event

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(connection.sync_connection, "before_cursor_execute", count)
    try:
        await action()
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", count)
    return len(statements)
