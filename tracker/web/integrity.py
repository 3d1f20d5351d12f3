"""The ledger's signed checkpoint, for the city to download and keep (``tracker.checkpoints``)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g

from tracker import checkpoints

blueprint = Blueprint("integrity", __name__)


@blueprint.route("/checkpoint", methods=["POST"])
def download_checkpoint():
    """Sign the head now and hand it over as a file; the download is recorded (who, when), so a
    POST: a link preview or a prefetch must not record a hand-over."""
    issued = checkpoints.issue(g.user.login, current_app.config["SETTINGS"], "dashboard", recipient=g.user.name)
    return Response(issued.note, mimetype="text/plain", headers={
        "Content-Disposition": f'attachment; filename="{checkpoints.file_name(issued)}"',
        "Cache-Control": "no-store",
    })
