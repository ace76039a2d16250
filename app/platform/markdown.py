"""Markdown written by people, rendered to HTML that cannot run anything.

markdown-it-py renders (raw HTML in the source is escaped, not passed through); nh3 (ammonia) then
keeps only an allow-list of tags and attributes, drops event handlers and `javascript:` URLs, and
gives every link rel="noopener nofollow".
"""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
# No images: the CSP serves only our own, and third-party images would tell their host who reads the page.
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


@functools.cache
def _parser() -> MarkdownIt:
    return (
        MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
        .enable("table")
        .enable("strikethrough")
    )


def render(source: str | None) -> Markup:
    """Safe HTML for a Markdown text, ready to put in a template as is."""
    if not source:
        return Markup("")
    return _render(source)


# The same texts (a challenge's description, its rules) are shown on every visit: rendering is a pure
# function of the text, so the last few hundred results are kept (bounded: at most 256 texts in memory).
@functools.lru_cache(maxsize=256)
def _render(source: str) -> Markup:
    html = _parser().render(source)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitized by nh3 just above
