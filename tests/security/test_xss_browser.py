"""Hostile text in every field people write, rendered in Chromium: no script runs, nothing is injected.

One challenge is filled with payloads: names of people, organizations and teams; titles and Markdown
descriptions of the challenge, its round, rubric, prize, announcement and dataset; a submission's answers
(a `javascript:` address among them); judges' comments; a registration's refusal reason; a join request's
message; an access request's purpose; the name of an uploaded file. Most are stored straight in the database,
past the forms' checks, so the test is about how pages render what is stored; some go through the pages
themselves (a judge's comment, an organization's name and web address, a file's name) or the API (an
announcement). Then every page of every role showing them is opened: `window.__xss` stays unset, no dialog
opens, the page holds no injected script, event handler, frame or `javascript:` link, `{{7*7}}` stays text,
and the CSP header stays strict. The `page` fixture also fails the test on any console error, such as a CSP
violation.
"""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from playwright.async_api import expect
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import create_async_engine

from app.accounts.api_tokens import create_token
from app.accounts.sessions import actor_from_user
from app.challenges.models import Prize, RoundField
from app.data_sharing.models import AccessRequest
from app.db import async_url, make_session_maker
from app.notifications.models import Notification
from app.teams.models import JoinRequest, SubmissionVersion
from tests.browser.conftest import browser, live_server, page  # noqa: F401 - the browser tests' fixtures
from tests.browser.judging_journey_support import person, sign_in
from tests.factories import (
    make_dataset,
    make_grant,
    make_judged_round,
    make_offering,
    make_organization,
    make_registration,
    make_user,
)
from tests.judging.ranking_support import give_review

# One server and one Chromium with the browser tests (tests/browser/conftest.py).
pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.browser]

# Short enough for a team's or a person's name (120 characters).
PAYLOAD = (
    '"><img src=x onerror=window.__xss=1><script>window.__xss=1</script><svg onload=window.__xss=1>{{7*7}}'
)
MARKDOWN = (
    f"{PAYLOAD}\n\n"
    '[a link](javascript:window.__xss=1) and <a href="javascript:window.__xss=1">another</a>\n\n'
    '![image](x" onerror="window.__xss=1)\n\n'
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>\n\n'
    "<svg><script>window.__xss=1</script></svg> <details open ontoggle=window.__xss=1>\n"
)
JS_URL = "javascript:window.__xss=1//https://example.org"
# A file name cannot hold a slash.
FILE_NAME = '"><img src=x onerror=window.__xss=1>{{7*7}}.csv'
# What an injection would leave in the page, whether or not the CSP stopped it from running.
INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attribute of el.attributes) {
      if (attribute.name.startsWith("on")) found.push(`${el.tagName} ${attribute.name}`);
    }
  }
  for (const el of document.querySelectorAll("script:not([src]), iframe, object, embed, img[src='x']")) {
    found.push(el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll("a[href], area[href], form[action]")) {
    const target = el.getAttribute("href") || el.getAttribute("action");
    if (/^\\s*javascript:/i.test(target)) found.push(el.outerHTML.slice(0, 80));
  }
  return found;
}"""


async def hostile_challenge(server: Any) -> SimpleNamespace:
    """Committed: a challenge being judged whose every written field holds a payload."""
    engine = create_async_engine(async_url(server.settings.database_url))
    try:
        async with make_session_maker(engine)() as session:
            judged = await make_judged_round(session, teams=2, judges=1, criteria=1)
            challenge, round_, criterion = judged.challenge, judged.round, judged.criteria[0]
            challenge.title, challenge.summary = f"XSS {uuid.uuid4().hex[:6]} {PAYLOAD}", PAYLOAD
            challenge.description = challenge.rules = MARKDOWN
            round_.name, round_.description = PAYLOAD, MARKDOWN
            criterion.name, criterion.description = PAYLOAD, MARKDOWN
            for user in (judged.founder, judged.captains[0], judged.judges[0]):
                user.name = PAYLOAD
            judged.teams[0].name = PAYLOAD
            session.add(
                RoundField(round_id=round_.id, key="pitch", kind="long_text", position=0, label=PAYLOAD)
            )
            session.add(RoundField(round_id=round_.id, key="video", kind="url", position=1, label=PAYLOAD))
            versions = await session.scalars(
                select(SubmissionVersion).where(
                    SubmissionVersion.submission_id.in_([e.id for e in judged.entries])
                )
            )
            for version in versions:
                version.answers = {"pitch": MARKDOWN, "video": JS_URL}
            await give_review(
                session,
                judged,
                judged.judges[0],
                judged.entries[1],
                [7],
                comments=[PAYLOAD],
                comment=MARKDOWN,
            )
            session.add(Prize(challenge_id=challenge.id, title=PAYLOAD, reward=PAYLOAD, description=MARKDOWN))

            refused = await make_user(session, name=PAYLOAD)
            await make_registration(session, challenge, refused, status="rejected", reason=PAYLOAD)
            joiner = await make_user(session, name=PAYLOAD)
            await make_registration(session, challenge, joiner)
            session.add(JoinRequest(team_id=judged.teams[0].id, user_id=joiner.id, message=PAYLOAD))
            session.add(
                Notification(
                    user_id=judged.captains[0].id, kind="join_request",
                    params={"person": PAYLOAD, "team": PAYLOAD, "challenge": PAYLOAD},
                    link=f"/teams/{judged.teams[0].id}#join-requests",
                )
            )  # fmt: skip
            organization = await make_organization(session, name=PAYLOAD, owner=judged.captains[0])
            organization.website = JS_URL

            steward = await make_user(session, name=PAYLOAD)
            dataset = await make_dataset(session, steward=steward, agreement=MARKDOWN)
            dataset.title, dataset.description = PAYLOAD, MARKDOWN
            offering = await make_offering(session, dataset, challenge)
            grant = await make_grant(
                session, offering, judged.teams[0], (judged.captains[0],), steward=steward
            )
            await session.execute(
                update(AccessRequest).where(AccessRequest.id == grant.request_id).values(purpose=MARKDOWN)
            )
            admin = await make_user(session, name=PAYLOAD, admin=True)
            _token, api_secret = await create_token(session, actor_from_user(judged.founder), name="xss")
            await session.commit()
            return SimpleNamespace(
                slug=challenge.slug, round=round_.id, team=judged.teams[0].id, entries=[e.id for e in judged.entries],
                founder=judged.founder.email, captain=judged.captains[0].email, judge=judged.judges[0].email,
                steward=steward.email, dataset=dataset.slug, grant=grant.id, request=grant.request_id,
                organization=organization.slug, admin=admin.email, api_secret=api_secret,
            )  # fmt: skip
    finally:
        await engine.dispose()


def pages_of(cast: SimpleNamespace) -> dict[str, list[str]]:
    """Every page showing some of the payloads, by who reads it."""
    challenge = f"/challenges/{cast.slug}"
    judging = f"{challenge}/rounds/{cast.round}/judging"
    return {
        "visitor": ["/challenges", challenge],
        "founder": [
            "/founder", f"{challenge}/edit", f"{challenge}/registrations", f"{challenge}/teams",
            f"{challenge}/rounds/{cast.round}/submissions", judging, f"{judging}/rubric", f"{judging}/screening",
            f"{judging}/panel", f"{judging}/ranking", f"{judging}/shortlist",
            f"{judging}/entries/{cast.entries[1]}", f"{challenge}/results/manage", f"{challenge}/data/grants",
        ],
        "captain": [
            "/me/challenges", f"/teams/{cast.team}", f"/teams/{cast.team}/rounds/{cast.round}",
            f"/teams/{cast.team}/data", f"/grants/{cast.grant}", f"/datasets/{cast.dataset}", "/notifications",
            f"/organizations/{cast.organization}", "/organizations",
        ],
        "judge": [
            "/judge", f"/judge/rounds/{cast.round}", f"/judge/entries/{cast.entries[0]}",
            f"/judge/entries/{cast.entries[1]}", f"/judge/rounds/{cast.round}/conflicts",
        ],
        "steward": [
            f"/datasets/{cast.dataset}", f"/datasets/{cast.dataset}/files", f"/datasets/{cast.dataset}/offerings",
            "/steward", f"/data-requests/{cast.request}",
        ],
        "admin": ["/admin/users", "/admin/organizations", "/admin/audit"],
    }  # fmt: skip


async def read_safely(reader: Any, path: str) -> None:
    """Open a page holding payloads and check that none of them did anything."""
    response = await reader.goto(path)
    assert response is not None and response.status == 200, (path, response and response.status)
    assert response.url.endswith(path), f"{path} sent to {response.url}"
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp, (path, csp)
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp, (path, csp)
    text = await reader.locator("body").inner_text()
    assert "window.__xss=1" in text, f"{path} shows none of the payloads"
    assert "{{7*7}}" in text or "{{ 7*7 }}" in text, f"{path} evaluated {{{{7*7}}}}"
    assert await reader.evaluate("() => window.__xss") is None, path
    assert await reader.evaluate(INJECTED) == [], path


async def test_payloads_in_every_field_never_run(page, live_server):  # noqa: F811 - the imported fixtures
    cast = await hostile_challenge(live_server)
    dialogs: list[str] = []

    def watch(other: Any) -> Any:
        other.on("dialog", lambda dialog: dialogs.append(dialog.message))
        return other

    watch(page)
    # Written through the API: an announcement.
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        answer = await client.post(
            f"/api/v1/challenges/{cast.slug}/announcements",
            json={"title": PAYLOAD, "body": MARKDOWN},
            headers={"Authorization": f"Bearer {cast.api_secret}"},
        )
    assert answer.status_code == 201, answer.text
    # Written through the pages: an organization's name and web address, a judge's comment, a file's name.
    await page.goto("/login")
    await sign_in(page, cast.captain)
    await page.goto("/organizations/new")
    await page.get_by_label("Name", exact=True).fill(PAYLOAD)
    await page.get_by_label("Kind of organization").select_option("startup")
    await page.get_by_label("Country").select_option("FR")
    await page.get_by_label("Website (optional)").fill(JS_URL)
    await page.get_by_role("button", name="Create the organization").click()
    await expect(page.get_by_text("Enter a web address such as https://example.org.")).to_be_visible()
    # The refusal answers 422, which the page fixture would otherwise count as an error.
    page.console_errors[:] = [error for error in page.console_errors if "422" not in error]
    await page.get_by_label("Website (optional)").fill("https://example.org")
    await page.get_by_role("button", name="Create the organization").click()
    await expect(page.get_by_role("heading", name=PAYLOAD)).to_be_visible()
    await read_safely(page, page.url.replace(live_server.url, ""))
    await page.context.clear_cookies()

    judge = watch(await person(page, live_server))
    await judge.goto("/login")
    await sign_in(judge, cast.judge)
    await judge.goto(f"/judge/entries/{cast.entries[0]}")
    async with judge.expect_response(lambda r: "/scores/" in r.url and r.request.method == "POST") as saved:
        await judge.get_by_label(re.compile("^Comment on")).fill(PAYLOAD)
    assert (await saved.value).status == 200
    await judge.get_by_label("Overall comment").fill(MARKDOWN)
    await expect(judge.locator("#status-comment")).to_have_text(re.compile("Saved at"))

    steward = watch(await person(page, live_server))
    await steward.goto("/login")
    await sign_in(steward, cast.steward)
    await steward.goto(f"/datasets/{cast.dataset}/files")
    await steward.get_by_label(re.compile("^Add a file")).set_input_files(
        {"name": FILE_NAME, "mimeType": "text/csv", "buffer": b"id,lvef\n1,45\n"}
    )
    await steward.get_by_role("button", name="Upload").click()
    await expect(steward.get_by_text(re.compile("is uploaded"))).to_be_visible()

    readers = {"judge": judge, "steward": steward}
    for role, paths in pages_of(cast).items():
        reader = readers.get(role)
        if reader is None:
            reader = watch(await person(page, live_server))
            if role != "visitor":
                await reader.goto("/login")
                await sign_in(reader, getattr(cast, role))
        for path in paths:
            await read_safely(reader, path)
        await reader.context.close()
    assert dialogs == []
