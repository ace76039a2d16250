"""The database itself keeps a person in one team per challenge and member rows inside their challenge."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from app.platform.storage import LocalStorage, TooLarge
from app.teams.models import TeamMember
from tests.factories import make_challenge, make_team, make_user


async def test_a_person_cannot_be_in_two_teams_of_one_challenge(db):
    challenge = await make_challenge(db)
    first = await make_team(db, challenge, await make_user(db))
    second = await make_team(db, challenge, await make_user(db))
    person = await make_user(db)
    db.add(TeamMember(team_id=first.id, user_id=person.id, challenge_id=challenge.id))
    await db.flush()
    with pytest.raises(IntegrityError):
        async with db.begin_nested():
            db.add(TeamMember(team_id=second.id, user_id=person.id, challenge_id=challenge.id))
            await db.flush()


async def test_a_member_row_cannot_claim_another_challenge(db):
    challenge, other = await make_challenge(db), await make_challenge(db)
    team = await make_team(db, challenge, await make_user(db))
    with pytest.raises(IntegrityError):
        async with db.begin_nested():
            db.add(TeamMember(team_id=team.id, user_id=(await make_user(db)).id, challenge_id=other.id))
            await db.flush()


async def chunks(*parts: bytes):
    for part in parts:
        yield part


async def test_local_storage_streams_checksums_and_removes_what_goes_over_the_limit(tmp_path):
    import hashlib

    storage = LocalStorage(tmp_path)
    stored = await storage.put_stream("teams/abc", chunks(b"hello ", b"world"), max_bytes=100)
    assert stored.size == 11 and stored.sha256 == hashlib.sha256(b"hello world").hexdigest()
    assert b"".join([c async for c in storage.read("teams/abc")]) == b"hello world"
    with pytest.raises(TooLarge):
        await storage.put_stream("teams/big", chunks(b"x" * 60, b"y" * 60), max_bytes=100)
    assert sorted(p.name for p in (tmp_path / "teams").iterdir()) == ["abc"]
    with pytest.raises(ValueError):
        await storage.put_stream("../escape", chunks(b"x"), max_bytes=10)
