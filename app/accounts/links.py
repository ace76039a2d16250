"""Signed links sent by e-mail: verify an address, reset a password.

Each purpose has its own salt, so a link made for one cannot be used for the other. A reset link
carries a fingerprint of the password hash it was made for: once the password changes (by this
link or otherwise) every older link stops working, which makes it single-use without a table.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from itsdangerous import BadData, URLSafeTimedSerializer

from app.platform import i18n

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.settings import Settings

VERIFY_SALT = "verify-email"
RESET_SALT = "password-reset"
VERIFY_MAX_AGE = 3 * 24 * 3600
RESET_MAX_AGE = 3600


def _serializer(settings: Settings, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=salt)


def password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:24]


def make_verify_token(settings: Settings, user: User) -> str:
    return _serializer(settings, VERIFY_SALT).dumps({"user": str(user.id), "email": user.email})


def make_reset_token(settings: Settings, user: User) -> str:
    return _serializer(settings, RESET_SALT).dumps(
        {"user": str(user.id), "pw": password_fingerprint(user.password_hash)}
    )


def read_token(
    settings: Settings, salt: str, token: str, max_age: int
) -> tuple[uuid.UUID, dict[str, str]] | None:
    """The user id and payload of a valid, unexpired link of this purpose; None for anything else."""
    try:
        data = _serializer(settings, salt).loads(token, max_age=max_age)
        return uuid.UUID(data["user"]), data
    except (BadData, KeyError, TypeError, ValueError):
        return None


def url(settings: Settings, path: str, token: str) -> str:
    # Only BASE_URL: never the Host header of the request that asked for the mail.
    return f"{settings.base_url}{path}?{urlencode({'token': token})}"


def verification_mail(settings: Settings, user: User) -> tuple[str, str, str]:
    """Subject, body and the token of the e-mail asking to confirm an address."""
    _ = i18n.gettext
    token = make_verify_token(settings, user)
    with i18n.in_locale(user.locale):
        subject = _("Confirm your e-mail address")
        body = "\n\n".join(
            [
                _("Hello %(name)s,", name=user.name),
                _("Please confirm your e-mail address for Tremplin by opening this link (valid for 3 days):"),
                url(settings, "/verify-email", token),
                _("If you did not create this account, you can ignore this message."),
            ]
        )
    return subject, body, token


def reset_mail(settings: Settings, user: User) -> tuple[str, str, str]:
    """Subject, body and the token of the e-mail with a password reset link."""
    _ = i18n.gettext
    token = make_reset_token(settings, user)
    with i18n.in_locale(user.locale):
        subject = _("Reset your Tremplin password")
        body = "\n\n".join(
            [
                _("Hello %(name)s,", name=user.name),
                _(
                    "Someone asked to reset the password of your Tremplin account. To choose a new one, open this link within an hour:"
                ),
                url(settings, "/password/reset", token),
                _(
                    "The link works once. If you did not ask for it, ignore this message: your password stays the same."
                ),
            ]
        )
    return subject, body, token
