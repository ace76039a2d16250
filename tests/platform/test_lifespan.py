"""What the app does once when it starts and stops, as a server runs it (Litestar's lifespan)."""

from __future__ import annotations

import gc

from litestar.testing import AsyncTestClient

from app.main import create_app


async def test_startup_moves_long_lived_objects_out_of_the_collector_s_reach(settings) -> None:  # type: ignore[no-untyped-def]
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    app = create_app(settings)
    try:
        async with AsyncTestClient(app) as client:
            assert gc.get_freeze_count() > 10_000  # modules, routes, templates: everything alive once started
            assert (await client.get("/health")).status_code == 200
    finally:
        gc.unfreeze()


def test_building_the_app_uses_no_deprecated_litestar_style(settings) -> None:  # type: ignore[no-untyped-def]
    # Every handler's parameters say what they are (FromPath, FromQuery, NamedDependency, a body marker):
    # the inferred style warns since Litestar 2.23 and stops working in Litestar 3.
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        create_app(settings)
    assert [
        str(warning.message) for warning in caught if issubclass(warning.category, DeprecationWarning)
    ] == []
