"""The demo data: people who can sign in, organizations, a program and challenges in every phase, loaded once."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from app import demo
from app.accounts.models import User
from app.accounts.passwords import password_problem, verify_password
from app.db import utcnow
from app.organizations.models import ORGANIZATION_KINDS, Organization, OrganizationMember
from app.platform.models import AuditEntry
from tests.platform.test_cli import (
    command_env,
    empty_database,  # noqa: F401  (a fixture, used by name)
    tremplin,
)


async def count(db, model, *where) -> int:
    return await db.scalar(select(func.count()).select_from(model).where(*where))


async def test_demo_has_an_organization_of_each_kind_and_a_person_per_role_in_both_languages(db, settings):
    result = await demo.load_demo(db, settings)
    assert (result.organizations, result.people) == (len(demo.ORGANIZATIONS), len(demo.PEOPLE))
    kinds = set(
        await db.scalars(
            select(Organization.kind).where(Organization.slug.in_([o.slug for o in demo.ORGANIZATIONS]))
        )
    )
    assert kinds == set(ORGANIZATION_KINDS)
    people = list(await db.scalars(select(User).where(User.email.like(f"%@{demo.DEMO_DOMAIN}"))))
    assert {user.email.split("@")[0] for user in people} == {
        "admin",
        "founder",
        "judge",
        "steward",
        "captain",
        "member",
        "researcher",
        "engineer",
        "designer",
        "cardiologist",
        "datascientist",
    }
    assert {user.locale for user in people} == {"en", "fr"}
    assert [user.email for user in people if user.is_admin] == [f"admin@{demo.DEMO_DOMAIN}"]
    assert all(user.email_verified_at is not None for user in people)
    assert all(verify_password(user.password_hash, demo.DEMO_PASSWORD) for user in people)


async def test_demo_password_passes_the_password_policy():
    for email, _, _ in demo.accounts_summary():
        assert password_problem(demo.DEMO_PASSWORD, email=email) is None


async def test_loading_the_demo_twice_adds_nothing(db, settings):
    audited_before = await count(db, AuditEntry, AuditEntry.action == "demo:load")
    first = await demo.load_demo(db, settings)
    members_before = await count(db, OrganizationMember)
    second = await demo.load_demo(db, settings)
    assert first.created > 0 and second.created == 0
    assert await count(db, User, User.email.like(f"%@{demo.DEMO_DOMAIN}")) == len(demo.PEOPLE)
    assert await count(db, OrganizationMember) == members_before
    assert await count(db, AuditEntry, AuditEntry.action == "demo:load") == audited_before + 1


async def test_demo_keeps_a_password_changed_since(db, settings):
    await demo.load_demo(db, settings)
    founder = await db.scalar(select(User).where(User.email == f"founder@{demo.DEMO_DOMAIN}"))
    founder.password_hash = "changed"
    await db.flush()
    await demo.load_demo(db, settings)
    await db.refresh(founder)
    assert founder.password_hash == "changed"


async def test_every_demo_account_signs_in_through_the_login_form(client, db, settings):
    await demo.load_demo(db, settings)
    for email, _role, _locale in demo.accounts_summary():
        client.cookies.clear()
        response = await client.submit("/login", {"email": email, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 303, f"{email} could not sign in"
        client.cookies.clear()


# --- the program and its challenges (issue #3) --------------------------------------------------------


async def demo_challenges(db):
    from app.challenges.demo import CHALLENGES
    from app.challenges.models import Challenge

    slugs = [item.slug for item in CHALLENGES]
    return {c.slug: c for c in await db.scalars(select(Challenge).where(Challenge.slug.in_(slugs)))}


async def test_demo_program_is_cofounded_by_the_hospital_and_the_health_agency(db, settings):
    from app.challenges.demo import PROGRAM
    from app.challenges.models import Program, ProgramOrganization

    result = await demo.load_demo(db, settings)
    assert result.programs == 1
    program = await db.scalar(select(Program).where(Program.slug == PROGRAM.slug))
    assert (program.title, program.kind) == ("Cardiovasculaire 2026–2027", "pathology")
    founders = set(
        await db.scalars(
            select(Organization.slug)
            .join(ProgramOrganization, ProgramOrganization.organization_id == Organization.id)
            .where(ProgramOrganization.program_id == program.id)
        )
    )
    assert founders == {"chu-de-bordeaux", "ars-nouvelle-aquitaine"}


async def test_demo_challenges_cover_every_phase_with_rounds_prizes_and_questions(db, settings):
    from app.challenges.lifecycle import Phase, phase
    from app.challenges.models import Prize, Round

    result = await demo.load_demo(db, settings)
    challenges = await demo_challenges(db)
    assert result.challenges == len(challenges) >= 7
    now = utcnow()
    phases = {}
    for challenge in challenges.values():
        rounds = list(
            await db.scalars(select(Round).where(Round.challenge_id == challenge.id).order_by(Round.position))
        )
        assert rounds, challenge.slug
        phases.setdefault(phase(challenge, rounds, now), []).append(challenge)
        if challenge.published_at is not None:
            assert await count(db, Prize, Prize.challenge_id == challenge.id) >= 1, challenge.slug
    assert set(phases) == set(Phase) - {Phase.ARCHIVED}
    assert [c.visibility for c in phases[Phase.DRAFT]] == ["public"]
    invitation_only = [c for c in challenges.values() if c.visibility == "invitation"]
    assert len(invitation_only) == 1 and invitation_only[0].invitation_token
    assert invitation_only[0].published_at is not None
    assert all(c.registration_questions for c in phases[Phase.REGISTRATION_OPEN])


async def test_demo_participants_are_registered_to_the_open_challenge(db, settings):
    from app.challenges.models import ChallengeInvitee, Registration

    await demo.load_demo(db, settings)
    challenges = await demo_challenges(db)
    open_one = challenges["insuffisance-cardiaque-a-domicile"]
    statuses = dict(
        (
            await db.execute(
                select(User.email, Registration.status)
                .join(Registration, Registration.user_id == User.id)
                .where(Registration.challenge_id == open_one.id)
            )
        ).all()
    )
    assert statuses[f"captain@{demo.DEMO_DOMAIN}"] == "approved"
    assert statuses[f"member@{demo.DEMO_DOMAIN}"] == "pending"
    invited = challenges["cardio-data-hackathon"]
    member = await db.scalar(select(User).where(User.email == f"member@{demo.DEMO_DOMAIN}"))
    assert await db.get(ChallengeInvitee, (invited.id, member.id)) is not None


async def test_demo_challenges_are_found_in_the_catalogue_in_both_languages(client, db, settings):
    from app.challenges.demo import PROGRAM

    await demo.load_demo(db, settings)
    base = f"/api/v1/challenges?program={PROGRAM.slug}&per_page=100"
    listed = {item["slug"] for item in (await client.get(base)).json()["items"]}
    assert "imagerie-cardiaque-ia" not in listed and "cardio-data-hackathon" not in listed
    assert len(listed) == 5
    french = {item["slug"] for item in (await client.get(f"{base}&q=cardiaque")).json()["items"]}
    english = {item["slug"] for item in (await client.get(f"{base}&q=heart")).json()["items"]}
    assert "insuffisance-cardiaque-a-domicile" in french and "remote-monitoring-heart-failure" not in french
    assert "remote-monitoring-heart-failure" in english and "readaptation-cardiaque-connectee" not in english


async def test_loading_the_demo_twice_adds_no_program_challenge_or_registration(db, settings):
    from app.challenges.models import Challenge, Prize, Registration, Round

    await demo.load_demo(db, settings)
    before = [await count(db, model) for model in (Challenge, Round, Prize, Registration)]
    again = await demo.load_demo(db, settings)
    assert (again.programs, again.challenges, again.registrations) == (0, 0, 0)
    assert [await count(db, model) for model in (Challenge, Round, Prize, Registration)] == before


def test_tremplin_demo_twice_loads_the_challenges_once(tmp_path, empty_database):  # noqa: F811
    """The operator's command, in a subprocess on a database of its own."""
    env = command_env(tmp_path, DATABASE_URL=empty_database)
    assert tremplin(env, "db", "upgrade").returncode == 0
    first = tremplin(env, "demo")
    assert first.returncode == 0, first.stderr
    assert (
        "1 programs, 7 challenges, 16 registrations, 9 teams, 9 submissions, 2 judged rounds, 2 datasets added"
        in first.stdout
    )
    assert "Cardiovasculaire 2026–2027" in first.stdout
    second = tremplin(env, "demo")
    assert second.returncode == 0, second.stderr
    assert "already there; nothing added" in second.stdout
    assert len(list((tmp_path / "files" / "submissions").iterdir())) == 3


# --- teams and submissions (issue #4) -------------------------------------------------------------------


async def demo_teams(db):
    from app.teams.demo import TEAMS
    from app.teams.models import Team

    return {t.name: t for t in await db.scalars(select(Team).where(Team.name.in_([i.name for i in TEAMS])))}


async def submission_of(db, team):
    from app.teams.models import Submission

    return await db.scalar(select(Submission).where(Submission.team_id == team.id))


async def test_demo_teams_have_submissions_in_several_states_with_every_version_kept(db, settings):
    from app.teams.models import JoinRequest, SubmissionVersion, TeamInvitation

    result = await demo.load_demo(db, settings)
    teams = await demo_teams(db)
    assert result.teams == len(teams) == 9
    states = {}
    for name, team in teams.items():
        submission = await submission_of(db, team)
        if submission is None:
            continue
        states.setdefault(submission.status, []).append(name)
        versions = list(
            await db.scalars(
                select(SubmissionVersion)
                .where(SubmissionVersion.submission_id == submission.id)
                .order_by(SubmissionVersion.number)
            )
        )
        assert [v.number for v in versions] == list(range(1, submission.version + 1)), name
        status_after = {"save": "draft", "upload": "draft", "submit": "submitted", "withdraw": "withdrawn"}
        assert status_after[versions[-1].action] == submission.status, name
    assert set(states) == {"draft", "submitted", "withdrawn"}
    draft = await submission_of(db, teams["HeartWatch"])
    assert draft.status == "draft" and draft.version == 3
    below = teams["CardioSense Domicile"]
    assert await count(db, JoinRequest, JoinRequest.team_id == below.id, JoinRequest.status == "pending") == 1
    invitation = await db.scalar(select(TeamInvitation).where(TeamInvitation.team_id == below.id))
    assert invitation.email == f"member@{demo.DEMO_DOMAIN}" and invitation.accepted_at is None
    assert teams["TensioPharma"].gallery_opt_in
    assert (await submission_of(db, teams["TensioPharma"])).status == "submitted"


async def test_demo_teams_keep_the_rules_of_membership_and_rounds(db, settings):
    from app.challenges.models import Challenge, Registration, Round
    from app.teams.models import JoinRequest, Submission, TeamMember
    from app.teams.teams import submit_blocker

    now = utcnow()
    await demo.load_demo(db, settings, now)
    for team in (await demo_teams(db)).values():
        challenge = await db.get(Challenge, team.challenge_id)
        members = list(await db.scalars(select(TeamMember).where(TeamMember.team_id == team.id)))
        assert team.member_count == len(members), team.name
        assert [m.user_id for m in members if m.role == "captain"] == [team.captain_id]
        requesters = list(await db.scalars(select(JoinRequest.user_id).where(JoinRequest.team_id == team.id)))
        for user_id in [m.user_id for m in members] + requesters:
            status = await db.scalar(
                select(Registration.status).where(
                    Registration.challenge_id == challenge.id, Registration.user_id == user_id
                )
            )
            assert status == "approved", team.name
        blocker = await submit_blocker(db, team, challenge)
        assert (blocker is not None) == (team.name == "CardioSense Domicile"), team.name
        submission = await db.scalar(select(Submission).where(Submission.team_id == team.id))
        if submission is not None:
            round_ = await db.get(Round, submission.round_id)
            assert round_.position == 1 and round_.opens_at < now
            assert round_.opens_at <= submission.updated_at < round_.deadline
    # Nobody is in two teams of a challenge (the unique constraint would have refused it): one check anyway.
    pairs = (await db.execute(select(TeamMember.challenge_id, TeamMember.user_id))).all()
    assert len(pairs) == len(set(pairs))


async def test_demo_pdfs_are_in_storage_with_the_recorded_sha256(db, settings):
    import hashlib

    from app.platform.storage import storage_for
    from app.teams.models import StoredFile, SubmissionVersion

    await demo.load_demo(db, settings)
    submission = await submission_of(db, (await demo_teams(db))["CardioSense Réadaptation"])
    assert submission.status == "submitted"
    latest = await db.scalar(
        select(SubmissionVersion).where(
            SubmissionVersion.submission_id == submission.id, SubmissionVersion.number == submission.version
        )
    )
    assert latest.answers["resume"]
    stored = await db.get(StoredFile, uuid.UUID(latest.files["dossier"]))
    content = b"".join([chunk async for chunk in storage_for(settings).read(stored.storage_key)])
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    assert (len(content), hashlib.sha256(content).hexdigest()) == (stored.size, stored.sha256)
    assert stored.content_type == "application/pdf" and stored.team_id == submission.team_id


async def test_loading_the_demo_twice_adds_no_team_submission_or_file(db, settings):
    from app.teams.models import (
        JoinRequest,
        StoredFile,
        Submission,
        SubmissionVersion,
        Team,
        TeamInvitation,
        TeamMember,
    )

    models = (Team, TeamMember, TeamInvitation, JoinRequest, Submission, SubmissionVersion, StoredFile)
    first = await demo.load_demo(db, settings)
    assert (first.teams, first.submissions) == (9, 9)
    before = [await count(db, model) for model in models]
    again = await demo.load_demo(db, settings)
    assert (again.teams, again.submissions, again.registrations) == (0, 0, 0)
    assert [await count(db, model) for model in models] == before


# --- judging (issue #5) -----------------------------------------------------------------------------------


async def test_demo_has_a_round_being_judged_and_a_challenge_with_published_results(db, settings):
    from app.challenges.models import Challenge, Round
    from app.judging.models import Assignment, PrizeAward, Review
    from app.judging.ranking import compute_ranking
    from app.teams.models import Submission, Team

    result = await demo.load_demo(db, settings)
    assert result.judged_rounds == 2
    assert (await demo.load_demo(db, settings)).judged_rounds == 0

    async def first_round(slug):
        return await db.scalar(
            select(Round).join(Challenge).where(Challenge.slug == slug, Round.position == 1)
        )

    judged = await first_round("arrhythmia-detection-wearables")
    ranking = await compute_ranking(db, judged.id)
    assert [(e.team_name, e.judges) for e in ranking.entries] == [("RhythmAI", 2), ("PulseCheck", 1)]
    # The demo judge belongs to MedTech Group, RhythmAI's startup: never assigned to it.
    judge = await db.scalar(select(User).where(User.email == f"judge@{demo.DEMO_DOMAIN}"))
    assigned = set(
        await db.scalars(
            select(Team.name)
            .join(Submission, Submission.team_id == Team.id)
            .join(Assignment, Assignment.submission_id == Submission.id)
            .where(Assignment.user_id == judge.id)
        )
    )
    assert assigned == {"PulseCheck"}
    drafts = await db.scalar(
        select(func.count())
        .select_from(Review)
        .where(Review.round_id == judged.id, Review.finalized_at.is_(None))
    )
    assert drafts == 1

    finished = await first_round("prevention-hypertension")
    ranking = await compute_ranking(db, finished.id)
    assert [e.team_name for e in ranking.entries] == ["TensioPharma", "Officine+"]
    awarded = list(await db.scalars(select(Team.name).join(PrizeAward, PrizeAward.team_id == Team.id)))
    assert awarded == ["TensioPharma"]


# --- data sharing (issue #6) ------------------------------------------------------------------------------


async def test_demo_has_datasets_with_pending_active_expired_and_revoked_grants(db, settings):
    from app.data_sharing.access import decide
    from app.data_sharing.models import AccessLogEntry, AccessRequest, Dataset, Grant

    result = await demo.load_demo(db, settings)
    assert result.datasets == 2
    assert (await demo.load_demo(db, settings)).datasets == 0
    now = utcnow()
    grants = list(
        await db.scalars(
            select(Grant)
            .join(Dataset, Dataset.id == Grant.dataset_id)
            .where(Dataset.slug.in_(["echographies-cardiaques", "registre-insuffisance-cardiaque"]))
        )
    )
    states = sorted(
        "revoked" if g.revoked_at else "expired" if g.expires_at <= now else "active" for g in grants
    )
    assert states == ["active", "expired", "revoked"]
    pending = await db.scalar(
        select(func.count()).select_from(AccessRequest).where(AccessRequest.state == "submitted")
    )
    assert pending >= 1
    # The active grant's members may really download, by the platform's own rule.
    engineer = await db.scalar(select(User).where(User.email == f"engineer@{demo.DEMO_DOMAIN}"))
    echo = await db.scalar(select(Dataset).where(Dataset.slug == "echographies-cardiaques"))
    assert (await decide(db, engineer.id, echo.id, now)).allowed
    outcomes = set(
        await db.scalars(select(AccessLogEntry.outcome).where(AccessLogEntry.dataset_id == echo.id))
    )
    assert outcomes == {"allowed", "refused"}
