"""Security headers on every answer (tracker/web/security.py), templates that need no inline script
or style for them, and the session cookie's flags (issue #11, "Login and sessions")."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from conftest import PASSWORD, csrf, login, login_csrf
from tracker import serving
from tracker.tls import ServerFiles
from tracker.web import create_app
from tracker.workflows import media

TEMPLATES = Path(resources.files("tracker.web") / "templates")


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def assert_common(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_carry_a_policy_without_inline_script_and_refuse_framing(client, cast):
    pages = [client.get("/login")]
    login(client, "sato")
    pages += [client.get("/"), client.get("/no/such/page")]
    assert [page.status_code for page in pages] == [200, 200, 404]
    for page in pages:
        assert_common(page)
        policy = directives(page)
        assert policy["script-src"] == "'self' 'wasm-unsafe-eval'"
        assert policy["frame-ancestors"] == "'none'"
        assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
        assert policy["style-src"] == "'self'"
        assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
        assert "unsafe-eval'" not in page.headers["Content-Security-Policy"].replace("wasm-unsafe-eval'", "")


def test_api_answers_and_svg_labels_carry_the_headers_too(client, cast):
    refused = client.get("/api/v1/media")
    assert refused.status_code == 401
    assert_common(refused)
    assert directives(refused)["frame-ancestors"] == "'none'"
    medium = media.register(cast.worker, "KG26", "paper", "原票")
    login(client, "sato")
    svg = client.get(f"/media/{medium.id}/label.svg")
    assert svg.mimetype == "image/svg+xml"
    assert_common(svg)
    assert directives(svg)["script-src"] == "'self' 'wasm-unsafe-eval'"


def test_a_pdf_may_not_be_framed_but_keeps_the_browsers_viewer(client, cast):
    medium = media.register(cast.worker, "KG26", "paper", "原票")
    login(client, "sato")
    pdf = client.post("/labels", data={"csrf_token": csrf(client), "medium": medium.id, "scope": "selected", "layout": "ql-62"})
    assert pdf.mimetype == "application/pdf"
    assert_common(pdf)
    assert pdf.headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def template_files():
    return sorted(TEMPLATES.glob("*.html"))


@pytest.mark.parametrize("template", template_files(), ids=lambda path: path.name)
def test_templates_have_no_inline_script_handler_or_style(template):
    text = template.read_text(encoding="utf-8")
    for tag in re.findall(r"<script\b[^>]*>", text, flags=re.IGNORECASE):
        assert "src=" in tag, f"inline <script> in {template.name}: move it to tracker/web/static/"
    assert not re.search(r"\son[a-z]+\s*=", text, flags=re.IGNORECASE), f"on...= handler in {template.name}"
    assert not re.search(r"\sstyle\s*=", text, flags=re.IGNORECASE), f"style= attribute in {template.name}"
    assert not re.search(r"<style\b", text, flags=re.IGNORECASE), f"<style> block in {template.name}"
    assert "javascript:" not in text.lower()


def test_the_template_check_finds_what_it_looks_for(tmp_path):
    # The check above would pass on anything if the glob found nothing.
    assert len(template_files()) > 20


def session_cookie(response) -> str:
    return next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))


def test_session_cookie_is_httponly_and_samesite_lax_but_not_secure_over_plain_http(client, cast):
    cookie = session_cookie(client.post("/login", data={"login": "sato", "password": PASSWORD, "csrf_token": login_csrf(client)}))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_when_served_over_tls(cast, data_dir, settings, tmp_path):
    files = ServerFiles(tmp_path / "server.pem", tmp_path / "server.key", tmp_path / "ca.pem", ["localhost"], None)
    plan = serving.Plan("127.0.0.1", 8443, tls=files, redirect_port=8000)
    assert serving.app_overrides(serving.Plan("127.0.0.1", 8000)) is None
    app = create_app(settings, {**serving.app_overrides(plan), "TESTING": True})
    client = app.test_client()
    token = login_csrf(client)
    cookie = session_cookie(client.post("/login", base_url="https://localhost",
                                        data={"login": "sato", "password": PASSWORD, "csrf_token": token}))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
