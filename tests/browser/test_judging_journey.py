"""Issue #5's journey in Chromium, by the labels people read: a founder defines a rubric, screens the entries
and invites two judges by e-mail; each judge follows the link in the mail, joins the panel, scores two entries
with autosave (each "Saved" awaited before going on) and finalizes them; the founder reads the ranking and the
judges' agreement, advances the best team to round 2, awards the prize once judging is over and publishes the
results; the winning team reads its feedback without the judges' names; a visitor sees the winners.
The same decisions in French: tests/browser/test_judging_journey_fr.py."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from playwright.async_api import expect

from tests.browser.judging_journey_support import (
    COMMENTS,
    SCORES,
    move_time_past_the_end,
    person,
    seed,
    shoot,
    sign_in,
)
from tests.browser.test_judging_setup import add_criterion
from tests.browser.test_team_journey import sql

SAVED = re.compile(r"Saved at \d{1,2}:\d{2}")


# --- the founder sets the round up ------------------------------------------------------------------------


async def founder_sets_up(page, cast: SimpleNamespace) -> None:
    await page.goto("/login")
    await sign_in(page, cast.founder)
    await page.goto(f"/challenges/{cast.slug}/edit#rounds")
    await page.get_by_role("link", name="Judging of Round 1").click()
    await expect(page.get_by_role("heading", name="Judging of Round 1")).to_be_visible()
    await page.shoot("settings")
    tabs = page.get_by_role("navigation", name="Judging of Round 1")

    await tabs.get_by_role("link", name="Rubric").click()
    await add_criterion(
        page, "Clinical value", "2", "5",
        {"1": "No clinical rationale", "5": "Evidence from a clinical study"},
    )  # fmt: skip
    await add_criterion(page, "Feasibility", "1", "5", {"5": "Ready to pilot in a hospital"})
    await expect(page.locator("ol.criteria > li")).to_have_count(2)
    await page.reload()
    await page.shoot("rubric")

    await tabs.get_by_role("link", name="Screening").click()
    await page.get_by_role("button", name="Mark the 3 entries still to screen eligible").click()
    await expect(page.get_by_text("3 entries were marked eligible.")).to_be_visible()
    await expect(page.locator(".decision-eligible")).to_have_count(3)
    await page.reload()
    await page.shoot("screened")

    await tabs.get_by_role("link", name="Judges and assignment").click()
    await page.get_by_label("Invite judges by e-mail").fill("\n".join(cast.judges.values()))
    await page.get_by_role("button", name="Send the invitations").click()
    await expect(page.get_by_text("2 invitations sent.")).to_be_visible()
    judges = page.locator("table.panel-judges tbody tr")
    await expect(judges).to_have_count(2)
    await expect(judges.filter(has_text="Invited")).to_have_count(2)
    await page.shoot("invited")


async def judge_joins(page, live_server, name: str, email: str) -> Any:
    """The judge reads the invitation in the mail log, follows its link, signs in and joins the panel."""
    rows = await sql(
        live_server,
        "SELECT body_text FROM mail_messages WHERE to_address = $1 AND subject LIKE 'Invitation to judge%'",
        email,
    )
    assert len(rows) == 1, rows
    link = re.search(r"https?://\S+", rows[0]["body_text"])
    assert link and link.group(0).startswith(f"{live_server.url}/invitations/judge/"), rows[0]["body_text"]
    judge = await person(page, live_server)
    await judge.goto(link.group(0))
    heading = judge.get_by_role("heading", name="Invitation to judge Heart Failure at Home")
    await expect(heading).to_be_visible()
    invites = "Fiona Founder invites you to the panel of judges of Round 1"
    await expect(judge.get_by_text(invites)).to_be_visible()
    await shoot(judge, page, f"invitation-{name.split()[0].lower()}")
    await judge.get_by_role("main").get_by_role("button", name="Sign in").click()
    await sign_in(judge, email)
    await judge.get_by_role("button", name="Join the panel").click()
    await expect(judge.get_by_text("Welcome to the panel.")).to_be_visible()
    await expect(judge.get_by_role("heading", name="Conflicts of interest")).to_be_visible()
    await expect(judge.get_by_role("row", name=re.compile("Alpha Cardio"))).to_be_visible()
    await shoot(judge, page, f"conflicts-{name.split()[0].lower()}")
    return judge


async def founder_assigns(page, cast: SimpleNamespace) -> None:
    await page.reload()
    judges = page.locator("table.panel-judges tbody tr")
    await expect(judges.filter(has_text="Accepted")).to_have_count(2)
    await page.get_by_label("Every judge reviews every entry").check()
    await page.get_by_role("button", name="Assign judges").click()
    await expect(page.get_by_text("Assignment done: 6 assignments for 3 entries.")).to_be_visible()
    await expect(judges.filter(has_text="Accepted")).to_have_count(2)
    await page.reload()
    await page.shoot("assigned")


# --- the judges score -------------------------------------------------------------------------------------


def level(group: Any, value: int) -> Any:
    """The radio of a level, whose name is its value followed by its descriptor when it has one."""
    return group.get_by_role("radio", name=re.compile(rf"^{value}( |$)"))


async def score_entry(judge, journey, name: str, team: str, values: tuple[int, int]) -> None:
    """From the queue: the entry beside the rubric, each score and comment saved as it is given, finalized."""
    await judge.get_by_role("row", name=re.compile(team)).get_by_role("link").click()
    await expect(judge.get_by_role("heading", name=team)).to_be_visible()
    await expect(judge.get_by_text("We listen to hearts")).to_be_visible()
    # Screenshots only before the first htmx swap on a page.
    await shoot(judge, journey, f"review-{name.split()[0].lower()}-{team.split()[0].lower()}")
    clinical = judge.get_by_role("group", name=re.compile("^Clinical value"))
    feasibility = judge.get_by_role("group", name=re.compile("^Feasibility"))
    statuses = judge.locator(".criterion .save-status")
    clinical_status, feasibility_status = statuses.nth(0), statuses.nth(1)

    await level(clinical, values[0]).check()
    await expect(clinical_status).to_have_text(SAVED)
    await expect(judge.locator("#review-status")).to_have_text("Draft")
    # The status already reads "Saved": wait for the comment's own save to answer before going on.
    async with judge.expect_response(lambda r: "/scores/" in r.url and r.request.method == "POST") as saved:
        await clinical.get_by_label("Comment on “Clinical value”").fill(COMMENTS[name][0])
    assert (await saved.value).status == 200
    await level(feasibility, values[1]).check()
    await expect(feasibility_status).to_have_text(SAVED)
    await judge.get_by_label("Overall comment").fill(COMMENTS[name][1])
    await expect(judge.locator("#status-comment")).to_have_text(SAVED)

    await judge.get_by_role("button", name="Finalize this review").click()
    await expect(judge.get_by_text(f"Your review of {team} is finalized.")).to_be_visible()
    await expect(judge.locator("#review-status")).to_have_text("Finalized")
    await judge.get_by_role("link", name="My queue", exact=True).click()


async def judge_scores(judge, journey, name: str) -> None:
    await judge.get_by_role("link", name="Judging", exact=True).click()
    await expect(judge.get_by_role("heading", name="My judging")).to_be_visible()
    await expect(judge.get_by_text("0 of 3 scored")).to_be_visible()
    await judge.get_by_role("link", name=re.compile("Open my queue")).click()
    await expect(judge.get_by_role("heading", name="My queue: Round 1")).to_be_visible()
    for team, values in SCORES[name].items():
        await score_entry(judge, journey, name, team, values)
    await expect(judge.get_by_text("2 of 3 scored")).to_be_visible()
    beta = judge.get_by_role("row", name=re.compile("Beta Pulse"))
    await expect(beta.get_by_text("Finalized")).to_be_visible()
    await shoot(judge, journey, f"queue-{name.split()[0].lower()}")
    await judge.context.close()


# --- the founder decides ----------------------------------------------------------------------------------


async def founder_ranks_and_advances(page, cast: SimpleNamespace) -> None:
    tabs = page.get_by_role("navigation", name="Judging of Round 1")
    await tabs.get_by_role("link", name="Ranking").click()
    await expect(page.get_by_role("heading", name="Ranking of Round 1")).to_be_visible()
    rows = page.locator("table.ranking tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(0)).to_contain_text(re.compile(r"^\s*1\s+Alpha Cardio\s+2\s+87\.5"))
    await expect(rows.nth(1)).to_contain_text(re.compile(r"^\s*2\s+Beta Pulse\s+2\s+41\.7"))
    await expect(rows.nth(2)).to_contain_text(re.compile(r"not scored\s+Gamma Beat\s+0"))
    await expect(page.get_by_text("Ranked by: Mean.")).to_be_visible()
    await expect(page.locator("#agreement")).to_contain_text("Krippendorff’s alpha: 0.885")
    await expect(page.locator("#agreement")).to_contain_text("Computed on 2 entries scored by at least two")
    await expect(page.locator("table.judge-progress")).to_contain_text("Jade Judge")
    await page.shoot("ranking")

    await tabs.get_by_role("link", name="Shortlist").click()
    await expect(page.get_by_role("heading", name="Shortlist of Round 1")).to_be_visible()
    await page.shoot("shortlist")
    await page.reload()
    await page.get_by_label("Select the top").fill("1")
    await page.get_by_role("button", name="Select", exact=True).click()
    await expect(page.get_by_label("Advance Alpha Cardio")).to_be_checked()
    await expect(page.get_by_label("Advance Beta Pulse")).not_to_be_checked()
    await page.get_by_role("button", name="Advance to Round 2").click()
    await expect(page.get_by_text("1 team takes part in Round 2. 1 team added and notified.")).to_be_visible()
    alpha = page.get_by_role("row", name=re.compile("Alpha Cardio"))
    await expect(alpha.get_by_text("Advanced")).to_be_visible()
    await page.shoot("advanced")


async def founder_publishes(page, cast: SimpleNamespace) -> None:
    await page.goto(f"/challenges/{cast.slug}/results/manage")
    await expect(page.get_by_role("heading", name="Prizes and results", exact=True)).to_be_visible()
    await page.get_by_label("Give Grand prize to").select_option(label="Alpha Cardio")
    await page.get_by_role("button", name="Award").click()
    await expect(page.get_by_text("Grand prize goes to Alpha Cardio.")).to_be_visible()
    await expect(page.locator("#preview")).to_contain_text("Alpha Cardio")
    await page.shoot("awarded")
    await page.get_by_role("button", name="Publish the results").click()
    await expect(page.get_by_text("The results are published and every team is notified.")).to_be_visible()
    await expect(page.get_by_role("heading", name="Results of Heart Failure at Home")).to_be_visible()
    await page.shoot("published")


async def captain_reads_feedback(page, live_server, cast: SimpleNamespace) -> None:
    captain = await person(page, live_server)
    await captain.goto("/login")
    await sign_in(captain, cast.captain)
    await captain.get_by_role("link", name=re.compile(r"^Notifications \d+ unread$")).click()
    await captain.get_by_role("link", name="The results of Heart Failure at Home are published").click()
    await expect(captain.get_by_role("heading", name="Feedback for Alpha Cardio")).to_be_visible()
    feedback = captain.get_by_role("main")
    await expect(feedback).to_contain_text("Overall: 87.5 out of 100")
    await expect(feedback).to_contain_text("scored by 2 judges")
    criteria = captain.locator(".feedback-criterion")
    await expect(criteria.nth(0)).to_contain_text("Clinical value 4.5 on a scale from 1 to 5")
    await expect(criteria.nth(1)).to_contain_text("Feasibility 4.5 on a scale from 1 to 5")
    # The judges' words, without their names.
    criterion_comments = criteria.nth(0).locator(".feedback-comments li")
    overall_comments = captain.locator(".feedback-round > .feedback-comments li")
    for clinical, overall in COMMENTS.values():
        await expect(criterion_comments.filter(has_text=clinical)).to_have_count(1)
        await expect(overall_comments.filter(has_text=overall)).to_have_count(1)
    await shoot(captain, page, "feedback")
    html = await captain.content()
    for name, email in cast.judges.items():
        assert name not in html and name.split()[0] not in html and email not in html, name
    await captain.context.close()


async def visitor_sees_the_winners(page, live_server, cast: SimpleNamespace) -> None:
    visitor = await person(page, live_server)
    await visitor.goto(f"/challenges/{cast.slug}/results")
    await expect(visitor.get_by_role("heading", name="Results of Heart Failure at Home")).to_be_visible()
    prize = visitor.locator("article.prize-result")
    await expect(prize).to_contain_text("Grand prize")
    await expect(prize.locator(".winners")).to_have_text("Alpha Cardio")
    await expect(visitor.get_by_role("button", name="Sign out")).to_have_count(0)
    await shoot(visitor, page, "public-results")
    await visitor.context.close()


async def test_a_founder_judges_with_two_judges_and_publishes_the_results(page, live_server):
    cast = await seed(live_server)
    await founder_sets_up(page, cast)
    judges = {name: await judge_joins(page, live_server, name, email) for name, email in cast.judges.items()}
    await founder_assigns(page, cast)
    for name, judge in judges.items():
        await judge_scores(judge, page, name)
    await founder_ranks_and_advances(page, cast)
    await move_time_past_the_end(live_server, cast)
    await founder_publishes(page, cast)
    await captain_reads_feedback(page, live_server, cast)
    await visitor_sees_the_winners(page, live_server, cast)
