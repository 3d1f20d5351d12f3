"""The OpenAPI 3.1 description of /api/v1 (tests check every route is described)."""

from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}


def spec() -> dict:
    def errors(*codes):
        return {str(code): {"description": "error", "content": {"application/json": {"schema": ERROR}}} for code in codes}

    def ok(schema, code="200"):
        return {code: {"description": "ok", "content": {"application/json": {"schema": schema}}}}

    medium_ref = {"$ref": "#/components/schemas/Medium"}
    medium_id = [{"name": "medium_id", "in": "path", "required": True, "schema": {"type": "string"}, "example": "KG26-00042-Q"}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "mediatrail API", "version": "1",
                 "description": "記録媒体の管理台帳 API / chain of custody for record media. Errors carry message_ja and message_en."},
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/media": {
                "get": {"summary": "Search media", "parameters": [
                    {"name": name, "in": "query", "schema": {"type": "string"}} for name in ("q", "status", "kind", "contract", "location", "page")
                ], "responses": {**ok({"type": "object", "properties": {"total": {"type": "integer"}, "media": {"type": "array", "items": medium_ref}}}), **errors(401)}},
                "post": {"summary": "Register a medium into custody", "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewMedium"}}}},
                         "responses": {**ok(medium_ref, "201"), **errors(400, 401, 403, 404)}},
            },
            "/api/v1/media/{medium_id}": {"get": {"summary": "One medium", "parameters": medium_id, "responses": {**ok(medium_ref), **errors(401, 403, 404)}}},
            "/api/v1/media/{medium_id}/events": {"get": {"summary": "A medium's chain of custody", "parameters": medium_id,
                                                         "responses": {**ok({"type": "array", "items": {"type": "object"}}), **errors(401, 403, 404)}}},
            "/api/v1/scans": {"post": {
                "summary": "Record a scan (exactly once per idempotency_key)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Scan"}}}},
                "responses": {**ok({"$ref": "#/components/schemas/ScanResult"}), **errors(400, 401, 403, 404, 409)},
            }},
            "/api/v1/verify": {"get": {"summary": "Verify the ledger chain and state", "responses": {**ok({"type": "object"}), **errors(401)}}},
            "/api/v1/openapi.json": {"get": {"summary": "This document", "security": [], "responses": ok({"type": "object"})}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "token from `mediatrail user token LOGIN`"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "message_ja", "message_en"], "properties": {
                    "error": {"type": "string"}, "message_ja": {"type": "string"}, "message_en": {"type": "string"}}},
                "Medium": {"type": "object", "properties": {name: {"type": kind} for name, kind in (
                    ("id", "string"), ("contract", "string"), ("kind", "string"), ("title", "string"), ("status", "string"),
                    ("location", ["string", "null"]), ("custodian", ["string", "null"]), ("record_count", "integer"),
                    ("quantity", "integer"), ("encrypted", "boolean"), ("updated_at", "string"))}},
                "NewMedium": {"type": "object", "required": ["contract", "kind", "title"], "properties": {
                    "contract": {"type": "string"}, "kind": {"enum": ["paper", "usb", "hdd", "ssd", "optical", "tape", "other"]},
                    "title": {"type": "string"}, "pi_items": {"type": "array", "items": {"type": "string"}},
                    "record_count": {"type": "integer"}, "quantity": {"type": "integer"}, "serial_number": {"type": "string"},
                    "encrypted": {"type": "boolean"}, "encryption": {"type": "string"}, "seal_number": {"type": "string"},
                    "location": {"type": "string"}}},
                "Scan": {"type": "object", "required": ["idempotency_key", "code"], "properties": {
                    "idempotency_key": {"type": "string", "maxLength": 80}, "code": {"type": "string", "description": "the decoded QR text or a typed ID"},
                    "action": {"enum": ["lookup", "store"]}, "location": {"type": ["string", "null"]}, "scanned_at": {"type": "string"}}},
                "ScanResult": {"type": "object", "properties": {"ok": {"type": "boolean"}, "message_ja": {"type": "string"},
                                                                "message_en": {"type": "string"}, "medium": medium_ref, "replayed": {"type": "boolean"}}},
            },
        },
    }
