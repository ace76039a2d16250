"""Fills an empty database with a large, realistic platform for the load benchmark (issue #7).

    python bench/seed.py [--scale 1] [--database NAME] [--recreate]

At scale 1: 30,000 users, 1,500 organizations, 100 programs, 1,000 challenges, 6,000 teams, 12,000
submissions (each with a version holding its answers), one round of 2,000 entries x 5 judges x 8
criteria (10,000 assignments and reviews, 80,000 scores), 200 datasets offered to challenges, 5,000
grants (with their requests, history and named members), 200,000 access-log rows and 300,000 audit
rows. `--scale 0.1` makes a tenth of everything (the big round too; always 5 judges and 8 criteria).

The database (tremplin_bench, or tremplin_bench_0_1 for --scale 0.1; --database overrides) is created
on DATABASE_URL's server, or on an embedded server under DATA_DIR/bench when DATABASE_URL is unset,
migrated, then filled with COPY from rows generated here with a fixed seed: the same scale gives the
same platform. It refuses a database that already holds users unless --recreate. It also creates
`bench_fortunes` (the floor page's 12 rows) and `bench_meta` (scale and the known objects' ids).

Known accounts, password `tremplin-bench-2026`: admin@, founder@ (organizes the big challenge),
judge@ (judges its big round), captain@ (captain of an entry of the big round, and of a team with a
draft in a challenge whose round is open), steward@ (stewards datasets offered to the big challenge)
— all @bench.tremplin.local.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import hashlib
import ipaddress
import json
import random
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg
from common import ACCOUNTS, PASSWORD, database_name, email, plain, servers, with_database

FULL = {
    "users": 30_000,
    "organizations": 1_500,
    "programs": 100,
    "challenges": 1_000,
    "teams": 6_000,
    "submissions": 12_000,
    "entries": 2_000,
    "datasets": 200,
    "grants": 5_000,
    "access_log": 200_000,
    "audit_log": 300_000,
}
JUDGES, CRITERIA = 5, 8
DAY = dt.timedelta(days=1)
FORTUNES = (
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. — Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    "フレームワークのベンチマーク",
)
ORGANIZER_KINDS = ("hospital", "company", "public_body", "association")
TEAM_KINDS = ("startup", "startup", "startup", "academic_lab")
COUNTRIES = ("FR", "FR", "FR", "BE", "CH", "DE", "ES", "IT", "NL", "CA")
PROGRAM_KINDS = ("technology", "pathology", "patient_population", "public_health")
TOPICS = (
    "cardiac", "diabetes", "oncology", "mental health", "rare diseases", "telemonitoring", "imaging", "elderly care",
    "paediatrics", "nutrition", "sleep", "rehabilitation", "maternity", "asthma", "kidney", "stroke",
)
WORDS = (
    "care", "patients", "data", "hospital", "remote", "prevention", "screening", "outcomes", "nurses", "home",
    "pathway", "triage", "adherence", "wearables", "records", "primary", "clinical", "trial", "equity", "access",
)
AUDIT_ACTIONS = (
    ("user.signed_in", "user"), ("challenge.updated", "challenge"), ("registration.approved", "registration"),
    ("team.member_added", "team"), ("submission.submitted", "submission"), ("review.finalized", "review"),
    ("grant.approved", "grant"), ("grant.revoked", "grant"), ("dataset.file_added", "dataset"),
    ("judging.assigned", "round"), ("organization.member_added", "organization"), ("challenge.published", "challenge"),
)


def scaled(scale: float) -> dict[str, int]:
    """Volumes at this scale, with the floors the relations need (two challenges, a team each, ...)."""
    minimum = {"users": 40, "organizations": 4, "programs": 1, "challenges": 3, "teams": 8, "submissions": 6,
               "entries": 2, "datasets": 1, "grants": 2, "access_log": 10, "audit_log": 10}  # fmt: skip
    return {key: max(minimum[key], round(value * scale)) for key, value in FULL.items()}


@dataclasses.dataclass
class Known:
    """Ids the load run needs, stored in bench_meta."""

    big_challenge: str = ""
    big_round: str = ""
    captain_team: str = ""
    draft_team: str = ""
    draft_round: str = ""
    judge_entry: str = ""
    judge_criterion: str = ""
    draft_answers: dict[str, Any] = dataclasses.field(default_factory=dict)


class Platform:
    """Every row to COPY, per table, generated from one seeded random generator."""

    def __init__(self, scale: float, now: dt.datetime, password_hash: str) -> None:
        self.n = scaled(scale)
        self.scale = scale
        self.now = now
        self.rng = random.Random(20261122)
        self.password_hash = password_hash
        self.rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        self.known = Known()

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def words(self, count: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(count))

    def ago(self, low_days: float, high_days: float) -> dt.datetime:
        return self.now - self.rng.uniform(low_days, high_days) * DAY

    def build(self) -> None:
        self.people()
        self.programs()
        self.challenges()
        self.teams()
        self.submissions()
        self.big_round_judging()
        self.datasets()
        self.access()
        self.logs()

    # --- people and organizations -----------------------------------------------------------------

    def people(self) -> None:
        n = self.n
        self.users = [self.uid() for _ in range(n["users"])]
        self.role = {role: self.users[i] for i, role in enumerate(ACCOUNTS)}
        self.email_of: dict[uuid.UUID, str] = {}
        self.judges = [self.role["judge"], *self.users[len(ACCOUNTS) : len(ACCOUNTS) + JUDGES - 1]]
        first_free = len(ACCOUNTS) + JUDGES - 1
        for i, user in enumerate(self.users):
            role = ACCOUNTS[i] if i < len(ACCOUNTS) else None
            address = email(role) if role else f"person{i:05d}@{'example.org' if i % 3 else 'example.fr'}"
            name = f"Bench {role}" if role else f"Person {i:05d}"
            self.email_of[user] = address
            self.rows["users"].append(
                (user, address, name, self.password_hash, "fr" if i % 4 == 0 else "en", self.ago(400, 700),
                 role == "admin", self.ago(400, 700))
            )  # fmt: skip
        # The first quarter of organizations organize challenges and steward datasets; the rest form teams.
        self.organizer_orgs = max(2, n["organizations"] // 5)
        self.orgs = [self.uid() for _ in range(n["organizations"])]
        for i, org in enumerate(self.orgs):
            organizer = i < self.organizer_orgs
            kind = (ORGANIZER_KINDS if organizer else TEAM_KINDS)[i % 4]
            self.rows["organizations"].append(
                (org, f"{'Institute' if organizer else 'Venture'} {i:04d}", f"org-{i:04d}", kind, COUNTRIES[i % len(COUNTRIES)],
                 self.ago(300, 600) if i % 3 else None, self.users[i % len(self.users)])
            )  # fmt: skip
        self.org_of: dict[uuid.UUID, uuid.UUID] = {}
        self.members_of: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        team_orgs = n["organizations"] - self.organizer_orgs
        fixed = {"admin": None, "steward": 0, "founder": 1, "judge": 2 % self.organizer_orgs,
                 "captain": self.organizer_orgs}  # fmt: skip
        self.people_pool: list[uuid.UUID] = []  # who forms teams: members of startups and labs
        for i, user in enumerate(self.users):
            role = ACCOUNTS[i] if i < len(ACCOUNTS) else None
            if role is not None:
                index = fixed[role]
            elif i < first_free:
                index = 3 % self.organizer_orgs  # the other judges of the big round
            elif i % 5 == 0:
                index = i % self.organizer_orgs
            else:
                index = self.organizer_orgs + i % team_orgs
                self.people_pool.append(user)
            if index is None:
                continue
            org = self.orgs[index]
            self.org_of[user] = org
            self.members_of[org].append(user)
            owner = len(self.members_of[org]) == 1 or role in ("founder", "steward")
            self.rows["organization_members"].append((org, user, "owner" if owner else "member"))

    def programs(self) -> None:
        self.program_ids = [self.uid() for _ in range(self.n["programs"])]
        for i, program in enumerate(self.program_ids):
            starts = (self.now - (700 - i * 7) * DAY).date()
            self.rows["programs"].append(
                (program, f"program-{i:03d}", f"Programme {TOPICS[i % len(TOPICS)]} {i:03d}", PROGRAM_KINDS[i % 4],
                 starts, starts + dt.timedelta(days=540), self.words(40), self.users[i % len(self.users)])
            )  # fmt: skip
            self.rows["program_organizations"].append((program, self.orgs[i % self.organizer_orgs]))

    # --- challenges and rounds ---------------------------------------------------------------------

    def challenges(self) -> None:
        n = self.n
        self.challenge_ids = [self.uid() for _ in range(n["challenges"])]
        self.rounds_of: dict[uuid.UUID, list[tuple[uuid.UUID, dt.datetime, dt.datetime]]] = {}
        self.fields_of: dict[uuid.UUID, list[str]] = {}
        self.founders_of: dict[uuid.UUID, list[uuid.UUID]] = {}
        span = 660 / max(1, n["challenges"] - 2)
        self.open_challenges: list[int] = []  # registration has opened: the ones teams can be in
        for i, challenge in enumerate(self.challenge_ids):
            if i == 0:  # the big challenge: its single round is being judged
                start, round_count = self.now - 90 * DAY, 1
            elif i == 1:  # the captain's draft: round 1 is open
                start, round_count = self.now - 40 * DAY, 2
            else:  # from 600 days ago to 60 days ahead: every phase, most of them over
                start, round_count = self.now - (600 - (i - 2) * span) * DAY, 3
            closes = start + 30 * DAY
            if i and start <= self.now:
                self.open_challenges.append(i)
            deadlines = [closes + (k + 1) * 30 * DAY for k in range(round_count)]
            if i == 0:
                deadlines = [self.now - 5 * DAY]
            judging_ends = deadlines[-1] + 20 * DAY if i else self.now + 25 * DAY
            results_at = judging_ends + 10 * DAY
            published = results_at < self.now
            topic = TOPICS[i % len(TOPICS)]
            title = f"Bench challenge {i:04d}: {topic} {self.words(3)}"
            organizers = [self.orgs[1]] if i == 0 else sorted({self.orgs[i % self.organizer_orgs], self.orgs[(i * 7) % self.organizer_orgs]})
            self.founders_of[challenge] = [u for org in organizers for u in self.members_of[org]]
            self.rows["challenges"].append(
                (challenge, f"challenge-{i:04d}" if i else "big-challenge", self.program_ids[i % len(self.program_ids)],
                 title, f"Ideas for {topic}: {self.words(12)}", self.words(150), self.words(80), 1,
                 5, "invitation" if i % 25 == 24 else "public", start, closes, judging_ends, results_at,
                 ("manual", "everyone", "verified")[i % 3], None if i % 40 == 39 and start > self.now else start - 10 * DAY,
                 results_at if published else None,
                 results_at + 200 * DAY if published and results_at + 200 * DAY < self.now else None,
                 self.founders_of[challenge][0] if self.founders_of[challenge] else None, start - 20 * DAY)
            )  # fmt: skip
            for org in organizers:
                self.rows["challenge_organizers"].append((challenge, org))
            rounds = []
            for k, deadline in enumerate(deadlines):
                round_id = self.uid()
                opens = closes if k == 0 else deadlines[k - 1]
                if i == 0:
                    opens = self.now - 60 * DAY
                rounds.append((round_id, opens, deadline))
                self.rows["rounds"].append((round_id, challenge, k + 1, f"Round {k + 1}", self.words(30), opens, deadline))
                keys = []
                for position, (key, label, kind) in enumerate(
                    (("summary", "Summary", "long_text"), ("website", "Demo address", "url"), ("stage", "Stage", "single_choice"))
                ):
                    keys.append(key)
                    self.rows["round_fields"].append(
                        (self.uid(), round_id, key, position, label, kind, key == "summary", "",
                         ["idea", "prototype", "pilot"] if kind == "single_choice" else [])
                    )  # fmt: skip
                self.fields_of[round_id] = keys
            self.rounds_of[challenge] = rounds
        self.known.big_challenge = str(self.challenge_ids[0])
        self.known.big_round = str(self.rounds_of[self.challenge_ids[0]][0][0])

    # --- teams and submissions ---------------------------------------------------------------------

    def teams(self) -> None:
        n = self.n
        entries = n["entries"]
        others = n["teams"] - entries
        per_challenge = [entries] + [0] * (n["challenges"] - 1)
        for t in range(others):  # challenge 1 first, then every challenge whose registration has opened
            per_challenge[self.open_challenges[t % len(self.open_challenges)]] += 1
        self.teams_of: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        self.members_of_team: dict[uuid.UUID, list[uuid.UUID]] = {}
        self.team_challenge: dict[uuid.UUID, uuid.UUID] = {}
        cursor = 0
        pool = self.people_pool
        for c, count in enumerate(per_challenge):
            challenge = self.challenge_ids[c]
            taken: set[uuid.UUID] = set()
            for t in range(count):
                team = self.uid()
                size = 1 + (t * 7 + c) % 5
                members = []
                if t == 0 and c in (0, 1):
                    members.append(self.role["captain"])
                while len(members) < size and len(taken) + len(members) < len(pool):
                    person = pool[cursor % len(pool)]
                    cursor += 1
                    if person not in taken and person not in members:
                        members.append(person)
                taken.update(members)
                captain = members[0]
                self.teams_of[challenge].append(team)
                self.members_of_team[team] = members
                self.team_challenge[team] = challenge
                self.rows["teams"].append(
                    (team, challenge, f"Team {c:04d}-{t:04d}", captain, self.org_of.get(captain), len(members), t % 4 == 0,
                     self.rounds_of[challenge][0][1] - self.rng.uniform(1, 20) * DAY)
                )  # fmt: skip
                for position, person in enumerate(members):
                    self.rows["team_members"].append((team, person, challenge, "captain" if position == 0 else "member"))
                    self.rows["registrations"].append(
                        (self.uid(), challenge, person, self.org_of.get(person), "approved", 1,
                         self.rounds_of[challenge][0][1] - 25 * DAY, json.dumps({}),
                         (self.founders_of[challenge] or [None])[0], self.rounds_of[challenge][0][1] - 24 * DAY)
                    )  # fmt: skip
        self.known.captain_team = str(self.teams_of[self.challenge_ids[0]][0])
        self.known.draft_team = str(self.teams_of[self.challenge_ids[1]][0])
        self.known.draft_round = str(self.rounds_of[self.challenge_ids[1]][0][0])

    def answers(self, round_id: uuid.UUID) -> dict[str, Any]:
        return {"summary": self.words(60), "website": f"https://demo.example.org/{self.rng.randrange(10**6)}",
                "stage": self.rng.choice(["idea", "prototype", "pilot"])}  # fmt: skip

    def add_submission(self, team: uuid.UUID, round_id: uuid.UUID, opens: dt.datetime, deadline: dt.datetime) -> uuid.UUID:
        submission = self.uid()
        draft = deadline > self.now
        at = opens + (min(deadline, self.now) - opens) * self.rng.uniform(0.3, 0.99)
        author = self.members_of_team[team][0]
        answers = self.answers(round_id)
        if str(team) == self.known.draft_team and str(round_id) == self.known.draft_round:
            self.known.draft_answers = answers
        self.rows["submissions"].append(
            (submission, team, round_id, "draft" if draft else "submitted", 1, None if draft else at, at, author, at)
        )  # fmt: skip
        self.rows["submission_versions"].append(
            (self.uid(), submission, 1, json.dumps(answers), author, "save" if draft else "submit", at)
        )
        return submission

    def submissions(self) -> None:
        n = self.n
        big = self.challenge_ids[0]
        big_round, opens, deadline = self.rounds_of[big][0]
        self.entries = [self.add_submission(team, big_round, opens, deadline) for team in self.teams_of[big]]
        left = n["submissions"] - len(self.entries)
        for challenge in self.challenge_ids[1:]:
            for team in self.teams_of[challenge]:
                for round_id, round_opens, round_deadline in self.rounds_of[challenge]:
                    if left <= 0 or round_opens >= self.now:
                        continue
                    self.add_submission(team, round_id, round_opens, round_deadline)
                    left -= 1

    # --- the big round's judging -------------------------------------------------------------------

    def big_round_judging(self) -> None:
        challenge = self.challenge_ids[0]
        round_id = self.rounds_of[challenge][0][0]
        founder = self.role["founder"]
        self.rows["judging_rounds"].append((round_id, challenge, "all", 3, 1, None, False, "auto"))
        criteria = [self.uid() for _ in range(CRITERIA)]
        for i, criterion in enumerate(criteria):
            descriptors = json.dumps([{"value": level, "text": f"Level {level}: {self.words(4)}"} for level in range(11)])
            self.rows["criteria"].append(
                (criterion, round_id, i, f"Criterion {i + 1}: {self.words(2)}", self.words(20), 1 + i % 3, 0, 10, 1, descriptors)
            )  # fmt: skip
        for judge in self.judges:
            self.rows["judges"].append((self.uid(), round_id, challenge, self.email_of[judge], judge, founder, self.ago(70, 80)))
        teams = self.teams_of[challenge]
        for i in range(min(50, len(teams) // 4)):  # a few declared conflicts, never judge@'s
            self.rows["conflicts"].append((self.uid(), challenge, self.judges[1 + i % (JUDGES - 1)], teams[(i * 37 + 3) % len(teams)], "Former colleague"))
        bias = [self.rng.uniform(-2, 2) for _ in self.judges]
        judge_drafts = []
        for position, entry in enumerate(self.entries):
            quality = self.rng.uniform(2, 9)
            self.rows["screenings"].append((entry, round_id, "eligible", founder))
            for j, judge in enumerate(self.judges):
                self.rows["assignments"].append((entry, judge, round_id, False))
                review = self.uid()
                # judge@ has finalized about 90% of the queue; the others all of theirs
                finalized = not (j == 0 and position % 10 == 3)
                at = self.ago(0.5, 5)
                if not finalized:
                    judge_drafts.append(entry)
                self.rows["reviews"].append((review, entry, judge, round_id, self.words(12), at if finalized else None, at))
                for criterion in criteria:
                    value = max(0, min(10, round(quality + bias[j] + self.rng.gauss(0, 1.2))))
                    self.rows["scores"].append((review, criterion, value, self.words(6) if self.rng.random() < 0.3 else "", at))
        self.known.judge_entry = str(judge_drafts[0] if judge_drafts else self.entries[0])
        self.known.judge_criterion = str(criteria[0])

    # --- data sharing ------------------------------------------------------------------------------

    def datasets(self) -> None:
        n = self.n
        self.dataset_ids = [self.uid() for _ in range(n["datasets"])]
        self.files_of: dict[uuid.UUID, list[uuid.UUID]] = {}
        self.offerings: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = []  # (offering, dataset, challenge)
        steward = self.role["steward"]
        mine = min(5, len(self.dataset_ids))
        five_safes = json.dumps({safe: self.words(10) for safe in ("projects", "people", "settings", "data", "outputs")})
        for d, dataset in enumerate(self.dataset_ids):
            org = self.orgs[0] if d < mine else self.orgs[d % self.organizer_orgs]
            stewards = [steward] if d < mine else (self.members_of[org][:1] or [steward])
            self.rows["datasets"].append(
                (dataset, f"dataset-{d:03d}", f"Dataset {d:03d}: {TOPICS[d % len(TOPICS)]} {self.words(2)}", self.words(60),
                 org, ("open", "restricted", "sensitive")[d % 3], "workspace" if d % 10 == 9 else "files", 180, stewards[0])
            )  # fmt: skip
            for person in stewards:
                self.rows["dataset_stewards"].append((dataset, person))
            self.rows["agreement_versions"].append((self.uid(), dataset, 1, self.words(120), stewards[0]))
            files = []
            for k in range(2):
                file_id = self.uid()
                files.append(file_id)
                key = f"datasets/bench/{file_id.hex}"
                self.rows["dataset_files"].append(
                    (file_id, dataset, key, f"extract-{k + 1}.csv", "text/csv", 1000 + k, hashlib.sha256(key.encode()).hexdigest(), stewards[0])
                )  # fmt: skip
            self.files_of[dataset] = files
            targets = {0} if d < mine else set()
            for j in range(10):
                targets.add((d * 7 + j * 97 + 2) % n["challenges"])
            for c in sorted(targets):
                challenge = self.challenge_ids[c]
                offering = self.uid()
                founder = (self.founders_of[challenge] or [steward])[0]
                at = self.ago(100, 120)
                self.rows["offerings"].append((offering, dataset, challenge, at + DAY, founder, at + 2 * DAY, stewards[0], five_safes, at))
                self.offerings.append((offering, dataset, challenge))
        self.stewards_of = {row[0]: row[1] for row in self.rows["dataset_stewards"]}

    def access(self) -> None:
        n = self.n
        pairs = []
        for offering, dataset, challenge in self.offerings:
            for team in self.teams_of[challenge][:60]:
                pairs.append((offering, dataset, challenge, team))
        self.rng.shuffle(pairs)
        wanted = min(len(pairs), round(n["grants"] * 1.2))
        accepted: set[tuple[uuid.UUID, uuid.UUID]] = set()
        self.grants: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, list[uuid.UUID], dt.datetime, dt.datetime]] = []
        for index, (offering, dataset, challenge, team) in enumerate(pairs[:wanted]):
            request = self.uid()
            members = self.members_of_team[team][:2]
            created = self.ago(40, 90)
            steward = self.stewards_of[dataset]
            self.rows["access_requests"].append(
                (request, offering, dataset, challenge, team, self.words(25), "draft", members[0], created, created)
            )
            for person in members:
                self.rows["access_request_members"].append((request, person))
                if (dataset, person) not in accepted:
                    accepted.add((dataset, person))
                    self.rows["agreement_acceptances"].append((dataset, person, 1, created + DAY))
            granted = index < n["grants"]
            steps = [("created", None, "draft", members[0], 0), ("submitted", "draft", "submitted", members[0], 1)]
            if granted:
                steps.append(("approved", "submitted", "approved", steward, 3))
            elif index % 2:
                steps.append(("rejected", "submitted", "rejected", steward, 3))
            for seq, (kind, before, after, actor, days) in enumerate(steps, start=1):
                self.rows["access_request_events"].append((request, seq, kind, before, after, actor, "", created + days * DAY))
            if not granted:
                continue
            grant = self.uid()
            starts = created + 3 * DAY
            fate = index % 10
            expires = starts + (30 if fate in (7, 8) else 150) * DAY
            revoked = starts + 10 * DAY if fate == 9 else None
            self.rows["grants"].append(
                (grant, request, team, dataset, challenge, starts, expires, steward, revoked, steward if revoked else None,
                 "Data copied outside the workspace." if revoked else None, expires if expires < self.now else None, starts)
            )  # fmt: skip
            for person in members:
                self.rows["grant_members"].append((grant, person, starts))
            self.grants.append((grant, dataset, team, members, starts, min(expires, revoked or expires, self.now)))

    def logs(self) -> None:
        n = self.n
        reasons = ("no_grant", "expired", "agreement_not_accepted", "not_named", "revoked")
        for i in range(n["access_log"]):
            grant, dataset, team, members, starts, ends = self.grants[i % len(self.grants)]
            at = starts + (ends - starts) * self.rng.random()
            refused = i % 10 == 0
            self.rows["access_log"].append(
                (at, members[i % len(members)], dataset, self.files_of[dataset][i % 2], None if refused else grant,
                 None if refused else team, "link" if i % 3 == 0 else "download", "refused" if refused else "allowed",
                 reasons[i % len(reasons)] if refused else "", ipaddress.ip_address(f"192.0.2.{i % 250 + 1}"))
            )  # fmt: skip
        for i in range(n["audit_log"]):
            action, object_type = AUDIT_ACTIONS[i % len(AUDIT_ACTIONS)]
            self.rows["audit_log"].append(
                (self.ago(0, 600), self.users[self.rng.randrange(len(self.users))], action, object_type, str(self.uid()),
                 json.dumps({"bench": True} if i % 5 else {"reason": self.words(5)}), f"198.51.100.{i % 250 + 1}")
            )  # fmt: skip


COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("id", "email", "name", "password_hash", "locale", "email_verified_at", "is_admin", "created_at"),
    "organizations": ("id", "name", "slug", "kind", "country", "verified_at", "created_by_id"),
    "organization_members": ("organization_id", "user_id", "role"),
    "programs": ("id", "slug", "title", "kind", "starts_on", "ends_on", "description", "created_by_id"),
    "program_organizations": ("program_id", "organization_id"),
    "challenges": (
        "id", "slug", "program_id", "title", "summary", "description", "rules", "team_min", "team_max", "visibility",
        "registration_opens_at", "registration_closes_at", "judging_ends_at", "results_at", "approval_mode",
        "published_at", "results_published_at", "archived_at", "created_by_id", "created_at",
    ),
    "challenge_organizers": ("challenge_id", "organization_id"),
    "rounds": ("id", "challenge_id", "position", "name", "description", "opens_at", "deadline"),
    "round_fields": ("id", "round_id", "key", "position", "label", "kind", "required", "help_text", "choices"),
    "teams": ("id", "challenge_id", "name", "captain_id", "organization_id", "member_count", "gallery_opt_in", "created_at"),
    "team_members": ("team_id", "user_id", "challenge_id", "role"),
    "registrations": (
        "id", "challenge_id", "user_id", "organization_id", "status", "rules_version", "rules_accepted_at", "answers",
        "decided_by_id", "decided_at",
    ),
    "submissions": ("id", "team_id", "round_id", "status", "version", "submitted_at", "updated_at", "updated_by_id", "created_at"),
    "submission_versions": ("id", "submission_id", "number", "answers", "created_by_id", "action", "created_at"),
    "judging_rounds": ("round_id", "challenge_id", "policy", "judges_per_entry", "seed", "closes_at", "public_vote", "ranking_method"),
    "criteria": ("id", "round_id", "position", "name", "description", "weight", "scale_min", "scale_max", "scale_step", "descriptors"),
    "judges": ("id", "round_id", "challenge_id", "email", "user_id", "invited_by_id", "accepted_at"),
    "conflicts": ("id", "challenge_id", "user_id", "team_id", "reason"),
    "screenings": ("submission_id", "round_id", "decision", "decided_by_id"),
    "assignments": ("submission_id", "user_id", "round_id", "manual"),
    "reviews": ("id", "submission_id", "user_id", "round_id", "comment", "finalized_at", "updated_at"),
    "scores": ("review_id", "criterion_id", "value", "comment", "updated_at"),
    "datasets": (
        "id", "slug", "title", "description", "steward_organization_id", "sensitivity", "access_mode", "max_grant_days",
        "created_by_id",
    ),
    "dataset_stewards": ("dataset_id", "user_id"),
    "agreement_versions": ("id", "dataset_id", "version", "text", "created_by_id"),
    "dataset_files": ("id", "dataset_id", "storage_key", "name", "content_type", "size", "sha256", "uploaded_by_id"),
    "offerings": (
        "id", "dataset_id", "challenge_id", "founder_agreed_at", "founder_agreed_by_id", "steward_agreed_at",
        "steward_agreed_by_id", "five_safes", "created_at",
    ),
    "access_requests": (
        "id", "offering_id", "dataset_id", "challenge_id", "team_id", "purpose", "state", "created_by_id", "created_at",
        "updated_at",
    ),
    "access_request_members": ("request_id", "user_id"),
    "agreement_acceptances": ("dataset_id", "user_id", "version", "accepted_at"),
    "access_request_events": ("request_id", "seq", "kind", "from_state", "to_state", "actor_id", "comment", "created_at"),
    "grants": (
        "id", "request_id", "team_id", "dataset_id", "challenge_id", "starts_at", "expires_at", "created_by_id",
        "revoked_at", "revoked_by_id", "revoke_reason", "expired_at", "created_at",
    ),
    "grant_members": ("grant_id", "user_id", "added_at"),
    "access_log": ("at", "user_id", "dataset_id", "file_id", "grant_id", "team_id", "action", "outcome", "reason", "ip"),
    "audit_log": ("at", "actor_id", "action", "object_type", "object_id", "details", "ip"),
}  # fmt: skip

FLOOR_TABLES = """
CREATE TABLE bench_fortunes (id integer PRIMARY KEY, message text NOT NULL);
CREATE TABLE bench_meta (scale double precision NOT NULL, seeded_at timestamptz NOT NULL, known jsonb NOT NULL,
                         counts jsonb NOT NULL);
"""


async def create_database(admin_url: str, name: str, recreate: bool) -> None:
    conn = await asyncpg.connect(plain(admin_url))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists and recreate:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def is_seeded(url: str) -> bool:
    conn = await asyncpg.connect(plain(url))
    try:
        return bool(await conn.fetchval("SELECT to_regclass('bench_meta') IS NOT NULL"))
    finally:
        await conn.close()


async def copy_all(url: str, platform: Platform) -> dict[str, int]:
    conn = await asyncpg.connect(plain(url))
    counts: dict[str, int] = {}
    try:
        if await conn.fetchval("SELECT to_regclass('users') IS NOT NULL AND EXISTS (SELECT 1 FROM users)"):
            raise SystemExit("This database already holds users: seed an empty one (or pass --recreate).")
        async with conn.transaction():
            for table, columns in COLUMNS.items():
                records = platform.rows.get(table, [])
                await conn.copy_records_to_table(table, records=records, columns=columns)
                counts[table] = len(records)
            await conn.execute(FLOOR_TABLES)
            await conn.executemany("INSERT INTO bench_fortunes (id, message) VALUES ($1, $2)", list(enumerate(FORTUNES, start=1)))
            await conn.execute(
                "INSERT INTO bench_meta (scale, seeded_at, known, counts) VALUES ($1, $2, $3, $4)",
                platform.scale, platform.now, json.dumps(dataclasses.asdict(platform.known)), json.dumps(counts),
            )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return counts


def seed(admin_url: str, scale: float, name: str | None = None, recreate: bool = False, quiet: bool = False) -> dict[str, int]:
    """Create, migrate and fill the database; give back the rows written per table."""
    from argon2 import PasswordHasher

    from app.platform.migrations import upgrade

    name = name or database_name(scale)
    url = with_database(admin_url, name)
    asyncio.run(create_database(admin_url, name, recreate))
    upgrade(url)
    started = time.perf_counter()
    platform = Platform(scale, dt.datetime.now(dt.UTC), PasswordHasher().hash(PASSWORD))
    platform.build()
    built = time.perf_counter()
    counts = asyncio.run(copy_all(url, platform))
    if not quiet:
        print(f"{name}: generated in {built - started:.1f} s, copied and analyzed in {time.perf_counter() - built:.1f} s")
        print("  " + ", ".join(f"{table} {count:,}" for table, count in counts.items()))
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full volumes (default 1)")
    parser.add_argument("--database", help="database name (default: tremplin_bench, or tremplin_bench_<scale>)")
    parser.add_argument("--recreate", action="store_true", help="drop the database first if it exists")
    parser.add_argument("--if-missing", action="store_true", help="only migrate when the database is already seeded")
    options = parser.parse_args()
    if not 0 < options.scale <= 1:
        parser.error("--scale must be above 0 and at most 1")
    with servers() as (admin_url, _redis_url):
        name = options.database or database_name(options.scale)
        if options.if_missing and not options.recreate:
            asyncio.run(create_database(admin_url, name, False))
            if asyncio.run(is_seeded(with_database(admin_url, name))):
                from app.platform.migrations import upgrade

                # Seeded by an earlier release: the migrations since then apply to the seeded rows.
                upgrade(with_database(admin_url, name))
                print(f"{name}: already seeded (migrated to the latest revision)")
                return 0
        seed(admin_url, options.scale, name, options.recreate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
