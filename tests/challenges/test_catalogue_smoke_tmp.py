from tests.factories import make_challenge, make_organization

async def test_smoke(client, db):
    org = await make_organization(db, name="CHU Test")
    c = await make_challenge(db, organizers=(org,), title="Heart smoke")
    r = await client.get("/challenges")
    print(r.status_code, r.text[-3000:])
    assert r.status_code == 200
    r = await client.get("/api/v1/challenges?q=heart")
    print(r.status_code, r.text[:3000])
    assert r.status_code == 200
    r = await client.get("/api/v1/challenges?phase=zzz")
    print(r.status_code, r.text[:3000])
    r = await client.get("/challenges?page=x")
    print(r.status_code, r.text[-1500:])
