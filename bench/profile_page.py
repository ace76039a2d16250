"""Profiles one page of the load run in process with pyinstrument, to see where its time goes.

    python bench/profile_page.py "ranking (big round)" [--times 3] [--scale 1] [--out profile.txt]

The page is one of bench/run.py's targets (by name), on the database bench/seed.py made; the app runs
in this process (no server, no wrk), signed in as the target's role through /login.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from common import PASSWORD, database_name, email, servers, with_database
from run import SECRET, known_objects, targets


async def profile(url: str, redis_url: str, name: str, times: int) -> str:
    from pyinstrument import Profiler

    from app.main import create_app
    from app.settings import Settings

    known, _counts, _scale = await known_objects(url)
    target = next(t for t in targets(known) if t.name == name)
    settings = Settings(
        database_url=url, redis_url=redis_url, secret_key=SECRET, base_url="http://127.0.0.1:8765",
        redis_prefix="tremplin-bench", log_level="WARNING", bench_floor=True, login_rate_limit=1000,
    )  # fmt: skip
    app = create_app(settings)
    await app.state.services.start()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8765") as client:
            headers: dict[str, str] = {}
            if target.role:
                page = await client.get("/login")
                token = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
                signed = await client.post("/login", data={"email": email(target.role), "password": PASSWORD, "_csrf": token})
                assert signed.status_code == 303, signed.text[:300]
                account = await client.get("/account")
                headers["X-CSRF-Token"] = re.search(r'"X-CSRF-Token": "([^"]+)"', account.text).group(1)  # type: ignore[union-attr]
            if target.htmx:
                headers["HX-Request"] = "true"
            body = urllib.parse.urlencode(target.form) if target.form is not None else None
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"

            async def once() -> None:
                response = await client.request(target.method, target.path, headers=headers, content=body)
                assert response.status_code == 200, (response.status_code, response.text[:300])

            await once()
            profiler = Profiler(interval=0.0005, async_mode="enabled")
            with profiler:
                for _ in range(times):
                    await once()
            return profiler.output_text(unicode=False, color=False)
    finally:
        await app.state.services.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help='a target of bench/run.py, e.g. "ranking (big round)"')
    parser.add_argument("--times", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", type=Path)
    options = parser.parse_args()
    with servers() as (admin_url, redis_url):
        text = asyncio.run(profile(with_database(admin_url, database_name(options.scale)), redis_url, options.name, options.times))
    if options.out:
        options.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
