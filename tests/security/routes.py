"""The app's route table as probes: every route with path parameters, each parameter filled with an object of a
given world, so that a new route is probed as soon as it exists (and a new parameter name fails loudly until
it is taught here)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute

from tests.security.worlds import World

PARAM = re.compile(r"{(\w+)(?::\w+)?}")
# Methods that only describe a route; they never reach a handler of ours.
IGNORED_METHODS = {"OPTIONS", "HEAD"}
# Routes with parameters that hold no object of a world: the files of the front end and the API's description.
NOT_WORLD_ROUTES = {"/static/{file_path:path}", "/schema/{path:str}"}


@dataclasses.dataclass(frozen=True)
class Route:
    method: str
    path: str  # as declared, e.g. /teams/{team_id:uuid}

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


def parametrised_routes(app: Litestar) -> list[Route]:
    """Every (method, path) of the app whose path has parameters."""
    found = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "{" not in route.path or route.path in NOT_WORLD_ROUTES:
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                if method not in IGNORED_METHODS:
                    found.add(Route(method, route.path))
    return sorted(found, key=lambda route: (route.path, route.method))


def plain_get_routes(app: Litestar) -> list[Route]:
    """Every GET route without parameters: the lists, boards, dashboards and exports of whoever asks."""
    found = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "{" in route.path or route.path.startswith("/schema"):
            continue
        if any("GET" in handler.http_methods for handler in route.route_handlers):
            found.add(Route("GET", route.path))
    return sorted(found, key=lambda route: route.path)


class UnknownParameter(LookupError):
    pass


def _user_id(path: str, world: World) -> Any:
    if path.startswith(("/organizations/", "/api/v1/organizations/")):
        return world.founder.id
    if path.startswith("/admin/users/"):
        return world.captain.id
    if "/stewards/" in path:
        return world.steward.id
    if "/assignments/" in path:
        return world.judge.id
    # Team members, grant members.
    return world.member.id


def value_for(path: str, name: str, world: World) -> Any:
    """The object of `world` that parameter `name` of route `path` names."""
    slug_owner = [
        (("/organizations/", "/api/v1/organizations/", "/admin/organizations/"), world.founder_org.slug),
        (("/programs/", "/api/v1/programs/"), world.program.slug),
        (("/datasets/", "/api/v1/datasets/"), world.dataset.slug),
        (("/challenges/", "/api/v1/challenges/"), world.challenge.slug),
    ]
    tokens = [
        (("/invitations/organization/",), world.tokens["org_invitation"]),
        (("/invitations/team/", "/api/v1/invitations/team/"), world.tokens["team_invitation"]),
        (("/invitations/judge/", "/api/v1/invitations/judge/"), world.tokens["judge_invitation"]),
        (("/challenges/join/",), world.tokens["challenge_join"]),
        (("/data/download/",), world.tokens["download"]),
    ]
    if name == "slug":
        for prefixes, slug in slug_owner:
            if path.startswith(prefixes):
                return slug
    elif name == "token":
        for prefixes, token in tokens:
            if path.startswith(prefixes):
                return token
    elif name == "user_id":
        return _user_id(path, world)
    elif name == "invitation_id":
        return world.org_invitation.id if "/organizations/" in path else world.team_invitation.id
    elif name == "request_id":
        return world.access_request.id if "data-requests" in path else world.join_request.id
    elif name == "file_id":
        return world.dataset_file.id if "/data" in path else world.stored_file.id
    elif name == "job_id":
        return world.export_job.id if "/exports/" in path else world.assign_job.id
    else:
        simple = {
            "team_id": world.team.id,
            "round_id": world.round.id,
            "submission_id": world.entry.id,
            "criterion_id": world.criterion.id,
            "judge_id": world.judge_row.id,
            "conflict_id": world.conflict.id,
            "prize_id": world.prize.id,
            "field_id": world.field.id,
            "field_key": world.field.key,
            "key": "pitch",
            "registration_id": world.registration.id,
            "number": 1,
            "offering_id": world.offering.id,
            "grant_id": world.grant.id,
            "notification_id": world.notification.id,
            "mail_id": world.mail.id,
            "token_id": world.api_token.id,
            "webhook_id": world.webhook.id,
        }
        if name in simple:
            return simple[name]
    raise UnknownParameter(f"no object of the world for {{{name}}} in {path}: teach tests/security/routes.py")


def url_for(route: Route, world: World) -> str:
    return PARAM.sub(lambda match: str(value_for(route.path, match.group(1), world)), route.path)


def openapi_path(path: str) -> str:
    """/teams/{team_id:uuid} as the document writes it: /teams/{team_id}."""
    return PARAM.sub(lambda match: "{" + match.group(1) + "}", path)


def example_body(document: dict[str, Any], route: Route, world: World) -> Any:
    """A body of the documented shape for an API route (every required field, ids naming `world`'s objects), so
    that the request passes the parser and reaches the permission check; None when the route takes no body."""
    operation = document["paths"].get(openapi_path(route.path), {}).get(route.method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return _example(document, content["application/json"]["schema"], world)


def _example(document: dict[str, Any], schema: dict[str, Any], world: World, name: str = "") -> Any:
    if "$ref" in schema:
        return _example(
            document, document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], world, name
        )
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = [option for option in schema[key] if option.get("type") != "null"]
            return _example(document, options[0], world, name)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), "string") if isinstance(kind, list) else kind
    if kind == "object":
        required = schema.get("required", [])
        properties = schema.get("properties", {})
        return {field: _example(document, properties.get(field, {}), world, field) for field in required}
    if kind == "array":
        return [_example(document, schema.get("items", {}), world, name)]
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if schema.get("format") == "uuid":
        try:
            return str(value_for("", name, world))
        except UnknownParameter:
            return str(world.team.id)
    if schema.get("format") == "date-time":
        return "2030-01-01T12:00:00Z"
    if schema.get("format") == "date":
        return "2030-01-01"
    if schema.get("format") == "email":
        return "someone@example.org"
    return "Probe " + "x" * max(0, schema.get("minLength", 1) - 6)
