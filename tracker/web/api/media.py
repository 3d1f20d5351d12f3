"""Media, single scans (the scanning station's route) and the ledger's own verification."""

from __future__ import annotations


from flask import g

from tracker import ledger, queries
from tracker.web.api import schemas as s
from tracker.web.api.plumbing import problems_json, require_shallow_page, route, settings
from tracker.workflows import access, media, scans

MEDIUM_ID = {"medium_id": "KG26-00042-Q"}


@route("/media", summary=("媒体の検索", "Search media"), query=s.MediaSearch, response=s.MediaPage)
def list_media(query: s.MediaSearch):
    require_shallow_page(query.page, queries.PAGE_SIZE)
    wanted = queries.MediaFilter(text=query.q, status=query.status, kind=query.kind, contract=query.contract,
                                 location=query.location, page=query.page, after=query.after)
    found = queries.search_media(access.readable_contracts(g.user), wanted)
    return {"total": found.total, "total_is_floor": found.total_is_floor, "page": wanted.page, "next": found.next_after,
            "media": [scans.medium_summary(medium) for medium in found.media]}


@route("/media/<medium_id>", summary=("媒体1件", "One medium"), response=s.Medium, errors=(403, 404), examples=MEDIUM_ID)
def get_medium(medium_id):
    medium = media.get_medium(medium_id)
    access.require_read(g.user, medium.contract)
    return scans.medium_summary(medium)


@route("/media/<medium_id>/events", summary=("媒体の取扱記録", "A medium's chain of custody"), response=[s.LedgerEvent],
       errors=(403, 404), examples=MEDIUM_ID)
def medium_events(medium_id):
    medium = media.get_medium(medium_id)
    access.require_read(g.user, medium.contract)
    return [{"seq": event.seq, "at": event.at, "actor": event.actor, "kind": event.kind, "data": event.data_dict, "hash": event.hash}
            for event in ledger.timeline(medium.id)]


@route("/media", "POST", summary=("媒体を登録", "Register a medium into custody"), body=s.NewMedium, response=s.Medium,
       status=201, errors=(403, 404, 409))
def register_medium(body: s.NewMedium):
    details = body.given()
    medium = media.register(g.user, details.pop("contract"), details.pop("kind"), details.pop("title"), **details)
    return scans.medium_summary(medium)



@route("/scans", "POST", summary=("読取りを記録（冪等キーごとに1回）", "Record a scan (exactly once per idempotency_key and user)"),
       body=s.Scan, response=s.ScanResult, errors=(403, 404, 409),
       responses={str(code): {"description": "refused: the scan's answer", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScanResult"}}}}
                  for code in (400, 403, 404, 409)})
def scan(body: s.Scan):
    status, answer = scans.record(g.user, body.idempotency_key, body.code, body.action, body.context or body.location,
                                  settings().secret, source=body.source, confirmed=bool(body.confirmed))
    return answer, status


@route("/verify", summary=("台帳の検証", "Verify the ledger chain and state"), response=s.Verification)
def verify():
    report = ledger.verify(settings().attachments_dir)
    return {"ok": report.ok, "events": report.events, "head": report.head_hash, "problems": problems_json(report.problems)}
