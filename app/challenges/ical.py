"""A challenge's timeline as an iCalendar file (RFC 5545), written by hand: one event per milestone.

Each event's UID is made of the challenge's id, the milestone's kind and, for rounds, the round's
id: a calendar that subscribed to the file updates its events when a deadline is extended instead
of duplicating them. Text values are escaped, lines end with CRLF and are folded at 75 octets
without splitting a UTF-8 character. Times are written in UTC, which every client converts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from app.challenges import lifecycle
from app.challenges.choices import milestone_label

LINE_OCTETS = 75
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape(text: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as \\n, controls dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, continuation lines starting with a space."""
    if len(line.encode()) <= LINE_OCTETS:
        return line
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, LINE_OCTETS
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append("".join(current))
            # The leading space of a continuation line counts in its 75 octets.
            current, size, limit = [], 0, LINE_OCTETS - 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(challenge: Any, rounds: Sequence[Any], *, base_url: str, now: dt.datetime) -> str:
    """The whole file, in the current locale's words."""
    host = urlsplit(base_url).hostname or "tremplin"
    url = f"{base_url}/challenges/{challenge.slug}"
    by_id = {str(round_.id): round_ for round_ in rounds}
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Tremplin//Challenges//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(challenge.title)}",
    ]
    # Round ids stand in for the milestones' labels so each event can name its round in its UID.
    for milestone in lifecycle.milestones(challenge, rounds, list(by_id)):
        round_ = by_id.get(milestone.label)
        key = f"{milestone.kind}-{round_.id}" if round_ is not None else milestone.kind
        summary = f"{challenge.title} — {milestone_label(milestone.kind, round_.name if round_ else '')}"
        description = f"{challenge.summary}\n\n{url}" if challenge.summary else url
        lines += [
            "BEGIN:VEVENT",
            f"UID:{challenge.id}-{key}@{host}",
            f"DTSTAMP:{stamp(now)}",
            f"DTSTART:{stamp(milestone.at)}",
            f"SUMMARY:{escape(summary)}",
            f"DESCRIPTION:{escape(description)}",
            f"URL:{url}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
