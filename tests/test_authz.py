"""Who may do what: the whole permission table, require()'s 404/403, and the inventory of routes."""

from __future__ import annotations

import re
import uuid

import pytest
from litestar.exceptions import NotFoundException, PermissionDeniedException

from app import authz
from app.accounts.sessions import Actor

ALLOW, FORBID, HIDE = "allowed", "403 forbidden", "404 not found"

# (role, action, relation, expected). The role is who is asking; the relation is what links them
# to the object (an organization for org_*, an invitation for invitee), "" when nothing does.
MATRIX: list[tuple[str, str, str, str]] = [
    # account
    ("visitor", "account:edit", "", HIDE),
    ("user", "account:edit", "", ALLOW),
    ("org_member", "account:edit", "org_member", ALLOW),
    ("org_owner", "account:edit", "org_owner", ALLOW),
    ("invitee", "account:edit", "invitee", ALLOW),
    ("admin", "account:edit", "", ALLOW),
    ("visitor", "account:view", "", HIDE),
    ("user", "account:view", "", ALLOW),
    ("org_member", "account:view", "org_member", ALLOW),
    ("org_owner", "account:view", "org_owner", ALLOW),
    ("invitee", "account:view", "invitee", ALLOW),
    ("admin", "account:view", "", ALLOW),
    # the directory of organizations
    ("visitor", "organization:list", "", HIDE),
    ("user", "organization:list", "", ALLOW),
    ("org_member", "organization:list", "org_member", ALLOW),
    ("org_owner", "organization:list", "org_owner", ALLOW),
    ("invitee", "organization:list", "invitee", ALLOW),
    ("admin", "organization:list", "", ALLOW),
    ("visitor", "organization:create", "", HIDE),
    ("user", "organization:create", "", ALLOW),
    ("org_member", "organization:create", "org_member", ALLOW),
    ("org_owner", "organization:create", "org_owner", ALLOW),
    ("invitee", "organization:create", "invitee", ALLOW),
    ("admin", "organization:create", "", ALLOW),
    # one organization
    ("visitor", "organization:view", "", HIDE),
    ("user", "organization:view", "", ALLOW),
    ("org_member", "organization:view", "org_member", ALLOW),
    ("org_owner", "organization:view", "org_owner", ALLOW),
    ("invitee", "organization:view", "invitee", ALLOW),
    ("admin", "organization:view", "", ALLOW),
    ("visitor", "organization:view_members", "", HIDE),
    ("user", "organization:view_members", "", FORBID),
    ("org_member", "organization:view_members", "org_member", ALLOW),
    ("org_owner", "organization:view_members", "org_owner", ALLOW),
    ("invitee", "organization:view_members", "invitee", FORBID),
    ("admin", "organization:view_members", "", ALLOW),
    ("visitor", "organization:edit", "", HIDE),
    ("user", "organization:edit", "", FORBID),
    ("org_member", "organization:edit", "org_member", FORBID),
    ("org_owner", "organization:edit", "org_owner", ALLOW),
    ("invitee", "organization:edit", "invitee", FORBID),
    ("admin", "organization:edit", "", FORBID),
    ("visitor", "organization:invite", "", HIDE),
    ("user", "organization:invite", "", FORBID),
    ("org_member", "organization:invite", "org_member", FORBID),
    ("org_owner", "organization:invite", "org_owner", ALLOW),
    ("invitee", "organization:invite", "invitee", FORBID),
    ("admin", "organization:invite", "", FORBID),
    ("visitor", "organization:manage_members", "", HIDE),
    ("user", "organization:manage_members", "", FORBID),
    ("org_member", "organization:manage_members", "org_member", FORBID),
    ("org_owner", "organization:manage_members", "org_owner", ALLOW),
    ("invitee", "organization:manage_members", "invitee", FORBID),
    ("admin", "organization:manage_members", "", FORBID),
    # Webhooks carry the organization's events to its own systems: its owners run them; admins do not.
    ("visitor", "organization:manage_webhooks", "", HIDE),
    ("user", "organization:manage_webhooks", "", FORBID),
    ("org_member", "organization:manage_webhooks", "org_member", FORBID),
    ("org_owner", "organization:manage_webhooks", "org_owner", ALLOW),
    ("invitee", "organization:manage_webhooks", "invitee", FORBID),
    ("admin", "organization:manage_webhooks", "", FORBID),
    ("visitor", "organization:leave", "", HIDE),
    ("user", "organization:leave", "", FORBID),
    ("org_member", "organization:leave", "org_member", ALLOW),
    ("org_owner", "organization:leave", "org_owner", ALLOW),
    ("invitee", "organization:leave", "invitee", FORBID),
    ("admin", "organization:leave", "", FORBID),
    ("visitor", "organization:verify", "", HIDE),
    ("user", "organization:verify", "", FORBID),
    ("org_member", "organization:verify", "org_member", FORBID),
    ("org_owner", "organization:verify", "org_owner", FORBID),
    ("invitee", "organization:verify", "invitee", FORBID),
    ("admin", "organization:verify", "", ALLOW),
    # invitation links: a capability anyone holding the link may read, only its addressee may use
    ("visitor", "invitation:view", "", ALLOW),
    ("user", "invitation:view", "", ALLOW),
    ("org_member", "invitation:view", "org_member", ALLOW),
    ("org_owner", "invitation:view", "org_owner", ALLOW),
    ("invitee", "invitation:view", "invitee", ALLOW),
    ("admin", "invitation:view", "", ALLOW),
    ("visitor", "invitation:accept", "", FORBID),
    ("user", "invitation:accept", "", FORBID),
    ("org_member", "invitation:accept", "org_member", FORBID),
    ("org_owner", "invitation:accept", "org_owner", FORBID),
    ("invitee", "invitation:accept", "invitee", ALLOW),
    ("admin", "invitation:accept", "", FORBID),
    # the administration: invisible to everyone but admins
    ("visitor", "admin:dashboard", "", HIDE),
    ("user", "admin:dashboard", "", HIDE),
    ("org_member", "admin:dashboard", "org_member", HIDE),
    ("org_owner", "admin:dashboard", "org_owner", HIDE),
    ("invitee", "admin:dashboard", "invitee", HIDE),
    ("admin", "admin:dashboard", "", ALLOW),
    ("visitor", "audit:view_all", "", HIDE),
    ("user", "audit:view_all", "", HIDE),
    ("org_member", "audit:view_all", "org_member", HIDE),
    ("org_owner", "audit:view_all", "org_owner", HIDE),
    ("invitee", "audit:view_all", "invitee", HIDE),
    ("admin", "audit:view_all", "", ALLOW),
    ("visitor", "mail_log:view", "", HIDE),
    ("user", "mail_log:view", "", HIDE),
    ("org_member", "mail_log:view", "org_member", HIDE),
    ("org_owner", "mail_log:view", "org_owner", HIDE),
    ("invitee", "mail_log:view", "invitee", HIDE),
    ("admin", "mail_log:view", "", ALLOW),
    ("visitor", "user:list", "", HIDE),
    ("user", "user:list", "", HIDE),
    ("org_member", "user:list", "org_member", HIDE),
    ("org_owner", "user:list", "org_owner", HIDE),
    ("invitee", "user:list", "invitee", HIDE),
    ("admin", "user:list", "", ALLOW),
    ("visitor", "user:grant_admin", "", HIDE),
    ("user", "user:grant_admin", "", HIDE),
    ("org_member", "user:grant_admin", "org_member", HIDE),
    ("org_owner", "user:grant_admin", "org_owner", HIDE),
    ("invitee", "user:grant_admin", "invitee", HIDE),
    ("admin", "user:grant_admin", "", ALLOW),
    # an admin who also owns an organization runs it as its owner, not as an operator
    ("admin", "organization:edit", "org_owner", ALLOW),
    ("admin", "organization:leave", "org_member", ALLOW),
]

# Programs and challenges (issue #3), written per action as {role: outcome}. The relation is the role
# itself for relations (founder, listed, ...), nothing for global roles. Roles not named get DEFAULT.
CHALLENGE_ROLES = (
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
GLOBAL = ("visitor", "user", "admin")


def _rows(action: str, default: str, **special: str) -> list[tuple[str, str, str, str]]:
    rows = []
    for role in authz.ROLES:
        relation = "" if role in GLOBAL else role
        rows.append((role, action, relation, special.get(role, default)))
    return rows


_SIGNED_IN = {"visitor": HIDE}
CHALLENGE_MATRIX = [
    *_rows("program:view", ALLOW),
    *_rows("program:create", ALLOW, visitor=FORBID),
    *_rows("program:edit", FORBID, program_founder=ALLOW),
    *_rows("challenge:list", ALLOW),
    *_rows("challenge:create", ALLOW, **_SIGNED_IN),
    *_rows("founder:dashboard", ALLOW, **_SIGNED_IN),
    # Seeing a challenge: listed (published public) for everyone, else its invitees, founders, admins.
    *_rows(
        "challenge:view", HIDE, listed=ALLOW, challenge_invitee=ALLOW, founder=ALLOW, admin=ALLOW, judge=ALLOW
    ),
    *_rows("challenge:register", ALLOW, **_SIGNED_IN),
    *[
        row
        for action in (
            "challenge:edit",
            "challenge:publish",
            "challenge:announce",
            "challenge:extend_deadline",
            "challenge:decide_registrations",
        )
        for row in _rows(
            action, HIDE, listed=FORBID, challenge_invitee=FORBID, founder=ALLOW, admin=FORBID, judge=FORBID
        )
    ],
    # The challenge's audit log: its founders and admins; a judge sees the challenge but not its log.
    *_rows(
        "challenge:audit",
        HIDE,
        listed=FORBID,
        challenge_invitee=FORBID,
        founder=ALLOW,
        admin=ALLOW,
        judge=FORBID,
    ),
    *_rows(
        "challenge:view_registrations",
        HIDE,
        listed=FORBID,
        challenge_invitee=FORBID,
        founder=ALLOW,
        admin=ALLOW,
        judge=FORBID,
    ),
    *[
        row
        for action in ("registration:view", "registration:withdraw")
        for row in _rows(
            action,
            HIDE,
            listed=FORBID,
            challenge_invitee=FORBID,
            founder=FORBID,
            admin=FORBID,
            judge=FORBID,
            registrant=ALLOW,
            participant=ALLOW,
        )
    ],
    # Teams and submissions (issue #4). Relations to a team: team_member, captain; to its challenge: founder.
    *_rows("participant:dashboard", ALLOW, visitor=HIDE),
    *[
        row
        for action in ("team:create", "team:request_join")
        for row in _rows(action, HIDE, participant=ALLOW, founder=FORBID, team_member=FORBID, captain=FORBID)
    ],
    *[
        row
        for action in ("team:view", "submission:view")
        for row in _rows(action, HIDE, team_member=ALLOW, captain=ALLOW, founder=ALLOW)
    ],
    # A file of a published gallery entry is downloadable by whoever may see the gallery.
    # ... and an assigned judge downloads the files of the team whose entry they review.
    *_rows(
        "file:download",
        HIDE,
        team_member=ALLOW,
        captain=ALLOW,
        founder=ALLOW,
        gallery_file=ALLOW,
        assigned_judge=ALLOW,
    ),
    *[
        row
        for action in ("team:leave", "submission:edit", "submission:submit")
        for row in _rows(action, HIDE, team_member=ALLOW, captain=ALLOW, founder=FORBID)
    ],
    *[
        row
        for action in ("team:edit", "team:invite", "team:manage_members")
        for row in _rows(action, HIDE, team_member=FORBID, captain=ALLOW, founder=FORBID)
    ],
    *[
        row
        for action in ("team:override_members", "team:list")
        for row in _rows(action, HIDE, team_member=FORBID, captain=FORBID, founder=ALLOW)
    ],
    # Judging (issue #5). Those who may see the challenge but not run it get 403; the others 404.
    *_rows(
        "rubric:view", HIDE, founder=ALLOW, judge=ALLOW, listed=FORBID, challenge_invitee=FORBID, admin=FORBID
    ),
    *[
        row
        for action in ("rubric:edit", "judging:manage", "ranking:view", "shortlist:manage", "results:publish")
        for row in _rows(
            action, HIDE, founder=ALLOW, judge=FORBID, listed=FORBID, challenge_invitee=FORBID, admin=FORBID
        )
    ],
    *[
        row
        for action in ("judging:queue", "conflict:declare")
        for row in _rows(
            action, HIDE, judge=ALLOW, founder=FORBID, listed=FORBID, challenge_invitee=FORBID, admin=FORBID
        )
    ],
    # Only an assigned, unconflicted judge opens an entry for review; a conflicted one is not `assigned_judge`.
    *_rows(
        "submission:review", HIDE, assigned_judge=ALLOW, team_member=FORBID, captain=FORBID, founder=FORBID
    ),
    *_rows("feedback:view", HIDE, team_member=ALLOW, captain=ALLOW, founder=FORBID),
    *_rows("vote:cast", ALLOW, visitor=HIDE),
    # Data sharing (issue #6). The catalogue is for everyone signed in; a dataset's stewards run it; a team's
    # members read its requests and grants and access the data under the access rule; founders see grants.
    *_rows("dataset:view", ALLOW, visitor=HIDE),
    *_rows("steward:board", ALLOW, visitor=HIDE),
    *_rows("dataset:create", FORBID, visitor=HIDE, org_member=ALLOW, org_owner=ALLOW),
    *_rows("dataset:manage", FORBID, visitor=HIDE, steward=ALLOW),
    *_rows("dataset:audit", FORBID, visitor=HIDE, steward=ALLOW, admin=ALLOW),
    *_rows(
        "offering:ask",
        HIDE,
        founder=ALLOW,
        listed=FORBID,
        challenge_invitee=FORBID,
        admin=FORBID,
        judge=FORBID,
    ),
    *_rows("access_request:view", HIDE, team_member=ALLOW, captain=ALLOW, steward=ALLOW),
    *[
        row
        for action in ("access_request:create", "access_request:edit")
        for row in _rows(action, HIDE, captain=ALLOW, team_member=FORBID, steward=FORBID)
    ],
    *_rows("access_request:decide", HIDE, steward=ALLOW, team_member=FORBID, captain=FORBID),
    *_rows("agreement:accept", HIDE, team_member=ALLOW, captain=ALLOW, steward=FORBID),
    *_rows("grant:view", HIDE, team_member=ALLOW, captain=ALLOW, founder=ALLOW, steward=ALLOW),
    *_rows("grant:manage", HIDE, steward=ALLOW, team_member=FORBID, captain=FORBID, founder=FORBID),
    # The door to the access rule only: the rule itself (grant, naming, membership, agreement) is the services'.
    *_rows("data:access", HIDE, team_member=ALLOW, captain=ALLOW, founder=FORBID, steward=FORBID),
    *_rows("access_log:view", HIDE, steward=ALLOW),
]

# A link to a challenge or program says nothing about organizations or administration: for those
# actions each challenge relation answers exactly as a plain signed-in user does.
_USER_ANSWERS = {action: expected for role, action, _rel, expected in MATRIX if role == "user"}
CHALLENGE_MATRIX += [
    (role, action, role, expected)
    for role in CHALLENGE_ROLES
    for action, expected in sorted(_USER_ANSWERS.items())
]


def actor_for(role: str) -> Actor | None:
    if role == "visitor":
        return None
    return Actor(
        id=uuid.uuid4(),
        email="someone@example.org",
        name="Someone",
        locale="en",
        is_admin=role == "admin",
        email_verified=True,
    )


def outcome(actor: Actor | None, action: str, relations: tuple[str, ...]) -> str:
    try:
        authz.require(actor, action, relations)
    except NotFoundException:
        return HIDE
    except PermissionDeniedException:
        return FORBID
    return ALLOW


def test_matrix_covers_every_action_for_every_role():
    covered = {(role, action) for role, action, _relation, _expected in MATRIX + CHALLENGE_MATRIX}
    missing = {(role, action) for role in authz.ROLES for action in authz.ACTIONS} - covered
    assert not missing, f"add these to MATRIX: {sorted(missing)}"


def test_matrix_names_only_known_roles_actions_and_relations():
    for role, action, relation, _expected in MATRIX + CHALLENGE_MATRIX:
        assert role in authz.ROLES
        assert action in authz.ACTIONS
        assert all(name in authz.ROLES for name in relation.split("+") if name)
    rows = [(role, action, relation) for role, action, relation, _expected in MATRIX + CHALLENGE_MATRIX]
    assert len(rows) == len(set(rows)), "a row appears twice"


@pytest.mark.parametrize(
    ("role", "action", "relation", "expected"), MATRIX + CHALLENGE_MATRIX, ids=lambda v: v or "-"
)
def test_permission(role, action, relation, expected):
    actor = actor_for(role)
    relations = tuple(name for name in relation.split("+") if name)
    assert outcome(actor, action, relations) == expected
    assert authz.can(actor, action, relations) == (expected == ALLOW)


def test_require_answers_404_when_the_object_is_not_even_visible():
    # Non-admins must not learn that the administration exists.
    with pytest.raises(NotFoundException):
        authz.require(actor_for("user"), "audit:view_all")


def test_require_answers_403_when_the_object_is_visible_but_the_action_is_not_allowed():
    with pytest.raises(PermissionDeniedException):
        authz.require(actor_for("user"), "organization:edit", ())


def test_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown action"):
        authz.can(actor_for("admin"), "organization:destroy")


def test_relations_from_membership_and_invitation():
    actor = actor_for("user")
    assert authz.relations_from_member_role("owner") == {"org_owner"}
    assert authz.relations_from_member_role("member") == {"org_member"}
    assert authz.relations_from_member_role(None) == set()
    assert authz.relations_to_invitation(actor, "SomeOne@Example.org") == {"invitee"}
    assert authz.relations_to_invitation(actor, "someone-else@example.org") == set()
    assert authz.relations_to_invitation(None, "someone@example.org") == set()


def test_relations_are_ignored_for_visitors():
    assert not authz.can(None, "organization:edit", ("org_owner",))
    assert not authz.can(None, "challenge:edit", ("founder",))


def test_object_state_counts_for_visitors():
    assert authz.can(None, "challenge:view", ("listed",))
    assert not authz.can(None, "challenge:view", ())
    assert authz.can(None, "file:download", ("gallery_file",))
    assert not authz.can(None, "file:download", ())


# --- route inventory -----------------------------------------------------------------------------------

# Every route that answers without signing in, as "METHOD path". Add yours here, deliberately.
PUBLIC_ROUTES = {
    "GET /",
    "POST /language",
    "GET /health",
    "GET /ready",
    "GET /static/{file_path:path}",
    "HEAD /static/{file_path:path}",
    "GET /schema",
    "GET /schema/{path:str}",
    "GET /schema/openapi.json",
    # Accounts: what someone not (yet) signed in needs.
    "GET /signup",
    "POST /signup",
    "GET /verify-email",
    "POST /verify-email",
    "GET /login",
    "POST /login",
    "POST /logout",
    "GET /password/forgot",
    "POST /password/forgot",
    "GET /password/reset",
    "POST /password/reset",
    "GET /invitations/organization/{token:str}",
    # Teams: an invitation link shows its team to someone who may have no account yet.
    "GET /invitations/team/{token:str}",
    # Judging: a judge's invitation link shows the challenge and round to someone who may have no account yet.
    "GET /invitations/judge/{token:str}",
    # Programs and challenges (core): what a visitor may read; load_challenge 404s the rest.
    "GET /programs",
    "GET /programs/{slug:str}",
    "GET /challenges/{slug:str}",
    "GET /challenges/{slug:str}/calendar.ics",
    "GET /api/v1/programs",
    "GET /api/v1/programs/{slug:str}",
    "GET /api/v1/challenges/{slug:str}",
    "GET /api/v1/challenges/{slug:str}/rounds",
    "GET /api/v1/challenges/{slug:str}/announcements",
    # Challenges: the catalogue, published and visible challenges only.
    "GET /challenges",
    "GET /api/v1/challenges",
    # Files and the gallery: published gallery entries and their files are for anyone who may see the
    # challenge; the services answer 404 to whoever may not (never a sign-in redirect that would confirm a file).
    "GET /challenges/{slug:str}/gallery",
    "GET /api/v1/challenges/{slug:str}/gallery",
    "GET /files/{file_id:uuid}",
    "GET /api/v1/files/{file_id:uuid}",
    # Results: public once published, for whoever may see the challenge; 404 before (app.judging.results).
    "GET /challenges/{slug:str}/results",
    "GET /api/v1/challenges/{slug:str}/results",
}
SAMPLE_PARAMETERS = {"uuid": str(uuid.uuid4()), "str": "sample", "int": "1", "path": "sample"}


def routes(app) -> list[tuple[str, str, bool]]:
    """(method, path, public) for every handler; OPTIONS is Litestar's own and only lists the methods."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods):
                if method != "OPTIONS":
                    found.append((method, route.path, bool(handler.opt.get("public"))))
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{\w+:(\w+)\}", lambda m: SAMPLE_PARAMETERS[m.group(1)], path)


def test_public_routes_are_exactly_the_listed_ones(app):
    public = {f"{method} {path}" for method, path, is_public in routes(app) if is_public}
    assert public == PUBLIC_ROUTES


async def test_every_other_route_sends_visitors_to_sign_in(app, client):
    token = await client.csrf()
    for method, path, is_public in routes(app):
        if is_public:
            continue
        url = concrete(path)
        # With a valid CSRF token, so that what answers is the sign-in guard, not the CSRF check.
        response = await client.request(method, url, headers={"X-CSRF-Token": token})
        where = f"{method} {path}"
        if path.startswith("/api/"):
            assert response.status_code == 401, where
            assert response.headers["content-type"].startswith("application/problem+json"), where
        else:
            assert response.status_code == 303, where
            assert response.headers["location"].startswith("/login?next="), where
