"""What the page's scanning component (static/scan.js) talks to, and the /scan look-up page.

- ``/scan/identify``: what a code just read is (fits, another contract or flow, unknown, forged),
  before anything is recorded, so the page warns while the person still holds the medium.
- ``/scan/decode``: a camera frame the page could not read itself, tried with the station's full
  decoder cascade (``scanner.decode``).
- ``/scan/record``: one code of a reviewed list, recorded exactly once per idempotency key
  (``scans.record``): the page keeps every code in IndexedDB until this answers, so a lost
  connection or an expired session loses nothing and a resend records nothing twice.

All three answer JSON, refusals included (``web.__init__`` sends DomainErrors on these paths as
JSON); they take the session's CSRF token as a form field like every other POST.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, render_template, request, session, url_for

from tracker.errors import DomainError, InvalidInput, NotAllowed
from tracker.web.i18n import translate
from tracker.workflows import access, scan_preview, scans

blueprint = Blueprint("scanning", __name__)

JSON_PATHS = "/scan/"  # everything below answers JSON
MAX_FRAME_BYTES = 4 * 1024 * 1024  # a camera frame as JPEG or PNG; a phone's full photo goes to the photo field


@blueprint.route("/scan")
def scan_page():
    """Labels read one after another, each listed with what it names and what can be done now."""
    return render_template("scan.html")


@blueprint.route("/scan/identify", methods=["POST"])
def identify():
    code = request.form.get("code", "")
    action = request.form.get("action", "lookup")
    preview = scan_preview.preview(g.user, code, action, request.form.get("context") or None, _secret())
    answer = preview.as_dict()
    if preview.medium is not None and preview.verdict != scan_preview.OTHER_CONTRACT:
        answer["medium"]["url"] = url_for("pages.medium_page", medium_id=preview.medium.id)
        answer["next"] = [{**step, "label": translate(step["label_ja"], step["label_en"])}
                          for step in scan_preview.next_step(g.user, preview.medium)]
    answer["message"] = translate(preview.message_ja, preview.message_en)
    return jsonify(answer)


@blueprint.route("/scan/decode", methods=["POST"])
def decode_frame():
    """A frame the page could not read: the server's cascade (zxing-cpp, then ZBar, then OpenCV)."""
    from scanner.decode import decode
    from scanner.images import ImageRejected, load_image

    # Who may ask, before the upload is read: decoding costs the server up to a second a frame.
    if not access.readable_contracts(g.user):
        raise NotAllowed("どの契約の媒体も扱えないため、読取りはできません", "you may not handle any contract's media, so nothing is decoded")
    frame = request.files.get("frame")
    if frame is None:
        raise InvalidInput("画像がありません", "no image was sent")
    content = frame.read(MAX_FRAME_BYTES + 1)
    if len(content) > MAX_FRAME_BYTES:
        raise InvalidInput(f"画像が大きすぎます（上限 {MAX_FRAME_BYTES // (1024 * 1024)} MB）",
                           f"the image is too large (limit {MAX_FRAME_BYTES // (1024 * 1024)} MB)")
    try:
        hits = decode(load_image(content, max_bytes=MAX_FRAME_BYTES))
    except ImageRejected as error:
        raise InvalidInput(error.message_ja, error.message_en) from None
    return jsonify({"codes": [scans.printable(hit.text) for hit in hits]})


@blueprint.route("/scan/record", methods=["POST"])
def record():
    form = request.form
    try:
        status, answer = scans.record(g.user, form.get("key", ""), form.get("code", ""), form.get("action", ""),
                                      form.get("context") or None, _secret(), source=form.get("source", "typed"),
                                      confirmed=form.get("confirmed") == "1")
    except DomainError as refusal:  # a malformed entry: answered, so the page drops it from its queue
        status, answer = refusal.status, {"ok": False, **refusal.as_dict()}
    shown = {key: answer.get(key) for key in ("ok", "message_ja", "message_en", "duplicate", "unexpected", "listed")}
    session["scan_answers"] = (session.get("scan_answers", []) + [{"code": scans.printable(form.get("code", "")), **shown}])[-100:]
    return jsonify({**answer, "status": status}), 200 if status < 500 else status


def _secret() -> bytes:
    return current_app.config["SETTINGS"].secret
