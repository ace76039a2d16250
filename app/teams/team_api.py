"""JSON API of teams under /api/v1: teams, memberships, invitations and join requests, with the pages' services
and permissions. Bodies are closed structs (unknown fields are a 400): ids, counts, statuses and captains are
never read from them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, delete, get, patch, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.platform.api_docs import problem_response
from app.platform.context import get_context
from app.platform.errors import InvalidInput
from app.platform.pagination import MAX_PAGE
from app.teams import invitations, join_requests, membership, overview, teams
from app.teams.schemas import (
    CaptainChange,
    InvitationCreate,
    InvitationView,
    JoinDecision,
    JoinRequestCreate,
    JoinRequestView,
    MemberAddition,
    MemberView,
    PersonSummary,
    SubmissionSummary,
    TeamCreate,
    TeamList,
    TeamListItem,
    TeamUpdate,
    TeamView,
)
from app.web import problem

PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
SearchText = Annotated[str, Parameter(max_length=200)]
Reason = Annotated[str, Parameter(max_length=2000)]


def _invalid(_request: Request[Any, Any, Any], exc: InvalidInput) -> Response[Any]:
    errors = [{"key": field, "message": message, "source": "body"} for field, message in exc.errors.items()]
    return problem(422, exc.detail, errors=errors)


API: dict[str, Any] = {
    "cache_control": CacheControlHeader(no_store=True),
    "exception_handlers": {InvalidInput: _invalid},
}


def _team_view(page: overview.TeamPage) -> TeamView:
    team, challenge = page.head.team, page.head.challenge
    return TeamView(
        id=team.id,
        challenge=challenge.slug,
        name=team.name,
        captain_id=team.captain_id,
        organization_id=team.organization_id,
        member_count=team.member_count,
        team_max=challenge.team_max,
        team_min=challenge.team_min,
        gallery_opt_in=team.gallery_opt_in,
        membership_frozen=page.frozen,
        created_at=team.created_at,
        members=[MemberView(m.user_id, m.name, m.email, m.role, m.joined_at) for m in page.head.members],
        submissions=[
            SubmissionSummary(
                round_id=work.round_id,
                round_name=work.round_name,
                deadline=work.deadline,
                status=work.status,
                version=work.version or 0,
                submitted_at=work.submitted_at,
            )
            for work in page.head.work
        ],
        submit_blocker=page.blocker,
    )


async def _show(db: AsyncSession, actor: Actor, team_id: uuid.UUID, now: dt.datetime) -> TeamView:
    return _team_view(await overview.team_page(db, actor, team_id, now))


# --- teams ------------------------------------------------------------------------------------------------


@get("/api/v1/challenges/{slug:str}/teams", name="teams:api_list", **API)
async def api_list_teams(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    q: SearchText = "",
    page: PageNumber = 1,
) -> TeamList:
    """Teams of a challenge by name (`q` searches names), for its participants and founders."""
    listing = await overview.list_teams(db, actor, slug, now, query=q, page=page)
    rows = listing.teams
    team_max = listing.challenge.team_max
    items = [
        TeamListItem(
            id=row["id"],
            name=row["name"],
            member_count=row["member_count"],
            team_max=team_max,
            organization=row["organization"],
            my_join_request_id=listing.my_requests.get(row["id"]),
        )
        for row in rows.items
    ]
    return TeamList(
        items=items,
        page=rows.number,
        per_page=rows.size,
        total=rows.total,
        pages=rows.pages,
        my_team_id=listing.my_team_id,
    )


@post("/api/v1/challenges/{slug:str}/teams", name="teams:api_create", **API)
async def api_create_team(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    data: JSONBody[TeamCreate],
) -> Response[TeamView]:
    """Create a team and become its captain (participants in no team of the challenge, before the freeze)."""
    team = await teams.create_team(db, actor, slug, now, name=data.name, organization_id=data.organization_id)
    view = await _show(db, actor, team.id, now)
    return Response(view, status_code=201, headers={"location": f"/api/v1/teams/{team.id}"})


@get("/api/v1/teams/{team_id:uuid}", name="teams:api_show", **API)
async def api_show_team(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
) -> TeamView:
    """A team with its members and its submission status per round; for its members and the founders."""
    return await _show(db, actor, team_id, now)


@patch("/api/v1/teams/{team_id:uuid}", name="teams:api_update", **API)
async def api_update_team(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    data: JSONBody[TeamUpdate],
) -> TeamView:
    """The captain changes the name, the startup represented or the gallery consent; fields left out stay."""
    changes = {
        name: value for name, value in msgspec.structs.asdict(data).items() if value is not msgspec.UNSET
    }
    await teams.update_team(db, actor, team_id, **changes)
    return await _show(db, actor, team_id, now)


# --- memberships ----------------------------------------------------------------------------------------


@post("/api/v1/teams/{team_id:uuid}/members", name="teams:api_add_member", **API)
async def api_add_member(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    data: JSONBody[MemberAddition],
) -> Response[TeamView]:
    """Founders seat a registered participant in the team, saying why (audited)."""
    await membership.add_member(db, actor, team_id, now, email=data.email, reason=data.reason)
    return Response(await _show(db, actor, team_id, now), status_code=201)


@delete("/api/v1/teams/{team_id:uuid}/members/{user_id:uuid}", name="teams:api_remove_member", **API)
async def api_remove_member(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    user_id: FromPath[uuid.UUID],
    reason: Reason = "",
) -> None:
    """Remove a member (captain; founders with `reason`), or leave when the id is one's own."""
    await membership.end_membership(db, actor, team_id, user_id, now, reason=reason)


@post("/api/v1/teams/{team_id:uuid}/captain", name="teams:api_hand_over_captaincy", status_code=200, **API)
async def api_hand_over_captaincy(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    data: JSONBody[CaptainChange],
) -> TeamView:
    """Make another member captain (the captain; founders with `reason`)."""
    await membership.hand_over_captaincy(db, actor, team_id, data.user_id, now, reason=data.reason)
    return await _show(db, actor, team_id, now)


# --- invitations ----------------------------------------------------------------------------------------


def _invitation_view(pending: invitations.PendingInvitation) -> InvitationView:
    invitation = pending.invitation
    return InvitationView(
        id=invitation.id,
        email=invitation.email,
        invited_by=PersonSummary(id=invitation.invited_by_id, name=pending.inviter),
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
    )


@get("/api/v1/teams/{team_id:uuid}/invitations", name="teams:api_invitations", **API)
async def api_list_invitations(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
) -> list[InvitationView]:
    """Pending invitations of the team, for its captain."""
    return [_invitation_view(p) for p in await invitations.list_invitations(db, actor, team_id, now)]


@post("/api/v1/teams/{team_id:uuid}/invitations", name="teams:api_invite", **API)
async def api_invite(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    data: JSONBody[InvitationCreate],
) -> Response[InvitationView]:
    """Invite someone by e-mail (the captain, before the freeze): the link is e-mailed, never returned."""
    settings = get_context(request.scope).settings
    invitation = await invitations.invite(db, actor, settings, team_id, data.email, now)
    view = InvitationView(
        id=invitation.id,
        email=invitation.email,
        invited_by=PersonSummary(id=actor.id, name=actor.name),
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
    )
    return Response(view, status_code=201)


@delete(
    "/api/v1/teams/{team_id:uuid}/invitations/{invitation_id:uuid}", name="teams:api_revoke_invitation", **API
)
async def api_revoke_invitation(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    invitation_id: FromPath[uuid.UUID],
) -> None:
    """Withdraw a pending invitation; its link stops working."""
    await invitations.revoke(db, actor, team_id, invitation_id, now)


@post(
    "/api/v1/invitations/team/{token:str}",
    name="teams:api_accept_invitation",
    status_code=200,
    responses={410: problem_response(410)},
    **API,
)
async def api_accept_invitation(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    token: FromPath[str],
) -> TeamView:
    """Accept an invitation with the token of its link (signed in with the invited address)."""
    team = await invitations.accept(db, actor, get_context(request.scope).settings, token, now)
    return await _show(db, actor, team.id, now)


# --- join requests --------------------------------------------------------------------------------------


def _request_view(request: Any, name: str) -> JoinRequestView:
    return JoinRequestView(
        id=request.id,
        team_id=request.team_id,
        person=PersonSummary(id=request.user_id, name=name),
        message=request.message,
        status=request.status,
        created_at=request.created_at,
        decided_at=request.decided_at,
    )


@get("/api/v1/teams/{team_id:uuid}/join-requests", name="teams:api_join_requests", **API)
async def api_list_join_requests(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], team_id: FromPath[uuid.UUID]
) -> list[JoinRequestView]:
    """Pending requests to join the team, for its captain."""
    return [_request_view(p.request, p.name) for p in await join_requests.list_requests(db, actor, team_id)]


@post("/api/v1/teams/{team_id:uuid}/join-requests", name="teams:api_request_join", **API)
async def api_request_join(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    data: JSONBody[JoinRequestCreate],
) -> Response[JoinRequestView]:
    """Ask to join the team (participants in no team of the challenge, before the freeze)."""
    request = await join_requests.request_to_join(db, actor, team_id, data.message, now)
    return Response(_request_view(request, actor.name), status_code=201)


@post(
    "/api/v1/teams/{team_id:uuid}/join-requests/{request_id:uuid}/decision",
    name="teams:api_decide_join_request",
    status_code=200,
    **API,
)
async def api_decide_join_request(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    request_id: FromPath[uuid.UUID],
    data: JSONBody[JoinDecision],
) -> JoinRequestView:
    """Approve (`approve`: a seat is taken) or decline (`decline`) a pending request; the captain."""
    decided = await join_requests.decide_request(db, actor, team_id, request_id, data.decision, now)
    return _request_view(decided.request, decided.name)


@delete(
    "/api/v1/teams/{team_id:uuid}/join-requests/{request_id:uuid}",
    name="teams:api_cancel_join_request",
    **API,
)
async def api_cancel_join_request(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    request_id: FromPath[uuid.UUID],
) -> None:
    """The requester cancels their pending request."""
    await join_requests.cancel_request(db, actor, team_id, request_id, now)


ROUTES: list[object] = [
    api_list_teams,
    api_create_team,
    api_show_team,
    api_update_team,
    api_add_member,
    api_remove_member,
    api_hand_over_captaincy,
    api_list_invitations,
    api_invite,
    api_revoke_invitation,
    api_accept_invitation,
    api_list_join_requests,
    api_request_join,
    api_decide_join_request,
    api_cancel_join_request,
]
