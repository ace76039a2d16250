"""A challenge's audit log for its founders: the entries about the challenge and everything of it, never
another challenge's nor the stewards' (access requests, grants); filters and pages; the CSV without IP
addresses, defused and itself audited; who may open it; a cost that does not grow with the entries."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from sqlalchemy import select

from app.accounts.sessions import actor_from_user
from app.challenges.models import Prize, Registration
from app.judging.models import Judge
from app.platform import audit
from app.platform.audit_log import PAGE_SIZE
from app.platform.models import AuditEntry
from tests.conftest import make_client, text_of
from tests.factories import (
    make_challenge,
    make_dataset,
    make_grant,
    make_offering,
    make_team,
    make_user,
    sign_in,
)
from tests.judging.setup_support import finalize_a_review, make_setup_cast
from tests.querycount import counting_statements


@pytest.fixture
async def cast(db):
    """A judged round (founder, three teams with entries, two judges), a dataset offered to the challenge
    with a grant to the first team, and a second challenge beside it."""
    cast = await make_setup_cast(db, screen=False, assign=True)
    cast.steward = await make_user(db, name="Sam Steward")
    cast.dataset = await make_dataset(db, steward=cast.steward)
    cast.offering = await make_offering(db, cast.dataset, cast.challenge)
    cast.grant = await make_grant(db, cast.offering, cast.jr.teams[0], (cast.jr.captains[0],))
    cast.other = await make_challenge(db)
    cast.other_team = await make_team(db, cast.other, await make_user(db))
    return cast


def url(cast, suffix: str = "") -> str:
    return f"/challenges/{cast.challenge.slug}/audit{suffix}"


async def note(db, action: str, object_type: str, object_id, details=None, ip: str | None = None) -> None:
    await audit.record(db, None, action, object_type, object_id, details or {}, ip=ip)


def entries_of(html: str) -> str:
    return text_of(html[html.index('<div id="audit_results"') :])


def actions_on(html: str, tag: str) -> set[str]:
    """The tagged actions among the entries shown (not in the filter's menu)."""
    text = entries_of(html)
    return {word for word in text.split() if word.startswith(f"test:{tag}:")}


async def entries_about_everything(db, cast, tag: str) -> None:
    """One entry about each kind of object of the challenge, plus entries the founders must not see."""
    registration = await db.scalar(select(Registration).where(Registration.challenge_id == cast.challenge.id))
    judge = await db.scalar(select(Judge).where(Judge.challenge_id == cast.challenge.id))
    review = await finalize_a_review(db, cast)
    prize = Prize(challenge_id=cast.challenge.id, title="Grand prize")
    db.add(prize)
    await db.flush()
    for object_type, object_id in {
        "challenge": cast.challenge.id,
        "round": cast.round.id,
        "registration": registration.id,
        "team": cast.jr.teams[1].id,
        "submission": cast.jr.entries[1].id,
        "judge": judge.id,
        "review": review.id,
        "prize": prize.id,
        "offering": cast.offering.id,
    }.items():
        await note(db, f"test:{tag}:{object_type}", object_type, object_id)
    # The stewards' side: an access request's internal comment, a grant's revocation reason.
    await note(
        db, f"test:{tag}:access_request", "access_request", cast.grant.request_id, {"internal": "secret"}
    )
    await note(db, f"test:{tag}:grant", "grant", cast.grant.id, {"reason": "steward only"})
    await note(db, f"test:{tag}:dataset", "dataset", cast.dataset.id)
    # Another challenge's entries.
    await note(db, f"test:{tag}:other_challenge", "challenge", cast.other.id)
    await note(db, f"test:{tag}:other_team", "team", cast.other_team.id)
    # Not about any challenge.
    await note(db, f"test:{tag}:user", "user", cast.founder.id)


MINE = {"challenge", "round", "registration", "team", "submission", "judge", "review", "prize", "offering"}


async def test_founders_see_the_entries_of_every_object_of_their_challenge_and_only_those(cast, client, db):
    tag = uuid.uuid4().hex[:6]
    await entries_about_everything(db, cast, tag)
    await sign_in(client, db, cast.founder)
    response = await client.get(url(cast))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert actions_on(response.text, tag) == {f"test:{tag}:{kind}" for kind in MINE}
    assert "secret" not in response.text and "steward only" not in response.text


async def test_real_actions_on_the_challenge_show_in_its_log(cast, client, db, app):
    await sign_in(client, db, cast.founder)
    entry = cast.jr.entries[0]
    screened = await client.submit(
        f"/challenges/{cast.challenge.slug}/rounds/{cast.round.id}/judging/screening/{entry.id}",
        {"decision": "eligible", "filter": "unscreened"},
    )
    assert screened.status_code == 303
    async with make_client(app) as judge_client:
        await sign_in(judge_client, db, cast.judge)
        declared = await judge_client.submit(
            f"/judge/rounds/{cast.round.id}/conflicts",
            {"team_id": str(cast.jr.teams[2].id), "reason": "cousin"},
        )
        assert declared.status_code == 303
    page = text_of((await client.get(url(cast))).text)
    assert "screening:eligible" in page and "conflict:declare" in page
    assert cast.judge.email in page  # who did it
    assert "cousin" in page  # the founders read conflict reasons on their conflicts page too


async def test_ip_addresses_are_for_admins_only(cast, client, db):
    await note(db, "test:ip", "challenge", cast.challenge.id, ip="203.0.113.77")
    await sign_in(client, db, cast.founder)
    assert "203.0.113.77" not in (await client.get(url(cast))).text
    exported = await client.get(url(cast, ".csv"))
    assert "203.0.113.77" not in exported.text
    assert "ip" not in next(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))


async def test_filters_by_action_and_dates_and_pages(cast, client, db):
    tag = uuid.uuid4().hex[:6]
    for _ in range(PAGE_SIZE + 1):
        await note(db, f"test:{tag}:many", "round", cast.round.id)
    await note(db, f"test:{tag}:one", "team", cast.jr.teams[0].id)
    await sign_in(client, db, cast.founder)
    page = await client.get(url(cast))
    assert f"test:{tag}:many" in page.text and f'<option value="test:{tag}:one"' in page.text
    only = await client.get(url(cast, f"?action=test:{tag}:one"))
    assert actions_on(only.text, tag) == {f"test:{tag}:one"}
    first = await client.get(url(cast, f"?action=test:{tag}:many"))
    assert entries_of(first.text).count(f"test:{tag}:many") == PAGE_SIZE
    assert f"action=test%3A{tag}%3Amany&amp;page=2" in first.text
    second = await client.get(url(cast, f"?action=test:{tag}:many&page=2"))
    assert entries_of(second.text).count(f"test:{tag}:many") == 1
    future = await client.get(url(cast, "?since=2999-01-01"))
    assert "No entry matches these filters." in text_of(future.text)
    today = await client.get(url(cast, f"?action=test:{tag}:one&since=2000-01-01&until=2999-12-31"))
    assert actions_on(today.text, tag) == {f"test:{tag}:one"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=yesterday", "Enter a date as YYYY-MM-DD."),
        ("since=2026-02-01&until=2026-01-01", "The end date must not be before the start date."),
        ("action=car%00diac", "This field contains a character that is not allowed."),
    ],
)
async def test_bad_filters_are_a_422_with_a_message_never_a_server_error(cast, client, db, query, message):
    await sign_in(client, db, cast.founder)
    page = await client.get(url(cast, f"?{query}"))
    assert page.status_code == 422 and message in text_of(page.text)
    fragment = await client.get(url(cast, f"?{query}"), headers={"HX-Request": "true"})
    assert fragment.status_code == 422 and fragment.text.lstrip().startswith('<div id="audit_results"')
    exported = await client.get(url(cast, f".csv?{query}"))
    assert exported.status_code == 422
    assert await db.scalar(select(AuditEntry).where(AuditEntry.action == "audit:export")) is None


async def test_the_csv_holds_the_challenge_s_entries_defused_and_the_export_is_audited(cast, client, db):
    tag = uuid.uuid4().hex[:6]
    await note(db, f"test:{tag}:tricky", "team", cast.jr.teams[0].id, {"note": "=SUM(A1)"})
    await note(db, f"test:{tag}:other", "challenge", cast.other.id)
    await sign_in(client, db, cast.founder)
    response = await client.get(url(cast, f".csv?action=test:{tag}:tricky"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="tremplin-audit-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0]) == ["id", "at", "actor_email", "action", "object_type", "object_id", "details"]
    assert [(row["action"], row["object_id"]) for row in rows] == [
        (f"test:{tag}:tricky", str(cast.jr.teams[0].id))
    ]
    assert rows[0]["details"] == '{"note": "=SUM(A1)"}'  # JSON starts with "{": nothing to defuse
    everything = await client.get(url(cast, ".csv"))
    actions = [row["action"] for row in csv.DictReader(io.StringIO(everything.content.decode("utf-8-sig")))]
    assert f"test:{tag}:tricky" in actions and f"test:{tag}:other" not in actions
    exports = list(await db.scalars(select(AuditEntry).where(AuditEntry.action == "audit:export")))
    assert [(e.object_type, e.object_id, e.actor_id) for e in exports] == [
        ("challenge", str(cast.challenge.id), cast.founder.id)
    ] * 2
    assert exports[0].details == {"filters": f"action=test%3A{tag}%3Atricky"}
    # The export is about the challenge: its founders see it in the log.
    assert "audit:export" in text_of((await client.get(url(cast))).text)


async def test_a_formula_in_an_actor_s_e_mail_is_defused_in_the_csv(cast, client, db):
    # Object ids are ours (uuids), but an actor's e-mail is typed by a person.
    trickster = await make_user(db, email=f"=cmd{uuid.uuid4().hex[:4]}@example.org")
    await audit.record(db, actor_from_user(trickster), "test:formula", "challenge", cast.challenge.id)
    await sign_in(client, db, cast.founder)
    rows = list(
        csv.DictReader(io.StringIO((await client.get(url(cast, ".csv"))).content.decode("utf-8-sig")))
    )
    [row] = [row for row in rows if row["action"] == "test:formula"]
    assert row["actor_email"] == "'" + trickster.email


@pytest.mark.parametrize("suffix", ["", ".csv"])
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("founder", 200),
        ("admin", 200),
        ("judge", 403),  # sees the challenge, not its log
        ("team_member", 403),
        ("outsider", 403),  # a published public challenge is visible to everyone signed in
        ("steward", 403),  # of a dataset offered to the challenge: the dataset's log is theirs, not this one
    ],
)
async def test_who_may_open_the_log(cast, client, db, who, expected, suffix):
    person = cast.steward if who == "steward" else cast.person(who)
    await sign_in(client, db, person)
    assert (await client.get(url(cast, suffix))).status_code == expected


@pytest.mark.parametrize("suffix", ["", ".csv"])
async def test_a_draft_challenge_s_log_is_not_found_for_outsiders_and_visitors_sign_in(
    cast, client, db, suffix
):
    assert (await client.get(url(cast, suffix))).status_code == 303
    cast.challenge.published_at = None
    await db.flush()
    await sign_in(client, db, cast.outsider)
    assert (await client.get(url(cast, suffix))).status_code == 404
    assert (await client.get(f"/challenges/no-such-challenge/audit{suffix}")).status_code == 404


async def test_the_founder_s_challenge_page_and_editor_link_to_the_log(cast, client, db):
    await sign_in(client, db, cast.founder)
    for page in (f"/challenges/{cast.challenge.slug}", f"/challenges/{cast.challenge.slug}/edit"):
        assert f'href="{url(cast)}"' in (await client.get(page)).text
    await sign_in(client, db, cast.member)
    assert f'href="{url(cast)}"' not in (await client.get(f"/challenges/{cast.challenge.slug}")).text


async def test_the_page_costs_the_same_queries_for_few_or_many_entries(cast, client, db, connection):
    await sign_in(client, db, cast.founder)

    async def statements() -> int:
        with counting_statements(connection) as sent:
            assert (await client.get(url(cast))).status_code == 200
        return len(sent)

    await note(db, "test:few", "round", cast.round.id)
    few = await statements()
    for index in range(40):
        await note(db, f"test:many:{index % 7}", "team", cast.jr.teams[index % 3].id)
        await note(db, "test:many", "submission", cast.jr.entries[index % 3].id)
    assert await statements() == few
