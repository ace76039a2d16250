"""Ids carried in links (invitations): signed with SECRET_KEY under a salt naming the link's purpose, so that a
token made for one purpose never passes for another, and dated, so that a link can expire."""

from __future__ import annotations

import datetime as dt
import uuid

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from litestar.exceptions import NotFoundException


def sign_id(secret: str, salt: str, value: uuid.UUID) -> str:
    return URLSafeTimedSerializer(secret, salt=salt).dumps(str(value))


def read_id(secret: str, salt: str, token: str, valid_for: dt.timedelta) -> tuple[uuid.UUID, bool]:
    """The id and whether the token is older than `valid_for`; an unsigned or altered token is a 404."""
    serializer = URLSafeTimedSerializer(secret, salt=salt)
    try:
        value, too_old = serializer.loads(token, max_age=int(valid_for.total_seconds())), False
    except SignatureExpired:
        value, too_old = serializer.loads(token), True
    except BadSignature:
        raise NotFoundException() from None
    try:
        return uuid.UUID(str(value)), too_old
    except ValueError:
        raise NotFoundException() from None
