"""HTTP routes that set and clear the session cookie (a Streamlit script cannot).

The sign-in and register forms post here as ordinary browser form submissions. Streamlit's
XSRF protection does not cover custom routes, so each POST must carry an Origin header that
matches the host it was sent to. Errors go back to the page as a short code in the query
string; the page maps the code to a message, so no request text is ever reflected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from core import auth
from core.config import Settings
from core.db import session_scope
from core.errors import AuthError, ThrottledError, ValidationError
from core.log import event

log = logging.getLogger(__name__)

COOKIE_NAME = "tabletalk_session"
ERROR_MESSAGES = {
    "credentials": auth.BAD_CREDENTIALS,
    "throttled": "Too many failed sign-ins for this email. Wait 15 minutes and try again.",
    "origin": "That form was not sent from this site. Reload the page and try again.",
    "register": "We could not create an account with these details. "
    "If you already have an account, sign in instead.",
    "email": "Enter a valid email address, like name@example.com.",
    "short": f"Choose a password of at least {auth.MIN_PASSWORD} characters.",
    "same": "Your password cannot be your email address.",
    "mismatch": "The two passwords do not match.",
}


def origin_matches(request: Request) -> bool:
    """True when the Origin header names the host the request was sent to."""
    origin = request.headers.get("origin")
    host = request.headers.get("x-forwarded-host") or request.headers.get("host")
    if not origin or not host or origin == "null":
        return False
    return urlsplit(origin).netloc.lower() == host.split(",")[0].strip().lower()


def _back(error: str | None = None, mode: str = "signin") -> RedirectResponse:
    target = "/" if error is None else f"/?auth_error={error}&mode={mode}"
    return RedirectResponse(target, status_code=303)


def _with_cookie(response: Response, signed: auth.SignIn, settings: Settings) -> Response:
    response.set_cookie(
        COOKIE_NAME,
        signed.token,
        max_age=settings.session_ttl_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return response


def _validation_code(err: ValidationError) -> str:
    for code in ("email", "short", "same"):
        if err.message == ERROR_MESSAGES[code]:
            return code
    return "register"


def build_auth_routes(get_engine: Callable[[], Engine], settings: Settings) -> list[Route]:
    """Routes for ``st.App``: POST /auth/login, POST /auth/register, GET|POST /auth/logout."""

    def do_sign_in(email: str, password: str) -> auth.SignIn:
        with session_scope(get_engine()) as session:
            return auth.sign_in(session, settings, email, password)

    def do_register(email: str, password: str) -> auth.SignIn:
        with session_scope(get_engine()) as session:
            return auth.register_and_sign_in(session, settings, email, password)

    def do_sign_out(token: str | None) -> None:
        with session_scope(get_engine()) as session:
            auth.sign_out(session, token)

    async def login(request: Request) -> Response:
        if not origin_matches(request):
            event(log, "auth.origin_refused", logging.WARNING, path="/auth/login")
            return _back("origin")
        form = await request.form()
        try:
            signed = await run_in_threadpool(
                do_sign_in, str(form.get("email", "")), str(form.get("password", ""))
            )
        except ThrottledError:
            return _back("throttled")
        except AuthError:
            return _back("credentials")
        return _with_cookie(_back(), signed, settings)

    async def register(request: Request) -> Response:
        if not origin_matches(request):
            event(log, "auth.origin_refused", logging.WARNING, path="/auth/register")
            return _back("origin", "register")
        form = await request.form()
        password = str(form.get("password", ""))
        if password != str(form.get("password2", password)):
            return _back("mismatch", "register")
        try:
            signed = await run_in_threadpool(do_register, str(form.get("email", "")), password)
        except ValidationError as err:
            return _back(_validation_code(err), "register")
        return _with_cookie(_back(), signed, settings)

    async def logout(request: Request) -> Response:
        if request.method == "POST" and not origin_matches(request):
            return _back("origin")
        await run_in_threadpool(do_sign_out, request.cookies.get(COOKIE_NAME))
        response = _back()
        response.delete_cookie(
            COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=settings.cookie_secure
        )
        return response

    return [
        Route("/auth/login", login, methods=["POST"]),
        Route("/auth/register", register, methods=["POST"]),
        Route("/auth/logout", logout, methods=["GET", "POST"]),
    ]
