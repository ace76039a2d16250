"""Password hashing (argon2id) and the password policy: at least 10 characters, no common password."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.platform.i18n import gettext as _

MIN_LENGTH = 10
# Long pass-phrases are welcome; the cap only stops a megabyte "password" from being hashed.
MAX_LENGTH = 1024
_hasher = PasswordHasher()
# A hash that takes as long to check as a real one, for unknown e-mails (no timing oracle).
_DUMMY_HASH = _hasher.hash("tremplin-dummy-password")


@functools.cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password is refused, in the reader's language, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(num)s characters.", num=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(num)s characters.", num=MAX_LENGTH)
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 4:
        return _("This password is too common. Choose one that is harder to guess.")
    local_part = email.split("@", 1)[0].lower()
    if local_part and len(local_part) >= 4 and local_part in lowered:
        return _("Do not use your e-mail address in your password.")
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError, UnicodeEncodeError):
        # UnicodeEncodeError: a lone surrogate (from a JSON body) cannot be the password of anyone.
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
