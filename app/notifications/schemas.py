"""Shapes of notifications in the JSON API."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from app.notifications.services import NotificationPage, NotificationView


class NotificationOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    # Rendered in the caller's language.
    title: str
    body: str
    read: bool
    created_at: dt.datetime
    read_at: dt.datetime | None
    # Absolute, built from BASE_URL; null when the notification points nowhere.
    link: str | None

    @classmethod
    def of(cls, view: NotificationView, base_url: str) -> NotificationOut:
        return cls(
            id=view.id,
            kind=view.kind,
            title=view.title,
            body=view.body,
            read=view.read,
            created_at=view.created_at,
            read_at=view.read_at,
            link=base_url + view.link if view.link else None,
        )


class NotificationList(msgspec.Struct):
    items: list[NotificationOut]
    page: int
    per_page: int
    has_next: bool
    unread_count: int

    @classmethod
    def of(cls, page: NotificationPage, unread_count: int, base_url: str) -> NotificationList:
        return cls(
            items=[NotificationOut.of(view, base_url) for view in page.items],
            page=page.page,
            per_page=page.per_page,
            has_next=page.has_next,
            unread_count=unread_count,
        )


class MarkedRead(msgspec.Struct):
    marked: int
