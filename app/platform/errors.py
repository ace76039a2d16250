"""Refusals a service raises that the person can fix: bad fields (422) and conflicting state (409)."""

from __future__ import annotations

from litestar.exceptions import ClientException

from app.platform.i18n import gettext as _


class InvalidInput(ClientException):
    """Field name -> message shown beside the field (pages) or in `errors` (API)."""

    status_code = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(detail=_("Some fields need your attention."), extra=errors)
        self.errors = errors

    def problem_errors(self) -> list[dict[str, str]]:
        return [{"key": field, "message": message} for field, message in self.errors.items()]


class Conflict(ClientException):
    """The action contradicts the current state (e.g. removing the last owner); the detail says why."""

    status_code = 409
