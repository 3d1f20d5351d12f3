"""Running the web app: plain HTTP with waitress, or HTTPS with cheroot plus a plain-HTTP listener
that only redirects to HTTPS.

Why two servers: waitress speaks no TLS (its documentation sends HTTPS to a proxy in front), and a
proxy is one more program for the responsible person to install and run on a Windows PC. cheroot
(CherryPy's WSGI server) is pure Python like waitress, runs on Windows, macOS and Linux, and
terminates TLS itself with Python's ``ssl`` module; it sets ``wsgi.url_scheme`` to ``https``, so
Flask's ``request.is_secure`` is true with no proxy header to trust. gunicorn does not run on
Windows; uvicorn and hypercorn serve ASGI and would need an adapter in front of a WSGI app.

Every port is checked before anything is printed or written, and a port that cannot be used is one
bilingual line (:class:`tracker.network.CannotListen`), never a traceback.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from tracker import network
from tracker.config import Settings

if TYPE_CHECKING:
    from tracker.tls import ServerFiles

DEFAULT_HTTPS_PORT = 8443

Echo = Callable[[str], None]


@dataclass(frozen=True)
class Plan:
    """Where the server listens: ``port`` speaks HTTPS when ``tls`` is given, and ``redirect_port``
    (HTTPS only; None for none) answers plain HTTP with a redirect to it."""

    host: str
    port: int
    tls: ServerFiles | None = None
    redirect_port: int | None = None
    threads: int = 8

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def ports(self) -> list[int]:
        return [self.port] + ([self.redirect_port] if self.redirect_port else [])


def check_ports(plan: Plan) -> None:
    """Raise :class:`network.CannotListen` when one of the plan's ports is taken."""
    for port in plan.ports():
        network.check_port_free(plan.host, port)


def serve(settings: Settings, plan: Plan, echo: Echo) -> None:
    """Announce the addresses, then serve until Ctrl+C. Raises ``CannotListen`` if a port is taken."""
    from tracker.web import create_app

    check_ports(plan)
    app = create_app(settings, app_overrides(plan))
    announce(settings, plan, echo)
    if plan.tls:
        _serve_https(app, plan)
    else:
        _serve_http(app, plan)


def app_overrides(plan: Plan) -> dict | None:
    """The app's settings that depend on how it is served."""
    if not plan.tls:
        return None
    # Every page is HTTPS (plain HTTP only redirects), so the session cookie is Secure: a browser
    # never sends it over plain HTTP, not even to the redirecting listener.
    return {"SESSION_COOKIE_SECURE": True, "PREFERRED_URL_SCHEME": "https", "MEDIATRAIL_HTTPS_PORT": plan.port,
            "MEDIATRAIL_COMPANY_CERTIFICATE": plan.tls.ca_certificate is None}


def announce(settings: Settings, plan: Plan, echo: Echo) -> None:
    """What a person starting the server needs: the URL for a phone (as text and as a QR code in
    the terminal), every other address, the local CA's fingerprint, what plain HTTP does."""
    for notice_ja, notice_en in (plan.tls.notices if plan.tls else []):
        echo(f"{notice_ja} / {notice_en}")
    hosts = network.reachable_hosts(plan.host)
    phone_host = network.preferred_host(plan.host)
    phone = network.url(plan.scheme, phone_host, plan.port) + "/"
    local_ca = plan.tls.ca_certificate if plan.tls else None
    if network.binds_everywhere(plan.host):
        echo(f"スマートフォンで開くURL / open this on a phone on the same network: {phone}")
        first_visit = phone
        if local_ca:
            # A phone that does not trust the local CA yet: the setup page, over plain HTTP when
            # there is a plain listener (no certificate warning), which then links to the HTTPS URL.
            setup_scheme, setup_port = ("http", plan.redirect_port) if plan.redirect_port else ("https", plan.port)
            first_visit = network.url(setup_scheme, phone_host, setup_port) + "/certificate"
            echo(f"初めて使うスマートフォンは、まず証明書をインストール（下のQRコード） / a phone's first time: install the "
                 f"certificate first (QR code below): {first_visit}")
        qr = terminal_qr(first_visit)
        if qr:
            echo(qr)
    else:
        echo(f"{phone} で待ち受けます / serving on {phone}")
        if plan.host.startswith("127.") or plan.host == "localhost":
            echo("このコンピューターからだけ開けます。スマートフォンから使うには --host 0.0.0.0 を指定してください / "
                 "only this computer can open it; give --host 0.0.0.0 for phones on the network")
    echo("開けるアドレス / every address it answers at:")
    for host in hosts:
        echo(f"  {network.url(plan.scheme, host, plan.port)}/")
    if plan.tls and plan.redirect_port:
        echo(f"http://（ポート {plan.redirect_port}）は https に転送します / plain HTTP on port {plan.redirect_port} redirects to HTTPS")
    if local_ca:
        from tracker import tls

        echo(f"認証局証明書 / CA certificate: {local_ca}")
        echo(f"  SHA-256 {tls.fingerprint(local_ca)}")
    if plan.tls:
        missing = [name for name in hosts if name.lower() not in plan.tls.names]
        if missing:
            echo(f"注意: 証明書にない名前では警告が出ます / warning: the certificate does not cover {', '.join(missing)}")
    _warn_about_base_url(settings.base_url, plan, echo)
    echo("Ctrl+C で終了 / Ctrl+C to stop")


def terminal_qr(text: str) -> str:
    """A QR code of ``text`` in block characters, light modules drawn, for a dark terminal (the
    default of Windows' console and of most Linux terminals); with colours fixed by escape codes
    where the output is a POSIX terminal, so a light theme reads too. Empty when the terminal
    cannot show the characters."""
    import qrcode

    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_L)
    code.add_data(text)
    buffer = io.StringIO()
    colours = sys.platform != "win32" and sys.stdout.isatty()
    buffer.isatty = lambda: colours  # print_ascii asks its output whether it is a terminal
    code.print_ascii(out=buffer, tty=colours, invert=True)
    drawn = buffer.getvalue().rstrip("\n")
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        drawn.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return ""
    return drawn


def redirect_to_https(https_port: int, app=None):
    """The plain-HTTP listener's application: the same host and path on HTTPS. 301 for GET and
    HEAD (a phone's camera app opening an old ``HTTP://`` label), 308 otherwise so a form's POST
    stays a POST. The certificate page and its download go to ``app`` unchanged: a phone that
    does not trust the local CA yet fetches it there without a certificate warning."""
    from tracker.web.certificate import PLAIN_HTTP_PATHS

    def application(environ, start_response):
        path_info = environ.get("PATH_INFO", "") or "/"
        if app is not None and (path_info in PLAIN_HTTP_PATHS or path_info.startswith("/static/")):
            return app(environ, start_response)
        host = _host_only(environ.get("HTTP_HOST", "")) or environ.get("SERVER_NAME", "localhost")
        path = quote(path_info, safe="/:@!$&'()*+,;=-._~%")
        query = environ.get("QUERY_STRING", "")
        target = network.url("https", host, https_port) + path + (f"?{query}" if query else "")
        status = "301 Moved Permanently" if environ.get("REQUEST_METHOD") in ("GET", "HEAD") else "308 Permanent Redirect"
        body = f"HTTPS: {target}\n".encode()
        start_response(status, [("Location", target), ("Content-Type", "text/plain; charset=utf-8"),
                                ("Content-Length", str(len(body)))])
        return [body]

    return application


# ---- the servers --------------------------------------------------------------------------------


def _serve_http(app, plan: Plan) -> None:
    import waitress

    try:
        waitress.serve(app, host=plan.host, port=plan.port, threads=plan.threads, ident="mediatrail", _quiet=True)
    except OSError as error:  # taken between the check and now
        raise network.CannotListen.from_error(plan.host, plan.port, error) from error


def _serve_https(app, plan: Plan) -> None:
    from cheroot import wsgi
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    https = wsgi.Server((plan.host, plan.port), app, numthreads=plan.threads, server_name="mediatrail")
    https.ssl_adapter = BuiltinSSLAdapter(str(plan.tls.certificate), str(plan.tls.key))
    redirect = None
    if plan.redirect_port:
        redirect = wsgi.Server((plan.host, plan.redirect_port), redirect_to_https(plan.port, app), numthreads=2,
                               server_name="mediatrail-redirect")
    try:
        for server, port in ((https, plan.port), (redirect, plan.redirect_port)):
            if server is None:
                continue
            try:
                server.prepare()  # binds and listens now, so a taken port is reported before serving
            except OSError as error:
                raise network.CannotListen.from_error(plan.host, port, error) from error
        if redirect:
            threading.Thread(target=redirect.serve, name="http-redirect", daemon=True).start()
        https.serve()
    finally:
        for server in (redirect, https):
            if server is not None and server.ready:
                server.stop()


def _host_only(host_header: str) -> str:
    """The host of a Host header without its port; '' when it is not a plain name or address."""
    if host_header.startswith("["):
        end = host_header.find("]")
        host = host_header[1:end] if end > 0 else ""
    else:
        host = host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:")
    return host if host and set(host) <= allowed else ""


def _warn_about_base_url(base_url: str, plan: Plan, echo: Echo) -> None:
    """Labels carry the base URL: say so when this server does not answer at it."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    listening = {plan.port: plan.scheme}
    if plan.tls and plan.redirect_port:
        listening[plan.redirect_port] = "http"
    hosts = [host.lower() for host in network.reachable_hosts(plan.host)]
    if listening.get(port) == parts.scheme and (parts.hostname or "").lower() in hosts:
        return
    echo(f"注意: ラベルのURL {base_url} はこのサーバーのアドレスではありません。スマートフォンのカメラでラベルを開くには "
         f"`mediatrail config set-base-url URL` で変更してください（印刷済みのラベルは引き続き有効です） / "
         f"note: labels point to {base_url}, which this server does not answer; change it with "
         f"`mediatrail config set-base-url URL` (labels already printed stay valid)")
