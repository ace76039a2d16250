"""Screening a round's entries: eligible, ineligible with a reason, returned for changes while the round is
open (the submission really goes back to draft), teams notified, decisions audited, a resubmitted entry
screened again, all at once; the list's cost does not grow with the entries; who may do what."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from app.accounts.sessions import actor_from_user
from app.db import utcnow
from app.judging import screening
from app.judging.models import Screening
from app.notifications.kinds import render
from app.notifications.models import Notification
from app.organizations.models import OrganizationMember
from app.teams.models import Submission, SubmissionVersion
from tests import scratch
from tests.conftest import make_client, text_of
from tests.factories import make_user, sign_in
from tests.judging.setup_support import as_user, audit_entries, headers, make_setup_cast, open_round
from tests.querycount import counting_statements


@pytest.fixture
async def cast(db):
    """Three submitted entries, none screened yet; round 1's deadline passed yesterday."""
    return await make_setup_cast(db, screen=False, assign=False)


def entry_url(cast, entry) -> str:
    return f"{cast.page}/screening/{entry.id}"


async def decision_of(db, entry) -> Screening | None:
    statement = select(Screening).where(Screening.submission_id == entry.id)
    return await db.scalar(statement.execution_options(populate_existing=True))


async def fresh_submission(db, entry) -> Submission:
    statement = select(Submission).where(Submission.id == entry.id)
    return await db.scalar(statement.execution_options(populate_existing=True))


async def notifications(db, kind: str) -> list[Notification]:
    return list(
        await db.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.user_id))
    )


def team_rows(html: str) -> list[str]:
    return re.findall(r'<tr id="entry-[^"]+">\s*<td>\s*<a href="/teams/[^"]+">([^<]+)</a>', html)


# --- the list -----------------------------------------------------------------------------------------------


async def test_founders_see_every_submitted_entry_with_its_decision(cast, client, db):
    _first, second, third = cast.jr.entries
    db.add(
        Screening(
            submission_id=second.id,
            round_id=cast.round.id,
            decision="ineligible",
            reason="Out of scope",
            decided_by_id=cast.founder.id,
        )
    )
    draft_team_entry = third
    draft_team_entry.status = "draft"
    await db.flush()
    await as_user(client, db, cast.founder)
    response = await client.get(cast.page + "/screening")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    page = text_of(response.text)
    # Drafts are not entries yet.
    assert team_rows(response.text) == [cast.jr.teams[0].name, cast.jr.teams[1].name]
    assert "To screen" in page and "Ineligible Out of scope by Fiona Founder" in page
    assert (
        "All entries (2)" in page
        and "To screen (1)" in page
        and "Ineligible (1)" in page
        and "Eligible (0)" in page
    )
    only = await client.get(cast.page + "/screening?decision=ineligible")
    assert team_rows(only.text) == [cast.jr.teams[1].name]
    to_screen = await client.htmx("GET", cast.page + "/screening?decision=unscreened")
    assert to_screen.text.lstrip().startswith('<section id="screening_list"')
    assert team_rows(to_screen.text) == [cast.jr.teams[0].name]
    wrong = await client.get(cast.page + "/screening?decision=maybe")
    assert wrong.status_code == 422 and "Choose a decision from the list." in text_of(wrong.text)


async def test_the_list_costs_the_same_queries_for_3_or_30_entries(db, client, connection):
    async def statements_for(teams: int) -> tuple[int, int]:
        cast = await make_setup_cast(db, teams=teams, screen=False, assign=False)
        for index, entry in enumerate(cast.jr.entries):
            if index % 3 == 0:
                db.add(
                    Screening(
                        submission_id=entry.id,
                        round_id=cast.round.id,
                        decision="eligible",
                        decided_by_id=cast.founder.id,
                    )
                )
        await db.flush()
        await as_user(client, db, cast.founder)
        with counting_statements(connection) as page:
            response = await client.get(cast.page + "/screening")
        assert len(team_rows(response.text)) == teams
        with counting_statements(connection) as api:
            assert len((await client.get(cast.api + "/screening")).json()["items"]) == teams
        return len(page), len(api)

    assert await statements_for(3) == await statements_for(30)


# --- deciding -----------------------------------------------------------------------------------------------


async def test_marking_an_entry_eligible_is_audited_and_tells_nobody(cast, client, db):
    entry = cast.jr.entries[0]
    await as_user(client, db, cast.founder)
    response = await client.submit(entry_url(cast, entry), {"decision": "eligible", "filter": "unscreened"})
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"/judging/screening?decision=unscreened#entry-{entry.id}")
    decided = await decision_of(db, entry)
    assert (decided.decision, decided.decided_by_id, decided.reason) == ("eligible", cast.founder.id, "")
    [entry_audit] = await audit_entries(db, "screening:eligible", entry.id)
    assert entry_audit.actor_id == cast.founder.id and entry_audit.details["team"] == str(cast.jr.teams[0].id)
    assert (
        await notifications(db, "entry_ineligible") == [] and await notifications(db, "entry_returned") == []
    )
    page = text_of((await client.get(cast.page + "/screening")).text)
    assert f"{cast.jr.teams[0].name} is marked eligible." in page


async def test_an_ineligible_entry_needs_a_reason_and_its_team_is_told(cast, client, db):
    entry = cast.jr.entries[0]
    await as_user(client, db, cast.founder)
    refused = await client.htmx(
        "POST", entry_url(cast, entry), data={"decision": "ineligible", "reason": "  "}
    )
    assert refused.status_code == 422
    assert "Give the reason: the team will read it." in text_of(refused.text)
    assert "<details open>" in refused.text
    assert await decision_of(db, entry) is None
    done = await client.htmx(
        "POST", entry_url(cast, entry), data={"decision": "ineligible", "reason": "No health focus."}
    )
    assert done.status_code == 200
    assert done.text.lstrip().startswith('<section id="screening_list"')
    assert "is marked ineligible; its team was told why." in text_of(done.text)
    assert (await decision_of(db, entry)).reason == "No health focus."
    told = await notifications(db, "entry_ineligible")
    assert sorted(n.user_id for n in told) == sorted([cast.jr.captains[0].id, cast.member.id])
    assert told[0].link == f"/teams/{cast.jr.teams[0].id}/rounds/{cast.round.id}"
    text = render("entry_ineligible", told[0].params)
    assert (
        text.title
        == f"{cast.jr.teams[0].name}: your entry to Round 1 of {cast.challenge.title} is not eligible"
    )
    assert text.body == "The founders’ reason: No health focus."
    [entry_audit] = await audit_entries(db, "screening:ineligible", entry.id)
    assert entry_audit.details["reason"] == "No health focus."


async def test_a_decision_can_change_and_each_change_is_audited(cast, client, db):
    entry = cast.jr.entries[0]
    await as_user(client, db, cast.founder)
    await client.submit(entry_url(cast, entry), {"decision": "ineligible", "reason": "Late pivot."})
    await client.submit(entry_url(cast, entry), {"decision": "eligible"})
    assert (await decision_of(db, entry)).decision == "eligible"
    assert len(await audit_entries(db, "screening:ineligible", entry.id)) == 1
    assert len(await audit_entries(db, "screening:eligible", entry.id)) == 1


async def test_returning_is_refused_once_the_round_is_closed(cast, client, db):
    entry = cast.jr.entries[0]
    await as_user(client, db, cast.founder)
    response = await client.submit(
        entry_url(cast, entry), {"decision": "returned", "reason": "Add the budget."}
    )
    assert response.status_code == 409
    assert "An entry can be returned for changes only while Round 1 takes submissions" in text_of(
        response.text
    )
    assert (await fresh_submission(db, entry)).status == "submitted"
    assert await decision_of(db, entry) is None
    assert await notifications(db, "entry_returned") == []
    page = text_of((await client.get(cast.page + "/screening")).text)
    assert "Entries can be returned for changes only while the round takes submissions." in page
    assert "Return for changes" not in page


async def test_a_returned_entry_goes_back_to_draft_and_its_team_is_told(cast, client, db):
    open_round(cast)
    entry = cast.jr.entries[0]
    await as_user(client, db, cast.founder)
    refused = await client.submit(entry_url(cast, entry), {"decision": "returned", "reason": ""})
    assert refused.status_code == 422 and "Say what the team should change" in text_of(refused.text)
    response = await client.submit(
        entry_url(cast, entry), {"decision": "returned", "reason": "Add the budget."}
    )
    assert response.status_code == 303
    submission = await fresh_submission(db, entry)
    assert (submission.status, submission.version, submission.updated_by_id) == ("draft", 2, cast.founder.id)
    version = await db.scalar(
        select(SubmissionVersion).where(
            SubmissionVersion.submission_id == entry.id, SubmissionVersion.number == 2
        )
    )
    assert (version.action, version.created_by_id) == ("return", cast.founder.id)
    assert (await decision_of(db, entry)).decision == "returned"
    told = await notifications(db, "entry_returned")
    assert len(told) == 2
    body = render("entry_returned", told[0].params).body
    assert body.startswith("Change it and submit it again before ") and body.endswith(
        "The founders’ comment: Add the budget."
    )
    assert len(await audit_entries(db, "screening:returned", entry.id)) == 1
    page = text_of((await client.get(cast.page + "/screening")).text)
    assert "Returned for changes Add the budget." in page and "Waiting for the team to submit again." in page
    # The team sees a draft with the founders' version in its history.
    await as_user(client, db, cast.jr.captains[0])
    team_page = text_of((await client.get(f"/teams/{cast.jr.teams[0].id}/rounds/{cast.round.id}")).text)
    assert "returned the submission for changes" in team_page
    assert "The organizers returned this entry for changes. Add the budget." in team_page


async def test_a_resubmitted_entry_needs_screening_again(cast, client, db):
    open_round(cast)
    entry, team, captain = cast.jr.entries[0], cast.jr.teams[0], cast.jr.captains[0]
    await as_user(client, db, cast.founder)
    await client.submit(entry_url(cast, entry), {"decision": "returned", "reason": "Add the budget."})
    # While the team works on it, a save keeps "returned".
    await as_user(client, db, captain)
    api = f"/api/v1/teams/{team.id}/rounds/{cast.round.id}"
    saved = await client.put(
        api + "/submission", json={"base_version": 2, "answers": {}}, headers=await headers(client)
    )
    assert saved.status_code == 200, saved.text
    assert (await decision_of(db, entry)).decision == "returned"
    submitted = await client.post(api + "/submit", json={}, headers=await headers(client))
    assert submitted.status_code == 200, submitted.text
    assert await decision_of(db, entry) is None
    await as_user(client, db, cast.founder)
    response = await client.get(cast.page + "/screening?decision=unscreened")
    assert team.name in team_rows(response.text)
    assert "resubmitted after changes" in text_of(response.text)


async def test_a_change_after_screening_clears_the_decision(cast, client, db):
    open_round(cast)
    entry, team = cast.jr.entries[0], cast.jr.teams[0]
    await as_user(client, db, cast.founder)
    await client.submit(entry_url(cast, entry), {"decision": "eligible"})
    await as_user(client, db, cast.jr.captains[0])
    api = f"/api/v1/teams/{team.id}/rounds/{cast.round.id}"
    saved = await client.put(
        api + "/submission", json={"base_version": 1, "answers": {}}, headers=await headers(client)
    )
    assert saved.status_code == 200
    # Same answers: no new version, the decision stands.
    assert (await decision_of(db, entry)).decision == "eligible"
    withdrawn = await client.post(api + "/withdraw", json={}, headers=await headers(client))
    assert withdrawn.status_code == 200
    assert await decision_of(db, entry) is None


async def test_only_submitted_entries_of_the_round_are_screened(cast, client, db):
    entry = cast.jr.entries[0]
    entry.status = "withdrawn"
    await db.flush()
    other = await make_setup_cast(db)
    await as_user(client, db, cast.founder)
    response = await client.submit(entry_url(cast, entry), {"decision": "eligible"})
    assert response.status_code == 409
    assert "Only a submitted entry can be screened" in text_of(response.text)
    # An entry of another round, behind this round's URL: not found.
    assert (
        await client.submit(entry_url(cast, other.jr.entries[0]), {"decision": "eligible"})
    ).status_code == 404
    bad = await client.submit(entry_url(cast, cast.jr.entries[1]), {"decision": "maybe"})
    assert bad.status_code == 422 and "Choose a decision from the list." in text_of(bad.text)


async def test_every_entry_still_to_screen_is_marked_eligible_at_once(cast, client, db):
    first, second, third = cast.jr.entries
    db.add(
        Screening(
            submission_id=first.id,
            round_id=cast.round.id,
            decision="ineligible",
            reason="Spam",
            decided_by_id=cast.founder.id,
        )
    )
    third.status = "draft"
    await db.flush()
    await as_user(client, db, cast.founder)
    page = text_of((await client.get(cast.page + "/screening")).text)
    assert "Mark the 1 entry still to screen eligible" in page
    response = await client.submit(cast.page + "/screening/eligible")
    assert response.status_code == 303
    assert (await decision_of(db, first)).decision == "ineligible"
    assert (await decision_of(db, second)).decision == "eligible"
    assert await decision_of(db, third) is None
    [entry_audit] = await audit_entries(db, "screening:eligible")
    assert (entry_audit.object_id, entry_audit.details["bulk"]) == (str(second.id), True)
    again = await client.htmx("POST", cast.page + "/screening/eligible")
    assert "Every entry was already screened." in text_of(again.text)
    api = await client.post(cast.api + "/screening/eligible", headers=await headers(client))
    assert api.json() == {"marked": 0}


async def test_the_settings_summary_follows_screening(cast, client, db):
    await as_user(client, db, cast.founder)
    await client.submit(entry_url(cast, cast.jr.entries[0]), {"decision": "ineligible", "reason": "Spam"})
    body = (await client.get(cast.api + "/judging")).json()["summary"]
    assert (body["submitted"], body["unscreened"], body["ineligible"], body["eligible"]) == (3, 2, 1, 0)


# --- API ----------------------------------------------------------------------------------------------------


async def test_the_api_lists_and_decides(cast, client, db):
    open_round(cast)
    entry = cast.jr.entries[0]
    await as_user(client, db, cast.founder)
    h = await headers(client)
    listed = (await client.get(cast.api + "/screening")).json()
    assert (listed["total"], listed["counts"]["unscreened"], listed["can_return"]) == (3, 3, True)
    decided = await client.post(
        cast.api + "/screening",
        json={"submission_id": str(entry.id), "decision": "returned", "reason": "Budget?"},
        headers=h,
    )
    assert decided.status_code == 200
    body = decided.json()
    assert (body["decision"], body["reason"], body["status"], body["decided_by"]) == (
        "returned",
        "Budget?",
        "draft",
        "Fiona Founder",
    )
    refused = await client.post(
        cast.api + "/screening",
        json={"submission_id": str(cast.jr.entries[1].id), "decision": "ineligible"},
        headers=h,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"key": "reason", "message": "Give the reason: the team will read it.", "source": "body"}
    ]
    assert (await client.get(cast.api + "/screening?decision=returned")).json()["total"] == 1
    assert (await client.get(cast.api + "/screening?decision=nope")).status_code == 422
    forged = await client.post(
        cast.api + "/screening",
        json={"submission_id": str(entry.id), "decision": "eligible", "decided_by_id": str(cast.outsider.id)},
        headers=h,
    )
    assert forged.status_code == 400


# --- who may do what ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["judge", "team_member", "outsider", "admin"])
async def test_only_founders_screen(cast, client, db, role):
    entry = cast.jr.entries[0]
    await as_user(client, db, cast.person(role))
    h = await headers(client)
    assert (await client.get(cast.page + "/screening")).status_code == 403
    assert (await client.submit(entry_url(cast, entry), {"decision": "eligible"})).status_code == 403
    assert (await client.submit(cast.page + "/screening/eligible")).status_code == 403
    assert (await client.get(cast.api + "/screening")).status_code == 403
    body = {"submission_id": str(entry.id), "decision": "eligible"}
    assert (await client.post(cast.api + "/screening", json=body, headers=h)).status_code == 403
    assert (await client.post(cast.api + "/screening/eligible", headers=h)).status_code == 403
    assert await decision_of(db, entry) is None


async def test_founders_of_another_challenge_do_not_screen_here(cast, client, db):
    other = await make_setup_cast(db)
    other.challenge.visibility = "invitation"
    await db.flush()
    await as_user(client, db, cast.founder)
    assert (await client.get(other.page + "/screening")).status_code == 404
    assert (await client.get(other.api + "/screening")).status_code == 404


async def test_visitors_are_sent_to_sign_in(cast, client, db):
    for url in (
        cast.page + "/screening",
        entry_url(cast, cast.jr.entries[0]),
        cast.page + "/screening/eligible",
    ):
        response = await (
            client.get(url) if url.endswith("/screening") else client.submit(url, {"decision": "eligible"})
        )
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), url
    assert (await client.get(cast.api + "/screening")).status_code == 401


async def test_a_founder_reaches_every_screening_route(cast, client, db):
    await as_user(client, db, cast.founder)
    h = await headers(client)
    assert (await client.get(cast.page + "/screening")).status_code == 200
    assert (
        await client.submit(entry_url(cast, cast.jr.entries[0]), {"decision": "eligible"})
    ).status_code == 303
    assert (await client.submit(cast.page + "/screening/eligible")).status_code == 303
    assert (await client.get(cast.api + "/screening")).status_code == 200
    body = {"submission_id": str(cast.jr.entries[1].id), "decision": "ineligible", "reason": "Spam"}
    assert (await client.post(cast.api + "/screening", json=body, headers=h)).status_code == 200
    assert (await client.post(cast.api + "/screening/eligible", headers=h)).status_code == 200


# --- at once ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch_database(servers):
    with scratch.scratch_database(servers, "screening_race") as url:
        yield url


async def test_two_founders_marking_everything_at_once_decide_each_entry_once(app, redis, scratch_database):
    async with scratch.scratch_sessions(scratch_database) as sessions:
        async with sessions() as session:
            cast = await make_setup_cast(session, teams=12, screen=False, assign=False)
            second_founder = await make_user(session, name="Sam Second")
            membership = await session.scalar(
                select(OrganizationMember).where(OrganizationMember.user_id == cast.founder.id)
            )
            session.add(
                OrganizationMember(
                    organization_id=membership.organization_id, user_id=second_founder.id, role="member"
                )
            )
            await session.commit()

        async def mark(person) -> int:
            async with sessions() as session:
                marked = await screening.mark_unscreened_eligible(
                    session, actor_from_user(person), cast.round.id, utcnow()
                )
                await asyncio.sleep(0.1)
                await session.commit()
                return marked

        counts = await asyncio.gather(mark(cast.founder), mark(second_founder))
        assert sorted(counts) == [0, 12]
        async with sessions() as session:
            decided = await session.scalar(
                select(func.count()).select_from(Screening).where(Screening.round_id == cast.round.id)
            )
            audited = len(await audit_entries(session, "screening:eligible"))
        assert (decided, audited) == (12, 12)


async def test_a_decision_and_a_resubmission_at_once_never_leave_a_stale_decision(
    app, redis, scratch_database
):
    """The founder marks an entry eligible while its team submits a new version: whichever commits last,
    the entry is never "eligible" for content nobody screened."""
    async with scratch.scratch_sessions(scratch_database) as sessions:
        async with sessions() as session:
            cast = await make_setup_cast(session, teams=1, screen=False, assign=False)
            cast.round.deadline = utcnow() + dt.timedelta(days=2)
            await session.commit()
        entry, team, captain = cast.jr.entries[0], cast.jr.teams[0], cast.jr.captains[0]
        async with (
            scratch.app_on(app, sessions),
            make_client(app) as founder,
            make_client(app) as team_browser,
        ):
            async with sessions() as session:
                await sign_in(founder, session, cast.founder)
                await sign_in(team_browser, session, captain)
                await session.commit()
            api = f"/api/v1/teams/{team.id}/rounds/{cast.round.id}"
            decided, resubmitted = await asyncio.gather(
                founder.post(
                    cast.api + "/screening",
                    json={"submission_id": str(entry.id), "decision": "eligible"},
                    headers=await headers(founder),
                ),
                team_browser.post(api + "/submit", json={}, headers=await headers(team_browser)),
            )
        assert decided.status_code == 200 and resubmitted.status_code == 200
        async with sessions() as session:
            version = await session.scalar(select(Submission.version).where(Submission.id == entry.id))
            decision = await session.scalar(
                select(Screening.decision).where(Screening.submission_id == entry.id)
            )
            audit = await audit_entries(session, "screening:eligible", entry.id)
        # Either the decision came after the new version (and holds), or before it (and was cleared).
        assert version == 2
        assert decision in ("eligible", None) and len(audit) == 1
