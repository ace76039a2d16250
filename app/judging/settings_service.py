"""A round's judging settings: the assignment policy, when judging closes, the public vote and the ranking
method shown by default; closing judging early; and where the round stands (counts for the page).

Judging closes at `judging_rounds.closes_at`, or when unset at the challenge's end of judging. A time set
here must be after the round's deadline (judging starts there) and not already past: closing now is its
own button, so that it is a deliberate, audited act. Every change is in the audit log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from app.challenges.choices import when
from app.challenges.inputs import Errors, choice, flag, instant, integer
from app.judging.models import ASSIGNMENT_POLICIES, Assignment, Judge, Review, Screening
from app.judging.rounds import judging_closed, judging_closes_at, judging_open
from app.judging.setup import setup_round
from app.platform import audit
from app.platform.errors import Conflict
from app.platform.i18n import gettext as _
from app.platform.i18n import lazy
from app.teams.models import Submission

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.judging.rounds import RoundContext

RANKING_METHODS = ("auto", "mean", "median", "z")
SEED_MAX = 2**31 - 1
JUDGES_PER_ENTRY_MAX = 50
POLICY_LABELS = {
    "all": lazy("Every judge reviews every eligible entry"),
    "k_per_entry": lazy("A set number of judges per entry, balanced by load"),
}
METHOD_LABELS = {
    "auto": lazy("Automatic: z-scores when judges saw different entries, else the mean"),
    "mean": lazy("Mean of the judges' totals"),
    "median": lazy("Median of the judges' totals"),
    "z": lazy("Mean of per-judge z-scores (removes lenient or harsh judges' bias)"),
}


def policy_label(policy: str) -> str:
    return _(POLICY_LABELS.get(policy, policy))


def method_label(method: str) -> str:
    return _(METHOD_LABELS.get(method, method))


@dataclasses.dataclass(frozen=True, slots=True)
class Summary:
    """Where the round stands, counted in one query."""

    submitted: int
    eligible: int
    ineligible: int
    returned: int
    unscreened: int
    judges_invited: int
    judges_accepted: int
    assignments: int
    reviews_finalized: int


@dataclasses.dataclass(frozen=True, slots=True)
class SettingsPage:
    ctx: RoundContext
    summary: Summary
    # Where judging stands at the request's time: "before" the deadline, "open", or "closed".
    state: str

    @property
    def closes_at(self) -> dt.datetime | None:
        return self.ctx.closes_at


def _count(statement: Any) -> Any:
    return statement.scalar_subquery()


async def summary(session: AsyncSession, round_id: uuid.UUID) -> Summary:
    """Entries, screening, panel, assignments and finalized reviews of the round: one query."""
    submitted = (Submission.round_id == round_id, Submission.status == "submitted")
    decided = select(func.count()).select_from(Screening).where(Screening.round_id == round_id)
    current = (Judge.round_id == round_id, Judge.removed_at.is_(None))
    row = (
        await session.execute(
            select(
                _count(select(func.count()).select_from(Submission).where(*submitted)),
                _count(decided.where(Screening.decision == "eligible")),
                _count(decided.where(Screening.decision == "ineligible")),
                _count(decided.where(Screening.decision == "returned")),
                _count(
                    select(func.count())
                    .select_from(Submission)
                    .outerjoin(Screening, Screening.submission_id == Submission.id)
                    .where(*submitted, Screening.submission_id.is_(None))
                ),
                _count(select(func.count()).select_from(Judge).where(*current)),
                _count(
                    select(func.count()).select_from(Judge).where(*current, Judge.accepted_at.is_not(None))
                ),
                _count(select(func.count()).select_from(Assignment).where(Assignment.round_id == round_id)),
                _count(
                    select(func.count())
                    .select_from(Review)
                    .where(Review.round_id == round_id, Review.finalized_at.is_not(None))
                ),
            )
        )
    ).one()
    return Summary(*row)


async def settings_page(
    session: AsyncSession, actor: Actor, round_id: uuid.UUID, now: dt.datetime, *, slug: str | None = None
) -> SettingsPage:
    ctx = await setup_round(session, actor, round_id, "judging:manage", slug=slug)
    return SettingsPage(ctx, await summary(session, round_id), judging_state(ctx, now))


def judging_state(ctx: RoundContext, now: dt.datetime) -> str:
    if judging_closed(ctx.settings, ctx.challenge, now):
        return "closed"
    return "open" if judging_open(ctx.round, ctx.settings, ctx.challenge, now) else "before"


def settings_input(values: Mapping[str, Any], ctx: RoundContext, now: dt.datetime) -> dict[str, Any]:
    """Checked settings; only the keys present in `values` (a form sends them all, the API what changes)."""
    errors = Errors()
    data: dict[str, Any] = {}
    if "policy" in values:
        data["policy"] = choice(errors, "policy", values["policy"], ASSIGNMENT_POLICIES)
    if "judges_per_entry" in values:
        data["judges_per_entry"] = integer(
            errors, "judges_per_entry", values["judges_per_entry"], minimum=1, maximum=JUDGES_PER_ENTRY_MAX
        )
    if "seed" in values:
        data["seed"] = integer(errors, "seed", values["seed"], minimum=0, maximum=SEED_MAX)
    if "public_vote" in values:
        data["public_vote"] = flag(values["public_vote"])
    if "ranking_method" in values:
        data["ranking_method"] = choice(errors, "ranking_method", values["ranking_method"], RANKING_METHODS)
    if "closes_at" in values:
        closes = instant(errors, "closes_at", values["closes_at"], ctx.challenge.timezone)
        current = ctx.settings.closes_at
        if closes is not None and current is not None and closes == current.replace(second=0, microsecond=0):
            # The form shows minutes only: the time it showed is the time set, seconds included.
            closes = current
        if closes is not None and closes != current and "closes_at" not in errors:
            _check_closing(errors, ctx, closes, now)
        data["closes_at"] = closes
    errors.raise_any()
    return data


def _check_closing(errors: Errors, ctx: RoundContext, closes: dt.datetime, now: dt.datetime) -> None:
    timezone = ctx.challenge.timezone
    if closes <= ctx.round.deadline:
        errors.first(
            "closes_at",
            _(
                "Judging starts at the round's deadline (%(date)s): choose a later time.",
                date=when(ctx.round.deadline, timezone),
            ),
        )
    elif closes <= now:
        errors.first(
            "closes_at", _("Choose a time that is not already past; to close judging now, use the button.")
        )


async def update_settings(
    session: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    values: Mapping[str, Any],
    now: dt.datetime,
    *,
    slug: str | None = None,
) -> RoundContext:
    """Change the round's judging settings (audited with what changed)."""
    ctx = await setup_round(session, actor, round_id, "judging:manage", slug=slug, for_update=True)
    data = settings_input(values, ctx, now)
    settings = ctx.settings
    changed = {name: value for name, value in data.items() if getattr(settings, name) != value}
    if not changed:
        return ctx
    for name, value in changed.items():
        setattr(settings, name, value)
    settings.updated_at = now
    await audit.record(
        session,
        actor,
        "judging:settings",
        "round",
        round_id,
        {
            "challenge": ctx.challenge.slug,
            **{k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in changed.items()},
        },
    )
    await session.flush()
    return ctx


async def close_judging(
    session: AsyncSession, actor: Actor, round_id: uuid.UUID, now: dt.datetime, *, slug: str | None = None
) -> RoundContext:
    """Close the round's judging at `now`: scores are final from then on (audited).

    Refused (409) before the round's deadline (judging has not started) and when already closed."""
    ctx = await setup_round(session, actor, round_id, "judging:manage", slug=slug, for_update=True)
    timezone = ctx.challenge.timezone
    if now < ctx.round.deadline:
        raise Conflict(
            detail=_(
                "Judging of %(round)s has not started: it starts at the round's deadline, %(date)s.",
                round=ctx.round.name,
                date=when(ctx.round.deadline, timezone),
            )
        )
    closes = judging_closes_at(ctx.settings, ctx.challenge)
    if closes is not None and closes <= now:
        raise Conflict(
            detail=_("Judging of this round already closed on %(date)s.", date=when(closes, timezone))
        )
    previous = ctx.settings.closes_at
    ctx.settings.closes_at = now
    ctx.settings.updated_at = now
    await audit.record(
        session,
        actor,
        "judging:close",
        "round",
        round_id,
        {
            "challenge": ctx.challenge.slug,
            "planned": closes.isoformat() if closes else None,
            "previous": previous.isoformat() if previous else None,
        },
    )
    await session.flush()
    return ctx
