"""What the OpenAPI document (/schema/openapi.json) says: the JSON API only, each operation with its refusals.

Every refusal of the API is a problem document (RFC 9457, built by `app.web.problem`), whatever raised it: the
guard (401), a service (403, 404, 409, 422), the body's parser (400), the size limit (413) or the database being
away (503). Litestar documents only the success and its own validation error, with a body shape the API never
sends; `document_api` declares the refusals an operation can answer, with the shape it does send, so that a
client (and the schemathesis suite, tests/security/test_api_fuzz.py) can rely on the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import msgspec

# Private module of Litestar (pinned below 3): the plugin that documents msgspec structs, extended below.
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec

API_PREFIX = "/api/"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
PATH_PARAMETER = re.compile(r"{(\w+)")
# Handler arguments that are not query parameters: Litestar's own and the app's dependencies (app.main).
NOT_QUERY = {"request", "data", "state", "scope", "headers", "cookies", "query", "body", "db", "actor", "now"}


class ProblemError(msgspec.Struct):
    """One refused field: its key (`name`, `prizes[1].title`) and what to do about it."""

    message: str
    key: str | msgspec.UnsetType = msgspec.UNSET
    # Where the field was: body, query or path.
    source: str | msgspec.UnsetType = msgspec.UNSET


class Problem(msgspec.Struct):
    """A refusal. Some carry more: `errors` by field (400, 422), the object's current `state` (409)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemError] | msgspec.UnsetType = msgspec.UNSET


# Why each refusal happens, in the words of the document.
REFUSALS = {
    400: "The body or a parameter does not have the documented shape.",
    401: "Not signed in (no session, or an API token that is unknown, revoked or of a disabled account).",
    403: "Signed in but not allowed to do this, or the CSRF token of a browser session is missing.",
    404: "No such object, or not one the caller may see.",
    409: "The object's current state does not allow this (the detail says why).",
    410: "The link was used already, revoked, or has expired.",
    413: "The body is larger than allowed.",
    422: "Some fields need attention: `errors` names them.",
    503: "The database is unavailable for a moment; try again.",
}
ANY_OPERATION = (400, 401, 403, 404, 503)
CHANGING_OPERATION = (409, 413, 422)


def problem_response(code: int) -> ResponseSpec:
    """A refusal for `responses=` of a handler that answers one the rule below does not foresee (e.g. 410)."""
    return ResponseSpec(
        data_container=Problem,
        description=REFUSALS[code],
        media_type="application/problem+json",
        generate_examples=False,
    )


def _has_query_parameters(handler: HTTPRouteHandler) -> bool:
    path_parameters = {name for path in handler.paths for name in PATH_PARAMETER.findall(path)}
    declared = set(handler.parsed_fn_signature.parameters) - path_parameters - NOT_QUERY
    return bool(declared - set(handler.dependencies or {}))


def refusals(handler: HTTPRouteHandler) -> dict[int, ResponseSpec]:
    """The refusals an API operation can answer: any of them the first five; a change also conflicts, too-large
    bodies and field errors, and a read field errors when it takes query parameters."""
    codes = list(ANY_OPERATION)
    if set(handler.http_methods) & UNSAFE_METHODS:
        codes += CHANGING_OPERATION
    elif _has_query_parameters(handler):
        codes.append(422)
    return {code: problem_response(code) for code in codes}


def document_api(handlers: Iterable[Any]) -> list[Any]:
    """Leave pages out of the document and declare each API operation's refusals (those a handler declares
    itself win). Safe to call again on the same handlers, as every `create_app` does."""
    handlers = list(handlers)
    for handler in handlers:
        if not isinstance(handler, HTTPRouteHandler):
            continue
        if not any(path.startswith(API_PREFIX) for path in handler.paths):
            handler.include_in_schema = False
            continue
        handler.responses = {**refusals(handler), **(handler.responses or {})}
    return handlers


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """A body that refuses unknown fields (`forbid_unknown_fields=True`) says so: `additionalProperties: false`.
    Litestar's own plugin leaves it out, so the document allowed bodies the API answers with 400."""

    def to_openapi_schema(self, field_definition: Any, schema_creator: Any) -> Any:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        if getattr(msgspec.inspect.type_info(field_definition.type_), "forbid_unknown_fields", False):
            schema.additional_properties = False
        return schema
