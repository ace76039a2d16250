"""A dataset's audit log for its stewards: the entries about the dataset, its offerings, access requests and
grants, never another dataset's nor the challenge's own; filters; the CSV without IP addresses and itself
audited; who may open it; a cost that does not grow with the entries."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from sqlalchemy import select

from app.platform import audit
from app.platform.models import AuditEntry
from tests.conftest import text_of
from tests.data_sharing.support import ROLES, as_role, make_cast
from tests.factories import make_dataset, make_grant, make_offering, sign_in
from tests.querycount import counting_statements


@pytest.fixture
async def cast(db):
    """A dataset offered to a challenge with a grant to its team, and a second dataset of another steward."""
    cast = await make_cast(db)
    cast.offering = await make_offering(db, cast.dataset, cast.challenge)
    cast.grant = await make_grant(db, cast.offering, cast.team, (cast.captain,))
    cast.other_dataset = await make_dataset(db)
    cast.other_offering = await make_offering(db, cast.other_dataset, cast.challenge)
    return cast


def url(cast, suffix: str = "") -> str:
    return f"/datasets/{cast.dataset.slug}/audit{suffix}"


async def note(db, action: str, object_type: str, object_id, details=None, ip: str | None = None) -> None:
    await audit.record(db, None, action, object_type, object_id, details or {}, ip=ip)


def actions_on(html: str, tag: str) -> set[str]:
    """The tagged actions among the entries shown (not in the filter's menu)."""
    text = text_of(html[html.index('<div id="audit_results"') :])
    return {word for word in text.split() if word.startswith(f"test:{tag}:")}


async def test_stewards_see_the_entries_of_their_dataset_and_only_those(cast, client, db):
    tag = uuid.uuid4().hex[:6]
    for object_type, object_id in {
        "dataset": cast.dataset.id,
        "offering": cast.offering.id,
        "access_request": cast.grant.request_id,
        "grant": cast.grant.id,
    }.items():
        await note(db, f"test:{tag}:{object_type}", object_type, object_id, {"internal": "a steward's note"})
    await note(db, f"test:{tag}:other_dataset", "dataset", cast.other_dataset.id)
    await note(db, f"test:{tag}:other_offering", "offering", cast.other_offering.id)
    await note(db, f"test:{tag}:challenge", "challenge", cast.challenge.id)
    await note(db, f"test:{tag}:team", "team", cast.team.id)
    await sign_in(client, db, cast.steward)
    response = await client.get(url(cast))
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert actions_on(response.text, tag) == {
        f"test:{tag}:{kind}" for kind in ("dataset", "offering", "access_request", "grant")
    }
    assert "a steward&#39;s note" in response.text
    # The offering is shared with the founders; the rest of the dataset's log is not theirs.
    await sign_in(client, db, cast.founder)
    founders = await client.get(f"/challenges/{cast.challenge.slug}/audit")
    assert actions_on(founders.text, tag) == {
        f"test:{tag}:{kind}" for kind in ("offering", "other_offering", "challenge", "team")
    }


async def test_a_real_revocation_shows_with_its_reason(cast, client, db):
    await sign_in(client, db, cast.steward)
    revoked = await client.submit(f"/grants/{cast.grant.id}/revoke", {"reason": "Shared outside the team."})
    assert revoked.status_code == 303
    page = text_of((await client.get(url(cast))).text)
    assert "grant:revoke" in page and "Shared outside the team." in page and cast.steward.email in page


async def test_filters_and_bad_input(cast, client, db):
    tag = uuid.uuid4().hex[:6]
    await note(db, f"test:{tag}:a", "grant", cast.grant.id)
    await note(db, f"test:{tag}:b", "dataset", cast.dataset.id)
    await sign_in(client, db, cast.steward)
    assert actions_on((await client.get(url(cast, f"?action=test:{tag}:a"))).text, tag) == {f"test:{tag}:a"}
    assert "No entry matches" in text_of((await client.get(url(cast, "?until=2000-01-01"))).text)
    for query in ("action=a%00b", "since=01/02/2026", "since=2026-02-02&until=2026-02-01"):
        assert (await client.get(url(cast, f"?{query}"))).status_code == 422, query
        assert (await client.get(url(cast, f".csv?{query}"))).status_code == 422, query
    assert (await client.get(url(cast, "?page=0"))).status_code == 400
    assert (await client.get("/datasets/a%00b/audit")).status_code == 404


async def test_the_csv_has_no_ip_and_the_export_is_audited_on_the_dataset(cast, client, db):
    await note(db, "test:csv", "grant", cast.grant.id, {"reason": "-1+1"}, ip="198.51.100.9")
    await note(db, "test:csv", "dataset", cast.other_dataset.id)
    await sign_in(client, db, cast.steward)
    response = await client.get(url(cast, ".csv?action=test:csv"))
    assert response.status_code == 200 and "198.51.100.9" not in response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row["object_type"], row["object_id"]) for row in rows] == [("grant", str(cast.grant.id))]
    assert "ip" not in rows[0]
    [export] = await db.scalars(select(AuditEntry).where(AuditEntry.action == "audit:export"))
    assert (export.object_type, export.object_id, export.actor_id) == (
        "dataset",
        str(cast.dataset.id),
        cast.steward.id,
    )


@pytest.mark.parametrize("suffix", ["", ".csv"])
@pytest.mark.parametrize("role", ROLES)
async def test_who_may_open_the_log(cast, client, db, role, suffix):
    await as_role(client, db, cast, role)
    expected = {"steward": 200, "admin": 200, "visitor": 303}.get(role, 403)
    assert (await client.get(url(cast, suffix))).status_code == expected
    assert (await client.get(f"/datasets/no-such-dataset/audit{suffix}")).status_code == (
        303 if role == "visitor" else 404
    )


async def test_the_dataset_page_links_stewards_to_the_log(cast, client, db):
    await sign_in(client, db, cast.steward)
    assert f'href="{url(cast)}"' in (await client.get(f"/datasets/{cast.dataset.slug}")).text
    await sign_in(client, db, cast.founder)
    assert f'href="{url(cast)}"' not in (await client.get(f"/datasets/{cast.dataset.slug}")).text


async def test_the_page_costs_the_same_queries_for_few_or_many_entries(cast, client, db, connection):
    await sign_in(client, db, cast.steward)

    async def statements() -> int:
        with counting_statements(connection) as sent:
            assert (await client.get(url(cast))).status_code == 200
        return len(sent)

    await note(db, "test:few", "dataset", cast.dataset.id)
    few = await statements()
    for index in range(40):
        await note(db, f"test:many:{index % 5}", "grant", cast.grant.id)
        await note(db, "test:many", "access_request", cast.grant.request_id)
    assert await statements() == few
