"""Response headers that make the browser refuse what mediatrail never does: run a script it did not
serve from its own static folder, be framed by another site, guess a download's type, or tell
another site which page (and so which medium ID) a link was followed from.

One place, so that a new page cannot forget them. Templates carry no inline ``<script>``, no
``on...=`` handler and no ``style=`` attribute (tests/test_security_headers.py checks every
template), which is what lets the policy below leave out ``'unsafe-inline'``.
"""

from __future__ import annotations

from flask import Flask, Response

# 'wasm-unsafe-eval' lets a same-origin worker compile WebAssembly (a barcode reader in wasm for
# browsers without BarcodeDetector) without allowing eval() of JavaScript; blob: workers are how
# such readers start their worker.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

# A PDF opens in the browser's own viewer, which some browsers run under the document's policy:
# the PDF gets only what cannot break that viewer.
PDF_POLICY = "frame-ancestors 'none'"

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}


def install(app: Flask) -> None:
    app.after_request(add_headers)


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    policy = PDF_POLICY if response.mimetype == "application/pdf" else CONTENT_SECURITY_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    return response
