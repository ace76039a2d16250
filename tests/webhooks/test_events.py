"""Each event is emitted by the real action that makes it, in its transaction, to the endpoints of the right
organization only: the challenge's organizers, or the dataset's steward organization. An endpoint switched
off, one not subscribed to the event, and another organization's endpoint get nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import select

from app.accounts.sessions import actor_from_user
from app.challenges.models import Round
from app.challenges.registration_review import decide_registrations
from app.data_sharing import grants, requests
from app.data_sharing import jobs as data_jobs
from app.data_sharing.models import AccessRequest, AccessRequestEvent, AccessRequestMember
from app.db import utcnow
from app.judging.results import publish_results
from app.organizations.models import Organization
from app.platform.models import OutboxJob
from app.teams import submissions
from app.webhooks.models import EVENTS, WebhookDelivery
from tests.factories import (
    make_challenge,
    make_dataset,
    make_grant,
    make_offering,
    make_organization,
    make_registration,
    make_team,
    make_user,
)
from tests.webhooks.support import Owner, make_webhook

URL = "https://hooks.example.org/tremplin"


@dataclasses.dataclass
class Audience:
    listening: Any  # the organization's endpoint subscribed to every event
    others: list[Any]  # its endpoint switched off, its endpoint of another event, a stranger's endpoint

    async def received(self, db: Any, event: str) -> dict[str, Any]:
        """The one delivery of `event` to the listening endpoint (its payload), after checking nobody else got
        one and that its job is in the outbox."""
        rows = list(
            await db.scalars(
                select(WebhookDelivery).where(
                    WebhookDelivery.webhook_id.in_([self.listening.id, *(hook.id for hook in self.others)])
                )
            )
        )
        assert [(row.webhook_id, row.event) for row in rows] == [(self.listening.id, event)]
        job = await db.scalar(
            select(OutboxJob).where(OutboxJob.args["delivery_id"].astext == str(rows[0].id))
        )
        assert job is not None and job.function == "deliver_webhook" and job.done_at is None
        payload = rows[0].payload
        assert payload["type"] == event
        dt.datetime.fromisoformat(payload["timestamp"])
        return payload["data"]


async def audience(db: Any, settings: Any, owner: Any, organization: Any, event: str) -> Audience:
    me = Owner(owner, organization)
    listening, _ = await make_webhook(db, settings, me, URL, EVENTS)
    off, _ = await make_webhook(db, settings, me, URL + "/off", EVENTS)
    off.active = False
    other_event = next(name for name in EVENTS if name != event)
    elsewhere, _ = await make_webhook(db, settings, me, URL + "/other", (other_event,))
    stranger = await make_user(db, name="Stan Stranger")
    stranger_hook, _ = await make_webhook(
        db, settings, Owner(stranger, await make_organization(db, owner=stranger)), URL, EVENTS
    )
    await db.flush()
    return Audience(listening, [off, elsewhere, stranger_hook])


async def organized_challenge(db: Any, **fields: Any) -> tuple[Any, Any, Any]:
    founder = await make_user(db, name="Fanny Founder")
    organization = await make_organization(db, kind="hospital", owner=founder)
    challenge = await make_challenge(db, organizers=(organization,), title="Heart Data", **fields)
    return founder, organization, challenge


async def test_submitting_an_entry_tells_the_organizers(db, settings):
    founder, organization, challenge = await organized_challenge(db)
    hooks = await audience(db, settings, founder, organization, "submission.submitted")
    round_ = await db.scalar(select(Round).where(Round.challenge_id == challenge.id, Round.position == 1))
    captain = await make_user(db, name="Carla Captain", email="carla@example.org")
    await make_registration(db, challenge, captain)
    team = await make_team(db, challenge, captain, name="Heartbeat")

    change = await submissions.submit(
        db, actor_from_user(captain), team.id, round_.id, utcnow(), settings=settings, answers={}
    )

    data = await hooks.received(db, "submission.submitted")
    assert data["challenge"] == {"id": str(challenge.id), "slug": challenge.slug, "title": "Heart Data"}
    assert data["round"] == {"id": str(round_.id), "name": round_.name}
    assert data["team"] == {"id": str(team.id), "name": "Heartbeat"}
    assert data["submission"]["id"] == str(change.submission.id)
    assert data["submission"]["version"] == change.version.number
    assert data["url"] == f"/teams/{team.id}/rounds/{round_.id}"
    assert "carla" not in str(data).lower()


async def test_a_draft_save_sends_nothing(db, settings):
    founder, organization, challenge = await organized_challenge(db)
    hooks = await audience(db, settings, founder, organization, "submission.submitted")
    round_ = await db.scalar(select(Round).where(Round.challenge_id == challenge.id, Round.position == 1))
    captain = await make_user(db)
    await make_registration(db, challenge, captain)
    team = await make_team(db, challenge, captain)
    await submissions.save_draft(
        db, actor_from_user(captain), team.id, round_.id, utcnow(), base_version=0, answers={}
    )
    assert not list(
        await db.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hooks.listening.id))
    )


async def test_deciding_a_registration_tells_the_organizers(db, settings):
    founder, organization, challenge = await organized_challenge(db)
    hooks = await audience(db, settings, founder, organization, "registration.decided")
    person = await make_user(db, name="Paula Person", email="paula@example.org")
    registration = await make_registration(db, challenge, person, status="pending")

    await decide_registrations(
        db,
        actor_from_user(founder),
        challenge.slug,
        [(str(registration.id), "reject", "Out of scope.")],
        utcnow(),
    )

    data = await hooks.received(db, "registration.decided")
    assert data["registration"]["id"] == str(registration.id)
    assert data["registration"]["status"] == "rejected"
    assert data["registration"]["decided_at"]
    assert data["url"] == f"/challenges/{challenge.slug}/registrations"
    assert "paula" not in str(data).lower() and "Out of scope" not in str(data)


@dataclasses.dataclass
class DataCast:
    challenge: Any
    team: Any
    captain: Any
    steward: Any
    dataset: Any
    offering: Any
    hooks: Audience


async def data_cast(db: Any, settings: Any, event: str) -> DataCast:
    challenge = await make_challenge(db, title="Heart Data")
    captain = await make_user(db, name="Carla Captain")
    team = await make_team(db, challenge, captain, name="Heartbeat")
    steward = await make_user(db, name="Sam Steward")
    dataset = await make_dataset(db, steward=steward)
    offering = await make_offering(db, dataset, challenge)
    organization = await db.get(Organization, dataset.steward_organization_id)
    hooks = await audience(db, settings, steward, organization, event)
    # The challenge's organizers are not the stewards: their endpoints hear nothing of data decisions.
    founder, founder_org, _ = await organized_challenge(db)
    founder_hooks = await audience(db, settings, founder, founder_org, event)
    hooks.others.append(founder_hooks.listening)
    return DataCast(challenge, team, captain, steward, dataset, offering, hooks)


async def test_a_stewards_decision_on_an_access_request_tells_the_steward_organization(db, settings):
    cast = await data_cast(db, settings, "access_request.decided")
    request = AccessRequest(
        offering_id=cast.offering.id, dataset_id=cast.dataset.id, challenge_id=cast.challenge.id, team_id=cast.team.id,
        purpose="Train a model.", created_by_id=cast.captain.id,
    )  # fmt: skip
    db.add(request)
    await db.flush()
    db.add(AccessRequestMember(request_id=request.id, user_id=cast.captain.id))
    for seq, (kind, before, after) in enumerate(
        (("created", None, "draft"), ("submitted", "draft", "submitted")), 1
    ):
        db.add(AccessRequestEvent(request_id=request.id, seq=seq, kind=kind, from_state=before, to_state=after,
                                  actor_id=cast.captain.id))  # fmt: skip
        await db.flush()

    await requests.reject(
        db, actor_from_user(cast.steward), request.id, "The purpose is too vague.", utcnow()
    )

    data = await cast.hooks.received(db, "access_request.decided")
    assert data["access_request"]["id"] == str(request.id)
    assert data["access_request"]["decision"] == "rejected"
    assert data["dataset"] == {
        "id": str(cast.dataset.id),
        "slug": cast.dataset.slug,
        "title": cast.dataset.title,
    }
    assert data["team"] == {"id": str(cast.team.id), "name": "Heartbeat"}
    assert data["url"] == f"/data-requests/{request.id}"
    assert "vague" not in str(data)


async def test_revoking_a_grant_tells_the_steward_organization(db, settings):
    cast = await data_cast(db, settings, "grant.revoked")
    grant = await make_grant(db, cast.offering, cast.team, (cast.captain,), steward=cast.steward)

    await grants.revoke(
        db, actor_from_user(cast.steward), grant.id, "Data shared outside the team.", utcnow()
    )

    data = await cast.hooks.received(db, "grant.revoked")
    assert data["grant"]["id"] == str(grant.id)
    assert data["grant"]["revoked_at"] and data["grant"]["expired_at"] is None
    assert data["challenge"]["slug"] == cast.challenge.slug
    assert data["url"] == f"/grants/{grant.id}"
    assert "outside" not in str(data)


async def test_a_grant_expiring_tells_the_steward_organization(db, settings):
    cast = await data_cast(db, settings, "grant.expired")
    now = utcnow()
    grant = await make_grant(
        db, cast.offering, cast.team, (cast.captain,), steward=cast.steward,
        starts_at=now - dt.timedelta(days=10), expires_at=now - dt.timedelta(minutes=1),
    )  # fmt: skip

    assert await data_jobs.expire_grants(db, now) >= 1

    data = await cast.hooks.received(db, "grant.expired")
    assert data["grant"]["id"] == str(grant.id)
    assert data["grant"]["expired_at"] and data["grant"]["revoked_at"] is None
    assert data["url"] == f"/grants/{grant.id}"


async def test_publishing_results_tells_the_organizers(db, settings):
    founder, organization, challenge = await organized_challenge(
        db, judging_ends_at=utcnow() - dt.timedelta(days=1)
    )
    hooks = await audience(db, settings, founder, organization, "results.published")

    assert await publish_results(db, actor_from_user(founder), challenge.slug, utcnow())

    data = await hooks.received(db, "results.published")
    assert data["challenge"] == {"id": str(challenge.id), "slug": challenge.slug, "title": "Heart Data"}
    assert data["published_at"]
    assert data["url"] == f"/challenges/{challenge.slug}/results"
