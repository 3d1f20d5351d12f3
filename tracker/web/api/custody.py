"""Custody over the JSON API: handovers, transfers, copies, the register and issued papers.

The same workflows as the web pages (``web/custody.py``, ``web/register_pages.py``), so that a
scanning station, an integration or a phone app can do everything the pages offer.
"""

from __future__ import annotations

import json

from flask import g, request

from tracker import register
from tracker.errors import InvalidInput
from tracker.models import CopyRequest, Handover, Transfer
from tracker.web.api import schemas as s
from tracker.web.api.plumbing import (
    BATCH_REFUSALS, Upload, document_file, document_json, download, issued, listing, paper, problems_json, readable,
    record_json, route, scan_batch, settings, upload,
)
from tracker.workflows import access, copies, handovers, papers, scans, transfers
from tracker.workflows.handover_list import MAX_BYTES as MAX_LIST_BYTES

HANDOVER = {"number": "KG26-H0001"}
TRANSFER = {"number": "KG26-T0001"}
COPY_REQUEST = {"number": "KG26-C0001"}
SERIAL = {"serial": "KG26-D00001"}
PDF_ERRORS = (403, 404)

LIST_UPLOAD = Upload("list", "the city's list: multipart field `list`, or the file as the body with ?filename=",
                     MAX_LIST_BYTES, ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                      "application/octet-stream"))
PDF_UPLOAD = Upload("pdf", "the PDF as given to the reader: multipart field `pdf`, or the raw body", 20 * 1024 * 1024,
                    ("application/pdf",))


# ---- handovers ---------------------------------------------------------------------------------


@route("/handovers", summary=("引渡しの一覧", "List handovers (newest first, 200 a page)"), query=s.Listing,
       response=[s.HandoverRecord])
def list_handovers(query: s.Listing):
    return [record_json(handover) for handover in listing(Handover, query)]


@route("/handovers", "POST", summary=("引渡しを開始（受領・返還）", "Open a handover (receiving or return)"), body=s.NewHandover,
       response=s.Handover, status=201, errors=(403, 404))
def start_handover(body: s.NewHandover):
    handover = handovers.start(g.user, body.contract, body.direction, body.handover_at, body.place, body.means,
                               body.city_official, body.storage_plan or "", body.disposition_plan or "")
    return handover_json(handover)


@route("/handovers/<number>", summary=("引渡しと照合結果", "A handover with its reconciliation"), response=s.Handover,
       errors=(403, 404), examples=HANDOVER)
def get_handover(number):
    return handover_json(readable(handovers.get_handover(number)))


@route("/handovers/<number>/list", "POST",
       summary=("引渡しリストの取込み（CSV / Excel）", "Import the city's handover list (CSV or Excel), all or nothing"),
       upload=LIST_UPLOAD, query=s.ListImportQuery, response=s.ImportedList, status=201,
       responses={200: s.ListPreview}, errors=(403, 404, 409, 413), examples=HANDOVER)
def import_list(number, query: s.ListImportQuery):
    filename, content = upload(LIST_UPLOAD)
    options = {"mapping": _list_mapping(request.form.get("mapping") or query.mapping),
               "sheet": request.form.get("sheet") or query.sheet or None}
    if query.preview:
        return handovers.preview_list(g.user, number, filename, content, **options).as_dict(), 200
    registered = handovers.import_list(g.user, number, filename, content, settings=settings(), **options)
    return {"handover": handovers.get_handover(number).number, "media": [scans.medium_summary(medium) for medium in registered]}


def _list_mapping(text: str) -> dict | None:
    """The column mapping sent as JSON text (a form field or a query parameter)."""
    if not text:
        return None
    try:
        mapping = json.loads(text)
    except ValueError:
        mapping = None
    if not isinstance(mapping, dict) or not all(isinstance(value, str) for value in mapping.values()):
        raise InvalidInput('mapping は JSON のオブジェクト（{"列名": "項目"}）で送ってください',
                           'send mapping as a JSON object ({"column name": "field"})', field="mapping")
    return mapping


@route("/handovers/<number>/scans", "POST", summary=("引渡しでの読取り（まとめて）", "Scan labels into the handover (a batch, answered per code)"),
       body=s.Codes, response=s.ScanAnswers, responses=BATCH_REFUSALS, errors=(403, 404, 409),
       examples=HANDOVER)
def scan_into_handover(number, body: s.Codes):
    handover = handovers.get_handover(number)
    return scan_batch(body, handover.direction, handover.number)


@route("/handovers/<number>/sign", "POST", summary=("受託者の署名", "The contractor signs the handover"), response=s.Handover,
       errors=(403, 404, 409), examples=HANDOVER)
def sign_handover(number):
    return handover_json(handovers.sign(g.user, number))


@route("/handovers/<number>/reopen", "POST", summary=("署名済みの引渡しを差し戻す（理由）", "Reopen a signed handover, saying why"),
       body=s.Reason, response=s.Handover, errors=(403, 404, 409), examples=HANDOVER)
def reopen_handover(number, body: s.Reason):
    return handover_json(handovers.reopen(g.user, number, body.reason or ""))


@route("/handovers/<number>/confirm", "POST",
       summary=("市の確認（預り証・返還受領書を発行）", "The city official confirms with their own token; the receipt is issued"),
       response=s.IssuedHandover, errors=(403, 404, 409), examples=HANDOVER)
def confirm_handover(number):
    document = handovers.confirm(g.user, number, settings())
    return issued(document, handover=handover_json(handovers.get_handover(number)))


@route("/handovers/<number>/receipt.pdf", summary=("預り証・返還受領書（発行前はプレビュー）", "The receipt as issued, or a preview"),
       response="application/pdf", errors=PDF_ERRORS, examples=HANDOVER)
def handover_receipt(number):
    handover = readable(handovers.get_handover(number))
    return paper(handovers.RECEIPT_KINDS[handover.direction], handover.number,
                 lambda: handovers.preview_receipt(g.user, handover.number, settings()))


def handover_json(handover: Handover) -> dict:
    receipt = papers.latest(handovers.RECEIPT_KINDS[handover.direction], handover.number)
    return {**record_json(handover), "reconciliation": handovers.reconcile(handover).as_dict(),
            "receipt": receipt.serial if receipt else None}


# ---- transfers ---------------------------------------------------------------------------------


@route("/transfers", summary=("移送の一覧", "List transfers (newest first, 200 a page)"), query=s.Listing, response=[s.TransferRecord])
def list_transfers(query: s.Listing):
    return [record_json(transfer) for transfer in listing(Transfer, query)]


@route("/transfers", "POST", summary=("移送の計画", "Plan a transfer"), body=s.NewTransfer, response=s.Transfer, status=201,
       errors=(403, 404, 409))
def plan_transfer(body: s.NewTransfer):
    transfer = transfers.plan(
        g.user, body.contract, body.purpose, body.origin, body.destination, body.means, body.custodians,
        seal_number=body.seal_number or "", route=body.route or "", locked_case=body.locked_case,
        approval_reference=body.approval_reference or "",
    )
    return transfer_json(transfer)


@route("/transfers/<number>", summary=("移送と照合結果", "A transfer with its tally"), response=s.Transfer, errors=(403, 404),
       examples=TRANSFER)
def get_transfer(number):
    return transfer_json(readable(transfers.get_transfer(number)))


@route("/transfers/<number>/scans", "POST",
       summary=("移送の発送・到着の読取り（まとめて）", "Scan labels out (preparing) or in (departed), a batch answered per code"),
       body=s.Codes, response=s.ScanAnswers, responses=BATCH_REFUSALS, errors=(403, 404, 409),
       examples=TRANSFER)
def scan_into_transfer(number, body: s.Codes):
    transfer = transfers.get_transfer(number)
    return scan_batch(body, transfers.scan_action(transfer), transfer.number)


@route("/transfers/<number>/depart", "POST", summary=("発送", "Depart: the media are in transit"), response=s.Transfer,
       errors=(403, 404, 409), examples=TRANSFER)
def depart(number):
    return transfer_json(transfers.depart(g.user, number))


@route("/transfers/<number>/arrive", "POST", summary=("到着（移送記録を発行）", "Arrive with the seal's condition; the record is issued"),
       body=s.Arrival, response=s.IssuedTransfer, errors=(403, 404, 409), examples=TRANSFER)
def arrive(number, body: s.Arrival):
    document = transfers.arrive(g.user, number, body.seal_intact, settings(), note=body.note or "",
                                accept_missing=body.accept_missing)
    return issued(document, transfer=transfer_json(transfers.get_transfer(number)))


@route("/transfers/<number>/record.pdf", summary=("移送記録（到着前はプレビュー）", "The transfer record as issued, or a preview"),
       response="application/pdf", errors=PDF_ERRORS, examples=TRANSFER)
def transfer_record(number):
    transfer = readable(transfers.get_transfer(number))
    return paper("transfer_record", transfer.number, lambda: transfers.preview_record(g.user, transfer.number, settings()))


def transfer_json(transfer: Transfer) -> dict:
    record = papers.latest("transfer_record", transfer.number)
    return {**record_json(transfer), "tally": transfers.tally(transfer).as_dict(), "record": record.serial if record else None}


# ---- copies ------------------------------------------------------------------------------------


@route("/copy-requests", summary=("複製の申請の一覧", "List copy requests (newest first, 200 a page)"), query=s.Listing,
       response=[s.CopyRequest])
def list_copy_requests(query: s.Listing):
    return [record_json(found) for found in listing(CopyRequest, query)]


@route("/media/<medium_id>/copy-requests", "POST", summary=("複製の申請（第5条）", "Ask the city for a copy (Art. 5)"),
       body=s.NewCopyRequest, response=s.CopyRequest, status=201, errors=(403, 404, 409), examples={"medium_id": "KG26-00042-Q"})
def request_copy(medium_id, body: s.NewCopyRequest):
    found = copies.request(g.user, medium_id, body.copies, body.copy_kind or "", body.purpose or "")
    return record_json(found)


@route("/copy-requests/<number>", summary=("複製の申請1件", "One copy request"), response=s.CopyRequest, errors=(403, 404),
       examples=COPY_REQUEST)
def get_copy_request(number):
    return record_json(readable(copies.get_request(number)))


@route("/copy-requests/<number>/decision", "POST", summary=("市の承認・却下", "The city approves or rejects (a rejection says why)"),
       body=s.Decision, response=s.CopyRequest, errors=(403, 404, 409), examples=COPY_REQUEST)
def decide_copy(number, body: s.Decision):
    return record_json(copies.decide(g.user, number, body.approve, body.note or ""))


@route("/copy-requests/<number>/copies", "POST", summary=("承認された複製の作成", "Register an approved copy under its own ID"),
       body=s.NewCopy, body_required=False, response=s.Copy, status=201, errors=(403, 404, 409), examples=COPY_REQUEST)
def make_copy(number, body: s.NewCopy):
    copy = copies.make_copy(g.user, number, location=body.location or None, encrypted=body.encrypted,
                            encryption=body.encryption or "", serial_number=body.serial_number or "")
    return {**scans.medium_summary(copy), "parent": copy.parent_id, "copy_request": copies.get_request(number).number}, 201


# ---- the register ------------------------------------------------------------------------------


@route("/register.csv", summary=("台帳 CSV（Excel 用 UTF-8 BOM）", "The register as CSV (UTF-8 with BOM, opens in Excel)"),
       query=s.ContractQuery, response="text/csv", errors=(403, 404))
def register_csv(query: s.ContractQuery):
    code = readable_contract(query.contract)
    return download(register.register_csv_lines([code], lang=g.lang), "text/csv; charset=utf-8", f"register-{code}.csv", "attachment")


@route("/register/custody.csv", summary=("取扱記録 CSV（イベントと媒体ごとに1行）", "The chain of custody as CSV, one row per event and medium"),
       query=s.ContractQuery, response="text/csv", errors=(403, 404))
def custody_csv(query: s.ContractQuery):
    code = readable_contract(query.contract)
    return download(register.custody_csv_lines([code], lang=g.lang), "text/csv; charset=utf-8", f"custody-{code}.csv", "attachment")


@route("/contracts/<code>/balance", summary=("収支（受領＋複製＝返還＋廃棄＋保有）", "The closeout balance: received + copies = returned + destroyed + held"),
       response=s.Balance, errors=(403, 404), examples={"code": "KG26"})
def balance(code):
    found = register.closeout_balance(readable_contract(code))
    return {
        "contract": found.contract, "received": found.received, "copies": found.copies, "returned": found.returned,
        "destroyed": found.destroyed, "held": found.held, "never_received": found.never_received,
        "came_in": found.came_in, "went_out_or_held": found.went_out_or_held, "balanced": found.balanced,
        "by_status": found.by_status, "held_media": [row.id for row in found.held_media],
        "unaccounted_media": [row.id for row in found.unaccounted_media],
    }


def readable_contract(code: str) -> str:
    if not code:
        raise InvalidInput("契約（contract）を指定してください", "give the contract (contract=...)", field="contract")
    contract = access.get_contract(code)
    access.require_read(g.user, contract)
    return contract.code


# ---- issued papers -----------------------------------------------------------------------------


@route("/documents/<serial>", summary=("発行文書と検証結果", "An issued paper and whether it still verifies"),
       response=s.CheckedDocument, errors=(403, 404), examples=SERIAL)
def get_document(serial):
    document = papers.get_document(g.user, serial)
    check = papers.check(settings(), document)
    return {**document_json(document), "check": {
        "ok": check.ok, "chain_holds_head": check.chain_holds_head, "file_intact": check.file_intact,
        "ledger_ok": check.report.ok, "ledger_events": check.report.events, "problems": problems_json(check.report.problems),
    }}


@route("/documents/<serial>.pdf", summary=("発行文書の PDF", "The issued PDF"), response="application/pdf", errors=PDF_ERRORS,
       examples=SERIAL)
def document_pdf(serial):
    return document_file(papers.get_document(g.user, serial))


@route("/documents/<serial>/compare", "POST",
       summary=("手元の PDF が発行文書と同一か", "Is this PDF byte for byte the one issued?"), upload=PDF_UPLOAD, query=s.UploadQuery,
       response=s.Comparison, errors=(403, 404, 413), examples=SERIAL)
def compare_document(serial):
    document = papers.get_document(g.user, serial)
    _filename, content = upload(PDF_UPLOAD, default_name=f"{document.serial}.pdf")
    return {"serial": document.serial, "matches": papers.matches(document, content)}
