"""A round's panel: founders invite judges by e-mail (one or several), resend and remove; the invited person
signs up if needed, accepts by the link with the invited address; nobody judges and competes in one challenge."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.judging import panel_links
from app.judging.models import Assignment, Judge, Review
from app.notifications.models import MailMessage
from app.teams.models import TeamMember
from tests.conftest import text_of, unique_email
from tests.factories import make_registration, make_user
from tests.judging.panel_support import give_review, judge_row, make_panel_cast
from tests.querycount import counting_statements
from tests.teams.team_support import as_user, audit_entries, fresh, join_request, notifications_of

LINK = re.compile(r"http://testserver\.local(/invitations/judge/[\w.\-]+)")


async def mails_to(db, address) -> list[MailMessage]:
    return list(
        await db.scalars(
            select(MailMessage).where(MailMessage.to_address == address).order_by(MailMessage.created_at)
        )
    )


async def link_to(db, address) -> str:
    return LINK.search((await mails_to(db, address))[-1].body_text).group(1)


async def invite(client, db, cast, emails: str):
    await as_user(client, db, cast.founder)
    return await client.submit(f"{cast.base}/judges", {"emails": emails})


# --- inviting ------------------------------------------------------------------------------------------


async def test_founder_invites_several_judges_at_once_and_each_gets_a_link(client, db):
    cast = await make_panel_cast(db)
    first, second = unique_email("ana"), unique_email("bo")
    response = await invite(client, db, cast, f"{first.upper()}, {second}\n{first}")
    assert response.status_code == 303
    assert response.headers["location"].endswith("/judging/panel#judges")
    rows = {j.email: j for j in await db.scalars(select(Judge).where(Judge.round_id == cast.round.id))}
    assert {first, second} <= set(rows)
    assert (
        rows[first].user_id is None
        and rows[first].accepted_at is None
        and rows[first].invited_by_id == cast.founder.id
    )
    for address in (first, second):
        [mail] = await mails_to(db, address)
        assert cast.challenge.title in mail.subject
        assert "Fiona Founder invites you to judge Round 1" in mail.body_text
        assert (await link_to(db, address)).startswith("/invitations/judge/")
    [entry] = await audit_entries(db, "judging:invite_judges", cast.round.id)
    assert sorted(entry.details["emails"]) == sorted([first, second])
    page = await client.get(cast.base)
    text = text_of(page.text)
    assert "2 invitations sent." in text
    assert first in text and "Invited" in text and "Accepted" in text


async def test_account_holders_also_get_a_notification_in_their_language(client, db):
    cast = await make_panel_cast(db)
    french = await make_user(db, email=unique_email("fr"), locale="fr", name="Fleur")
    await invite(client, db, cast, french.email)
    [mail] = await mails_to(db, french.email)
    assert mail.subject.startswith("Invitation à évaluer")
    [notice] = await notifications_of(db, french, "judge_invitation")
    assert notice.emailed_at is not None and notice.link.startswith("/invitations/judge/")


async def test_bad_addresses_are_named_beside_the_field(client, db):
    cast = await make_panel_cast(db)
    await as_user(client, db, cast.founder)
    response = await client.htmx(
        "POST", f"{cast.base}/judges", data={"emails": "good@example.org, not-an-address; @x"}
    )
    assert response.status_code == 422
    assert 'id="invite_form"' in response.text and "<html" not in response.text
    assert "not valid e-mail addresses: not-an-address, @x" in text_of(response.text)
    assert await db.scalar(select(Judge).where(Judge.email == "good@example.org")) is None
    empty = await client.submit(f"{cast.base}/judges", {"emails": "  "})
    assert empty.status_code == 422 and "Enter at least one e-mail address." in text_of(empty.text)
    many = await client.submit(
        f"{cast.base}/judges", {"emails": ",".join(f"p{i}@example.org" for i in range(51))}
    )
    assert many.status_code == 422 and "at most 50" in text_of(many.text)


async def test_people_already_on_the_panel_or_in_a_team_are_skipped_with_the_reason(client, db):
    cast = await make_panel_cast(db)
    response = await invite(
        client, db, cast, f"{cast.judge.email}, {cast.captain.email}, {cast.invitee.email}"
    )
    assert response.status_code == 303
    page = text_of((await client.get(cast.base)).text)
    assert f"Not invited: {cast.judge.email} is already on this panel." in page
    assert f"Not invited: {cast.captain.email} is a member of a team of this challenge." in page
    assert await mails_to(db, cast.captain.email) == []
    assert await db.scalar(select(Judge).where(Judge.email == cast.captain.email)) is None


# --- the link --------------------------------------------------------------------------------------------


async def test_someone_without_an_account_signs_up_through_the_link_and_joins(client, db):
    cast = await make_panel_cast(db)
    address = unique_email("newcomer")
    await invite(client, db, cast, address)
    path = await link_to(db, address)
    await as_user(client, db, None)
    page = await client.get(path)
    assert page.status_code == 200
    text = text_of(page.text)
    assert cast.challenge.title in text and "Round 1" in text and "Fiona Founder" in text
    assert f"/signup?next={path.replace('/', '%2F')}" in page.text
    signed_up = await client.submit(
        "/signup",
        {
            "name": "Nora New",
            "email": address,
            "password": "a long and quiet river at dawn",
            "locale": "en",
            "next": path,
        },
    )
    assert signed_up.headers["location"] == path
    accepted = await client.submit(path)
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/judge/rounds/{cast.round.id}/conflicts"
    seat = await db.scalar(
        select(Judge).where(Judge.email == address).execution_options(populate_existing=True)
    )
    assert seat.user_id is not None and seat.accepted_at is not None
    [entry] = await audit_entries(db, "judging:accept_invitation", seat.id)
    assert entry.actor_id == seat.user_id
    again = await client.get(path)
    assert "You are on this panel." in text_of(again.text)
    twice = await client.submit(path)
    assert twice.status_code == 410 and "already been accepted" in text_of(twice.text)


async def test_accepting_an_invitation_sent_to_another_address_is_refused_with_an_explanation(
    client, db, settings
):
    cast = await make_panel_cast(db)
    path = panel_links.invitation_path(settings, (await judge_row(db, cast.round.id, cast.invitee)).id)
    await as_user(client, db, cast.outsider)
    page = await client.get(path)
    explanation = (
        f"This invitation was sent to {cast.invitee.email}, but you are signed in as {cast.outsider.email}."
    )
    assert explanation in text_of(page.text)
    refused = await client.submit(path)
    assert refused.status_code == 403
    assert explanation in text_of(refused.text)
    assert (await judge_row(db, cast.round.id, cast.invitee)).accepted_at is None
    api = await client.post(f"/api/v1{path}", headers={"X-CSRF-Token": await client.csrf()})
    assert api.status_code == 403 and api.headers["content-type"].startswith("application/problem+json")


async def test_a_forged_or_expired_link_is_not_a_server_error(client, db, settings):
    import time_machine

    cast = await make_panel_cast(db)
    await as_user(client, db, cast.invitee)
    assert (await client.get("/invitations/judge/forged.token")).status_code == 404
    seat = await judge_row(db, cast.round.id, cast.invitee)
    with time_machine.travel(cast.now.timestamp() - 31 * 86400, tick=False):
        old = panel_links.invitation_path(settings, seat.id)
    page = await client.get(old)
    assert page.status_code == 200 and "This invitation has expired." in text_of(page.text)
    refused = await client.submit(old)
    assert refused.status_code == 410


# --- resend and remove -----------------------------------------------------------------------------------


async def test_resend_sends_a_fresh_link_only_while_pending(client, db):
    cast = await make_panel_cast(db)
    seat = await judge_row(db, cast.round.id, cast.invitee)
    await as_user(client, db, cast.founder)
    response = await client.submit(f"{cast.base}/judges/{seat.id}/resend")
    assert response.status_code == 303
    assert len(await mails_to(db, cast.invitee.email)) == 1
    assert (await fresh(db, Judge, seat.id)).reminded_at is not None
    accepted = await judge_row(db, cast.round.id, cast.judge)
    refused = await client.submit(f"{cast.base}/judges/{accepted.id}/resend")
    assert refused.status_code == 409 and "Only a pending invitation can be sent again." in text_of(
        refused.text
    )


async def test_removing_a_judge_keeps_their_scores_and_frees_unscored_entries(client, db, settings):
    from app.judging.ranking import compute_ranking

    cast = await make_panel_cast(db, assign=True)
    await give_review(db, cast, cast.judge, cast.entries[0], [8, 6])
    seat = await judge_row(db, cast.round.id, cast.judge)
    await as_user(client, db, cast.founder)
    response = await client.submit(f"{cast.base}/judges/{seat.id}/remove")
    assert response.status_code == 303
    seat = await fresh(db, Judge, seat.id)
    assert seat.removed_at is not None and seat.user_id == cast.judge.id
    assert await db.scalar(select(Review).where(Review.user_id == cast.judge.id)) is not None
    left = set(await db.scalars(select(Assignment.submission_id).where(Assignment.user_id == cast.judge.id)))
    assert left == {cast.entries[0].id}  # the reviewed one stays, the others are freed
    [entry] = await audit_entries(db, "judging:remove_judge", seat.id)
    assert entry.details["assignments_released"] == 2
    ranking = await compute_ranking(db, cast.round.id)
    assert ranking.judges == 1  # a removed judge's final score still counts
    page = text_of((await client.get(cast.base)).text)
    assert "Removed" in page
    # The link no longer works, and removing twice is refused.
    link = panel_links.invitation_path(settings, seat.id)
    await as_user(client, db, cast.judge)
    assert (await client.submit(link)).status_code == 410
    await as_user(client, db, cast.founder)
    assert (await client.submit(f"{cast.base}/judges/{seat.id}/remove")).status_code == 409


async def test_a_removed_judge_invited_again_must_accept_again(client, db):
    cast = await make_panel_cast(db)
    seat = await judge_row(db, cast.round.id, cast.judge)
    await as_user(client, db, cast.founder)
    await client.submit(f"{cast.base}/judges/{seat.id}/remove")
    await client.submit(f"{cast.base}/judges", {"emails": cast.judge.email})
    seat = await fresh(db, Judge, seat.id)
    assert seat.removed_at is None and seat.accepted_at is None and seat.user_id is None
    await as_user(client, db, cast.judge)
    assert (await client.submit(await link_to(db, cast.judge.email))).status_code == 303
    assert (await fresh(db, Judge, seat.id)).accepted_at is not None


async def test_an_unknown_judge_or_a_judge_of_another_round_is_not_found(client, db):
    cast = await make_panel_cast(db)
    other = await make_panel_cast(db)
    stranger = await judge_row(db, other.round.id, other.judge)
    await as_user(client, db, cast.founder)
    assert (await client.submit(f"{cast.base}/judges/{stranger.id}/remove")).status_code == 404
    assert (await client.submit(f"{cast.base}/judges/{stranger.id}/resend")).status_code == 404
    # A round under another challenge's address is not found either.
    wrong = f"/challenges/{cast.challenge.slug}/rounds/{other.round.id}/judging/panel"
    assert (await client.get(wrong)).status_code == 404


# --- judge or competitor, never both in one challenge --------------------------------------------------------


async def test_a_team_member_cannot_accept_a_seat_on_the_panel(client, db, settings):
    cast = await make_panel_cast(db)
    seat = Judge(
        round_id=cast.round.id,
        challenge_id=cast.challenge.id,
        email=cast.captain.email,
        invited_by_id=cast.founder.id,
    )
    db.add(seat)
    await db.flush()
    link = panel_links.invitation_path(settings, seat.id)
    await as_user(client, db, cast.captain)
    page = await client.get(link)
    message = (
        f"You are a member of the team {cast.teams[0].name} in this challenge: you cannot also judge it."
    )
    assert message in text_of(page.text)
    refused = await client.submit(link)
    assert refused.status_code == 409
    assert message in text_of(refused.text)
    assert (await fresh(db, Judge, seat.id)).accepted_at is None


async def test_a_judge_cannot_create_a_team_of_the_challenge(client, db):
    cast = await make_panel_cast(db)
    await make_registration(db, cast.challenge, cast.judge)
    cast.rounds[0].deadline = cast.now.replace(year=cast.now.year + 1)  # teams still open
    await db.flush()
    await as_user(client, db, cast.judge)
    page = await client.get(f"/challenges/{cast.challenge.slug}/teams/new")
    assert "You are a judge of this challenge: you cannot also compete in it." in text_of(page.text)
    response = await client.submit(f"/challenges/{cast.challenge.slug}/teams/new", {"name": "Judges United"})
    assert response.status_code == 409
    assert "You are a judge of this challenge" in text_of(response.text)
    assert await db.scalar(select(TeamMember).where(TeamMember.user_id == cast.judge.id)) is None


async def test_a_judge_cannot_join_a_team_by_invitation_or_request(client, db, settings):
    from app.teams import invitations
    from app.teams.models import TeamInvitation

    cast = await make_panel_cast(db)
    await make_registration(db, cast.challenge, cast.judge)
    cast.rounds[0].deadline = cast.now.replace(year=cast.now.year + 1)
    team = cast.teams[0]
    invitation = TeamInvitation(
        team_id=team.id,
        email=cast.judge.email,
        invited_by_id=cast.captain.id,
        expires_at=cast.now.replace(year=cast.now.year + 1),
    )
    db.add(invitation)
    await db.flush()
    await as_user(client, db, cast.judge)
    refused = await client.submit(invitations.invitation_path(settings, invitation.id))
    assert refused.status_code == 409
    assert "You are a judge of this challenge" in text_of(refused.text)
    asked = await client.submit(f"/teams/{team.id}/join-requests", {"message": "let me in"})
    assert asked.status_code == 409
    # A request made before the seat was taken cannot be approved by the captain afterwards.
    request = await join_request(db, cast.teams[1], cast.judge)
    await as_user(client, db, cast.captains[1])
    approved = await client.submit(
        f"/teams/{cast.teams[1].id}/join-requests/{request.id}/decision", {"decision": "approve"}
    )
    assert approved.status_code == 409
    assert "is a judge of this challenge and cannot also compete in it." in text_of(approved.text)
    assert await db.scalar(select(TeamMember).where(TeamMember.user_id == cast.judge.id)) is None


async def test_judging_one_challenge_and_competing_in_another_is_fine(client, db, settings):
    cast = await make_panel_cast(db)
    other = await make_panel_cast(db)
    # The captain of a team in the other challenge judges this one.
    seat = Judge(
        round_id=cast.round.id,
        challenge_id=cast.challenge.id,
        email=other.captain.email,
        invited_by_id=cast.founder.id,
    )
    db.add(seat)
    await db.flush()
    await as_user(client, db, other.captain)
    assert (await client.submit(panel_links.invitation_path(settings, seat.id))).status_code == 303
    assert (await fresh(db, Judge, seat.id)).user_id == other.captain.id


# --- the page's cost ------------------------------------------------------------------------------------


async def test_panel_page_queries_do_not_grow_with_judges_teams_or_conflicts(client, db, connection):
    from tests.factories import make_organization

    small = await make_panel_cast(db, teams=2, judges=2, assign=True)
    large = await make_panel_cast(db, teams=8, judges=6, assign=True)
    for cast in (small, large):
        # Automatic conflicts of both kinds and declared ones, more of each in the larger round.
        for index, judge in enumerate(cast.judges):
            team = cast.teams[index % len(cast.teams)]
            await make_organization(db, owner=judge, members=(cast.captains[index % len(cast.captains)],))
            from app.judging.models import Conflict

            db.add(
                Conflict(
                    challenge_id=cast.challenge.id,
                    user_id=judge.id,
                    team_id=team.id,
                    reason="Former colleague",
                )
            )
        await db.flush()
    counts = []
    for cast in (small, large):
        await as_user(client, db, cast.founder)
        with counting_statements(connection) as statements:
            page = await client.get(cast.base)
        assert page.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    text = text_of(page.text)
    assert "Former colleague" in text and "shares the organization" in text
