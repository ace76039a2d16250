"""Counting the SQL statements a request sends, to prove a page's cost does not grow with the data."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event


@contextlib.contextmanager
def counting_statements(connection: Any) -> Iterator[list[str]]:
    """Every SQL statement sent on the test's connection (the app's sessions share it); use the `connection`
    fixture: `with counting_statements(connection) as statements: await client.get(...)`."""
    statements: list[str] = []

    def before_cursor_execute(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        statements.append(statement)

    event.listen(connection.sync_connection, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", before_cursor_execute)
