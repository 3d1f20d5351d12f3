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
        "paths": {**_media_paths(), **_handover_paths(), **_transfer_paths(), **_copy_paths(), **_register_paths(), **_document_paths(), **_check_paths(), **_destruction_paths()},
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
            {**_ok(_object(handover=STRING, media={"type": "array", "items": _ref("Medium")}), "201"),
             **_ok({"type": "object", "description": "preview=true: what would be registered; nothing is written"}),
             **_errors(400, 401, 403, 404, 409)},
            [*number, *_query("filename", "sheet", "mapping", "preview")],
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


def _check_paths() -> dict:
    number = [_path("number", "CHK-00001")]
    incident_number = [_path("number", "KG26-I0001")]
    check, incident = _ref("StorageCheck"), _ref("Incident")
    issued_incident = _object(serial=STRING, document=_ref("Document"), incident=incident)
    text = _object(**{name: STRING for name in ("summary", "circumstances", "cause", "secondary_harm", "prevention",
                                                 "persons_response", "publication")},
                   occurred_at={"type": "string", "description": "JST, YYYY-MM-DDTHH:MM; empty when unknown"},
                   response_steps={"type": "array", "items": _object(["action", "owner", "deadline"], action=STRING, owner=STRING,
                                                                      deadline={"type": "string", "format": "date"}, done_at=NULLABLE)})
    return {
        "/api/v1/checks": {
            "get": _op("保管状況点検の一覧", "List storage checks", {**_ok({"type": "array", "items": check}), **_errors(401)}),
            "post": _op("点検の開始（保管場所のラベル）", "Start a storage check at the place whose label was scanned",
                        {**_ok(check, "201"), **_errors(400, 401, 403, 404, 409)},
                        body=_json_body(_object(["location"], location={"type": "string", "description": "the place's label text or code"}))),
        },
        "/api/v1/checks/schedule": {"get": _op(
            "点検の予定（JST の暦日）", "Each storage place's last check, next due day (JST) and state",
            {**_ok({"type": "array", "items": _object(location=STRING, name=STRING, contracts=IDS, media={"type": "integer"},
                                                      interval_days={"type": ["integer", "null"]}, last_check=NULLABLE,
                                                      last_checked_at=NULLABLE, next_due=NULLABLE,
                                                      state={"enum": ["ok", "due", "overdue", "unscheduled"]})}), **_errors(401)})},
        "/api/v1/checks/devices": {"post": _op(
            "端末の送信待ち件数", "A device reports how many scans it still holds unsent (completion waits for them)",
            {**_ok(_object(check=NULLABLE, waiting=IDS)), **_errors(400, 401, 403, 404, 409)},
            body=_json_body(_object(["device", "pending"], device=STRING, name=STRING, pending={"type": "integer", "minimum": 0},
                                    check=STRING, location={"type": "string", "description": "a station's place, instead of check"})))},
        "/api/v1/checks/{number}": {"get": _op("点検と照合結果", "A check with found / missing / unexpected / unknown",
                                                {**_ok(check), **_errors(401, 403, 404)}, number)},
        "/api/v1/checks/{number}/scans": {"post": _op(
            "点検での読取り（まとめて）", "Scan codes into the check (a batch); unknown codes are recorded as findings",
            _scan_responses(), number,
            _json_body(_object(["codes"], codes={"type": "array", "items": STRING, "maxItems": 500},
                               device=STRING, device_name=STRING, pending={"type": "integer", "minimum": 0})))},
        "/api/v1/checks/{number}/seals": {"post": _op(
            "封印の状態", "Record a scanned medium's seal condition", {**_ok({"type": "object"}), **_errors(400, 401, 403, 404, 409)},
            number, _json_body(_object(["medium", "intact"], medium=STRING, intact=BOOLEAN, note=STRING)))},
        "/api/v1/checks/{number}/release": {"post": _op(
            "端末の解除（理由を記録）", "Stop waiting for a device that cannot send, saying why",
            {**_ok(check), **_errors(400, 401, 403, 404, 409)}, number, _json_body(_object(["device", "reason"], device=STRING, reason=STRING)))},
        "/api/v1/checks/{number}/complete": {"post": _op(
            "点検の完了（送信待ちがあれば拒否）", "Complete the check (refused while any device holds unsent scans)",
            {**_ok(check), **_errors(400, 401, 403, 404, 409)}, number,
            _json_body(_object(["accuracy_method", "accuracy_result"], accuracy_method=STRING, accuracy_result=STRING,
                               anomalies=STRING, corrective_actions=STRING, seals_intact=BOOLEAN)))},
        "/api/v1/checks/{number}/sign-off": {"post": _op(
            "取扱責任者の確認（契約ごとに報告を発行）", "The responsible person signs off; one report per contract is issued",
            {**_ok(_object(check=check, documents={"type": "array", "items": _ref("Document")})), **_errors(401, 403, 404, 409)}, number)},
        "/api/v1/checks/{number}/report/{code}.pdf": {"get": _op(
            "保管状況点検報告（確認前はプレビュー）", "The contract's storage check report, or a preview before sign-off",
            {**_file("application/pdf", "PDF"), **_errors(401, 403, 404)}, [*number, _path("code", "KG26")])},
        "/api/v1/incidents": {"get": _op("事故報告の一覧", "List incidents (newest first, 200 a page)",
                                         {**_ok({"type": "array", "items": incident}), **_errors(401)}, _query("contract", "status", "page"))},
        "/api/v1/incidents/{number}": {
            "get": _op("事故報告1件", "One incident", {**_ok(incident), **_errors(401, 403, 404)}, incident_number),
            "post": _op("事故報告の更新（取扱責任者）", "Complete the incident (responsible person)",
                        {**_ok(incident), **_errors(400, 401, 403, 404, 409)}, incident_number, _json_body(text)),
        },
        "/api/v1/incidents/{number}/preliminary": {"post": _op(
            "速報の発行（対応計画が必要）", "Issue the preliminary report (refused without response steps)",
            {**_ok(issued_incident), **_errors(400, 401, 403, 404, 409)}, incident_number)},
        "/api/v1/incidents/{number}/final": {"post": _op(
            "確報の発行", "Issue the final report (prints the preliminary report's serial)",
            {**_ok(issued_incident), **_errors(400, 401, 403, 404, 409)}, incident_number)},
        "/api/v1/incidents/{number}/close": {"post": _op(
            "事故報告の終了", "Close an incident", {**_ok(incident), **_errors(400, 401, 403, 404, 409)}, incident_number,
            _json_body(_object(["reason"], reason=STRING)))},
        "/api/v1/media/{medium_id}/lost": {"post": _op(
            "所在不明の届出（事故報告の下書きを作成）", "Report a medium lost; an incident draft is opened",
            {**_ok(incident, "201"), **_errors(400, 401, 403, 404, 409)}, [_path("medium_id", "KG26-00042-Q")],
            _json_body(_object(circumstances=STRING), required=False))},
        "/api/v1/media/{medium_id}/found": {"post": _op(
            "所在不明の媒体の発見", "A lost medium found again (stored at a place, or held)",
            {**_ok(_ref("Medium")), **_errors(400, 401, 403, 404, 409)}, [_path("medium_id", "KG26-00042-Q")],
            _json_body(_object(location=STRING, note=STRING), required=False))},
        "/api/v1/contracts/{code}/inspection": {"get": _op(
            "立入調査用の一覧（第12条）", "The inspection overview (Art. 12): holdings, checks, incidents, overdue, in transit, ledger",
            {**_ok({"type": "object"}), **_errors(401, 403, 404)}, [_path("code", "KG26")])},
    }


def _destruction_paths() -> dict:
    number = [_path("number", "KG26-A0001")]
    method = _object(["medium", "category", "technique"], medium=STRING, category={"enum": ["clear", "purge", "destroy"]},
                     technique={"type": "string", "example": "shred"},
                     level={"type": "string", "example": "H-5", "description": "DIN 66399 / ISO 21964, required for destroy, 3 or above"},
                     tool=STRING, tool_version=STRING, subcontractor=STRING)
    application = _object(
        number=STRING, contract=STRING, status={"enum": ["applied", "approved", "rejected", "withdrawn", "completed"]},
        reason=STRING, scheduled_at=STRING, place=STRING, witness_requested=BOOLEAN, approval_number=STRING,
        items={"type": "array", "items": {"type": "object"}}, evidence={"type": "array", "items": {"type": "object"}},
        still_needed={"type": "array", "items": {"type": "object"}}, application_document=NULLABLE, certificate=NULLABLE)
    ok, pdf = {**_ok(application), **_errors(400, 401, 403, 404, 409)}, {**_file("application/pdf", "PDF"), **_errors(401, 403, 404)}
    return {
        "/api/v1/destructions": {
            "get": _op("消去・廃棄の申請の一覧", "List destruction applications (newest first, 200 a page)",
                       {**_ok({"type": "array", "items": {"type": "object"}}), **_errors(401)}, _query("contract", "status", "page")),
            "post": _op("消去・廃棄の申請（取扱責任者）", "Apply for erasure / destruction (responsible person): all media or none",
                        {**_ok(application, "201"), **_errors(400, 401, 403, 404, 409)},
                        body=_json_body(_object(
                            ["contract", "items", "reason", "scheduled_at", "place", "copies_statement", "verification_plan"],
                            contract=STRING, items={"type": "array", "items": method}, reason=STRING,
                            scheduled_at={"type": "string", "example": "2026-12-10T10:00", "description": "JST"}, place=STRING,
                            copies_statement=STRING, verification_plan=STRING, witness_requested=BOOLEAN))),
        },
        "/api/v1/destructions/{number}": {"get": _op("申請と実施の状況", "An application, its items, evidence and what is still needed",
                                                     {**_ok(application), **_errors(401, 403, 404)}, number)},
        "/api/v1/destructions/{number}/decision": {"post": _op(
            "市の承認・却下", "The city approves or rejects (a rejection says why)", ok, number,
            _json_body(_object(["approve"], approve=BOOLEAN, note=STRING)))},
        "/api/v1/destructions/{number}/withdraw": {"post": _op(
            "市による承認の撤回（実施前）", "The city withdraws its approval before anything is destroyed", ok, number,
            _json_body(_object(["reason"], reason=STRING)))},
        "/api/v1/destructions/{number}/scans": {"post": _op(
            "廃棄前のラベル読取り（まとめて）", "Scan labels at the destruction station; media not on the approved application are refused",
            _scan_responses(), number, _json_body(_ref("Codes")))},
        "/api/v1/destructions/{number}/destroyed": {"post": _op(
            "消去・廃棄と検証結果の記録", "Record media as erased / destroyed with the verification (media empty: every scanned one)",
            ok, number, _json_body(_object(["verification_method", "verification_result", "destination"], media=IDS,
                                           verification_method=STRING, verification_result=STRING, destination=STRING)))},
        "/api/v1/destructions/{number}/evidence": {"post": _op(
            "写真・報告書の登録（SHA-256）", "Add a photo (before / during / after) or an erasure report; stored by SHA-256",
            {**_ok({"type": "object"}, "201"), **_errors(400, 401, 403, 404, 409, 413)}, [*number, *_query("filename", "stage", "medium")],
            {"required": True, "description": "multipart field `file` with `stage` (before, during, after, report) and `medium`, "
                                              "or the file as the body with ?filename=&stage=&medium=",
             "content": {"multipart/form-data": {"schema": _object(["file", "stage"], file={"type": "string", "format": "binary"},
                                                                    stage=STRING, medium=STRING)},
                         "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}})},
        "/api/v1/destructions/{number}/witness": {"post": _op(
            "市の立会い", "The city's witness: a municipality token, or name and a drawn signature (PNG data URL)", ok, number,
            _json_body(_object(name=STRING, signature={"type": "string", "description": "data:image/png;base64,..."}), required=False))},
        "/api/v1/destructions/{number}/complete": {"post": _op(
            "完了（証明書を発行）", "Complete; the media become destroyed and the certificate is issued",
            {**_ok(_object(serial=STRING, document=_ref("Document"), application=application)), **_errors(400, 401, 403, 404, 409)},
            number, _json_body(_object(["verifier"], verifier={"type": "string", "description": "login of the verifier"})))},
        "/api/v1/destructions/{number}/application.pdf": {"get": _op(
            "消去・廃棄申請書（発行前はプレビュー）", "The application as issued, or a preview", pdf, number)},
        "/api/v1/destructions/{number}/certificate.pdf": {"get": _op(
            "消去・廃棄証明書（完了前はプレビュー）", "The certificate as issued, or a preview before completion", pdf, number)},
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
        action={"enum": ["lookup", "store", "receive", "return", "send", "arrive", "check", "destroy"]},
        context={"type": ["string", "null"], "description": "location code (store), handover number (receive/return), transfer number (send/arrive), destruction application number (destroy)"},
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
    "StorageCheck": _object(
        number=STRING, location=STRING, status={"enum": ["open", "completed", "signed_off"]},
        expected={**IDS, "description": "media of the contracts the caller may read"}, participants=IDS,
        started_by=STRING, started_at=STRING, accuracy_method=STRING, accuracy_result=STRING, anomalies=STRING,
        corrective_actions=STRING, completed_by=NULLABLE, completed_at=NULLABLE, signed_off_by=NULLABLE, signed_off_at=NULLABLE,
        devices={"type": "object", "additionalProperties": _object(name=STRING, by=STRING, pending={"type": "integer"}, reported_at=STRING)},
        reconciliation=_object(expected=IDS, backups=IDS, found=IDS, missing=IDS, unexpected=IDS, unknown=IDS),
        unexpected_reasons={"type": "object"}, waiting_devices=IDS,
        reports={"type": "object", "additionalProperties": STRING, "description": "contract -> serial of its issued report"}),
    "Incident": _object(
        number=STRING, contract=STRING, status={"enum": ["draft", "preliminary", "final", "closed"]}, media=IDS, source=STRING,
        summary=STRING, pi_items=IDS, record_count={"type": "integer"}, encrypted={"type": ["boolean", "null"]}, place=STRING,
        last_seen=STRING, occurred_at=NULLABLE, discovered_at=STRING, circumstances=STRING, cause=STRING,
        response_steps={"type": "array", "items": {"type": "object"}}, secondary_harm=STRING, prevention=STRING,
        persons_response=STRING, publication=STRING, found={"type": "array", "items": {"type": "object"}},
        opened_by=STRING, opened_at=STRING, preliminary_at=NULLABLE, final_at=NULLABLE, closed_at=NULLABLE,
        reports=_object(preliminary=NULLABLE, final=NULLABLE)),
    "Balance": _object(
        contract=STRING, **{name: {"type": "integer"} for name in (
            "received", "copies", "returned", "destroyed", "held", "never_received", "came_in", "went_out_or_held")},
        balanced=BOOLEAN, by_status={"type": "object", "additionalProperties": {"type": "integer"}},
        held_media=IDS, unaccounted_media=IDS),
}
