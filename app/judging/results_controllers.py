"""Shortlist, prizes and results, team feedback and the public vote: every route of these pages and their API.

The pages live in app.judging.shortlist_controllers (the founders' shortlist of a round),
app.judging.results_pages (prizes, publishing, the public results, a team's feedback) and
app.judging.vote_controllers (the public vote); the JSON API in app.judging.results_api.
"""

from __future__ import annotations

from typing import Any

from app.judging.results_api import ROUTES as API_ROUTES
from app.judging.results_pages import ROUTES as RESULTS_ROUTES
from app.judging.shortlist_controllers import ROUTES as SHORTLIST_ROUTES
from app.judging.vote_controllers import ROUTES as VOTE_ROUTES

ROUTES: list[Any] = [*SHORTLIST_ROUTES, *RESULTS_ROUTES, *VOTE_ROUTES, *API_ROUTES]
