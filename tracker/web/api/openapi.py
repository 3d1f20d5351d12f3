"""The OpenAPI 3.1 document of /api/v1, generated from the routes as declared (``plumbing.route``)
and their pydantic models (``schemas.py``): what the API checks and what it says it checks are
one declaration. Summaries are Japanese first, then English, like every other text of the tool.
"""

from __future__ import annotations

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from tracker.web.api import schemas
from tracker.web.api.plumbing import MAX_PATH_PARAMETER, OPERATIONS, Operation
from tracker.web.api.messages import LINE_PATTERN

REF = "#/components/schemas/{model}"


def spec() -> dict:
    models = _models()
    _, definitions = models_json_schema([(model, "validation") for model in models], ref_template=REF)
    paths: dict[str, dict] = {}
    for operation in OPERATIONS:
        path = "/api/v1" + operation.rule.replace("<", "{").replace(">", "}")
        paths.setdefault(path, {})[operation.method.lower()] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {"title": "mediatrail API", "version": "1",
                 "description": "記録媒体の管理台帳 API / chain of custody for record media. Every refusal is "
                                "{error, message_ja, message_en, field} with a 4xx status. Bodies are strict JSON: "
                                "booleans are true/false, numbers are numbers, text is text; unknown fields are refused; "
                                "null is the same as leaving a field out."},
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "token from `mediatrail user token LOGIN`"}},
            "schemas": definitions.get("$defs", {}),
        },
    }


def _operation(operation: Operation) -> dict:
    described: dict = {"summary": " / ".join(operation.summary),
                       "responses": _responses(operation)}
    parameters = [_path_parameter(name, operation.path_examples.get(name)) for name in _path_names(operation.rule)]
    if operation.query is not None:
        parameters += _query_parameters(operation.query)
    if parameters:
        described["parameters"] = parameters
    if operation.body is not None:
        described["requestBody"] = {"required": operation.body_required,
                                     "content": {"application/json": {"schema": _ref(operation.body)}}}
    elif operation.upload is not None:
        described["requestBody"] = _upload_body(operation)
    if operation.public:
        described["security"] = []
    return described


def _responses(operation: Operation) -> dict:
    responses = {str(operation.status): _ok(operation.response)}
    for status in operation.errors:
        responses[str(status)] = {"description": "refused", "content": {"application/json": {"schema": _ref(schemas.Error)}}}
    for status, model in (operation.responses or {}).items():
        schema = _ref(model) if isinstance(model, type) else model
        responses[str(status)] = {"description": "refused", "content": {"application/json": {"schema": schema}}}
    return responses


def _ok(response) -> dict:
    if response is None:
        return {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}
    if isinstance(response, str):  # a file
        return {"description": response, "content": {response: {"schema": {"type": "string", "format": "binary"}}}}
    if isinstance(response, list):
        return {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": _ref(response[0])}}}}
    return {"description": "ok", "content": {"application/json": {"schema": _ref(response)}}}


def _upload_body(operation: Operation) -> dict:
    upload = operation.upload
    form = {"type": "object", "required": [upload.field],
            "properties": {upload.field: {"type": "string", "format": "binary"},
                           **{name: {"type": "string", "maxLength": 200} for name in upload.form_fields}}}
    content = {"multipart/form-data": {"schema": form}}
    content.update({media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in upload.media_types})
    return {"required": True, "description": upload.description, "content": content}


def _path_parameter(name: str, example: str | None) -> dict:
    parameter = {"name": name, "in": "path", "required": True,
                 "schema": {"type": "string", "minLength": 1, "maxLength": MAX_PATH_PARAMETER, "pattern": LINE_PATTERN}}
    if example:
        parameter["example"] = example
    return parameter


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    return [{"name": name, "in": "query", "required": name in required, "schema": {k: v for k, v in field.items() if k != "title"}}
            for name, field in schema["properties"].items()]


def _path_names(rule: str) -> list[str]:
    return [part.split(">")[0].split(":")[-1] for part in rule.split("<")[1:]]


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def _models() -> list[type[BaseModel]]:
    """Every model a route names, once, in a stable order."""
    found: dict[str, type[BaseModel]] = {"Error": schemas.Error}
    for operation in OPERATIONS:
        candidates = [operation.body, operation.response, *(operation.responses or {}).values()]
        for candidate in candidates:
            if isinstance(candidate, list):
                candidate = candidate[0]
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                found.setdefault(candidate.__name__, candidate)
    return list(found.values())
