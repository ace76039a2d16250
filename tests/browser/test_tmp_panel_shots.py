import secrets
import datetime as dt

from sqlalchemy.ext.asyncio import create_async_engine

from app.accounts.models import UserSession
from app.accounts.sessions import hash_token
from app.db import async_url, make_session_maker
from app.judging.models import Conflict, JudgingJob
from app.judging.panel_links import invitation_path
from tests.factories import make_organization, make_user
from tests.judging.panel_support import judge_row, make_panel_cast


async def login(page, session, user):
    token = "s_" + secrets.token_urlsafe(32)
    session.add(UserSession(id=hash_token(token), user_id=user.id))
    await session.commit()
    await page.context.clear_cookies()
    await page.context.add_cookies([{"name": "tremplin", "value": token, "url": page.url if page.url.startswith("http") else "http://127.0.0.1"}])


async def test_shots(page, live_server):
    engine = create_async_engine(async_url(live_server.settings.database_url))
    sessions = make_session_maker(engine)
    async with sessions() as s:
        cast = await make_panel_cast(s, teams=6, judges=4, assign=True)
        s.add(Conflict(challenge_id=cast.challenge.id, user_id=cast.judges[1].id, team_id=cast.teams[1].id, reason="Former colleague at CHU Lyon"))
        await make_organization(s, name="Cardio Labs", owner=cast.judges[2], members=(cast.captains[3],))
        await s.commit()
        await page.goto("/")
        await page.context.add_cookies([])
        token = "s_" + secrets.token_urlsafe(32)
        s.add(UserSession(id=hash_token(token), user_id=cast.founder.id))
        await s.commit()
    await page.context.add_cookies([{"name": "tremplin", "value": token, "url": live_server.url}])
    await page.goto(cast.base)
    await page.shoot("panel")
    await page.get_by_role("spinbutton", name="Judges per entry").fill("2")
    await page.get_by_role("radio", name="A fixed number of judges per entry, loads balanced").check()
    await page.get_by_role("button", name="Assign judges").click()
    await page.get_by_text("Assignment done").wait_for()
    await page.shoot("panel-after-assign")
    await page.get_by_label("Invite judges by e-mail").fill("x@y, nope")
    await page.get_by_role("button", name="Send the invitations").click()
    await page.get_by_text("not valid e-mail addresses").wait_for()
    await page.shoot("panel-invite-error")
    await page.goto(cast.base + "/assignments")
    await page.shoot("assignments")
    async with sessions() as s:
        s.add(JudgingJob(round_id=cast.round.id, kind="assign", status="running", done=40, total=120, params={"policy": "k_per_entry", "k": 3, "seed": 1}))
        await s.commit()
    await page.goto(cast.base + "#assignment")
    await page.shoot("panel-job-running")
    async with sessions() as s:
        token = "s_" + secrets.token_urlsafe(32)
        s.add(UserSession(id=hash_token(token), user_id=cast.judges[2].id))
        await s.commit()
        seat = await judge_row(s, cast.round.id, cast.invitee)
    await page.context.clear_cookies()
    await page.context.add_cookies([{"name": "tremplin", "value": token, "url": live_server.url}])
    await page.goto(f"/judge/rounds/{cast.round.id}/conflicts")
    await page.shoot("judge-conflicts")
    link = invitation_path(live_server.settings, seat.id)
    await page.goto(link)
    await page.shoot("invitation-other-address")
    await page.context.clear_cookies()
    await page.goto(link)
    await page.shoot("invitation-visitor")
    page.console_errors.clear()
    await engine.dispose()
