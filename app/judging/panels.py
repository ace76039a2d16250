"""A round's panel as founders run it: invite judges by e-mail, send an invitation again, remove a judge.

A seat (`judges` row) is an invitation until a signed-in person with the invited address accepts it by
the e-mailed link (app.judging.panel_links); resending e-mails a fresh link. Removing a judge is soft
(`removed_at`): their link stops working, they lose the entries at once (app.authz.assigned_to), and every
score they gave is kept. Inviting a removed person again gives them a fresh invitation. Every change to a
panel is audited. Nobody judges a challenge they compete in (app.judging.competing).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.challenges.models import Challenge, Round
from app.judging.models import Assignment, Judge, Review
from app.judging.panel_links import VALID_DAYS, invitation_path, status_of
from app.judging.rounds import load_round
from app.notifications.models import Notification
from app.notifications.services import notify, queue_mail
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import in_locale
from app.teams.models import TeamMember
from app.teams.schemas import email_input

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.settings import Settings

MAX_ADDRESSES = 50
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclasses.dataclass(frozen=True, slots=True)
class InviteOutcome:
    invited: list[Judge]
    # (address, why it was not invited)
    skipped: list[tuple[str, str]]


# --- the founders' side -----------------------------------------------------------------------------------


def parse_addresses(text: object) -> list[str]:
    """Addresses separated by commas, semicolons, spaces or lines; lower-cased, duplicates dropped.
    Every bad address is named in one 422 on `emails`."""
    raw = [part for part in _SEPARATORS.split(str(text or "")) if part]
    if not raw:
        raise InvalidInput({"emails": _("Enter at least one e-mail address.")})
    if len(raw) > MAX_ADDRESSES:
        raise InvalidInput({"emails": _("Invite at most %(num)s people at once.", num=MAX_ADDRESSES)})
    addresses: list[str] = []
    bad: list[str] = []
    for part in raw:
        try:
            address = email_input(part)
        except InvalidInput:
            bad.append(part[:80])
            continue
        if address not in addresses:
            addresses.append(address)
    if bad:
        raise InvalidInput(
            {"emails": _("These are not valid e-mail addresses: %(list)s", list=", ".join(bad))}
        )
    return addresses


async def invite_judges(
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    round_id: uuid.UUID,
    emails: object,
    now: dt.datetime,
) -> InviteOutcome:
    """Invite each address to the round's panel and e-mail it the link. Addresses already on the panel
    and members of a team of the challenge are skipped, with the reason; a removed judge is invited anew."""
    ctx = await load_round(session, actor, round_id, "judging:manage")
    addresses = parse_addresses(emails)
    existing = {
        judge.email.lower(): judge
        for judge in await session.scalars(
            select(Judge)
            .where(Judge.round_id == round_id, func.lower(Judge.email).in_(addresses))
            .with_for_update()
        )
    }
    competing = set(
        await session.scalars(
            select(func.lower(User.email))
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.challenge_id == ctx.challenge.id, func.lower(User.email).in_(addresses))
        )
    )
    outcome = InviteOutcome([], [])
    for address in addresses:
        judge = existing.get(address)
        if address in competing:
            outcome.skipped.append((address, _("is a member of a team of this challenge")))
        elif judge is not None and judge.removed_at is None:
            outcome.skipped.append((address, _("is already on this panel")))
        else:
            outcome.invited.append(await _seat(session, actor, ctx.round, judge, address, now))
    for judge in outcome.invited:
        await _send(session, actor, settings, ctx.challenge, ctx.round, judge, now)
    if outcome.invited:
        await audit.record(
            session,
            actor,
            "judging:invite_judges",
            "round",
            round_id,
            {"challenge": ctx.challenge.slug, "emails": [j.email for j in outcome.invited]},
        )
    return outcome


async def _seat(
    session: AsyncSession, actor: Actor, round_: Round, judge: Judge | None, address: str, now: dt.datetime
) -> Judge:
    if judge is None:
        judge = Judge(
            round_id=round_.id,
            challenge_id=round_.challenge_id,
            email=address,
            invited_by_id=actor.id,
            created_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(judge)
                await session.flush()
        except IntegrityError:
            # Invited by another founder meanwhile.
            raise Conflict(detail=_("%(email)s was just invited by someone else.", email=address)) from None
        return judge
    # A removed judge invited again starts afresh: a new acceptance is needed.
    judge.removed_at = None
    judge.accepted_at = None
    judge.user_id = None
    judge.invited_by_id = actor.id
    judge.reminded_at = None
    await session.flush()
    return judge


async def _send(
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    challenge: Challenge,
    round_: Round,
    judge: Judge,
    now: dt.datetime,
) -> None:
    """The e-mail with the link, in the invitee's language when they have an account (else the inviter's);
    for account holders also a notification in the app, marked e-mailed so the news does not come twice."""
    invitee = await session.scalar(select(User).where(func.lower(User.email) == judge.email.lower()))
    path = invitation_path(settings, judge.id)
    with in_locale(invitee.locale if invitee else actor.locale):
        subject = _("Invitation to judge %(challenge)s on Tremplin", challenge=challenge.title)
        body = _(
            "%(inviter)s invites you to judge %(round)s of the challenge %(challenge)s on Tremplin.\n\n"
            "Open the invitation here:\n%(link)s\n\n"
            "The link is valid for %(days)s days. If you have no account yet, create one with this address "
            "(%(email)s) from the link. A judge of a challenge cannot also compete in it.",
            inviter=actor.name,
            round=round_.name,
            challenge=challenge.title,
            link=settings.base_url + path,
            days=VALID_DAYS,
            email=judge.email,
        )
    await queue_mail(
        session,
        to=judge.email,
        subject=subject,
        body=body,
        key=f"judge-invitation:{judge.id}:{now.isoformat()}",
    )
    if invitee is not None:
        params = {"inviter": actor.name, "round": round_.name, "challenge": challenge.title}
        notification = await notify(session, invitee.id, "judge_invitation", params, link=path)
        await session.execute(
            update(Notification).where(Notification.id == notification.id).values(emailed_at=func.now())
        )


async def _panel_seat(session: AsyncSession, round_id: uuid.UUID, judge_id: uuid.UUID) -> Judge:
    judge = await session.scalar(
        select(Judge).where(Judge.id == judge_id, Judge.round_id == round_id).with_for_update()
    )
    if judge is None:
        raise NotFoundException()
    return judge


async def resend_invitation(
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    round_id: uuid.UUID,
    judge_id: uuid.UUID,
    now: dt.datetime,
) -> Judge:
    """E-mail a pending invitation again, with a fresh link; 409 once accepted or removed."""
    ctx = await load_round(session, actor, round_id, "judging:manage")
    judge = await _panel_seat(session, round_id, judge_id)
    if status_of(judge) != "invited":
        raise Conflict(detail=_("Only a pending invitation can be sent again."))
    judge.reminded_at = now
    await _send(session, actor, settings, ctx.challenge, ctx.round, judge, now)
    return judge


async def remove_judge(
    session: AsyncSession, actor: Actor, round_id: uuid.UUID, judge_id: uuid.UUID, now: dt.datetime
) -> Judge:
    """Take a judge off the panel (or withdraw an invitation). Their scores stay; their assignments without
    a review go (they could not use them), so the assignment page shows which entries lack a judge."""
    ctx = await load_round(session, actor, round_id, "judging:manage")
    judge = await _panel_seat(session, round_id, judge_id)
    if judge.removed_at is not None:
        raise Conflict(detail=_("This judge was already removed."))
    judge.removed_at = now
    released = 0
    if judge.user_id is not None:
        reviewed = select(Review.id).where(
            Review.submission_id == Assignment.submission_id, Review.user_id == Assignment.user_id
        )
        result = await session.execute(
            delete(Assignment).where(
                Assignment.round_id == round_id, Assignment.user_id == judge.user_id, ~reviewed.exists()
            )
        )
        released = result.rowcount or 0  # type: ignore[attr-defined]
    await session.flush()
    await audit.record(
        session,
        actor,
        "judging:remove_judge",
        "judge",
        judge.id,
        {
            "challenge": ctx.challenge.slug,
            "round": str(round_id),
            "email": judge.email,
            "assignments_released": released,
        },
    )
    return judge
