"""Pages of accounts: sign-up, e-mail verification, sign-in and out, password reset, profile, API tokens.

Each handler reads the form, calls one service verb and picks the response: a redirect after
success, the form again with its messages (422), or with the throttling message (429).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import api_tokens, services
from app.accounts.api import API_ROUTES
from app.accounts.models import NOTIFY_MODES
from app.accounts.ratelimit import RateLimited, RateLimiter
from app.accounts.schemas import safe_next
from app.accounts.services import InvalidLink, SignInRefused
from app.accounts.sessions import Actor
from app.platform.context import get_context
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import in_locale, ngettext
from app.settings import LOCALES
from app.web import flash, form_fields, redirect, render

PUBLIC = {"public": True}
PAGE: dict[str, Any] = {"include_in_schema": False}


def _user_agent(request: Request[Any, Any, Any]) -> str | None:
    return request.headers.get("user-agent")


def _form(
    request: Request[Any, Any, Any],
    template: str,
    block: str,
    context: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response[str]:
    # Passwords are never sent back into a page.
    values = {k: v for k, v in context.get("values", {}).items() if "password" not in k}
    data = {**context, "values": values, "errors": errors or {}}
    return render(request, template, data, block=block, status_code=status)


def _throttled(
    request: Request[Any, Any, Any], template: str, block: str, context: dict[str, Any], exc: RateLimited
) -> Response[str]:
    minutes = max(1, (exc.retry_after + 59) // 60)
    message = ngettext(
        "Too many attempts. For your security, please wait %(num)s minute and try again.",
        "Too many attempts. For your security, please wait %(num)s minutes and try again.",
        minutes,
    )
    response = _form(request, template, block, context, errors={"form": message}, status=429)
    response.headers["retry-after"] = str(exc.retry_after)
    return response


# --- sign-up and verification ------------------------------------------------------------------------


@get("/signup", name="accounts:signup_form", opt=PUBLIC, **PAGE)
async def signup_form(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor | None], next: FromQuery[str] = ""
) -> Response[Any]:
    if actor is not None:
        return redirect(request, safe_next(next, "/account"))
    return _form(
        request,
        "accounts/signup.html",
        "signup_form",
        {"values": {"locale": get_context(request.scope).locale, "next": safe_next(next, "")}},
    )


@post("/signup", name="accounts:signup", opt=PUBLIC, **PAGE)
async def signup(request: Request[Any, Any, Any]) -> Response[Any]:
    fields = await form_fields(request)
    page = (
        "accounts/signup.html",
        "signup_form",
        {"values": {**fields, "next": safe_next(fields.get("next"), "")}},
    )
    try:
        await services.sign_up(
            get_context(request.scope),
            RateLimiter.of(request),
            email=fields.get("email", ""),
            name=fields.get("name", ""),
            password=fields.get("password", ""),
            locale=fields.get("locale", ""),
            user_agent=_user_agent(request),
        )
    except InvalidInput as exc:
        return _form(request, *page, errors=exc.errors, status=422)
    except RateLimited as exc:
        return _throttled(request, *page, exc)
    with in_locale(fields.get("locale", "en")):
        flash(
            request,
            "success",
            _("Welcome to Tremplin! We have sent you a link to confirm your e-mail address."),
        )
    # Back where the person was going (an invitation, a registration), else to their account.
    return redirect(request, safe_next(fields.get("next"), "/account"))


@get("/verify-email", name="accounts:verify_form", opt=PUBLIC, **PAGE)
async def verify_form(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], token: FromQuery[str] = ""
) -> Response[str]:
    """The link in the e-mail opens a confirmation button: a GET never changes anything."""
    try:
        user = await services.verification_link_user(db, get_context(request.scope).settings, token)
    except InvalidLink:
        return render(request, "accounts/verify_email.html", {"invalid": True}, status_code=400)
    return render(
        request, "accounts/verify_email.html", {"token": token, "already": user.email_verified_at is not None}
    )


@post("/verify-email", name="accounts:verify", opt=PUBLIC, **PAGE)
async def verify(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], actor: NamedDependency[Actor | None]
) -> Response[Any]:
    fields = await form_fields(request)
    try:
        await services.verify_email(db, get_context(request.scope).settings, fields.get("token", ""))
    except InvalidLink:
        return render(request, "accounts/verify_email.html", {"invalid": True}, status_code=400)
    flash(request, "success", _("Thank you: your e-mail address is confirmed."))
    return redirect(request, "/account" if actor else "/login")


@post("/verify-email/resend", name="accounts:resend_verification", **PAGE)
async def resend_verification(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor | None]
) -> Response[Any]:
    try:
        sent = await services.resend_verification(get_context(request.scope), RateLimiter.of(request), actor)
    except RateLimited:
        flash(
            request,
            "error",
            _("We have sent several links already. Please wait a few minutes before asking again."),
        )
        return redirect(request, "/account")
    if sent:
        flash(request, "success", _("We have sent you a new confirmation link."))
    else:
        flash(request, "info", _("Your e-mail address is already confirmed."))
    return redirect(request, "/account")


# --- sign-in and sign-out ----------------------------------------------------------------------------


@get("/login", name="accounts:login_form", opt=PUBLIC, **PAGE)
async def login_form(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor | None], next: FromQuery[str] = ""
) -> Response[Any]:
    if actor is not None:
        return redirect(request, safe_next(next))
    return _form(request, "accounts/login.html", "login_form", {"values": {"next": safe_next(next, "")}})


@post("/login", name="accounts:login", opt=PUBLIC, **PAGE)
async def login(request: Request[Any, Any, Any]) -> Response[Any]:
    fields = await form_fields(request)
    page = (
        "accounts/login.html",
        "login_form",
        {"values": {**fields, "next": safe_next(fields.get("next"), "")}},
    )
    try:
        await services.sign_in(
            get_context(request.scope),
            RateLimiter.of(request),
            email=fields.get("email", ""),
            password=fields.get("password", ""),
            user_agent=_user_agent(request),
        )
    except InvalidInput as exc:
        return _form(request, *page, errors=exc.errors, status=422)
    except SignInRefused as exc:
        return _form(request, *page, errors={"form": str(exc)}, status=422)
    except RateLimited as exc:
        return _throttled(request, *page, exc)
    return redirect(request, safe_next(fields.get("next")))


@post("/logout", name="accounts:logout", opt=PUBLIC, **PAGE)
async def logout(request: Request[Any, Any, Any]) -> Response[Any]:
    await services.sign_out(get_context(request.scope))
    flash(request, "info", _("You are signed out."))
    return redirect(request, "/")


# --- password reset ----------------------------------------------------------------------------------


@get("/password/forgot", name="accounts:forgot_form", opt=PUBLIC, **PAGE)
async def forgot_form(request: Request[Any, Any, Any]) -> Response[str]:
    return _form(request, "accounts/forgot_password.html", "forgot_form", {})


@post("/password/forgot", name="accounts:forgot", opt=PUBLIC, **PAGE)
async def forgot(request: Request[Any, Any, Any]) -> Response[Any]:
    fields = await form_fields(request)
    page = ("accounts/forgot_password.html", "forgot_form", {"values": fields})
    try:
        await services.request_password_reset(
            get_context(request.scope), RateLimiter.of(request), email=fields.get("email", "")
        )
    except InvalidInput as exc:
        return _form(request, *page, errors=exc.errors, status=422)
    except RateLimited as exc:
        return _throttled(request, *page, exc)
    # The same answer whether or not the address has an account.
    flash(
        request,
        "info",
        _(
            "If an account uses this address, we have sent it a link to choose a new password. The link works for one hour."
        ),
    )
    return redirect(request, "/login")


@get("/password/reset", name="accounts:reset_form", opt=PUBLIC, **PAGE)
async def reset_form(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], token: FromQuery[str] = ""
) -> Response[str]:
    try:
        await services.reset_link_user(db, get_context(request.scope).settings, token)
    except InvalidLink:
        return render(request, "accounts/reset_password.html", {"invalid": True}, status_code=400)
    return _form(request, "accounts/reset_password.html", "reset_form", {"token": token})


@post("/password/reset", name="accounts:reset", opt=PUBLIC, **PAGE)
async def reset(request: Request[Any, Any, Any]) -> Response[Any]:
    fields = await form_fields(request)
    token = fields.get("token", "")
    try:
        await services.reset_password(
            get_context(request.scope),
            token=token,
            password=fields.get("password", ""),
            user_agent=_user_agent(request),
        )
    except InvalidLink:
        return render(request, "accounts/reset_password.html", {"invalid": True}, status_code=400)
    except InvalidInput as exc:
        return _form(
            request,
            "accounts/reset_password.html",
            "reset_form",
            {"token": token},
            errors=exc.errors,
            status=422,
        )
    flash(
        request,
        "success",
        _("Your password has been changed and you are signed in. Every other session was signed out."),
    )
    return redirect(request, "/account")


# --- profile -----------------------------------------------------------------------------------------


async def _account_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor | None,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response[str]:
    account = await services.get_account(db, actor)
    context = {
        "account": account,
        "memberships": await services.memberships(db, actor),
        "values": values
        or {"name": account.name, "locale": account.locale, "notify_mode": account.notify_mode},
        "locales": LOCALES,
        "notify_modes": NOTIFY_MODES,
    }
    return _form(request, "accounts/account.html", "profile_form", context, errors=errors, status=status)


@get("/account", name="accounts:show", **PAGE)
async def show_account(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], actor: NamedDependency[Actor | None]
) -> Response[str]:
    return await _account_page(request, db, actor)


@post("/account", name="accounts:update", **PAGE)
async def update_account(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], actor: NamedDependency[Actor | None]
) -> Response[Any]:
    fields = await form_fields(request)
    try:
        # The form always has every field: a missing one is an empty one.
        user = await services.update_profile(
            db,
            actor,
            name=fields.get("name", ""),
            locale=fields.get("locale", ""),
            notify_mode=fields.get("notify_mode", ""),
        )
    except InvalidInput as exc:
        return await _account_page(request, db, actor, values=fields, errors=exc.errors, status=422)
    with in_locale(user.locale):
        flash(request, "success", _("Your profile has been saved."))
    response = redirect(request, "/account")
    # Kept after signing out too, for the pages a visitor sees.
    response.set_cookie(
        "lang",
        user.locale,
        path="/",
        max_age=365 * 86400,
        samesite="lax",
        httponly=True,
        secure=get_context(request.scope).settings.https,
    )
    return response


@get("/account/password", name="accounts:password_form", **PAGE)
async def password_form(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], actor: NamedDependency[Actor | None]
) -> Response[str]:
    await services.get_account(db, actor)
    return _form(request, "accounts/change_password.html", "password_form", {})


@post("/account/password", name="accounts:change_password", **PAGE)
async def change_password(
    request: Request[Any, Any, Any], actor: NamedDependency[Actor | None]
) -> Response[Any]:
    fields = await form_fields(request)
    page: tuple[str, str, dict[str, Any]] = ("accounts/change_password.html", "password_form", {})
    try:
        await services.change_password(
            get_context(request.scope),
            RateLimiter.of(request),
            actor,
            current=fields.get("current_password", ""),
            new=fields.get("new_password", ""),
            user_agent=_user_agent(request),
        )
    except InvalidInput as exc:
        return _form(request, *page, errors=exc.errors, status=422)
    except RateLimited as exc:
        return _throttled(request, *page, exc)
    flash(request, "success", _("Your password has been changed. Your other sessions were signed out."))
    return redirect(request, "/account")


# --- API tokens --------------------------------------------------------------------------------------


async def _tokens_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor | None,
    *,
    context: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response[str]:
    tokens = await api_tokens.list_tokens(db, actor)
    return _form(
        request,
        "accounts/tokens.html",
        "tokens",
        {"tokens": tokens, **(context or {})},
        errors=errors,
        status=status,
    )


@get("/account/tokens", name="accounts:tokens", **PAGE)
async def tokens(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], actor: NamedDependency[Actor | None]
) -> Response[str]:
    return await _tokens_page(request, db, actor)


@post("/account/tokens", name="accounts:create_token", **PAGE)
async def create_token(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], actor: NamedDependency[Actor | None]
) -> Response[str]:
    """The new secret is shown in this response only: it is not kept anywhere it could be shown again."""
    fields = await form_fields(request)
    try:
        token, secret = await api_tokens.create_token(
            db, actor, name=fields.get("name", ""), ip=get_context(request.scope).ip
        )
    except InvalidInput as exc:
        return await _tokens_page(
            request, db, actor, context={"values": fields}, errors=exc.errors, status=422
        )
    return await _tokens_page(request, db, actor, context={"created": token, "secret": secret})


@post("/account/tokens/{token_id:uuid}/revoke", name="accounts:revoke_token", **PAGE)
async def revoke_token(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    token_id: FromPath[uuid.UUID],
) -> Response[Any]:
    token = await api_tokens.revoke_token(db, actor, token_id, ip=get_context(request.scope).ip)
    flash(request, "success", _("The token “%(name)s” has been revoked.", name=token.name))
    return redirect(request, "/account/tokens")


ROUTES = [
    signup_form,
    signup,
    verify_form,
    verify,
    resend_verification,
    login_form,
    login,
    logout,
    forgot_form,
    forgot,
    reset_form,
    reset,
    show_account,
    update_account,
    password_form,
    change_password,
    tokens,
    create_token,
    revoke_token,
    *API_ROUTES,
]
