"""Who may take part in a challenge, and who is approved without waiting for its founders.

Eligibility is about organizations (their kind and country), as DESIGN.md says; the refusals are
sentences a person can act on ("This challenge is open to startups only; Acme is a company.").
The approval modes: manual (founders decide), verified (organizations an admin verified), domain
(confirmed e-mail addresses of listed domains or their subdomains), everyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from babel.lists import format_list

from app.organizations.choices import country_name
from app.platform.i18n import get_locale, lazy
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from app.accounts.sessions import Actor
    from app.challenges.models import Challenge
    from app.organizations.models import Organization

# Organization kinds as they read inside a sentence: "open to startups and academic labs only".
KIND_PLURALS = {
    "company": lazy("companies"),
    "startup": lazy("startups"),
    "hospital": lazy("hospitals"),
    "public_body": lazy("public bodies"),
    "academic_lab": lazy("academic labs"),
    "association": lazy("associations"),
}
KIND_WITH_ARTICLE = {
    "company": lazy("a company"),
    "startup": lazy("a startup"),
    "hospital": lazy("a hospital"),
    "public_body": lazy("a public body"),
    "academic_lab": lazy("an academic lab"),
    "association": lazy("an association"),
}


def organization_required(challenge: Challenge) -> bool:
    """Kinds and countries are checked on an organization, so restricting either requires one."""
    return bool(challenge.allowed_kinds or challenge.allowed_countries)


def _kinds_phrase(kinds: list[str]) -> str:
    return format_list([_(KIND_PLURALS[k]) if k in KIND_PLURALS else k for k in kinds], locale=get_locale())


def _countries_phrase(countries: list[str]) -> str:
    return format_list([country_name(code) for code in countries], style="or", locale=get_locale())


def eligibility_summary(challenge: Challenge) -> list[str]:
    """Who may register, in sentences for the page; empty when anyone may."""
    lines = []
    if challenge.allowed_kinds:
        lines.append(_("Open to %(kinds)s only.", kinds=_kinds_phrase(challenge.allowed_kinds)))
    if challenge.allowed_countries:
        lines.append(
            _(
                "Open to organizations based in %(countries)s.",
                countries=_countries_phrase(challenge.allowed_countries),
            )
        )
    return lines


def eligibility_refusal(challenge: Challenge, organization: Organization) -> str | None:
    """Why `organization` may not take part, in words the person can act on; None when it may."""
    if challenge.allowed_kinds and organization.kind not in challenge.allowed_kinds:
        return _(
            "This challenge is open to %(kinds)s only; %(organization)s is %(kind)s.",
            kinds=_kinds_phrase(challenge.allowed_kinds),
            organization=organization.name,
            kind=_(KIND_WITH_ARTICLE.get(organization.kind, organization.kind)),
        )
    if challenge.allowed_countries and organization.country not in challenge.allowed_countries:
        return _(
            "This challenge is open to organizations based in %(countries)s only; %(organization)s is based in %(country)s.",
            countries=_countries_phrase(challenge.allowed_countries),
            organization=organization.name,
            country=country_name(organization.country),
        )
    return None


def domain_matches(email: str, domains: list[str]) -> bool:
    """The address's domain is one of `domains` or a subdomain of one, whatever the case."""
    domain = email.rpartition("@")[2].strip().lower().rstrip(".")
    for allowed in domains:
        allowed = allowed.strip().lower().lstrip("@").strip(".")
        if allowed and (domain == allowed or domain.endswith("." + allowed)):
            return True
    return False


def approval(challenge: Challenge, actor: Actor, organization: Organization | None) -> tuple[str, str | None]:
    """The status a new registration gets, and the rule that approved it automatically (None: a founder decides)."""
    mode = challenge.approval_mode
    if mode == "everyone":
        return "approved", "everyone"
    if mode == "verified" and organization is not None and organization.verified_at is not None:
        return "approved", "verified_organization"
    # An unconfirmed address proves nothing about its domain.
    if mode == "domain" and actor.email_verified and domain_matches(actor.email, challenge.approval_domains):
        return "approved", "email_domain"
    return "pending", None
