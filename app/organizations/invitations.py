"""Invitations to join an organization: sent by e-mail with a signed expiring link, accepted once.

The link carries the invitation's id signed with SECRET_KEY under a salt bound to this purpose, so
a reset-password or flash token can never pass for an invitation; the signature's timestamp makes
it expire. The row makes it single-use: accepting locks it and stamps accepted_at, so two browsers
accepting the same link at the same moment add one membership and the second is told it was used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from litestar.exceptions import ClientException, NotFoundException
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from app import authz
from app.accounts.models import User
from app.db import utcnow
from app.notifications.services import queue_mail
from app.organizations.choices import role_label
from app.organizations.models import Organization, OrganizationInvitation, OrganizationMember
from app.organizations.schemas import invitation_input
from app.organizations.services import authorized_organization
from app.platform import audit, i18n
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.signed_ids import read_id, sign_id

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.settings import Settings

SALT = "tremplin.organization-invitation"
VALID_DAYS = 14
VALID_FOR = dt.timedelta(days=VALID_DAYS)


class InvitationUnavailable(ClientException):
    """The link is genuine but can no longer be used: expired, already accepted or revoked."""

    status_code = 410


@dataclasses.dataclass(frozen=True, slots=True)
class InvitationDetail:
    invitation: OrganizationInvitation
    organization: Organization
    # "open", "accepted", "revoked" or "expired".
    state: str
    relations: frozenset[str]


def is_expired(invitation: OrganizationInvitation) -> bool:
    return invitation.created_at < utcnow() - VALID_FOR


def invitation_path(settings: Settings, invitation_id: uuid.UUID) -> str:
    return f"/invitations/organization/{sign_id(settings.secret_key, SALT, invitation_id)}"


def _read_token(settings: Settings, token: str) -> tuple[uuid.UUID, bool]:
    """The invitation id and whether the link has expired; an unsigned or altered token is a 404."""
    return read_id(settings.secret_key, SALT, token, VALID_FOR)


def _state(invitation: OrganizationInvitation, expired: bool) -> str:
    if invitation.accepted_at is not None:
        return "accepted"
    # Before "revoked": an expired invitation is retired when its address is invited again.
    if expired:
        return "expired"
    return "revoked" if invitation.revoked_at is not None else "open"


def unavailable_message(state: str) -> str:
    return {
        "accepted": _("This invitation has already been used."),
        "revoked": _("This invitation was withdrawn."),
        "expired": _("This invitation has expired. Ask an owner of the organization to invite you again."),
    }[state]


async def invite_member(
    session: AsyncSession, actor: Actor, settings: Settings, slug: str, *, email: str, role: str
) -> OrganizationInvitation:
    """Owners invite someone by e-mail, with or without an account; one pending invitation per address."""
    organization, _relations = await authorized_organization(session, actor, slug, "organization:invite")
    address, role = invitation_input(email, role)
    if await _is_member(session, organization.id, address):
        raise InvalidInput({"email": _("This person is already a member.")})
    await _retire_expired(session, organization.id, address)
    invitation = OrganizationInvitation(
        organization_id=organization.id, email=address, role=role, invited_by_id=actor.id
    )
    try:
        async with session.begin_nested():
            session.add(invitation)
            await session.flush()
    except IntegrityError:
        raise InvalidInput({"email": _("An invitation to this address is already pending.")}) from None
    await _mail_invitation(session, actor, settings, organization, invitation)
    await audit.record(
        session,
        actor,
        "organization:invite",
        "organization",
        organization.id,
        {"invitation_id": str(invitation.id), "email": address, "role": role},
    )
    return invitation


async def _retire_expired(session: AsyncSession, organization_id: uuid.UUID, email: str) -> None:
    # An expired invitation still counts as open for the one-per-address index: inviting again
    # replaces it instead of being refused as "already pending".
    await session.execute(
        update(OrganizationInvitation)
        .where(
            OrganizationInvitation.organization_id == organization_id,
            func.lower(OrganizationInvitation.email) == email,
            OrganizationInvitation.accepted_at.is_(None),
            OrganizationInvitation.revoked_at.is_(None),
            OrganizationInvitation.created_at < utcnow() - VALID_FOR,
        )
        .values(revoked_at=utcnow())
    )


async def _is_member(session: AsyncSession, organization_id: uuid.UUID, email: str) -> bool:
    found = await session.scalar(
        select(OrganizationMember.user_id)
        .join(User, User.id == OrganizationMember.user_id)
        .where(OrganizationMember.organization_id == organization_id, func.lower(User.email) == email)
    )
    return found is not None


async def _mail_invitation(
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    organization: Organization,
    invitation: OrganizationInvitation,
) -> None:
    # In the invitee's language when they have an account, else in the inviter's.
    locale = (
        await session.scalar(select(User.locale).where(func.lower(User.email) == invitation.email))
        or i18n.get_locale()
    )
    link = settings.base_url + invitation_path(settings, invitation.id)
    with _in_locale(locale):
        subject = _("Invitation to join %(organization)s on Tremplin", organization=organization.name)
        body = _(
            "%(inviter)s invites you to join %(organization)s on Tremplin as %(role)s.\n\n"
            "Accept the invitation here:\n%(link)s\n\n"
            "The link is valid for %(days)s days. If you have no account yet, create one with this "
            "address (%(email)s) from the link, then accept.",
            inviter=actor.name,
            organization=organization.name,
            role=role_label(invitation.role).lower(),
            link=link,
            days=VALID_DAYS,
            email=invitation.email,
        )
    await queue_mail(
        session,
        to=invitation.email,
        subject=subject,
        body=body,
        key=f"organization-invitation:{invitation.id}",
    )


@contextlib.contextmanager
def _in_locale(locale: str) -> Iterator[None]:
    token = i18n.set_locale(locale)
    try:
        yield
    finally:
        i18n.reset_locale(token)


async def revoke_invitation(session: AsyncSession, actor: Actor, slug: str, invitation_id: uuid.UUID) -> None:
    """Owners withdraw a pending invitation; its link stops working at once."""
    organization, _relations = await authorized_organization(
        session, actor, slug, "organization:manage_members"
    )
    invitation = await session.scalar(
        select(OrganizationInvitation)
        .where(
            OrganizationInvitation.id == invitation_id,
            OrganizationInvitation.organization_id == organization.id,
        )
        .with_for_update()
    )
    if invitation is None:
        raise NotFoundException()
    if _state(invitation, expired=False) != "open":
        raise Conflict(_("This invitation is no longer pending."))
    invitation.revoked_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor,
        "organization:invitation_revoke",
        "organization",
        organization.id,
        {"invitation_id": str(invitation.id), "email": invitation.email},
    )


async def invitation_detail(
    session: AsyncSession, actor: Actor | None, settings: Settings, token: str
) -> InvitationDetail:
    """What a link holder sees: the organization, the invited address, and whether it can still be used."""
    invitation_id, expired = _read_token(settings, token)
    row = (
        await session.execute(
            select(OrganizationInvitation, Organization)
            .join(Organization, Organization.id == OrganizationInvitation.organization_id)
            .where(OrganizationInvitation.id == invitation_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundException()
    invitation, organization = row
    relations = frozenset(authz.relations_to_invitation(actor, invitation.email))
    authz.require(actor, "invitation:view", relations)
    return InvitationDetail(invitation, organization, _state(invitation, expired), relations)


async def accept_invitation(
    session: AsyncSession, actor: Actor, settings: Settings, token: str
) -> Organization:
    """The invitee joins with the invited role. Single use, safe against concurrent acceptance."""
    invitation_id, expired = _read_token(settings, token)
    invitation = await session.scalar(
        select(OrganizationInvitation).where(OrganizationInvitation.id == invitation_id).with_for_update()
    )
    if invitation is None:
        raise NotFoundException()
    authz.require(actor, "invitation:accept", authz.relations_to_invitation(actor, invitation.email))
    state = _state(invitation, expired)
    if state != "open":
        raise InvitationUnavailable(detail=unavailable_message(state))
    # Already a member (joined through another invitation): keep the membership and its role.
    await session.execute(
        insert(OrganizationMember)
        .values(organization_id=invitation.organization_id, user_id=actor.id, role=invitation.role)
        .on_conflict_do_nothing(index_elements=["organization_id", "user_id"])
    )
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = actor.id
    await session.flush()
    await audit.record(
        session,
        actor,
        "organization:invitation_accept",
        "organization",
        invitation.organization_id,
        {"invitation_id": str(invitation.id), "role": invitation.role},
    )
    organization = await session.get(Organization, invitation.organization_id)
    assert organization is not None
    return organization
