"""The OpenAPI 3.1 description of /api/v1 (tests check every route is described).

Summaries are Japanese first, then English, like every other text of the tool.
"""

from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes) -> dict:
    return {str(code): {"description": "error", "content": {"application/json": {"schema": ERROR}}} for code in codes}


def _ok(schema, code="200") -> dict:
    return {code: {"description": "ok", "content": {"application/json": {"schema": schema}}}}


def _file(mimetype: str, description: str) -> dict:
    return {"200": {"description": description, "content": {mimetype: {"schema": {"type": "string", "format": "binary"}}}}}


def _json_body(schema, required=True) -> dict:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _path(name: str, example: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "example": example}


def _query(*names: str, required=()) -> list[dict]:
    return [{"name": name, "in": "query", "required": name in required, "schema": {"type": "string"}} for name in names]


def _op(summary_ja: str, summary_en: str, responses: dict, parameters=(), body=None, **extra) -> dict:
    operation = {"summary": f"{summary_ja} / {summary_en}", "responses": responses, **extra}
    if parameters:
        operation["parameters"] = list(parameters)
    if body is not None:
        operation["requestBody"] = body
    return operation


def _object(required=(), **properties) -> dict:
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


STRING = {"type": "string"}
BOOLEAN = {"type": "boolean"}
NULLABLE = {"type": ["string", "null"]}
IDS = {"type": "array", "items": STRING}


def spec() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "mediatrail API", "version": "1",
                 "description": "記録媒体の管理台帳 API / chain of custody for record media. Errors carry message_ja and message_en; "
                                "booleans must be JSON true/false."},
        "security": [{"bearer": []}],
        "paths": {**_media_paths(), **_handover_paths(), **_transfer_paths(), **_copy_paths(), **_register_paths(), **_document_paths()},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "token from `mediatrail user token LOGIN`"}},
            "schemas": SCHEMAS,
        },
    }


def _media_paths() -> dict:
    medium_ref = _ref("Medium")
    medium_id = [_path("medium_id", "KG26-00042-Q")]
    return {
        "/api/v1/media": {
            "get": _op("媒体の検索", "Search media", {**_ok(_object(total={"type": "integer"}, page={"type": "integer"},
                                                                   media={"type": "array", "items": medium_ref})), **_errors(401)},
                       _query("q", "status", "kind", "contract", "location", "page")),
            "post": _op("媒体を登録", "Register a medium into custody", {**_ok(medium_ref, "201"), **_errors(400, 401, 403, 404)},
                        body=_json_body(_ref("NewMedium"))),
        },
        "/api/v1/media/{medium_id}": {"get": _op("媒体1件", "One medium", {**_ok(medium_ref), **_errors(401, 403, 404)}, medium_id)},
        "/api/v1/media/{medium_id}/events": {"get": _op("媒体の取扱記録", "A medium's chain of custody",
                                                        {**_ok({"type": "array", "items": {"type": "object"}}), **_errors(401, 403, 404)}, medium_id)},
        "/api/v1/scans": {"post": _op("読取りを記録（冪等キーごとに1回）", "Record a scan (exactly once per idempotency_key)",
                                      {**_ok(_ref("ScanResult")), **_errors(400, 401, 403, 404, 409)}, body=_json_body(_ref("Scan")))},
        "/api/v1/verify": {"get": _op("台帳の検証", "Verify the ledger chain and state", {**_ok({"type": "object"}), **_errors(401)})},
        "/api/v1/openapi.json": {"get": _op("この文書", "This document", _ok({"type": "object"}), security=[])},
    }


def _handover_paths() -> dict:
    number = [_path("number", "KG26-H0001")]
    handover = _ref("Handover")
    return {
        "/api/v1/handovers": {
            "get": _op("引渡しの一覧", "List handovers (newest first, 200 a page)", {**_ok({"type": "array", "items": {"type": "object"}}), **_errors(401)},
                       _query("contract", "status", "page")),
            "post": _op("引渡しを開始（受領・返還）", "Open a handover (receiving or return)", {**_ok(handover, "201"), **_errors(400, 401, 403, 404)},
                        body=_json_body(_ref("NewHandover"))),
        },
        "/api/v1/handovers/{number}": {"get": _op("引渡しと照合結果", "A handover with its reconciliation", {**_ok(handover), **_errors(401, 403, 404)}, number)},
        "/api/v1/handovers/{number}/list": {"post": _op(
            "引渡しリストの取込み（CSV / Excel）", "Import the city's handover list (CSV or Excel), all or nothing",
            {**_ok(_object(handover=STRING, media={"type": "array", "items": _ref("Medium")}), "201"), **_errors(400, 401, 403, 404, 409)},
            [*number, *_query("filename")],
            {"required": True, "description": "multipart field `list`, or the file as the body with ?filename=",
             "content": {"multipart/form-data": {"schema": _object(["list"], list={"type": "string", "format": "binary"})},
                         "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
        )},
        "/api/v1/handovers/{number}/scans": {"post": _op(
            "ラベルの読取り（まとめて）", "Scan labels into the handover (a batch)", _scan_responses(), number, _json_body(_ref("Codes")))},
        "/api/v1/handovers/{number}/sign": {"post": _op("受託者の署名", "The contractor signs", {**_ok(handover), **_errors(401, 403, 404, 409)}, number)},
        "/api/v1/handovers/{number}/reopen": {"post": _op(
            "差戻し（読取りを再開）", "Reopen a signed handover", {**_ok(handover), **_errors(400, 401, 403, 404, 409)}, number,
            _json_body(_object(["reason"], reason=STRING)))},
        "/api/v1/handovers/{number}/confirm": {"post": _op(
            "市の確認（受領書を発行）", "The city confirms with its own token; the receipt is issued",
            {**_ok(_object(serial=STRING, document=_ref("Document"), handover=handover)), **_errors(401, 403, 404, 409)}, number)},
        "/api/v1/handovers/{number}/receipt.pdf": {"get": _op(
            "預り証・返還受領書（確認前はプレビュー）", "The receipt as issued, or a preview before confirmation",
            {**_file("application/pdf", "PDF"), **_errors(401, 403, 404)}, number)},
    }


def _transfer_paths() -> dict:
    number = [_path("number", "KG26-T0001")]
    transfer = _ref("Transfer")
    return {
        "/api/v1/transfers": {
            "get": _op("移送の一覧", "List transfers (newest first, 200 a page)", {**_ok({"type": "array", "items": {"type": "object"}}), **_errors(401)},
                       _query("contract", "status", "page")),
            "post": _op("移送の計画", "Plan a transfer", {**_ok(transfer, "201"), **_errors(400, 401, 403, 404, 409)},
                        body=_json_body(_ref("NewTransfer"))),
        },
        "/api/v1/transfers/{number}": {"get": _op("移送と照合結果", "A transfer with its tally", {**_ok(transfer), **_errors(401, 403, 404)}, number)},
        "/api/v1/transfers/{number}/scans": {"post": _op(
            "発送・到着の読取り（まとめて）", "Scan labels: departure while preparing, arrival while departed",
            _scan_responses(), number, _json_body(_ref("Codes")))},
        "/api/v1/transfers/{number}/depart": {"post": _op("発送", "Depart", {**_ok(transfer), **_errors(401, 403, 404, 409)}, number)},
        "/api/v1/transfers/{number}/arrive": {"post": _op(
            "到着（移送記録を発行）", "Complete the arrival; the transfer record is issued",
            {**_ok(_object(serial=STRING, document=_ref("Document"), transfer=transfer)), **_errors(400, 401, 403, 404, 409)}, number,
            _json_body(_object(["seal_intact"], seal_intact=BOOLEAN, note=STRING, accept_missing=BOOLEAN)))},
        "/api/v1/transfers/{number}/record.pdf": {"get": _op(
            "移送記録（到着前はプレビュー）", "The transfer record as issued, or a preview before arrival",
            {**_file("application/pdf", "PDF"), **_errors(401, 403, 404)}, number)},
    }


def _copy_paths() -> dict:
    number = [_path("number", "KG26-C0001")]
    copy_request = _ref("CopyRequest")
    return {
        "/api/v1/copy-requests": {"get": _op("複製の申請の一覧", "List copy requests (newest first, 200 a page)",
                                             {**_ok({"type": "array", "items": copy_request}), **_errors(401)}, _query("contract", "status", "page"))},
        "/api/v1/media/{medium_id}/copy-requests": {"post": _op(
            "複製の申請", "Ask the city for permission to copy a medium", {**_ok(copy_request, "201"), **_errors(400, 401, 403, 404, 409)},
            [_path("medium_id", "KG26-00042-Q")],
            _json_body(_object(["copy_kind", "purpose"], copies={"type": "integer", "minimum": 1, "default": 1},
                               copy_kind={"enum": list(MEDIUM_KINDS)}, purpose=STRING)))},
        "/api/v1/copy-requests/{number}": {"get": _op("複製の申請1件", "One copy request", {**_ok(copy_request), **_errors(401, 403, 404)}, number)},
        "/api/v1/copy-requests/{number}/decision": {"post": _op(
            "複製の承認・却下（市）", "The city approves or rejects (a rejection says why)",
            {**_ok(copy_request), **_errors(400, 401, 403, 404, 409)}, number,
            _json_body(_object(["approve"], approve=BOOLEAN, note=STRING)))},
        "/api/v1/copy-requests/{number}/copies": {"post": _op(
            "承認された複製の登録", "Register one copy made under the approval (refused without it)",
            {**_ok(_ref("Medium"), "201"), **_errors(400, 401, 403, 404, 409)}, number,
            _json_body(_object(location=STRING, encrypted=BOOLEAN, encryption=STRING, serial_number=STRING), required=False))},
    }


def _register_paths() -> dict:
    contract = _query("contract", "lang", required=("contract",))
    csv = {**_file("text/csv", "UTF-8 with a BOM, CRLF line ends"), **_errors(400, 401, 403, 404)}
    return {
        "/api/v1/register.csv": {"get": _op("台帳（CSV）", "The media register (CSV)", csv, contract)},
        "/api/v1/register/custody.csv": {"get": _op("取扱記録（CSV）", "Every custody event of every medium (CSV)", csv, contract)},
        "/api/v1/contracts/{code}/balance": {"get": _op(
            "契約終了時の収支", "The close-out balance: received + copies = returned + destroyed + held",
            {**_ok(_ref("Balance")), **_errors(401, 403, 404)}, [_path("code", "KG26")])},
    }


def _document_paths() -> dict:
    serial = [_path("serial", "KG26-D00001")]
    return {
        "/api/v1/documents/{serial}": {"get": _op(
            "発行文書と照合結果", "An issued paper, and whether it still matches the ledger",
            {**_ok(_ref("Document")), **_errors(401, 403, 404)}, serial)},
        "/api/v1/documents/{serial}.pdf": {"get": _op("発行文書（PDF）", "The paper as issued",
                                                      {**_file("application/pdf", "PDF"), **_errors(401, 403, 404)}, serial)},
        "/api/v1/documents/{serial}/compare": {"post": _op(
            "PDFの照合", "Is this PDF byte for byte the one issued?",
            {**_ok(_object(serial=STRING, matches=BOOLEAN)), **_errors(400, 401, 403, 404)}, [*serial, *_query("filename")],
            {"required": True, "content": {"multipart/form-data": {"schema": _object(["pdf"], pdf={"type": "string", "format": "binary"})},
                                           "application/pdf": {"schema": {"type": "string", "format": "binary"}}}})},
    }


def _scan_responses() -> dict:
    refused = {"description": "every code refused: the first refusal, with all answers",
               "content": {"application/json": {"schema": {"allOf": [ERROR, _ref("ScanAnswers")]}}}}
    return {**_ok(_ref("ScanAnswers")), **{str(code): refused for code in (400, 403, 404, 409)}, **_errors(401)}


MEDIUM_KINDS = ("paper", "usb", "hdd", "ssd", "optical", "tape", "other")
_RECORD = {"created_by": STRING, "created_at": STRING}

SCHEMAS = {
    "Error": _object(["error", "message_ja", "message_en"], error=STRING, message_ja=STRING, message_en=STRING),
    "Medium": _object(**{name: {"type": kind} for name, kind in (
        ("id", "string"), ("contract", "string"), ("kind", "string"), ("title", "string"), ("status", "string"),
        ("location", ["string", "null"]), ("custodian", ["string", "null"]), ("record_count", "integer"),
        ("quantity", "integer"), ("encrypted", "boolean"), ("updated_at", "string"))}),
    "NewMedium": _object(
        ["contract", "kind", "title"], contract=STRING, kind={"enum": list(MEDIUM_KINDS)}, title=STRING,
        pi_items=IDS, record_count={"type": "integer"}, quantity={"type": "integer"}, serial_number=STRING,
        encrypted=BOOLEAN, encryption=STRING, seal_number=STRING, location=STRING),
    "Scan": _object(
        ["idempotency_key", "code"], idempotency_key={"type": "string", "maxLength": 80},
        code={"type": "string", "description": "the decoded QR text or a typed ID"},
        action={"enum": ["lookup", "store", "receive", "return", "send", "arrive"]},
        context={"type": ["string", "null"], "description": "location code (store), handover number (receive/return), transfer number (send/arrive)"},
        location=NULLABLE, scanned_at=STRING),
    "ScanResult": _object(ok=BOOLEAN, message_ja=STRING, message_en=STRING, medium=_ref("Medium"), replayed=BOOLEAN),
    "Codes": _object(["codes"], codes={"type": "array", "items": STRING, "maxItems": 500,
                                       "description": "label URLs as decoded from the QR, or typed IDs"}),
    "ScanAnswers": _object(answers={"type": "array", "items": _object(
        code=STRING, ok=BOOLEAN, status={"type": "integer"}, message_ja=STRING, message_en=STRING, error=STRING,
        medium=_ref("Medium"), duplicate=BOOLEAN, listed=BOOLEAN, unexpected=BOOLEAN)}),
    "NewHandover": _object(
        ["contract", "direction", "handover_at", "place", "means", "city_official"], contract=STRING,
        direction={"enum": ["receive", "return"]},
        handover_at={"type": "string", "example": "2026-11-25T10:00", "description": "JST, YYYY-MM-DDTHH:MM"},
        place=STRING, means=STRING, city_official=STRING, storage_plan=STRING, disposition_plan=STRING),
    "Handover": _object(
        number=STRING, contract=STRING, direction=STRING, status={"enum": ["open", "signed", "confirmed"]}, handover_at=STRING,
        place=STRING, means=STRING, city_official=STRING, storage_plan=STRING, disposition_plan=STRING, list_name=STRING,
        list_sha256=STRING, signed_by=NULLABLE, signed_at=NULLABLE, confirmed_by=NULLABLE, confirmed_at=NULLABLE, **_RECORD,
        reconciliation=_object(expected=IDS, received=IDS, missing=IDS, not_on_list=IDS),
        receipt={**NULLABLE, "description": "serial of the issued receipt"}),
    "NewTransfer": _object(
        ["contract", "purpose", "origin", "destination", "means", "custodians"], contract=STRING, purpose=STRING, origin=STRING,
        destination={"type": "string", "description": "a storage location's code"}, means=STRING,
        custodians={"oneOf": [IDS, STRING], "description": "names, as a list or comma-separated"},
        seal_number=STRING, route=STRING, locked_case={"type": "boolean", "default": True}, approval_reference=STRING),
    "Transfer": _object(
        number=STRING, contract=STRING, status={"enum": ["preparing", "departed", "arrived"]}, purpose=STRING,
        approval_reference=STRING, origin=STRING, destination=STRING, means=STRING, route=STRING, custodians=IDS,
        seal_number=STRING, locked_case=BOOLEAN, departed_by=NULLABLE, departed_at=NULLABLE, arrived_by=NULLABLE,
        arrived_at=NULLABLE, seal_intact={"type": ["boolean", "null"]}, exceptions=STRING, **_RECORD,
        tally=_object(sent=IDS, arrived=IDS, not_arrived=IDS, not_sent=IDS),
        record={**NULLABLE, "description": "serial of the issued transfer record"}),
    "CopyRequest": _object(
        number=STRING, contract=STRING, medium=STRING, copies={"type": "integer"}, copy_kind=STRING, purpose=STRING,
        status={"enum": ["requested", "approved", "rejected", "used"]}, requested_by=STRING, requested_at=STRING,
        decided_by=NULLABLE, decided_at=NULLABLE, decision_note=STRING, copies_made={"type": "integer"}),
    "Document": _object(
        serial=STRING, contract=STRING, kind=STRING, subject=STRING, head_seq={"type": "integer"}, head_hash=STRING,
        sha256=STRING, issued_by=STRING, issued_at=STRING, verify_url=STRING, pdf=STRING,
        check=_object(ok=BOOLEAN, chain_holds_head=BOOLEAN, file_intact=BOOLEAN, ledger_ok=BOOLEAN,
                      ledger_events={"type": "integer"}, problems={"type": "array", "items": {"type": "object"}})),
    "Balance": _object(
        contract=STRING, **{name: {"type": "integer"} for name in (
            "received", "copies", "returned", "destroyed", "held", "never_received", "came_in", "went_out_or_held")},
        balanced=BOOLEAN, by_status={"type": "object", "additionalProperties": {"type": "integer"}},
        held_media=IDS, unaccounted_media=IDS),
}
