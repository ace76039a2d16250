"""The storage contract, for the local disk and for S3 (a real S3-compatible server, moto's, on 127.0.0.1):
streamed in with checksum and head, stopped at the limit leaving nothing, read back, deleted; and the
choice of backend from STORAGE_URL."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.platform import storage as storage_module
from app.platform.storage import LocalStorage, S3Storage, TooLarge, storage_for, storage_url_problems
from app.settings import Settings, SettingsError

MIB = 1024 * 1024
BUCKET = "tremplin-test"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """An S3-compatible server in a thread of this test process; its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def s3_client(s3_server: str):
    """A plain boto3 client on the same server: to create the bucket and look behind the backend's back."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="eu-west-3",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    try:
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    except client.exceptions.BucketAlreadyOwnedByYou:
        # moto keeps its buckets per process: another module of this worker (test_backup) made it already.
        pass
    return client


def s3_storage(endpoint: str, prefix: str) -> S3Storage:
    from obstore.store import S3Store

    store = S3Store(
        BUCKET,
        prefix=prefix,
        endpoint=endpoint,
        region="eu-west-3",
        access_key_id="test",
        secret_access_key="test",
        client_options={"allow_http": True},
    )
    return S3Storage(store)


class Backend:
    """One backend under test, with a way to see what it really holds."""

    def __init__(self, storage, listing, pending_uploads, prefix: str = "") -> None:
        self.storage = storage
        self.prefix = prefix
        self.listing = listing
        self.pending_uploads = pending_uploads


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path: Path) -> Backend:
    if request.param == "local":
        root = tmp_path / "files"
        return Backend(
            LocalStorage(root),
            lambda: sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()),
            lambda: 0,
        )
    endpoint, client = request.getfixturevalue("s3_server"), request.getfixturevalue("s3_client")
    prefix = f"test-{uuid.uuid4().hex[:8]}"

    def listing() -> list[str]:
        contents = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/").get("Contents", [])
        return sorted(item["Key"].removeprefix(prefix + "/") for item in contents)

    def pending_uploads() -> int:
        uploads = client.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix + "/").get("Uploads", [])
        return len(uploads)

    return Backend(s3_storage(endpoint, prefix), listing, pending_uploads, prefix)


class Source:
    """A stream of chunks that counts how many were taken, and can fail after some of them."""

    def __init__(self, chunks: list[bytes], fail_after: int | None = None) -> None:
        self.chunks = chunks
        self.fail_after = fail_after
        self.taken = 0

    async def stream(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            if self.fail_after is not None and self.taken >= self.fail_after:
                raise ConnectionResetError("the client went away")
            self.taken += 1
            yield chunk


async def read_all(storage, key: str) -> bytes:
    return b"".join([chunk async for chunk in storage.read(key)])


async def test_a_stream_is_stored_with_its_size_checksum_and_first_bytes(backend):
    body = b"%PDF-1.7\n" + b"x" * 20_000
    stored = await backend.storage.put_stream(
        "submissions/a", Source([body[:5000], body[5000:]]).stream(), 10**6
    )
    assert (stored.key, stored.size) == ("submissions/a", len(body))
    assert stored.sha256 == hashlib.sha256(body).hexdigest()
    assert stored.head == body[:8192]
    assert await read_all(backend.storage, "submissions/a") == body
    assert backend.listing() == ["submissions/a"]


async def test_a_large_stream_goes_up_in_parts_and_reads_back_identical(backend, s3_client_or_none):
    parts = [bytes([n]) * MIB for n in range(12)]
    stored = await backend.storage.put_stream("big/file", Source(parts).stream(), 20 * MIB)
    expected = b"".join(parts)
    assert stored.size == 12 * MIB and stored.sha256 == hashlib.sha256(expected).hexdigest()
    assert hashlib.sha256(await read_all(backend.storage, "big/file")).hexdigest() == stored.sha256
    if isinstance(backend.storage, S3Storage):
        # An S3 multipart object's ETag ends with the number of its parts.
        key = f"{backend.prefix}/big/file"
        etag = s3_client_or_none.head_object(Bucket=BUCKET, Key=key)["ETag"].strip('"')
        assert etag.endswith("-2")


@pytest.fixture
def s3_client_or_none(request, backend):
    return request.getfixturevalue("s3_client") if isinstance(backend.storage, S3Storage) else None


async def test_going_over_the_limit_stops_the_stream_and_leaves_nothing(backend):
    # Past one S3 part, so that a multipart upload has begun when the limit is hit.
    source = Source([b"z" * MIB] * 20)
    with pytest.raises(TooLarge):
        await backend.storage.put_stream("big/over", source.stream(), 9 * MIB + 10)
    assert source.taken == 10, "the stream is stopped at the chunk that crosses the limit"
    assert backend.listing() == []
    assert backend.pending_uploads() == 0
    with pytest.raises(FileNotFoundError):
        await read_all(backend.storage, "big/over")


async def test_a_stream_that_breaks_halfway_leaves_nothing(backend):
    source = Source([b"q" * MIB] * 12, fail_after=9)
    with pytest.raises(ConnectionResetError):
        await backend.storage.put_stream("broken/one", source.stream(), 100 * MIB)
    assert backend.listing() == []
    assert backend.pending_uploads() == 0


async def test_an_empty_stream_is_an_empty_file(backend):
    stored = await backend.storage.put_stream("empty/one", Source([]).stream(), 10)
    assert (stored.size, stored.head) == (0, b"")
    assert stored.sha256 == hashlib.sha256(b"").hexdigest()
    assert await read_all(backend.storage, "empty/one") == b""


async def test_delete_removes_the_file_and_deleting_nothing_is_fine(backend):
    await backend.storage.put_stream("gone/soon", Source([b"bye"]).stream(), 10)
    await backend.storage.delete("gone/soon")
    assert backend.listing() == []
    with pytest.raises(FileNotFoundError):
        await read_all(backend.storage, "gone/soon")
    await backend.storage.delete("gone/soon")


async def test_reading_a_key_that_holds_nothing_is_file_not_found(backend):
    with pytest.raises(FileNotFoundError):
        await read_all(backend.storage, "never/written")


async def test_local_keys_cannot_leave_the_storage_folder(tmp_path):
    storage = LocalStorage(tmp_path / "files")
    with pytest.raises(ValueError):
        await storage.put_stream("../escape", Source([b"x"]).stream(), 10)
    assert not (tmp_path / "escape").exists()


# --- choosing the backend ------------------------------------------------------------------------------


def test_without_storage_url_files_go_under_the_data_folder(tmp_path):
    storage = storage_for(Settings(data_dir=tmp_path, secret_key="k" * 40))
    assert isinstance(storage, LocalStorage) and storage.root == (tmp_path / "files").resolve()


def test_a_file_url_names_the_folder(tmp_path):
    storage = storage_for(
        Settings(data_dir=tmp_path, storage_url=f"file://{tmp_path}/elsewhere", secret_key="k" * 40)
    )
    assert isinstance(storage, LocalStorage) and storage.root == (tmp_path / "elsewhere").resolve()


def test_the_backend_is_built_once_per_settings(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="k" * 40)
    assert storage_for(settings) is storage_for(settings)


async def test_an_s3_url_with_credentials_from_the_environment_reaches_the_bucket(
    s3_server, s3_client, monkeypatch, tmp_path
):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    url = f"s3://{BUCKET}/from-env?endpoint={s3_server}&region=eu-west-3"
    storage = storage_for(Settings(data_dir=tmp_path, storage_url=url, secret_key="k" * 40))
    assert isinstance(storage, S3Storage)
    key = f"check/{uuid.uuid4().hex}"
    await storage.put_stream(key, Source([b"hello"]).stream(), 10)
    assert s3_client.get_object(Bucket=BUCKET, Key=f"from-env/{key}")["Body"].read() == b"hello"
    await storage.delete(key)


def test_s3_url_parameters_become_the_store_configuration():
    arguments = storage_module._parse(
        "s3://my-bucket/some/prefix/?endpoint=https://s3.fr-par.scw.cloud&region=fr-par&virtual_hosted=true"
    )
    assert arguments == {
        "bucket": "my-bucket",
        "prefix": "some/prefix",
        "endpoint": "https://s3.fr-par.scw.cloud",
        "client_options": {"allow_http": False},
        "region": "fr-par",
        "virtual_hosted_style_request": True,
    }
    assert storage_module._parse("s3://plain") == {"bucket": "plain"}


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("s3://key:secret@bucket/prefix", "AWS_ACCESS_KEY_ID"),
        ("s3://bucket?endpoint=ftp://host", "endpoint must be an http"),
        ("s3://bucket?acl=public-read", "unknown parameter acl"),
        ("s3://bucket?virtual_hosted=maybe", "virtual_hosted must be true or false"),
        ("file://server/share", "absolute folder"),
    ],
)
def test_a_wrong_storage_url_is_refused_at_start_up_with_the_reason(url, complaint, tmp_path):
    assert complaint in " ".join(storage_url_problems(url))
    with pytest.raises(SettingsError, match="STORAGE_URL"):
        Settings.from_env({"DATA_DIR": str(tmp_path), "STORAGE_URL": url})


async def test_a_presigned_url_reads_the_object_from_s3(s3_server, s3_client):
    import httpx

    storage = s3_storage(s3_server, f"presign-{uuid.uuid4().hex[:6]}")
    body = b"patient,ef\n1,55\n"
    await storage.put_stream("datasets/a.csv", Source([body]).stream(), 10**6)
    url = await storage.signed_url("datasets/a.csv", dt.timedelta(minutes=5))
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
    async with httpx.AsyncClient() as http:
        fetched = await http.get(url)
        assert (fetched.status_code, fetched.content) == (200, body)
    # moto does not check signatures or expiry; what is checked here is that the URL is a real presigned GET
    # of that object, valid five minutes (the platform's checks before issuing it are in tests/data_sharing).
