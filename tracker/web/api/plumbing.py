"""What every route of the JSON API shares: the blueprint, the ``@api.route`` decorator that
authenticates, authorises, validates and describes a route, errors, JSON in and out, pages of
lists, uploads and downloads.

A route is declared once::

    @route("/media", "POST", summary=("媒体を登録", "Register a medium"), body=NewMedium,
           response=Medium, status=201, errors=(400, 403, 404))
    def register_medium(body: NewMedium): ...

and that one declaration is both what is checked at run time and what ``/api/v1/openapi.json``
says (``openapi.py`` reads ``OPERATIONS``). Every request goes the same way, cheapest and most
important question first: who is asking (bearer token) → may they (the endpoint's action in
``tracker/web/authorization.py``, the one table pages use too, before any upload or body is read) → is the query valid → is the body valid (size, JSON, then the pydantic
model: types, lengths, enumerations, no unknown fields) → the view, which calls one workflow.
Any refusal is ``{"error", "message_ja", "message_en"[, "field"]}`` with a 4xx status.
"""

from __future__ import annotations

import inspect
import json
import logging
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, g, request, stream_with_context
from pydantic import BaseModel, ValidationError

from tracker import queries
from tracker.errors import DomainError, InvalidInput
from tracker.web import authorization
from tracker.web.api import messages, schemas
from tracker.workflows import access, papers, scans, tokens

log = logging.getLogger(__name__)

blueprint = Blueprint("api", __name__)

MAX_JSON_BYTES = 2 * 1024 * 1024  # the largest body is a drawn signature (1 MB PNG as base64)
MAX_PATH_PARAMETER = 100
LIST_PAGE = 200  # records per page of every list
MULTIPART_ALLOWANCE = 64 * 1024  # the form fields and boundaries around an uploaded file


@dataclass(frozen=True)
class Upload:
    """A route that takes a file: as the multipart field ``field``, or as the raw body."""

    field: str
    description: str
    max_bytes: int
    media_types: tuple[str, ...] = ("application/octet-stream",)
    form_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    """One route as declared: what ``openapi.py`` describes."""

    rule: str
    method: str
    summary: tuple[str, str]
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    response: Any = None  # a model, [model], a file media type ("application/pdf"), or None
    status: int = 200
    errors: tuple[int, ...] = ()
    upload: Upload | None = None
    public: bool = False
    path_examples: dict[str, str] = field(default_factory=dict)
    responses: dict | None = None  # other answers by status: a model, or an OpenAPI schema


OPERATIONS: list[Operation] = []

def route(rule: str, method: str = "GET", *, summary: tuple[str, str], body: type[BaseModel] | None = None,
          body_required: bool = True, query: type[BaseModel] | None = None, response: Any = None, status: int = 200,
          errors: tuple[int, ...] = (), upload: Upload | None = None,
          public: bool = False, examples: dict[str, str] | None = None, responses: dict | None = None):
    """Register ``view`` under ``rule`` on the API blueprint and describe it (see the module doc).

    Who may call it is the view's entry in ``authorization.ENDPOINTS`` (``api.<view name>``),
    asked before the body or an upload is read: ``NotAllowed`` (or ``NotFound``). The view is called with the path's values and, when
    declared, ``body=`` (a validated model) and ``query=``; it returns a dict or list (JSON,
    ``status``), a ``(data, status)`` pair, or a ``Response`` (a download).
    """
    query = query or schemas.Query  # every route refuses parameters it does not declare
    operation = Operation(rule, method, summary, body, body_required, query, response, status,
                          tuple(sorted({*errors, 400, *((413,) if body or upload else ()), *(() if public else (401,))})),
                          upload, public, examples or {}, responses)

    def decorate(view):
        wants_query = "query" in inspect.signature(view).parameters

        @wraps(view)
        def endpoint(**path):
            try:
                g.user = None if public else tokens.authenticate(request.headers.get("Authorization", ""))
                _check_path(path)
                authorization.authorize(f"api.{view.__name__}", path, g.user, method)
                extra = {}
                checked_query = validate(query, request.args.to_dict(), "query")
                if wants_query:
                    extra["query"] = checked_query
                if body is not None:
                    extra["body"] = validate(body, json_body(required=body_required), "body")
                result = view(**path, **extra)
            except DomainError as error:
                return error_response(error)
            return result if isinstance(result, Response) else _json_result(result, status)

        blueprint.add_url_rule(rule, view.__name__, endpoint, methods=[method])
        OPERATIONS.append(operation)
        return view

    return decorate


# ---- reading requests ------------------------------------------------------------------------


def json_body(required: bool = True) -> dict:
    """The request's JSON object (an empty body is ``{}`` when ``required`` is False).

    Refused with a 400 saying why: not JSON, not UTF-8, not an object, nested deeper than the
    parser goes, NaN or Infinity, a key given twice (two readers could take different values);
    413 over ``MAX_JSON_BYTES``, before the body is read.
    """
    if (request.content_length or 0) > MAX_JSON_BYTES:
        error = InvalidInput(f"リクエスト本文が大きすぎます（上限 {MAX_JSON_BYTES // (1024 * 1024)} MB）。何も記録していません",
                             f"the request body is too large (limit {MAX_JSON_BYTES // (1024 * 1024)} MB); nothing was recorded")
        error.status = 413
        raise error
    raw = request.get_data(cache=True)
    if not raw and not required:
        return {}
    if not request.is_json:
        raise InvalidInput("リクエスト本文は JSON（Content-Type: application/json）で送ってください",
                           "send the request body as JSON (Content-Type: application/json)")
    try:
        value = json.loads(raw, object_pairs_hook=_refuse_duplicate_keys, parse_constant=_refuse_constant)
    except RecursionError:
        raise InvalidInput("JSON の入れ子が深すぎます", "the JSON is nested too deeply") from None
    except ValueError as error:  # includes UnicodeDecodeError and json.JSONDecodeError
        detail = str(error)[:200]
        raise InvalidInput(f"リクエスト本文が正しい JSON ではありません（{detail}）", f"the request body is not valid JSON ({detail})") from None
    if not isinstance(value, dict):
        raise InvalidInput("リクエスト本文は JSON オブジェクト（{...}）にしてください", "the request body must be a JSON object ({...})")
    return value


def validate(model: type[BaseModel], value: dict, where: str) -> BaseModel:
    try:
        return model.model_validate(value)
    except ValidationError as error:
        raise messages.refusal(error, where) from None


def upload(spec: Upload, default_name: str = "") -> tuple[str, bytes]:
    """The file of an upload route: the multipart field, or the raw body named by ?filename=.
    The declared size is checked before anything is read."""
    if (request.content_length or 0) > spec.max_bytes + MULTIPART_ALLOWANCE:
        error = InvalidInput(f"送信したファイルが大きすぎます（上限 {spec.max_bytes // (1024 * 1024)} MB）。何も記録していません",
                             f"the upload is too large (limit {spec.max_bytes // (1024 * 1024)} MB); nothing was recorded",
                             field=spec.field)
        error.status = 413
        raise error
    sent = request.files.get(spec.field)
    if sent is not None and sent.filename:
        return sent.filename, sent.read(spec.max_bytes + 1)
    if request.files or request.form:
        raise InvalidInput(f"ファイルを multipart の項目「{spec.field}」で送ってください",
                           f"send the file as the multipart field {spec.field!r}", field=spec.field)
    content = request.get_data()
    filename = request.args.get("filename", default_name)
    if not content or not filename:
        raise InvalidInput(f"ファイルを multipart の項目「{spec.field}」か、本文と ?filename= で送ってください",
                           f"send the file as the multipart field {spec.field!r}, or as the body with ?filename=",
                           field=spec.field)
    return filename, content


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    found = {}
    for key, value in pairs:
        if key in found:
            name = messages.printable(key)
            raise InvalidInput(f"JSON の項目「{name}」が2回あります", f"the JSON has the key {name!r} twice", field=name)
        found[key] = value
    return found


def _refuse_constant(name: str):
    raise InvalidInput(f"JSON に {name} は使えません（数値にしてください）", f"{name} is not valid JSON (use a number)")


def _check_path(path: dict[str, str]) -> None:
    for name, value in path.items():
        if len(value) > MAX_PATH_PARAMETER or not messages.is_clean_line(value):
            raise InvalidInput(f"URL の「{name}」が長すぎるか、使えない文字を含みます",
                               f"the URL's {name!r} is too long or contains characters that cannot be used", field=name)


# ---- answering -------------------------------------------------------------------------------


def json_response(data: Any, status: int = 200) -> Response:
    """JSON in UTF-8; a broken character that slipped into an answer becomes '?', never a 500."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    return Response(text.encode("utf-8", "replace"), status=status, mimetype="application/json")


def error_response(error: DomainError) -> Response:
    return json_response(error.as_dict(), error.status)


def download(content, mimetype: str, filename: str, disposition: str = "inline") -> Response:
    """``content``: bytes, or its pieces as they are made (a CSV streamed in constant memory)."""
    if not isinstance(content, bytes):
        content = stream_with_context(content)
    return Response(content, headers={"Content-Type": mimetype, "Content-Disposition": f'{disposition}; filename="{filename}"'})


def _json_result(result: Any, status: int) -> Response:
    if isinstance(result, tuple):
        result, status = result
    return json_response(result, status)


# ---- shared helpers of the area modules ------------------------------------------------------


def settings():
    return current_app.config["SETTINGS"]


def record_json(record) -> dict:
    """Every column of a record, foreign keys as their codes."""
    return {name: record.__data__.get(name) for name in record._meta.sorted_field_names}


def readable(record):
    """``record`` when the caller may read its contract."""
    access.require_read(g.user, record.contract)
    return record


def require_shallow_page(page: int, size: int) -> None:
    """A deep ``page`` would be an OFFSET that reads every record before it: past the first
    10,000 records, the cursor ``after`` is the way on, and the refusal says so at once."""
    if (page - 1) * size >= queries.COUNT_LIMIT:
        raise InvalidInput(f"{page} ページ目は指定できません（先頭から {queries.COUNT_LIMIT:,} 件まで）。続きは after に前のページの最後のIDを指定してください",
                           f"page {page} is too deep (the first {queries.COUNT_LIMIT:,} records only); "
                           "continue with after= the last ID of the previous page", field="page")


def listing(model, query) -> list:
    """The records of the contracts the caller may read, newest first, ``LIST_PAGE`` a page;
    the query's ``contract`` and ``status`` narrow them."""
    condition = model.contract.in_(access.readable_contracts(g.user))
    for name in ("contract", "status"):
        value = getattr(query, name, None)
        if value:
            condition &= getattr(model, name) == value
    key = model._meta.primary_key
    require_shallow_page(query.page, LIST_PAGE)
    if query.after:  # keyset: the records after the cursor in this order, whatever the depth
        return list(model.select().where(condition & (key < query.after)).order_by(key.desc()).limit(LIST_PAGE))
    return list(model.select().where(condition).order_by(key.desc()).paginate(query.page, LIST_PAGE))


def problems_json(problems) -> list[dict]:
    return [{"event": p.event_seq, "message_ja": p.message_ja, "message_en": p.message_en} for p in problems]



# ---- scans in a batch, issued papers ----------------------------------------------------------


# A batch refused whole, or whose every code was refused (then with every code's answer).
BATCH_REFUSALS = {code: schemas.ScanRefusal for code in (400, 403, 404, 409)}

def scan_batch(body, action: str, context: str):
    """Codes from a phone or a handheld scanner, each answered by itself (``scans.scan_batch``:
    each recorded or refused on its own). 200 when at least one code was taken; when every code
    was refused, the first refusal's status and message, with all the answers."""
    statuses = {kind.code: kind.status for kind in _subclasses(DomainError)} | {"internal_error": 500}
    answers = [{**answer, "status": 200 if answer["ok"] else statuses.get(answer.get("error"), 400)}
               for answer in scans.scan_batch(g.user, body.codes, action, context, settings().secret,
                                              source=body.source, confirmed=bool(body.confirmed))]
    if any(answer["ok"] for answer in answers):
        return {"answers": answers}
    first = answers[0]
    return {"error": first["error"], "message_ja": first["message_ja"], "message_en": first["message_en"], "answers": answers}, first["status"]


def _subclasses(kind: type) -> list[type]:
    return [found for sub in kind.__subclasses__() for found in (sub, *_subclasses(sub))]


def document_json(document) -> dict:
    return {**record_json(document), "sha256": document.attachment_id,
            "verify_url": papers.verify_url(settings(), document.serial), "pdf": f"/api/v1/documents/{document.serial}.pdf"}


def issued(document, **subject) -> dict:
    """The answer of an action that issued a paper: its serial, the paper, and what it is about."""
    return {"serial": document.serial, "document": document_json(document), **subject}


def paper(kind: str, subject: str, preview):
    content, filename = papers.issued_or_preview(settings(), kind, subject, preview)
    return download(content, "application/pdf", filename)


def document_file(document):
    return download(papers.content(settings(), document), "application/pdf", f"{document.serial}.pdf")
