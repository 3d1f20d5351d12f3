"""JSON API for scanning stations and integrations, under /api/v1, with bearer tokens.

``plumbing`` holds what every route shares (the ``route`` decorator: authentication, the
authorisation hook, validation against ``schemas``, JSON errors, uploads, downloads, pages);
one module per area declares its routes on the one blueprint; ``openapi`` describes them all
from the same declarations at /api/v1/openapi.json.
"""

from __future__ import annotations

from tracker.web.api import checks, custody, destruction, media  # noqa: F401 - they register their routes
from tracker.web.api.openapi import spec
from tracker.web.api.plumbing import blueprint, route


@route("/openapi.json", summary=("この文書", "This document"), public=True)
def openapi():
    return spec()


__all__ = ["blueprint"]
