"""The in-page decoder mediatrail ships (zxing-wasm, vendored by scripts/vendor-zxing): the files
are the ones whose SHA-256 was recorded for the pinned version, they are package data, and the app
serves them itself, the .wasm with the type browsers compile streaming from."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "tracker" / "web" / "static" / "vendor" / "zxing-wasm"
SHIPPED = ("LICENSE", "zxing-reader.js", "zxing_reader.wasm")


def recorded_hashes() -> dict[str, str]:
    lines = (VENDOR / "SHA256SUMS").read_text(encoding="ascii").splitlines()
    return {name: digest for digest, name in (line.split() for line in lines if line.strip())}


def test_every_shipped_file_matches_its_recorded_hash():
    hashes = recorded_hashes()
    assert sorted(hashes) == sorted(SHIPPED)
    for name in SHIPPED:
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == hashes[name], name
    assert (VENDOR / "VERSION").read_text().strip() == "3.1.6"
    assert "MIT License" in (VENDOR / "LICENSE").read_text()


def test_the_check_mode_of_the_vendor_script_agrees_and_catches_a_changed_file(tmp_path):
    assert subprocess.run([ROOT / "scripts" / "vendor-zxing", "--check"], capture_output=True).returncode == 0
    # A copy of the tree with one byte of the wasm changed must fail the same check.
    copy = tmp_path / "tree"
    (copy / "scripts").mkdir(parents=True)
    (copy / "scripts" / "vendor-zxing").write_bytes((ROOT / "scripts" / "vendor-zxing").read_bytes())
    (copy / "scripts" / "vendor-zxing").chmod(0o755)
    target = copy / "tracker" / "web" / "static" / "vendor" / "zxing-wasm"
    target.mkdir(parents=True)
    for name in (*SHIPPED, "SHA256SUMS", "VERSION"):
        (target / name).write_bytes((VENDOR / name).read_bytes())
    wasm = bytearray((target / "zxing_reader.wasm").read_bytes())
    wasm[1000] ^= 1
    (target / "zxing_reader.wasm").write_bytes(bytes(wasm))
    changed = subprocess.run([copy / "scripts" / "vendor-zxing", "--check"], capture_output=True, text=True)
    assert changed.returncode != 0
    assert "zxing_reader.wasm" in changed.stdout + changed.stderr


def test_the_files_are_package_data():
    text = (ROOT / "pyproject.toml").read_text()
    assert '"web/static/**/*"' in text  # recursive: vendor/zxing-wasm/ included


def test_the_app_serves_the_decoder_itself(settings, sqlite_database):
    from tracker.web import create_app

    client = create_app(settings).test_client()
    wasm = client.get("/static/vendor/zxing-wasm/zxing_reader.wasm")
    assert wasm.status_code == 200
    assert wasm.mimetype == "application/wasm"
    assert wasm.data[:4] == b"\0asm"
    script = client.get("/static/vendor/zxing-wasm/zxing-reader.js")
    assert script.status_code == 200
    assert script.data.startswith(b"var ZXingWASM=")
