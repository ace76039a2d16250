"""The fault tests' client and its ledger, the cast it acts as, and PostgreSQL helpers shared by the tests."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import secrets
import time
import uuid
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, Self

import asyncpg
import httpx

from app.platform.security import csrf_token
from tests.faults.harness import SECRET, Cluster


@dataclasses.dataclass
class Person:
    user_id: uuid.UUID
    name: str
    email: str
    api_token: str
    session_token: str


@dataclasses.dataclass
class Cast:
    writers: list[Person]
    owner: Person
    organization_slug: str
    steward: Person
    dataset_slug: str


async def make_person(session: Any, label: str) -> Person:
    from app.accounts.models import ApiToken, UserSession
    from app.accounts.sessions import hash_token
    from tests.factories import make_user

    user = await make_user(session, name=f"{label.title()} {secrets.token_hex(3)}")
    api_token = "trp_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(user_id=user.id, name="faults", token_hash=hash_token(api_token), prefix=api_token[:12])
    )
    session_token = "s_" + secrets.token_urlsafe(32)
    session.add(UserSession(id=hash_token(session_token), user_id=user.id))
    await session.flush()
    return Person(user.id, user.name, user.email, api_token, session_token)


@dataclasses.dataclass
class Outcome:
    kind: str
    status: int
    seconds: float
    web: int
    started: float
    # The transport error when no response came (status 0).
    error: str = ""


@dataclasses.dataclass
class Ledger:
    """Every write the app acknowledged (2xx/3xx), to be found exactly once at the end."""

    organizations: list[tuple[uuid.UUID, str]] = dataclasses.field(default_factory=list)
    invitations: list[str] = dataclasses.field(default_factory=list)
    uploads: list[str] = dataclasses.field(default_factory=list)
    # Writes answered 503: none of them may have left a row.
    refused: list[str] = dataclasses.field(default_factory=list)


class Traffic:
    """The client: both web processes in turn, each request timed, acknowledged writes kept in the ledger."""

    def __init__(self, cluster: Cluster, cast: Cast, ledger: Ledger) -> None:
        self.cluster = cluster
        self.cast = cast
        self.ledger = ledger
        self.turn = itertools.count()
        # No cookie jar: each request says who it is (a session cookie, or an API token without cookies).
        no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(20, connect=5),
            # Idle connections are dropped before uvicorn's own 5 s keep-alive timeout closes them: else a
            # request may go out on a connection the server is closing at that instant (as browsers know).
            limits=httpx.Limits(keepalive_expiry=2.0),
            follow_redirects=False,
            cookies=no_cookies,
        )

    def base(self, web: int | None = None) -> tuple[int, str]:
        index = next(self.turn) % len(self.cluster.webs) if web is None else web
        return index, self.cluster.webs[index].base_url

    async def timed(
        self, kind: str, method: str, path: str, web: int | None = None, **kwargs: Any
    ) -> tuple[Outcome, httpx.Response | None]:
        index, base = self.base(web)
        started = time.monotonic()
        try:
            response: httpx.Response | None = await self.client.request(method, base + path, **kwargs)
            status = response.status_code if response is not None else 0
        except httpx.TransportError as exc:
            response, status, error = None, 0, repr(exc)
        else:
            error = ""
        return Outcome(kind, status, time.monotonic() - started, index, started, error), response

    async def page(self, person: Person, path: str = "/", web: int | None = None) -> Outcome:
        outcome, response = await self.timed(
            "page", "GET", path, web, headers={"cookie": f"tremplin={person.session_token}"}
        )
        if outcome.status == 200 and path == "/":
            assert response is not None
            # Still signed in: the home page greets the person by name (other pages need sign-in at all,
            # so a signed-out request would get a redirect to /login instead of 200).
            assert person.name in response.text, f"{path} served without {person.name}: signed out?"
        return outcome

    async def sign_in(self, person: Person, web: int | None = None) -> tuple[Outcome, Person]:
        """Sign in with the password, as a browser does; the person with the new session's cookie."""
        from tests.factories import DEFAULT_PASSWORD

        anonymous = "a_" + secrets.token_urlsafe(24)
        outcome, response = await self.timed(
            "sign-in",
            "POST",
            "/login",
            web,
            data={
                "email": person.email,
                "password": DEFAULT_PASSWORD,
                "_csrf": csrf_token(SECRET, anonymous),
            },
            headers={"cookie": f"tremplin={anonymous}"},
        )
        cookie = response.cookies.get("tremplin", "") if response is not None else ""
        return outcome, dataclasses.replace(person, session_token=cookie)

    async def create_organization(
        self, person: Person, name: str | None = None, web: int | None = None
    ) -> Outcome:
        name = name or f"Ledger {uuid.uuid4().hex}"
        outcome, _response = await self.timed(
            "write",
            "POST",
            "/api/v1/organizations",
            web,
            json={"name": name, "kind": "startup", "country": "FR"},
            headers={"authorization": f"Bearer {person.api_token}"},
        )
        if outcome.status == 201:
            self.ledger.organizations.append((person.user_id, name))
        elif outcome.status == 503:
            self.ledger.refused.append(name)
        return outcome

    async def invite(self, address: str | None = None, web: int | None = None) -> Outcome:
        """The owner invites someone: one invitation, one audit row and one e-mail sent by a job."""
        owner = self.cast.owner
        address = address or f"invitee-{uuid.uuid4().hex[:12]}@example.org"
        outcome, _response = await self.timed(
            "invite",
            "POST",
            f"/organizations/{self.cast.organization_slug}/invitations",
            web,
            data={"email": address, "role": "member", "_csrf": csrf_token(SECRET, owner.session_token)},
            headers={"cookie": f"tremplin={owner.session_token}"},
        )
        if outcome.status == 303:
            self.ledger.invitations.append(address)
        return outcome

    async def upload(self, content: bytes, name: str, web: int | None = None) -> Outcome:
        outcome, response = await self.timed(
            "upload",
            "POST",
            f"/api/v1/datasets/{self.cast.dataset_slug}/files",
            web,
            files={"file": (name, content, "text/csv")},
            headers={"authorization": f"Bearer {self.cast.steward.api_token}"},
        )
        if outcome.status == 201:
            assert response is not None
            self.ledger.uploads.append(response.json()["id"])
        return outcome

    async def mixed(self, index: int, web: int | None = None) -> Outcome:
        writer = self.cast.writers[index % len(self.cast.writers)]
        if index % 2:
            return await self.page(writer, web=web)
        return await self.create_organization(writer, web=web)

    async def load(self, stop: asyncio.Event, concurrency: int = 6) -> list[Outcome]:
        """Keep `concurrency` clients busy with pages and writes until `stop` is set."""
        outcomes: list[Outcome] = []

        async def one_client(number: int) -> None:
            for index in itertools.count(number):
                if stop.is_set():
                    return
                outcomes.append(await self.mixed(index))
                if outcomes[-1].status not in (200, 201):
                    await asyncio.sleep(0.05)

        await asyncio.gather(*(one_client(n) for n in range(concurrency)))
        return outcomes

    async def burst(self, count: int, concurrency: int = 8) -> list[Outcome]:
        semaphore = asyncio.Semaphore(concurrency)

        async def one(index: int) -> Outcome:
            async with semaphore:
                return await self.mixed(index)

        return list(await asyncio.gather(*(one(i) for i in range(count))))


async def query(cluster: Cluster, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Rows of one query on the private server, through a connection of its own."""
    conn = await asyncpg.connect(cluster.postgres.url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def app_backends(
    cluster: Cluster, state: str | None = None, waiting_on_lock: bool = False
) -> list[asyncpg.Record]:
    """The app's connections (web processes and worker) as pg_stat_activity sees them."""
    return await query(
        cluster,
        "SELECT pid, state, wait_event_type, query FROM pg_stat_activity "
        "WHERE application_name = 'tremplin' AND ($1::text IS NULL OR state = $1) "
        "AND (NOT $2 OR wait_event_type = 'Lock')",
        state,
        waiting_on_lock,
    )


class RowLock:
    """Another connection holding FOR UPDATE on a person's row: their writes (a foreign key to it) wait."""

    def __init__(self, cluster, user_id) -> None:
        self.cluster = cluster
        self.user_id = user_id

    async def __aenter__(self) -> Self:
        self.conn = await asyncpg.connect(self.cluster.postgres.url)
        self.transaction = self.conn.transaction()
        await self.transaction.start()
        await self.conn.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", self.user_id)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.transaction.rollback()
        await self.conn.close()
