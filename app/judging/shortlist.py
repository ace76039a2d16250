"""The shortlist: which teams of a round's ranking take part in the next round.

Founders start from the round's ranking (app.judging.ranking, the round's method, `auto` by default),
prefill the top N or pick by hand, and advance: one `advancements` row per team for the NEXT round,
which is what lets a team enter it (app.teams.submissions.may_enter_round). The rules:

- A selection that is not the top of the ranking (it leaves out a team ranked at least as high as one
  it takes, so also when it splits a tie, or it takes an entry nobody scored) needs a reason. The
  reason is stored on each advancement it creates and in the audit log.
- Advancing again replaces the set: new teams are added, teams left out are removed, except a team
  that has already started its submission to the next round (409, nothing changes: its work is never
  stranded). Once the next round's deadline has passed, the set no longer changes (409).
- Newly advanced teams are notified, and so are removed ones; the other teams of the ranking are told
  they were not advanced only when the founders ask, and never twice (the audit log says who was told).
- Two founders advancing at once queue on the round's settings row (load_round with for_update).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from babel.lists import format_list
from litestar.exceptions import NotFoundException
from sqlalchemy import delete, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert

from app.judging.models import Advancement
from app.judging.ranking import METHODS, RankedEntry, Ranking, compute_ranking
from app.judging.rounds import RoundContext, load_round
from app.notifications.services import notify
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import get_locale, ngettext
from app.platform.i18n import gettext as _
from app.platform.models import AuditEntry
from app.teams.models import Submission, TeamMember

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.challenges.models import Round

REASON_MAX = 2000
AUDIT_ACTION = "shortlist:advance"


@dataclasses.dataclass(frozen=True, slots=True)
class ShortlistRow:
    entry: RankedEntry
    advanced: bool  # advanced to the next round now
    started: bool  # has a submission (even a draft) in the next round: cannot be removed
    tied_at_cut: bool  # shares the rank of the last of the top N with a team beyond it


@dataclasses.dataclass(frozen=True, slots=True)
class Shortlist:
    ctx: RoundContext
    ranking: Ranking
    rows: list[ShortlistRow]
    # The teams whose boxes are ticked: the top N when asked, else the current set.
    selected: set[uuid.UUID]
    top: int | None
    now: dt.datetime

    @property
    def next_round(self) -> Round | None:
        return self.ctx.next_round

    @property
    def next_closed(self) -> bool:
        """The next round's deadline has passed: its teams no longer change."""
        return self.next_round is not None and self.next_round.deadline <= self.now

    @property
    def tie_at_cut(self) -> bool:
        return any(row.tied_at_cut for row in self.rows)

    @property
    def advanced(self) -> list[ShortlistRow]:
        return [row for row in self.rows if row.advanced]


@dataclasses.dataclass(frozen=True, slots=True)
class Advanced:
    """What an advance changed: team ids added to and removed from the next round, and who was told."""

    shortlist: Shortlist
    added: set[uuid.UUID]
    removed: set[uuid.UUID]
    told_not_advanced: set[uuid.UUID]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.told_not_advanced)


# --- the ranking's top ------------------------------------------------------------------------------------


def top_of(entries: Sequence[RankedEntry], n: int) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """The teams of the first `n` ranked entries, and the teams tied at the cut (none without a tie there)."""
    ranked = [entry for entry in entries if entry.rank is not None]
    chosen = {entry.team_id for entry in ranked[:n]}
    if 0 < n < len(ranked) and ranked[n - 1].rank == ranked[n].rank:
        return chosen, {entry.team_id for entry in ranked if entry.rank == ranked[n - 1].rank}
    return chosen, set()


def follows_ranking(entries: Sequence[RankedEntry], chosen: set[uuid.UUID]) -> bool:
    """Whether `chosen` is the top of the ranking: no team left out is ranked at least as high as a chosen
    one (so a split tie does not follow it), and every chosen entry was ranked."""
    ranks = {entry.team_id: entry.rank for entry in entries}
    chosen_ranks = [ranks.get(team_id) for team_id in chosen]
    if any(rank is None for rank in chosen_ranks):
        return False
    worst = max((rank for rank in chosen_ranks if rank is not None), default=0)
    return all(entry.team_id in chosen for entry in entries if entry.rank is not None and entry.rank <= worst)


def method_of(ctx: RoundContext) -> Any:
    """The round's ranking method as the founders set it (auto when unset or unknown)."""
    return ctx.settings.ranking_method if ctx.settings.ranking_method in METHODS else "auto"


# --- reading ----------------------------------------------------------------------------------------------


async def load_shortlist_round(
    session: AsyncSession,
    actor: Actor | None,
    round_id: uuid.UUID,
    slug: str | None = None,
    *,
    for_update: bool = False,
) -> RoundContext:
    """The round for a founder who may manage its shortlist; 404 when `slug` names another challenge."""
    ctx = await load_round(session, actor, round_id, "shortlist:manage", for_update=for_update)
    if slug is not None and ctx.challenge.slug != slug:
        raise NotFoundException()
    return ctx


async def next_round_state(
    session: AsyncSession, next_round: Round | None
) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """Teams advanced to the next round, and teams with a submission there (one query)."""
    if next_round is None:
        return set(), set()
    rows = await session.execute(
        union_all(
            select(Advancement.team_id, literal("advanced")).where(Advancement.round_id == next_round.id),
            select(Submission.team_id, literal("started")).where(Submission.round_id == next_round.id),
        )
    )
    advanced: set[uuid.UUID] = set()
    started: set[uuid.UUID] = set()
    for team_id, kind in rows:
        (advanced if kind == "advanced" else started).add(team_id)
    return advanced, started


async def shortlist_page(
    session: AsyncSession,
    actor: Actor | None,
    round_id: uuid.UUID,
    now: dt.datetime,
    *,
    slug: str | None = None,
    top: int | None = None,
    selected: Iterable[uuid.UUID] | None = None,
) -> Shortlist:
    """The ranking with the next round's current set. `top` ticks the first N entries and flags a tie at the
    cut; `selected` (a refused form) ticks what was sent instead; by default the current set is ticked."""
    ctx = await load_shortlist_round(session, actor, round_id, slug)
    return await _shortlist(session, ctx, now, top=top, selected=selected)


async def _shortlist(
    session: AsyncSession,
    ctx: RoundContext,
    now: dt.datetime,
    *,
    top: int | None = None,
    selected: Iterable[uuid.UUID] | None = None,
) -> Shortlist:
    ranking = await compute_ranking(session, ctx.round.id, method_of(ctx))
    advanced, started = await next_round_state(session, ctx.next_round)
    top_ticked, tied = top_of(ranking.entries, top) if top is not None else (set(advanced), set())
    ticked = set(selected) if selected is not None else top_ticked
    rows = [
        ShortlistRow(entry, entry.team_id in advanced, entry.team_id in started, entry.team_id in tied)
        for entry in ranking.entries
    ]
    return Shortlist(ctx, ranking, rows, ticked, top, now)


# --- advancing --------------------------------------------------------------------------------------------


def parse_team_ids(values: Iterable[Any]) -> list[uuid.UUID]:
    """Team ids from a form or body; anything that is not an id is refused beside the list (422)."""
    ids = []
    for value in values:
        try:
            ids.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            raise InvalidInput(
                {"teams": _("Choose teams among the entries of this round’s ranking.")}
            ) from None
    return ids


def clean_reason(value: Any) -> str:
    reason = value.replace("\x00", "").strip() if isinstance(value, str) else ""
    if len(reason) > REASON_MAX:
        raise InvalidInput({"reason": _("Keep the reason under %(num)s characters.", num=REASON_MAX)})
    return reason


def _names(shortlist: Shortlist, team_ids: Iterable[uuid.UUID]) -> str:
    names = sorted(row.entry.team_name for row in shortlist.rows if row.entry.team_id in set(team_ids))
    return format_list(names, locale=get_locale())


def _check_selection(shortlist: Shortlist, chosen: set[uuid.UUID], reason: str) -> bool:
    """Refuse what cannot be advanced; returns whether the selection follows the ranking."""
    next_round = shortlist.next_round
    if next_round is None:
        raise Conflict(
            detail=_(
                "%(round)s is the last round: award the prizes and publish the results instead.",
                round=shortlist.ctx.round.name,
            )
        )
    if shortlist.next_closed:
        raise Conflict(
            detail=_(
                "The deadline of %(round)s has passed: the teams taking part in it can no longer change.",
                round=next_round.name,
            )
        )
    if chosen - {row.entry.team_id for row in shortlist.rows}:
        raise InvalidInput({"teams": _("Choose teams among the entries of this round’s ranking.")})
    follows = follows_ranking(shortlist.ranking.entries, chosen)
    if not follows and not reason:
        raise InvalidInput(
            {
                "reason": _(
                    "Say why: this selection is not the top of the ranking (a team ranked higher is left out, a tie is split or an unscored entry is taken)."
                )
            }
        )
    return follows


async def advance_teams(
    session: AsyncSession,
    actor: Actor,
    round_id: uuid.UUID,
    now: dt.datetime,
    *,
    team_ids: Sequence[uuid.UUID],
    reason: str = "",
    notify_others: bool = False,
    slug: str | None = None,
) -> Advanced:
    """Make `team_ids` the set of teams taking part in the next round (see the module's rules)."""
    ctx = await load_shortlist_round(session, actor, round_id, slug, for_update=True)
    shortlist = await _shortlist(session, ctx, now, selected=team_ids)
    chosen = set(team_ids)
    reason = clean_reason(reason)
    follows = _check_selection(shortlist, chosen, reason)
    next_round = shortlist.next_round
    assert next_round is not None
    current = {row.entry.team_id for row in shortlist.advanced}
    started = {row.entry.team_id for row in shortlist.rows if row.started}
    removed = current - chosen
    if removed & started:
        raise Conflict(
            detail=ngettext(
                "%(teams)s already started a submission to %(round)s, so it stays advanced.",
                "%(teams)s already started a submission to %(round)s, so they stay advanced.",
                len(removed & started),
                teams=_names(shortlist, removed & started),
                round=next_round.name,
            )
        )
    added = chosen - current
    await _write(session, actor, next_round, added, removed, reason, now)
    others = set()
    if notify_others:
        others = (
            {row.entry.team_id for row in shortlist.rows} - chosen - removed - await _told(session, round_id)
        )
    await _notify(session, shortlist, added=added, not_advanced=removed | others)
    result = Advanced(await _shortlist(session, ctx, now), added, removed, others)
    if result.changed:
        await audit.record(
            session,
            actor,
            AUDIT_ACTION,
            "round",
            ctx.round.id,
            {
                "challenge": ctx.challenge.slug,
                "to_round": str(next_round.id),
                "advanced": sorted(str(team_id) for team_id in chosen),
                "added": sorted(str(team_id) for team_id in added),
                "removed": sorted(str(team_id) for team_id in removed),
                "told_not_advanced": sorted(str(team_id) for team_id in others),
                "reason": reason,
                "follows_ranking": follows,
                "method": shortlist.ranking.method,
            },
        )
    return result


async def _write(
    session: AsyncSession,
    actor: Actor,
    next_round: Round,
    added: set[uuid.UUID],
    removed: set[uuid.UUID],
    reason: str,
    now: dt.datetime,
) -> None:
    if removed:
        await session.execute(
            delete(Advancement).where(Advancement.round_id == next_round.id, Advancement.team_id.in_(removed))
        )
    if added:
        await session.execute(
            insert(Advancement)
            .values(
                [
                    {
                        "round_id": next_round.id,
                        "team_id": team_id,
                        "reason": reason,
                        "decided_by_id": actor.id,
                        "decided_at": now,
                    }
                    for team_id in sorted(added)
                ]
            )
            .on_conflict_do_nothing(index_elements=["round_id", "team_id"])
        )


async def _told(session: AsyncSession, round_id: uuid.UUID) -> set[uuid.UUID]:
    """Teams already told they were not advanced from this round (recorded in the audit log)."""
    details = await session.scalars(
        select(AuditEntry.details).where(
            AuditEntry.action == AUDIT_ACTION,
            AuditEntry.object_type == "round",
            AuditEntry.object_id == str(round_id),
        )
    )
    return {uuid.UUID(team_id) for detail in details for team_id in detail.get("told_not_advanced", [])}


async def _notify(
    session: AsyncSession, shortlist: Shortlist, *, added: set[uuid.UUID], not_advanced: set[uuid.UUID]
) -> None:
    """Tell every member of the teams concerned, in their own language when they read it."""
    if not added and not not_advanced:
        return
    next_round = shortlist.next_round
    assert next_round is not None
    names = {row.entry.team_id: row.entry.team_name for row in shortlist.rows}
    members = await session.execute(
        select(TeamMember.team_id, TeamMember.user_id)
        .where(TeamMember.team_id.in_(added | not_advanced))
        .order_by(TeamMember.team_id, TeamMember.user_id)
    )
    for team_id, user_id in members:
        params = {
            "team": names[team_id],
            "round": next_round.name,
            "challenge": shortlist.ctx.challenge.title,
        }
        if team_id in added:
            await notify(
                session, user_id, "team_advanced", params, f"/teams/{team_id}/rounds/{next_round.id}"
            )
        else:
            await notify(session, user_id, "team_not_advanced", params, f"/teams/{team_id}")
