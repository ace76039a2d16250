"""Imports every domain's models so the metadata is complete (Alembic, tests)."""


def import_all_models() -> None:
    import app.accounts.models
    import app.challenges.models
    import app.data_sharing.models
    import app.judging.models
    import app.notifications.models
    import app.organizations.models
    import app.platform.models
    import app.teams.models
    import app.webhooks.models  # noqa: F401
