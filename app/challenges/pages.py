"""What the pages of programs and challenges share: reading forms, form state, and template helpers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from litestar import Request, Response
from litestar.enums import RequestEncodingType
from litestar.params import Body
from markupsafe import Markup

from app.challenges import choices
from app.challenges.completeness import Incomplete
from app.challenges.inputs import local_input
from app.organizations.choices import country_choices, country_name, kind_choices, kind_label
from app.platform.errors import InvalidInput
from app.platform.markdown import render as markdown
from app.web import is_htmx, redirect

# Repeated fields (checkboxes, multiple selects) arrive as lists, others as strings.
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
PAGE: dict[str, Any] = {"include_in_schema": False}
PUBLIC_PAGE: dict[str, Any] = {"include_in_schema": False, "opt": {"public": True}}


def text(data: dict[str, Any], name: str) -> str:
    """One text field (the first, if a crafted form repeats it)."""
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)


def texts(data: dict[str, Any], *names: str) -> dict[str, str]:
    return {name: text(data, name) for name in names}


def many(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name)
    if value is None or value == "":
        return []
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


@dataclasses.dataclass(frozen=True, slots=True)
class FormState:
    """What one form shows: its values and the messages beside its fields (and above it)."""

    values: dict[str, Any]
    errors: dict[str, str] = dataclasses.field(default_factory=dict)
    problems: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True, slots=True)
class Failed:
    """The form that was just refused, among the several forms of a page (`key` tells items apart)."""

    form: str
    values: dict[str, Any]
    errors: dict[str, str] = dataclasses.field(default_factory=dict)
    problems: list[str] = dataclasses.field(default_factory=list)
    key: Any = None
    status: int = 422


def failed_form(form: str, values: dict[str, Any], exc: Exception, key: Any = None) -> Failed:
    """The refused form, with its messages: by field (InvalidInput) or as sentences (the rest)."""
    if isinstance(exc, InvalidInput):
        return Failed(form, values, exc.errors, key=key)
    if isinstance(exc, Incomplete):
        return Failed(form, values, problems=[exc.detail, *exc.problems], key=key)
    status = getattr(exc, "status_code", 409)
    return Failed(form, values, problems=[str(getattr(exc, "detail", exc))], key=key, status=status)


def state_of(failed: Failed | None) -> Callable[..., FormState]:
    """For templates: `state("prize", defaults, key=prize.id)` gives the refused values back to the
    refused form only, and every other form its defaults."""

    def state(form: str, defaults: dict[str, Any] | None = None, key: Any = None) -> FormState:
        if failed is not None and failed.form == form and str(failed.key) == str(key):
            return FormState(failed.values, failed.errors, failed.problems)
        return FormState(defaults or {})

    return state


def back_to(request: Request[Any, Any, Any], url: str, section: str) -> Response[Any]:
    """After a successful form: back to `url` at the form's section. For htmx, without the fragment:
    a redirect to the current page plus a fragment would only scroll, not show the saved state."""
    return redirect(request, url if is_htmx(request) else f"{url}#{section}")


def time_tag(value: dt.datetime | None, timezone: str) -> Markup:
    """The time_of macro of challenges/_macros.html as a function, for lists of instants: a macro call
    costs several times its output."""
    if not value:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), choices.when(value, timezone))


def helpers() -> dict[str, Any]:
    """Labels and formatting the templates of this area use."""
    return {
        "markdown": markdown,
        "program_kind_label": choices.program_kind_label,
        "phase_label": choices.phase_label,
        "visibility_label": choices.visibility_label,
        "approval_label": choices.approval_label,
        "field_kind_label": choices.field_kind_label,
        "milestone_label": choices.milestone_label,
        "countdown": choices.countdown,
        "when": choices.when,
        "time_tag": time_tag,
        "local_input": local_input,
        "org_kind_label": kind_label,
        "country_name": country_name,
    }


def choice_lists(timezone: str | None = None) -> dict[str, Any]:
    return {
        "program_kinds": choices.program_kind_choices(),
        "org_kinds": kind_choices(),
        "countries": country_choices(),
        "timezones": choices.timezone_choices(timezone),
        "visibilities": [(v, choices.visibility_label(v)) for v in choices.VISIBILITY_LABELS],
        "approval_modes": [(m, choices.approval_label(m)) for m in choices.APPROVAL_LABELS],
        "field_kinds": [(k, choices.field_kind_label(k)) for k in choices.FIELD_KIND_LABELS],
        "file_types": choices.FILE_TYPES,
    }
