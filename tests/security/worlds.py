"""A whole challenge world for the security tests: every kind of object the platform keeps, each owned by a
named cast, with marker strings in the private ones so a test can tell when they leak.

`build_world` makes one; the isolation tests make two side by side, the fuzzing tests one per role.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select

from app.accounts.models import ApiToken, User
from app.accounts.sessions import hash_token
from app.challenges.models import (
    Announcement,
    ChallengeOrganizer,
    Prize,
    Program,
    ProgramOrganization,
    RoundField,
)
from app.data_sharing import links
from app.data_sharing.models import (
    AccessLogEntry,
    AccessRequest,
    AccessRequestEvent,
    AccessRequestMember,
    DatasetFile,
)
from app.db import utcnow
from app.judging import panel_links
from app.judging.models import Conflict, Judge, JudgingJob, Review, Score
from app.notifications.models import MailMessage, Notification
from app.organizations import invitations as organization_invitations
from app.organizations.models import Organization, OrganizationInvitation
from app.platform.storage import new_key, storage_for
from app.settings import Settings
from app.teams import invitations as team_invitations
from app.teams.models import JoinRequest, StoredFile, SubmissionVersion, TeamInvitation, TeamMember
from app.webhooks.models import Webhook, WebhookDelivery
from app.webhooks.signing import new_seed
from tests.factories import (
    make_dataset,
    make_grant,
    make_judged_round,
    make_offering,
    make_organization,
    make_registration,
    make_user,
)

PDF = b"%PDF-1.7\n" + b"0123456789" * 100


@dataclasses.dataclass
class World:
    """One challenge and everything around it. `marker` is in every private text of this world."""

    marker: str
    founder: User
    captain: User
    member: User
    judge: User
    steward: User
    other_captain: User
    challenge: Any
    round: Any
    program: Any
    founder_org: Any
    startup: Any
    team: Any
    other_team: Any
    entry: Any
    other_entry: Any
    field: Any
    criterion: Any
    judge_row: Any
    conflict: Any
    review: Any
    prize: Any
    registration: Any
    team_invitation: Any
    join_request: Any
    org_invitation: Any
    dataset: Any
    offering: Any
    grant: Any
    access_request: Any
    dataset_file: Any
    stored_file: Any
    export_job: Any
    assign_job: Any
    notification: Any
    mail: Any
    api_token: Any
    webhook: Any
    tokens: dict[str, str]

    def person(self, role: str) -> User:
        return {
            "founder": self.founder,
            "captain": self.captain,
            "member": self.member,
            "judge": self.judge,
            "steward": self.steward,
        }[role]


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


class Storage:
    """Puts real objects in the app's storage and removes them after the test (the database rolls back, the
    storage does not)."""

    def __init__(self, settings: Settings) -> None:
        self.storage = storage_for(settings)
        self.keys: list[str] = []

    async def put(self, prefix: str, data: bytes) -> Any:
        stored = await self.storage.put_stream(new_key(prefix), _chunks(data), max_bytes=10**8)
        self.keys.append(stored.key)
        return stored

    async def remove_all(self) -> None:
        for key in self.keys:
            await self.storage.delete(key)


async def build_world(db: Any, settings: Settings, storage: Storage, name: str) -> World:
    """A published challenge whose first round is being judged, with its cast: a founder, two teams (a captain
    and a member in the first), two judges (one has a draft review, the other declared a conflict), a data
    steward whose dataset is offered to the challenge with a grant to the first team and a draft request of the
    second, and the invitations, requests, jobs, files, notifications and tokens each of them holds."""
    marker = f"SECRET-{name}-{uuid.uuid4().hex[:8]}"
    now = utcnow()
    cast = await make_judged_round(db, now=now, teams=2, judges=2, criteria=2)
    challenge, round_, founder = cast.challenge, cast.round, cast.founder
    challenge.title = f"World {name} challenge"
    team, other_team = cast.teams
    captain, other_captain = cast.captains
    entry, other_entry = cast.entries
    judge, other_judge = cast.judges

    member = await make_user(db, name=f"Member {name}")
    await make_registration(db, challenge, member)
    db.add(TeamMember(team_id=team.id, user_id=member.id, challenge_id=challenge.id, role="member"))
    team.member_count = 2
    startup = await make_organization(db, name=f"Startup {name}", owner=captain, members=(member,))
    team.organization_id = startup.id
    founder_org_id = await db.scalar(
        select(ChallengeOrganizer.organization_id).where(ChallengeOrganizer.challenge_id == challenge.id)
    )
    founder_org = await db.get(Organization, founder_org_id)
    program = Program(
        slug=f"program-{uuid.uuid4().hex[:8]}", title=f"Program {name}", kind="pathology",
        starts_on=now.date(), ends_on=now.date() + dt.timedelta(days=365), created_by_id=founder.id,
    )  # fmt: skip
    db.add(program)
    await db.flush()
    db.add(ProgramOrganization(program_id=program.id, organization_id=founder_org.id))
    challenge.program_id = program.id
    challenge.invitation_token = secrets.token_urlsafe(24)
    challenge.registration_questions = [{"key": "pitch", "label": "Your pitch", "required": False}]

    field = RoundField(
        round_id=round_.id, key="deck", label="Pitch deck", kind="file", allowed_types=["pdf"], max_size_mb=5
    )
    db.add(field)
    db.add(RoundField(round_id=round_.id, key="summary", label="Summary", kind="long_text", position=1))
    await db.flush()
    stored = await storage.put("submissions", PDF + marker.encode())
    stored_file = StoredFile(
        storage_key=stored.key, original_name=f"{marker}.pdf", content_type="application/pdf", size=stored.size,
        sha256=stored.sha256, uploaded_by_id=captain.id, team_id=team.id,
    )  # fmt: skip
    db.add(stored_file)
    await db.flush()
    entry.version = 2
    db.add(
        SubmissionVersion(
            submission_id=entry.id, number=2, answers={"summary": f"{marker} our secret plan"},
            files={"deck": str(stored_file.id)}, created_by_id=captain.id, action="submit",
        )
    )  # fmt: skip

    criterion = cast.criteria[0]
    review = Review(
        submission_id=entry.id, user_id=judge.id, round_id=round_.id, comment=f"{marker} judge comment"
    )
    db.add(review)
    await db.flush()
    db.add(Score(review_id=review.id, criterion_id=criterion.id, value=7, comment=f"{marker} score comment"))
    conflict = Conflict(
        challenge_id=challenge.id, user_id=other_judge.id, team_id=other_team.id, reason=f"{marker} conflict"
    )
    db.add(conflict)
    judge_row = await db.scalar(select(Judge).where(Judge.round_id == round_.id, Judge.user_id == judge.id))

    prize = Prize(challenge_id=challenge.id, title=f"Prize {name}", reward="10 000 €")
    db.add(prize)
    db.add(
        Announcement(
            challenge_id=challenge.id,
            title=f"News {name}",
            body="Registered people only.",
            created_by_id=founder.id,
        )
    )
    registration = await make_registration(
        db, challenge, await make_user(db, name=f"Pending {name}"), status="pending"
    )

    team_invitation = TeamInvitation(
        team_id=team.id, email=f"invitee-{uuid.uuid4().hex[:6]}@example.org", invited_by_id=captain.id,
        expires_at=now + dt.timedelta(days=7),
    )  # fmt: skip
    db.add(team_invitation)
    joiner = await make_user(db, name=f"Joiner {name}")
    await make_registration(db, challenge, joiner)
    join_request = JoinRequest(team_id=team.id, user_id=joiner.id, message=f"{marker} let me in")
    db.add(join_request)
    org_invitation = OrganizationInvitation(
        organization_id=founder_org.id,
        email=f"colleague-{uuid.uuid4().hex[:6]}@example.org",
        invited_by_id=founder.id,
    )
    db.add(org_invitation)

    steward = await make_user(db, name=f"Steward {name}")
    dataset = await make_dataset(db, steward=steward, access_mode="files")
    dataset.title = f"Dataset {name}"
    offering = await make_offering(db, dataset, challenge)
    grant = await make_grant(db, offering, team, (captain, member), steward=steward)
    content = await storage.put("datasets", f"patient,ef\n{marker},55\n".encode())
    dataset_file = DatasetFile(
        dataset_id=dataset.id, storage_key=content.key, name=f"{marker}.csv", content_type="text/csv", size=content.size,
        sha256=content.sha256, uploaded_by_id=steward.id,
    )  # fmt: skip
    db.add(dataset_file)
    await db.flush()
    db.add(
        AccessLogEntry(
            user_id=captain.id, dataset_id=dataset.id, file_id=dataset_file.id, grant_id=grant.id, team_id=team.id,
            action="download", outcome="allowed", ip="192.0.2.7",
        )
    )  # fmt: skip
    access_request = AccessRequest(
        offering_id=offering.id, dataset_id=dataset.id, challenge_id=challenge.id, team_id=other_team.id,
        purpose=f"{marker} purpose", created_by_id=other_captain.id,
    )  # fmt: skip
    db.add(access_request)
    await db.flush()
    db.add(AccessRequestMember(request_id=access_request.id, user_id=other_captain.id))
    db.add(
        AccessRequestEvent(
            request_id=access_request.id,
            seq=1,
            kind="created",
            from_state=None,
            to_state="draft",
            actor_id=other_captain.id,
        )
    )

    export = await storage.put("exports", f"team,total\n{marker},70\n".encode())
    export_job = JudgingJob(
        round_id=round_.id, kind="export", params={"what": "ranking", "format": "csv"}, status="done", done=1, total=1,
        result_key=export.key, result_name="ranking.csv", requested_by_id=founder.id, finished_at=now,
    )  # fmt: skip
    assign_job = JudgingJob(
        round_id=round_.id, kind="assign", status="done", requested_by_id=founder.id, finished_at=now
    )
    db.add_all([export_job, assign_job])
    notification = Notification(
        user_id=captain.id, kind="team_invitation", params={"team": marker}, link=f"/teams/{team.id}"
    )
    mail = MailMessage(
        to_address=captain.email,
        subject=f"{marker} mail",
        body_text=marker,
        idempotency_key=f"security-{uuid.uuid4().hex}",
    )
    secret = "trp_" + secrets.token_urlsafe(32)
    api_token = ApiToken(
        user_id=captain.id, name=f"Token {name}", token_hash=hash_token(secret), prefix=secret[:12]
    )
    db.add_all([notification, mail, api_token])
    # An endpoint of the organizer organization, with a delivery whose error names the world.
    webhook = Webhook(
        organization_id=founder_org.id, url=f"https://hooks.example.org/{name}", description=f"{marker} hook",
        events=["results.published"], secret_seed=new_seed(), created_by_id=founder.id,
    )  # fmt: skip
    db.add(webhook)
    await db.flush()
    db.add(
        WebhookDelivery(
            webhook_id=webhook.id, event="ping", payload={}, attempts=1, last_error=f"{marker} error"
        )
    )
    await db.flush()

    tokens = {
        "team_invitation": team_invitations.invitation_path(settings, team_invitation.id).rsplit("/", 1)[1],
        "judge_invitation": panel_links.invitation_path(settings, judge_row.id).rsplit("/", 1)[1],
        "org_invitation": organization_invitations.invitation_path(settings, org_invitation.id).rsplit(
            "/", 1
        )[1],
        "challenge_join": challenge.invitation_token,
        "download": links.sign(
            settings.secret_key, dataset_file.id, captain.id, now + dt.timedelta(minutes=5)
        ),
        "api": secret,
    }
    return World(
        marker=marker, founder=founder, captain=captain, member=member, judge=judge, steward=steward,
        other_captain=other_captain, challenge=challenge, round=round_, program=program, founder_org=founder_org,
        startup=startup, team=team, other_team=other_team, entry=entry, other_entry=other_entry, field=field,
        criterion=criterion, judge_row=judge_row, conflict=conflict, review=review, prize=prize,
        registration=registration, team_invitation=team_invitation, join_request=join_request,
        org_invitation=org_invitation, dataset=dataset, offering=offering, grant=grant, access_request=access_request,
        dataset_file=dataset_file, stored_file=stored_file, export_job=export_job, assign_job=assign_job,
        notification=notification, mail=mail, api_token=api_token, webhook=webhook, tokens=tokens,
    )  # fmt: skip
