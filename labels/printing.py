"""Send a rendered label file (PDF or PNG) to a CUPS printer with ``lp``."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

LP_TIMEOUT_SECONDS = 60


class PrintError(RuntimeError):
    """Printing failed; ``reason`` is ``no_lp``, ``unknown_printer`` or ``failed``."""

    def __init__(self, reason: str, message_ja: str, message_en: str):
        super().__init__(f"{message_ja} / {message_en}")
        self.reason = reason
        self.message_ja = message_ja
        self.message_en = message_en


def print_file(path: str | os.PathLike, printer: str, copies: int = 1) -> str:
    """Queue ``path`` on CUPS printer ``printer``; returns what ``lp`` said (the job ID line)."""
    if not isinstance(copies, int) or copies < 1:
        raise ValueError("copies must be a positive integer")
    lp = shutil.which("lp")
    if lp is None:
        raise PrintError(
            "no_lp",
            "印刷コマンド lp が見つかりません。CUPS（cups-client）をインストールしてください",
            "the lp command was not found; install CUPS (cups-client)",
        )
    # C locale: lp's messages are then English and can be told apart below.
    result = subprocess.run(
        [lp, "-d", printer, "-n", str(copies), "--", str(pathlib.Path(path))],
        capture_output=True,
        text=True,
        timeout=LP_TIMEOUT_SECONDS,
        env={**os.environ, "LC_ALL": "C", "LANG": "C"},
    )
    if result.returncode == 0:
        return result.stdout.strip()
    detail = (result.stderr or result.stdout).strip()
    if "does not exist" in detail or "Unknown destination" in detail:
        raise PrintError(
            "unknown_printer",
            f"プリンター「{printer}」はCUPSに登録されていません（`lpstat -p` で一覧を確認してください）",
            f"printer {printer!r} is not known to CUPS (list printers with `lpstat -p`)",
        )
    raise PrintError(
        "failed",
        f"プリンター「{printer}」への印刷に失敗しました: {detail}",
        f"printing to {printer!r} failed: {detail}",
    )
