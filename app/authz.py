"""Who may do what: the only module that knows.

Permissions are plain data. An action is "<object>:<verb>". A role is either global (`visitor`
for everyone, `user` for anyone signed in, `admin` for platform operators) or a relation between
the actor and one object (`org_owner`, `org_member`, `invitee`, and later `founder`, `judge`,
`steward`, ...), computed by the `relations_*` helpers below from membership rows. `can()` answers
from the table; `require()` turns a "no" into 404 when the actor may not even see the object (so
its existence does not leak) and into 403 when they may see it but not act on it. Lists are scoped
in SQL by the `visible_*` helpers, never filtered in Python.

Why the table looks like this:
- Organizations are a directory of who takes part, so every signed-in person sees every
  organization; who belongs to one, and with which role, is for its members (and admins) only.
- Owners run their organization: details, invitations, roles, webhooks. Members may only leave. That no
  organization is ever left without an owner is a rule of the data, kept by the services.
- An invitation link is a capability: whoever holds it may read it (even before signing in, so
  they can choose to sign in or sign up), but only the person it was sent to, signed in with that
  e-mail address, may accept it.
- Challenges: their founders are the members of their organizer organizations (`founder`), and
  of a program, the members of its co-founding organizations (`program_founder`). Anyone may
  look at a published public challenge: that is the object's state, not a link to a person, so
  `listed` is the one relation that counts for visitors too (STATE_RELATIONS). An invitation-only
  challenge is seen only by those who followed its link (`challenge_invitee`), its founders and
  admins; drafts only by founders and admins. Registering needs a signed-in person who can see the
  challenge; the services check the timeline (app.challenges.lifecycle) and eligibility on top.
- Teams and submissions: a team's members (`team_member`, its captain also `captain`) and the
  challenge's founders see the team and its submissions; nobody else does, admins included: an
  unpublished submission is confidential (assigned judges get their own relation in issue #5).
  Creating a team or asking to join one needs an approved registration (`participant`). The
  captain runs the team; any member edits and submits the team's work; after the first round's
  deadline only founders change membership (audited). Deadlines are the services' business.
- Files follow their team: its members and the challenge's founders download them, nobody else
  (404, admins included). Once results are published, the files of a team's entry in the public
  gallery (`gallery_file`, a state of the file like `listed`) go to whoever may see the challenge.
- Judging: a judge (`judge`) is an accepted, current member of a round's panel of the challenge; they see
  the challenge and its rubrics, their own queue, and declare conflicts. An entry is theirs to open and
  score only while they are assigned to it and not in conflict with its team (`assigned_judge`, one SQL
  definition in `assigned_to`): a conflicted or unassigned judge gets 404, as if the entry did not
  exist. Judges get no `submission:view` (the team's drafting page), only the review page and the
  team's files. Rankings, other judges' scores and the shortlist are the founders' alone; admins do
  not see scores (confidential like unpublished submissions). Time rules (scoring only while judging
  is open, feedback only once results are published, votes while a vote is open) are the services'.
- Data sharing: every signed-in person sees the catalogue of datasets (descriptions, never content), and
  may register a dataset for an organization they belong to. A dataset's stewards (`steward`) run it:
  details, files, agreement versions, offerings, decisions on requests, grants, the access log. A
  challenge's founders ask for datasets and agree to offers (`offering:ask`) and see which grants the
  teams hold, never the data. A team's captain drafts and submits requests; its members read them,
  accept the agreement themselves and access the data; `data:access` only opens the door to the access
  rule (app.data_sharing), which decides at every request: an active grant naming them, still in the
  team, agreement version in force accepted. Admins get nothing here beyond the catalogue (and the
  dataset's audit log, a part of the whole log they read anyway).
- Audit log: admins read all of it; a challenge's founders the entries about their challenge and a
  dataset's stewards those about their dataset (`challenge:audit`, `dataset:audit`; which entries:
  app.platform.audit_scopes). Judges, who see the challenge, get 403; so does whoever sees a dataset in
  the catalogue without stewarding it.
- Admins read everything for support, but act only through the actions listed for them: being an
  operator does not make someone an owner, founder, judge or steward.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy import false, select, true

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

# The vocabulary. Every action appears in the test matrix for every role.
ACTIONS: frozenset[str] = frozenset(
    {
        "account:view",  # one's own profile, tokens, notifications
        "account:edit",  # one's own profile, password, API tokens
        "organization:list",
        "organization:create",
        "organization:view",
        "organization:view_members",
        "organization:edit",
        "organization:invite",
        "organization:manage_members",  # change roles, remove members, revoke invitations
        "organization:leave",
        "organization:verify",
        "organization:manage_webhooks",  # endpoints, their secrets, test events and delivery log
        "invitation:view",
        "invitation:accept",
        "admin:dashboard",
        "audit:view_all",  # the audit log page and its export
        "mail_log:view",
        "user:list",
        "user:grant_admin",  # grant and revoke
        # programs and challenges (issue #3)
        "program:create",
        "program:view",
        "program:edit",
        "challenge:create",
        "challenge:list",  # the public catalogue
        "challenge:view",
        "challenge:edit",  # details, rounds, forms, prizes, timeline, preview
        "challenge:publish",
        "challenge:announce",
        "challenge:extend_deadline",
        "challenge:view_registrations",
        "challenge:decide_registrations",
        "challenge:audit",  # the challenge's audit log and its export
        "challenge:register",
        "registration:view",  # one's own registration
        "registration:withdraw",
        "founder:dashboard",
        # teams and submissions (issue #4)
        "team:create",
        "team:request_join",
        "team:view",
        "team:edit",  # name, startup, gallery opt-in
        "team:invite",
        "team:manage_members",  # join requests, removals, captaincy
        "team:leave",
        "team:override_members",  # founders, after membership is frozen
        "team:list",  # founders' list of teams and submissions, CSV
        "submission:view",
        "submission:edit",  # save drafts, upload files, restore versions
        "submission:submit",  # submit and withdraw
        "file:download",
        "participant:dashboard",
        # judging (issue #5)
        "rubric:view",
        "rubric:edit",  # criteria, order, copy; refused by the services once frozen
        "judging:manage",  # settings, screening, panel invitations, assignment, closing, reminders
        "judging:queue",  # a judge's own queue in a challenge
        "conflict:declare",
        "submission:review",  # open an assigned entry, score it, comment, finalize
        "ranking:view",  # ranking, agreement, distributions, judges' scores by name after close, exports
        "shortlist:manage",  # advance teams to the next round
        "results:publish",  # award prizes, publish results
        "feedback:view",  # a team's own aggregated scores and anonymous comments once results are out
        "vote:cast",
        # governed data sharing (issue #6)
        "dataset:create",  # for an organization one belongs to (the steward organization)
        "dataset:view",  # the catalogue: descriptions, never content
        "dataset:manage",  # details, files, agreement versions, stewards, offering to challenges, agreeing
        "dataset:audit",  # the dataset's audit log and its export
        "offering:ask",  # a founder asks for a dataset for their challenge, or agrees to an offer
        "access_request:create",
        "access_request:view",
        "access_request:edit",  # draft, name members, submit, resubmit, withdraw, ask to add a member
        "access_request:decide",  # approve (creating the grant), reject, return; internal comments
        "agreement:accept",  # a named member accepts the agreement version in force, themselves
        "grant:view",
        "grant:manage",  # revoke, remove a member
        "data:access",  # download files / read workspace instructions: the access rule decides on top
        "access_log:view",
        "steward:board",  # one's own steward board (lists scoped to one's datasets)
    }
)

ROLES: tuple[str, ...] = (
    "visitor",
    "user",
    "org_member",
    "org_owner",
    "invitee",
    "admin",
    "listed",
    "challenge_invitee",
    "registrant",
    "participant",
    "founder",
    "program_founder",
    "team_member",
    "captain",
    "gallery_file",
    "judge",
    "assigned_judge",
    "steward",
)
# Relations that describe the object rather than the person: they count for visitors too.
STATE_RELATIONS = frozenset({"listed", "gallery_file"})

_VISITOR = {"invitation:view", "program:view", "challenge:list"}
_USER = _VISITOR | {
    "account:view",
    "account:edit",
    "organization:list",
    "organization:create",
    "organization:view",
    "program:create",
    "challenge:create",
    "challenge:register",
    "founder:dashboard",
    "participant:dashboard",
    "vote:cast",
    "dataset:view",
    "steward:board",
}
_MEMBER = _USER | {"organization:view_members", "organization:leave", "dataset:create"}
_OWNER = _MEMBER | {
    "organization:edit",
    "organization:invite",
    "organization:manage_members",
    "organization:manage_webhooks",
}
_INVITEE = _USER | {"invitation:accept"}
_ADMIN = _USER | {
    "organization:view_members",
    "organization:verify",
    "admin:dashboard",
    "audit:view_all",
    "mail_log:view",
    "user:list",
    "user:grant_admin",
    "challenge:view",
    "challenge:view_registrations",
    "challenge:audit",
    "dataset:audit",
}
_LISTED = {"challenge:view"}
_CHALLENGE_INVITEE = {"challenge:view"}
_REGISTRANT = {"registration:view", "registration:withdraw"}
_PARTICIPANT = _REGISTRANT | {"team:create", "team:request_join"}
_TEAM_MEMBER = {
    "team:view",
    "team:leave",
    "submission:view",
    "submission:edit",
    "submission:submit",
    "file:download",
    "feedback:view",
    "access_request:view",
    "agreement:accept",
    "grant:view",
    "data:access",
}
_CAPTAIN = _TEAM_MEMBER | {
    "team:edit",
    "team:invite",
    "team:manage_members",
    "access_request:create",
    "access_request:edit",
}
_FOUNDER = {
    "challenge:view",
    "challenge:edit",
    "challenge:publish",
    "challenge:announce",
    "challenge:extend_deadline",
    "challenge:view_registrations",
    "challenge:decide_registrations",
    "challenge:audit",
    "team:view",
    "team:override_members",
    "team:list",
    "submission:view",
    "file:download",
}
_FOUNDER |= {
    "rubric:view",
    "rubric:edit",
    "judging:manage",
    "ranking:view",
    "shortlist:manage",
    "results:publish",
    "offering:ask",
    "grant:view",
}
_PROGRAM_FOUNDER = {"program:edit"}
_JUDGE = {"challenge:view", "rubric:view", "judging:queue", "conflict:declare"}
_ASSIGNED_JUDGE = {"submission:review", "file:download"}
_STEWARD = {
    "dataset:manage",
    "dataset:audit",
    "access_request:view",
    "access_request:decide",
    "grant:view",
    "grant:manage",
    "access_log:view",
}
_GALLERY_FILE = {"file:download"}

PERMISSIONS: dict[str, frozenset[str]] = {
    "visitor": frozenset(_VISITOR),
    "user": frozenset(_USER),
    "org_member": frozenset(_MEMBER),
    "org_owner": frozenset(_OWNER),
    "invitee": frozenset(_INVITEE),
    "admin": frozenset(_ADMIN),
    "listed": frozenset(_LISTED),
    "challenge_invitee": frozenset(_CHALLENGE_INVITEE),
    "registrant": frozenset(_REGISTRANT),
    "participant": frozenset(_PARTICIPANT),
    "founder": frozenset(_FOUNDER),
    "program_founder": frozenset(_PROGRAM_FOUNDER),
    "team_member": frozenset(_TEAM_MEMBER),
    "captain": frozenset(_CAPTAIN),
    "gallery_file": frozenset(_GALLERY_FILE),
    "judge": frozenset(_JUDGE),
    "assigned_judge": frozenset(_ASSIGNED_JUDGE),
    "steward": frozenset(_STEWARD),
}

# For require(): which action means "may see this object at all".
VIEW_ACTION = {
    "organization": "organization:view",
    "invitation": "invitation:view",
    "admin": "admin:dashboard",
    "audit": "audit:view_all",
    "mail_log": "mail_log:view",
    "user": "user:list",
    "program": "program:view",
    "challenge": "challenge:view",
    "registration": "challenge:view",
    "founder": "founder:dashboard",
    "participant": "participant:dashboard",
    "team": "team:view",
    "submission": "submission:view",
    "file": "file:download",
    "rubric": "challenge:view",
    "judging": "challenge:view",
    "conflict": "challenge:view",
    "ranking": "challenge:view",
    "shortlist": "challenge:view",
    "results": "challenge:view",
    "feedback": "team:view",
    "vote": "challenge:view",
    "dataset": "dataset:view",
    "offering": "challenge:view",
    "access_request": "access_request:view",
    "agreement": "access_request:view",
    "grant": "grant:view",
    "data": "grant:view",
    "access_log": "access_log:view",
    "steward": "steward:board",
}


def roles_of(actor: Actor | None, relations: Iterable[str] = ()) -> set[str]:
    relations = set(relations)
    roles = {"visitor"} | (relations & STATE_RELATIONS)
    if actor is not None:
        roles.add("user")
        roles.update(relations)
        if actor.is_admin:
            roles.add("admin")
    return roles


def can(actor: Actor | None, action: str, relations: Iterable[str] = ()) -> bool:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return any(action in PERMISSIONS[role] for role in roles_of(actor, relations))


def require(actor: Actor | None, action: str, relations: Iterable[str] = ()) -> None:
    """Raise unless allowed: 404 when the object is not even visible to the actor, 403 otherwise."""
    relations = tuple(relations)
    if can(actor, action, relations):
        return
    view = VIEW_ACTION.get(action.split(":", 1)[0])
    if view is None or not can(actor, view, relations):
        raise NotFoundException()
    raise PermissionDeniedException()


# --- relations ---------------------------------------------------------------------------------------


def relations_from_member_role(role: str | None) -> set[str]:
    """The relation a membership row gives, for callers that loaded the row with the object."""
    if role is None:
        return set()
    return {"org_owner" if role == "owner" else "org_member"}


async def relations_to_organization(
    session: AsyncSession, actor: Actor | None, organization_id: uuid.UUID
) -> set[str]:
    from app.organizations.models import OrganizationMember

    if actor is None:
        return set()
    role = await session.scalar(
        select(OrganizationMember.role).where(
            OrganizationMember.organization_id == organization_id, OrganizationMember.user_id == actor.id
        )
    )
    return relations_from_member_role(role)


def relations_to_invitation(actor: Actor | None, invited_email: str) -> set[str]:
    """The invitee is whoever is signed in with the address the invitation was sent to."""
    if actor is None or actor.email.lower() != invited_email.lower():
        return set()
    return {"invitee"}


async def relations_to_challenge(session: AsyncSession, actor: Actor | None, challenge: Any) -> set[str]:
    """founder / challenge_invitee / registrant / participant / judge for the actor, plus `listed` for everyone
    when the challenge is published and public. One query whatever the actor's links."""
    if actor is None:
        return challenge_relations(challenge, None)
    row = (await session.execute(select(*challenge_relation_columns(actor.id, challenge.id)))).one()
    return challenge_relations(challenge, row)


def challenge_relation_columns(actor_id: Any, challenge_id: Any) -> list[Any]:
    """The SQL facts behind the actor's relations to a challenge, as columns (founder, invitee, registration
    status, judge) that a page may add to the query loading the challenge; `challenge_id` is a value or the
    outer query's column. `challenge_relations()` reads them back."""
    from app.challenges.models import ChallengeInvitee, ChallengeOrganizer, Registration
    from app.judging.models import Judge
    from app.organizations.models import OrganizationMember

    founder = (
        select(ChallengeOrganizer.challenge_id)
        .join(OrganizationMember, OrganizationMember.organization_id == ChallengeOrganizer.organization_id)
        .where(ChallengeOrganizer.challenge_id == challenge_id, OrganizationMember.user_id == actor_id)
        .exists()
    )
    invitee = (
        select(ChallengeInvitee.user_id)
        .where(ChallengeInvitee.challenge_id == challenge_id, ChallengeInvitee.user_id == actor_id)
        .exists()
    )
    status = (
        select(Registration.status)
        .where(Registration.challenge_id == challenge_id, Registration.user_id == actor_id)
        .scalar_subquery()
    )
    judge = (
        select(Judge.id)
        .where(
            Judge.challenge_id == challenge_id,
            Judge.user_id == actor_id,
            Judge.accepted_at.is_not(None),
            Judge.removed_at.is_(None),
        )
        .exists()
    )
    return [founder, invitee, status, judge]


def challenge_relations(challenge: Any, row: Any) -> set[str]:
    """The relations from the columns of `challenge_relation_columns()` (None for an anonymous actor)."""
    relations: set[str] = set()
    published = challenge.published_at is not None
    if published and challenge.visibility == "public":
        relations.add("listed")
    if row is None:
        return relations
    founder, invitee, status, judge = row
    if judge:
        relations.add("judge")
    if founder:
        relations.add("founder")
    if invitee and published:
        relations.add("challenge_invitee")
    if status is not None:
        relations.add("registrant")
        if status == "approved":
            relations.add("participant")
    return relations


# The names of `challenge_relation_columns()` in a plain-row read (app/platform/rows.py), which has no
# Challenge object to hand to `challenge_relations()`.
CHALLENGE_RELATION_KEYS = ("is_founder", "is_invitee", "registration_status", "is_judge")


class ChallengeVisibility(NamedTuple):
    """What `challenge_relations()` reads of a challenge, for callers that loaded plain columns."""

    published_at: Any
    visibility: str


def labelled_challenge_relation_columns(actor_id: Any, challenge_id: Any) -> list[Any]:
    """`challenge_relation_columns()` named by CHALLENGE_RELATION_KEYS, read back by `challenge_relations_of_row`."""
    columns = challenge_relation_columns(actor_id, challenge_id)
    return [column.label(key) for column, key in zip(columns, CHALLENGE_RELATION_KEYS, strict=True)]


def challenge_relations_of_row(row: Any) -> set[str]:
    """The relations from a plain row holding the labelled columns and the challenge's `published_at` and
    `visibility`."""
    challenge = ChallengeVisibility(row["published_at"], row["visibility"])
    return challenge_relations(challenge, tuple(row[key] for key in CHALLENGE_RELATION_KEYS))


def team_role_column(actor_id: Any, team_id: Any) -> Any:
    """The actor's role in the team (None when not a member), as a column; `team_id` a value or a column."""
    from app.teams.models import TeamMember

    return (
        select(TeamMember.role)
        .where(TeamMember.team_id == team_id, TeamMember.user_id == actor_id)
        .scalar_subquery()
    )


def add_team_relations(relations: set[str], role: str | None) -> set[str]:
    if role is not None:
        relations.add("team_member")
        if role == "captain":
            relations.add("captain")
    return relations


async def relations_to_team(
    session: AsyncSession, actor: Actor | None, team: Any, challenge: Any
) -> set[str]:
    """The actor's relations to the team's challenge, plus team_member / captain. One query."""
    if actor is None:
        return challenge_relations(challenge, None)
    row = (
        await session.execute(
            select(*challenge_relation_columns(actor.id, challenge.id), team_role_column(actor.id, team.id))
        )
    ).one()
    return add_team_relations(challenge_relations(challenge, row[:4]), row[4])


def judged_entry() -> list[Any]:
    """Conditions on `submissions`: the entry is under judgement (submitted and screened eligible). An entry
    screened out, returned to its team or withdrawn after assignment leaves its judges' hands at once."""
    from app.judging.models import Screening
    from app.teams.models import Submission

    return [
        Submission.status == "submitted",
        select(Screening.submission_id)
        .where(Screening.submission_id == Submission.id, Screening.decision == "eligible")
        .exists(),
    ]


def assigned_to(actor_id: Any, submission_id: Any = None, team_id: Any = None) -> Any:
    """SQL truth value: the actor is an accepted, current judge of the round, assigned to the entry (or to
    an entry of the team) while it is under judgement, and not in conflict with its team. The one
    definition of `assigned_judge`."""
    from app.judging.conflicts import not_in_conflict
    from app.judging.models import Assignment, Judge
    from app.teams.models import Submission

    where = [
        Assignment.user_id == actor_id,
        Submission.id == Assignment.submission_id,
        Judge.round_id == Assignment.round_id,
        Judge.user_id == actor_id,
        Judge.accepted_at.is_not(None),
        Judge.removed_at.is_(None),
        not_in_conflict(actor_id, Submission.team_id),
        *judged_entry(),
    ]
    if submission_id is not None:
        where.append(Assignment.submission_id == submission_id)
    if team_id is not None:
        where.append(Submission.team_id == team_id)
    return select(Assignment.submission_id).where(*where).exists()


async def relations_to_entry(
    session: AsyncSession, actor: Actor | None, submission: Any, team: Any, challenge: Any
) -> set[str]:
    """The actor's relations to the entry's team and challenge, plus `assigned_judge` (see assigned_to)."""
    relations = await relations_to_team(session, actor, team, challenge)
    if actor is not None and "judge" in relations:
        if await session.scalar(select(assigned_to(actor.id, submission_id=submission.id))):
            relations.add("assigned_judge")
    return relations


async def relations_to_file(session: AsyncSession, actor: Actor | None, stored_file: Any) -> set[str]:
    """The actor's relations to the file's team (and its challenge), plus `gallery_file` when the file is
    part of a published gallery entry that the actor may see. Nothing for a file without a team.

    Assigned judges get `assigned_judge` here: to the files of the team whose entry they review.
    """
    from app.challenges.models import Challenge
    from app.teams.gallery import in_published_gallery
    from app.teams.models import Team

    if stored_file.team_id is None:
        return set()
    row = (
        await session.execute(
            select(Team, Challenge)
            .join(Challenge, Challenge.id == Team.challenge_id)
            .where(Team.id == stored_file.team_id)
        )
    ).one_or_none()
    if row is None:
        return set()
    team, challenge = row
    relations = await relations_to_team(session, actor, team, challenge)
    if (
        actor is not None
        and "judge" in relations
        and not can(actor, "file:download", relations)
        and await session.scalar(select(assigned_to(actor.id, team_id=team.id)))
    ):
        relations.add("assigned_judge")
    if (
        not can(actor, "file:download", relations)
        and can(actor, "challenge:view", relations)
        and await in_published_gallery(session, challenge, team, stored_file.id)
    ):
        relations.add("gallery_file")
    return relations


async def relations_to_dataset(session: AsyncSession, actor: Actor | None, dataset_id: uuid.UUID) -> set[str]:
    """`steward` when the actor is named steward of the dataset (a member of its steward organization)."""
    from app.data_sharing.models import DatasetSteward

    if actor is None:
        return set()
    named = await session.scalar(
        select(
            select(DatasetSteward.user_id)
            .where(DatasetSteward.dataset_id == dataset_id, DatasetSteward.user_id == actor.id)
            .exists()
        )
    )
    return {"steward"} if named else set()


async def relations_to_team_data(
    session: AsyncSession, actor: Actor | None, team: Any, challenge: Any, dataset_id: uuid.UUID
) -> set[str]:
    """For a team's access request or grant on a dataset: the team relations (team_member, captain, founder
    of its challenge, ...) plus `steward` of the dataset."""
    relations = await relations_to_team(session, actor, team, challenge)
    return relations | await relations_to_dataset(session, actor, dataset_id)


async def relations_to_program(session: AsyncSession, actor: Actor | None, program_id: uuid.UUID) -> set[str]:
    from app.challenges.models import ProgramOrganization
    from app.organizations.models import OrganizationMember

    if actor is None:
        return set()
    is_founder = await session.scalar(
        select(
            select(ProgramOrganization.program_id)
            .join(
                OrganizationMember, OrganizationMember.organization_id == ProgramOrganization.organization_id
            )
            .where(ProgramOrganization.program_id == program_id, OrganizationMember.user_id == actor.id)
            .exists()
        )
    )
    return {"program_founder"} if is_founder else set()


# --- lists scoped in SQL ------------------------------------------------------------------------------


def visible_challenges(actor: Actor | None) -> ColumnElement[bool]:
    """Filter on `challenges` for any list or search: what `challenge:view` allows, as SQL.

    Published public ones for everyone; published invitation-only ones for their invitees; every
    state for founders; everything for admins (support).
    """
    if actor is None:
        return visible_challenges_of(None)
    return visible_challenges_of(actor.id, admin=actor.is_admin)


def visible_challenges_of(actor_id: Any, *, admin: bool = False) -> ColumnElement[bool]:
    """visible_challenges() for any actor id — a value, or a bind parameter of a statement compiled once per
    kind of viewer (app/platform/rows.py); None for an anonymous visitor."""
    from sqlalchemy import and_, exists, or_

    from app.challenges.models import Challenge, ChallengeInvitee, ChallengeOrganizer
    from app.organizations.models import OrganizationMember

    listed = and_(Challenge.published_at.is_not(None), Challenge.visibility == "public")
    if actor_id is None:
        return listed
    if admin:
        return true()
    founder = exists().where(
        ChallengeOrganizer.challenge_id == Challenge.id,
        OrganizationMember.organization_id == ChallengeOrganizer.organization_id,
        OrganizationMember.user_id == actor_id,
    )
    invitee = and_(
        Challenge.published_at.is_not(None),
        exists().where(ChallengeInvitee.challenge_id == Challenge.id, ChallengeInvitee.user_id == actor_id),
    )
    return or_(listed, founder, invitee)


def visible_organizations(actor: Actor | None) -> ColumnElement[bool]:
    """Filter for organization lists: the directory is open to every signed-in person."""
    return true() if can(actor, "organization:list") else false()
