"""Run inside a private mount namespace by tests/test_diskfull.py: a data folder on a real, tiny
tmpfs, the disk filled up, scans and a photo sent through the API, then space freed again.

    unshare --user --map-root-user --mount python tests/diskfull_run.py MOUNTPOINT

Prints one JSON object with what happened; the test asserts on it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

SIZE = "2m"


def main(mountpoint: Path) -> dict:
    os.environ.pop("DATABASE_URL", None)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "mediatrail-full", str(mountpoint)], check=True)
    from conftest import Cast  # noqa: E402
    from labels import payload  # noqa: E402
    from tracker import config, db, ledger  # noqa: E402
    from tracker.web import create_app  # noqa: E402
    from tracker.workflows import media, tokens  # noqa: E402

    settings = config.initialise(mountpoint / "data", base_url="http://full.test")
    db.connect(settings.database_url)
    from tracker.models import create_schema

    create_schema()
    cast = Cast()
    owned = [media.register(cast.worker, "KG26", "usb", f"媒体{n}", location=cast.cabinet.code, encrypted=True, encryption="AES").id
             for n in range(3)]
    token = tokens.create_token(cast.worker, "station", None)
    client = create_app(config.load(settings.data_dir), {"TESTING": True}).test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def scan(number: int):
        medium = owned[number % len(owned)]
        return client.post("/api/v1/scans", headers=headers, json={
            "idempotency_key": f"full-{number}", "code": payload.medium_url(medium, settings.secret, settings.base_url),
            "action": "store", "context": cast.cabinet.code})

    filler = mountpoint / "filler"
    filled_with = None
    with open(filler, "wb", buffering=0) as handle:  # take every free block, as a runaway log file would
        for block in (65536, 4096, 512, 1):  # unbuffered: nothing left to flush at close
            try:
                while True:
                    handle.write(b"\0" * block)
            except OSError as error:
                filled_with = error.errno

    head_before = ledger.head()
    answers, number = [], 0
    while number < 200:
        response = scan(number)
        answers.append((response.status_code, response.get_json()))
        number += 1
        if response.status_code != 200:
            break
    head_full = ledger.head()
    refused_status, refused = answers[-1]
    report_full = ledger.verify(settings.attachments_dir)
    bad_request = client.post("/api/v1/scans", headers=headers, json={})  # a plain refusal still answers while full
    from tracker.workflows import attachments

    try:
        attachments.store(settings.attachments_dir, os.urandom(300_000), "image/jpeg", "photo.jpg")
        attachment_refusal = None
    except Exception as error:  # noqa: BLE001 - reported to the test
        attachment_refusal = {"type": type(error).__name__, "status": getattr(error, "status", None),
                              "message_en": getattr(error, "message_en", str(error))}
    leftovers = [str(path.relative_to(settings.attachments_dir)) for path in settings.attachments_dir.rglob("*") if path.is_file()]

    filler.unlink()  # the administrator frees space
    after = scan(number)  # the station resends the refused scan, same key
    db.database.close()
    with sqlite3.connect(settings.data_dir / config.DATABASE_FILE) as connection:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
    db.connect(settings.database_url)
    report_after = ledger.verify(settings.attachments_dir)
    return {
        "filled_with_errno": filled_with,
        "accepted_while_filling": sum(1 for status, _ in answers if status == 200),
        "refused_status": refused_status, "refused": refused,
        "events_recorded_by_the_refused_scan": head_full[0] - head_before[0] - sum(1 for status, _ in answers if status == 200),
        "verify_while_full": report_full.ok,
        "bad_request_while_full": bad_request.status_code,
        "attachment_refusal": attachment_refusal, "attachment_leftovers": leftovers,
        "after_status": after.status_code, "after_replayed": bool((after.get_json() or {}).get("replayed")),
        "integrity_check": integrity, "verify_after": report_after.ok, "verify_after_problems": [str(p) for p in report_after.problems],
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), ensure_ascii=False))
