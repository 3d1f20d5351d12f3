"""The local CA's certificate for phones, with the steps to install and trust it (iOS, Android,
Windows), open to everyone: a phone needs it before it can log in over HTTPS without a warning.

``serve --tls`` also answers these paths on its plain-HTTP listener (everything else there
redirects to HTTPS), so a phone that does not trust the CA yet gets the page without a
certificate warning; the SHA-256 fingerprint printed in the server's terminal and on this page
lets the person check that what they install is this server's CA.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from tracker import tls
from tracker.errors import NotFound

blueprint = Blueprint("certificate", __name__)

DOWNLOAD_NAME = "mediatrail-ca"
# Open without logging in (tracker.web.auth asks this set), and served over plain HTTP as well.
PUBLIC_ENDPOINTS = {"certificate.page", "certificate.download_der", "certificate.download_pem"}
PLAIN_HTTP_PATHS = ("/certificate", f"/certificate/{DOWNLOAD_NAME}.crt", f"/certificate/{DOWNLOAD_NAME}.pem")  # and /static/


@blueprint.route("/certificate")
def page():
    ca_path = _ca_path()
    details = None
    if ca_path:
        details = {"fingerprint": tls.fingerprint(ca_path), "name": tls.certificate_common_name(ca_path),
                   "not_after": tls.certificate_not_after(ca_path)}
    return render_template("certificate.html", ca=details, secure=request.is_secure, https_url=_https_url())


@blueprint.route(f"/certificate/{DOWNLOAD_NAME}.crt")
def download_der():
    """DER with the CA MIME type: Safari on iOS offers it as a profile to install, Android and
    Windows open it as a certificate."""
    return _download(tls.der_bytes(_require_ca()), "application/x-x509-ca-cert", f"{DOWNLOAD_NAME}.crt")


@blueprint.route(f"/certificate/{DOWNLOAD_NAME}.pem")
def download_pem():
    """PEM for tools on a PC (curl --cacert, Python requests' verify=, Firefox's import)."""
    return _download(tls.pem_bytes(_require_ca()), "application/x-pem-file", f"{DOWNLOAD_NAME}.pem")


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def _ca_path():
    # A company's own certificate (serve --cert) means there is no local CA to install.
    if current_app.config.get("MEDIATRAIL_COMPANY_CERTIFICATE"):
        return None
    return tls.local_ca_path(current_app.config["SETTINGS"].data_dir)


def _require_ca():
    path = _ca_path()
    if path is None:
        raise NotFound("このサーバーにはインストールする認証局証明書がありません（会社の証明書を使っているか、HTTPSで起動していません）",
                       "this server has no CA certificate to install (it uses the company's certificate, or runs without HTTPS)")
    return path


def _https_url() -> str | None:
    """Where the phone goes once the certificate is trusted: this host on the HTTPS port."""
    port = current_app.config.get("MEDIATRAIL_HTTPS_PORT")
    if request.is_secure:
        return request.host_url
    if not port:
        return None
    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    return f"https://{host}/" if port == 443 else f"https://{host}:{port}/"
