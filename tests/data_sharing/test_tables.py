"""What the database itself guarantees for data sharing: the access log and a request's history cannot be
changed or removed, and a request's state follows its history and nothing else."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from app.data_sharing.models import AccessLogEntry, AccessRequest, AccessRequestEvent, Dataset, Offering
from tests.factories import make_challenge, make_organization, make_team, make_user


async def make_request(db):
    steward = await make_user(db)
    organization = await make_organization(db, owner=steward)
    dataset = Dataset(
        slug=f"ds-{uuid.uuid4().hex[:8]}",
        title="Echo",
        steward_organization_id=organization.id,
        sensitivity="sensitive",
    )
    challenge = await make_challenge(db)
    db.add(dataset)
    await db.flush()
    offering = Offering(dataset_id=dataset.id, challenge_id=challenge.id)
    captain = await make_user(db)
    team = await make_team(db, challenge, captain)
    db.add(offering)
    await db.flush()
    request = AccessRequest(
        offering_id=offering.id, dataset_id=dataset.id, challenge_id=challenge.id, team_id=team.id
    )
    db.add(request)
    await db.flush()
    return request, captain


async def test_a_transition_event_sets_the_request_state_and_a_comment_does_not(db):
    request, captain = await make_request(db)
    db.add(
        AccessRequestEvent(
            request_id=request.id,
            seq=1,
            kind="submitted",
            from_state="draft",
            to_state="submitted",
            actor_id=captain.id,
        )
    )
    await db.flush()
    assert await db.scalar(select(AccessRequest.state).where(AccessRequest.id == request.id)) == "submitted"
    db.add(
        AccessRequestEvent(request_id=request.id, seq=2, kind="comment", actor_id=captain.id, comment="Hello")
    )
    await db.flush()
    assert await db.scalar(select(AccessRequest.state).where(AccessRequest.id == request.id)) == "submitted"


async def test_the_state_cannot_be_written_around_the_history(db):
    request, _captain = await make_request(db)
    with pytest.raises(DBAPIError, match="follows the history"):
        async with db.begin_nested():
            await db.execute(
                update(AccessRequest).where(AccessRequest.id == request.id).values(state="approved")
            )


async def test_two_events_cannot_take_the_same_place_in_the_history(db):
    request, captain = await make_request(db)
    db.add(
        AccessRequestEvent(
            request_id=request.id,
            seq=1,
            kind="submitted",
            from_state="draft",
            to_state="submitted",
            actor_id=captain.id,
        )
    )
    await db.flush()
    with pytest.raises(DBAPIError):
        async with db.begin_nested():
            db.add(
                AccessRequestEvent(
                    request_id=request.id,
                    seq=1,
                    kind="withdrawn",
                    from_state="draft",
                    to_state="withdrawn",
                    actor_id=captain.id,
                )
            )
            await db.flush()


@pytest.mark.parametrize("statement", ["update", "delete", "truncate"])
async def test_the_history_and_the_access_log_are_append_only(db, statement):
    request, captain = await make_request(db)
    db.add(
        AccessRequestEvent(
            request_id=request.id,
            seq=1,
            kind="submitted",
            from_state="draft",
            to_state="submitted",
            actor_id=captain.id,
        )
    )
    db.add(
        AccessLogEntry(
            user_id=captain.id,
            dataset_id=request.dataset_id,
            action="download",
            outcome="refused",
            reason="no grant",
        )
    )
    await db.flush()
    for model, table in ((AccessRequestEvent, "access_request_events"), (AccessLogEntry, "access_log")):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.begin_nested():
                if statement == "update":
                    await db.execute(
                        update(model).values(created_at=None)
                        if model is AccessRequestEvent
                        else update(model).values(reason="edited")
                    )
                elif statement == "delete":
                    await db.execute(delete(model))
                else:
                    await db.execute(text(f"TRUNCATE {table} CASCADE"))
