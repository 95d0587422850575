"""The cookie routes: flags, Origin check, sign-out clears the cookie server-side too."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core import auth
from core.auth_routes import COOKIE_NAME, build_auth_routes
from core.db import session_scope

ORIGIN = {"origin": "http://testserver"}
CREDS = {"email": "alice@example.com", "password": "correct horse battery"}


@pytest.fixture
def client(engine, settings, db):
    app = Starlette(routes=build_auth_routes(lambda: engine, settings))
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def secure_client(engine, settings, db):
    from dataclasses import replace

    app = Starlette(routes=build_auth_routes(lambda: engine, replace(settings, cookie_secure=True)))
    return TestClient(app, follow_redirects=False, base_url="https://testserver")


def _register(client, **extra):
    data = {**CREDS, "password2": CREDS["password"], **extra}
    return client.post("/auth/register", data=data, headers=ORIGIN)


def test_register_signs_in_with_an_httponly_samesite_cookie(client, engine):
    response = _register(client)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    token = response.cookies[COOKIE_NAME]
    with session_scope(engine) as session:
        assert auth.user_for_token(session, token).email == CREDS["email"]


def test_cookie_is_secure_when_configured(secure_client):
    response = secure_client.post(
        "/auth/register",
        data={**CREDS, "password2": CREDS["password"]},
        headers={"origin": "https://testserver"},
    )
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"origin": "http://evil.example"},
        {"origin": "null"},
        {"origin": "http://testserver.evil"},
    ],
)
@pytest.mark.parametrize("path", ["/auth/login", "/auth/register"])
def test_posts_from_another_origin_are_refused(client, path, headers):
    response = client.post(path, data={**CREDS, "password2": CREDS["password"]}, headers=headers)
    assert "auth_error=origin" in response.headers["location"]
    assert "set-cookie" not in response.headers


def test_sign_in_with_wrong_password_redirects_with_a_code_only(client):
    _register(client)
    response = client.post("/auth/login", data={**CREDS, "password": "<script>"}, headers=ORIGIN)
    assert response.headers["location"] == "/?auth_error=credentials&mode=signin"
    assert "set-cookie" not in response.headers


def test_sign_in_after_five_failures_is_throttled(client):
    _register(client)
    for _ in range(5):
        client.post("/auth/login", data={**CREDS, "password": "nope nope"}, headers=ORIGIN)
    response = client.post("/auth/login", data=CREDS, headers=ORIGIN)
    assert "auth_error=throttled" in response.headers["location"]


def test_mismatched_passwords_are_refused(client):
    response = _register(client, password2="something else")
    assert "auth_error=mismatch" in response.headers["location"]


def test_logout_revokes_the_token_and_deletes_the_cookie(client, engine):
    token = _register(client).cookies[COOKIE_NAME]
    client.cookies.set(COOKIE_NAME, token)
    response = client.get("/auth/logout")
    assert response.status_code == 303
    assert f'{COOKIE_NAME}=""' in response.headers["set-cookie"]
    with session_scope(engine) as session:
        assert auth.user_for_token(session, token) is None
