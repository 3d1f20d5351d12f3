"""Where an installation keeps its data, and its settings.

A data folder holds everything for the default setup::

    DATA/
      config.json      base URL printed into labels, created by ``mediatrail init``
      secret.key       32 random bytes that sign labels (HMAC); keep it, back it up, never share it
      checkpoint.key   Ed25519 key that signs checkpoints of the ledger (``tracker.checkpoints``)
      checkpoints.log  every checkpoint handed out, one JSON line each
      mediatrail.db    the SQLite database (unless DATABASE_URL points to PostgreSQL)
      attachments/     photos and reports, stored by SHA-256 (ab/cdef...)
      outbox/          scans waiting for an unreachable server (scanning stations)

Environment variables override the files so that several web workers on several machines can
share one PostgreSQL database and one secret: ``DATABASE_URL``, ``MEDIATRAIL_SECRET`` (hex),
``MEDIATRAIL_BASE_URL``, ``MEDIATRAIL_CHECKPOINT_KEY`` (hex).
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from labels.payload import new_secret
from tracker.errors import AlreadyExists, InvalidInput

CONFIG_FILE = "config.json"
SECRET_FILE = "secret.key"
DATABASE_FILE = "mediatrail.db"
DEFAULT_DATA_DIR = "./data"
DEFAULT_PORT = 8000
DEFAULT_SESSION_IDLE_MINUTES = 8 * 60


@dataclass(frozen=True)
class Smtp:
    """The mail server that tells the city of an incident at once (``config.json`` "smtp"; the
    password only from the environment, ``MEDIATRAIL_SMTP_PASSWORD``, never in a file)."""

    host: str
    port: int = 25
    sender: str = "mediatrail@localhost"
    security: str = "none"  # none | starttls | ssl
    username: str = ""
    timeout: float = 10.0

    @property
    def password(self) -> str:
        return os.environ.get("MEDIATRAIL_SMTP_PASSWORD", "")


SMTP_SECURITY = ("none", "starttls", "ssl")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    base_url: str
    secret: bytes
    smtp: Smtp | None = None  # None: notices wait, shown as not yet sent
    # A browser session unused this long ends (config.json "session_idle_minutes"): a PC left
    # logged in overnight is logged out by morning.
    session_idle_minutes: int = DEFAULT_SESSION_IDLE_MINUTES

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def staging_dir(self) -> Path:
        """Uploaded handover lists waiting for the person to confirm the preview, by SHA-256."""
        return self.data_dir / "staging"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"


def data_dir_from(option: str | None) -> Path:
    return Path(option or os.environ.get("MEDIATRAIL_DATA") or DEFAULT_DATA_DIR).resolve()


def is_initialised(data_dir: Path) -> bool:
    return (data_dir / CONFIG_FILE).exists()


def initialise(data_dir: Path, base_url: str | None = None) -> Settings:
    """Create a new data folder. Refuses to touch one that is already set up."""
    if is_initialised(data_dir):
        raise AlreadyExists(
            f"データフォルダ {data_dir} は初期化済みです。既存のデータは変更していません",
            f"data folder {data_dir} is already initialised; nothing was changed",
        )
    base_url = validate_base_url(base_url) if base_url else None
    data_dir.mkdir(parents=True, exist_ok=True)
    secret_path = data_dir / SECRET_FILE
    if not secret_path.exists():
        # O_EXCL: never overwrite a secret, it would make every printed label look forged.
        descriptor = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(new_secret())
    from tracker import checkpoints  # here: it loads the database layer, which config must not need

    checkpoints.create_key(data_dir)
    _write_config(data_dir, {"base_url": base_url or default_base_url()})
    return load(data_dir)


def validate_base_url(url: str) -> str:
    """The URL labels and papers will carry, checked: http or https, a host, an optional port, no
    path (the app answers at the server's root, and labels append ``/M/<ID>/<signature>``)."""
    from urllib.parse import urlsplit

    text = (url or "").strip()
    example = "http://192.168.1.10:8000 / https://mediatrail.local:8443"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        parts = None
    if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or parts.path not in ("", "/") or parts.query or parts.fragment or parts.username):
        raise InvalidInput(
            f"ラベルのURL「{text}」は http:// か https:// で始まるホスト名（とポート）だけにしてください（例: {example}）",
            f"the label URL {text!r} must be http:// or https:// with a host (and port) only, e.g. {example}",
        )
    return f"{parts.scheme.lower()}://{parts.netloc}"


def set_base_url(data_dir: Path, url: str) -> tuple[str, str]:
    """Change the URL printed into labels from now on; returns (old, new). Labels printed before
    stay valid: their signature covers the medium's ID, not the host (labels/payload.py)."""
    if not is_initialised(data_dir):
        load(data_dir)  # raises the "run mediatrail init first" refusal
    new = validate_base_url(url)
    config = json.loads((data_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    old = config.get("base_url") or default_base_url()
    _write_config(data_dir, {**config, "base_url": new})
    return old, new


def _write_config(data_dir: Path, config: dict) -> None:
    temporary = data_dir / (CONFIG_FILE + ".tmp")
    temporary.write_text(json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, data_dir / CONFIG_FILE)


def load(data_dir: Path) -> Settings:
    if not is_initialised(data_dir) and not os.environ.get("DATABASE_URL"):
        raise InvalidInput(
            f"データフォルダ {data_dir} が初期化されていません。先に `mediatrail init` を実行してください",
            f"data folder {data_dir} is not initialised; run `mediatrail init` first",
        )
    config = {}
    if is_initialised(data_dir):
        config = json.loads((data_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    return Settings(
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / DATABASE_FILE}",
        base_url=os.environ.get("MEDIATRAIL_BASE_URL") or config.get("base_url") or default_base_url(),
        secret=_load_secret(data_dir),
        smtp=_smtp_from(config.get("smtp")),
        session_idle_minutes=_positive_minutes(config.get("session_idle_minutes"), DEFAULT_SESSION_IDLE_MINUTES),
    )


def _positive_minutes(value, default: int) -> int:
    """A whole number of minutes from config.json; the default when absent or not a positive number."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return default
    return value


def _smtp_from(section) -> Smtp | None:
    if not isinstance(section, dict) or not section.get("host"):
        return None
    return Smtp(host=str(section["host"]), port=int(section.get("port", 25)),
                sender=str(section.get("sender") or "mediatrail@localhost"),
                security=str(section.get("security") or "none"), username=str(section.get("username") or ""),
                timeout=float(section.get("timeout", 10.0)))


def set_smtp(data_dir: Path, host: str, port: int, sender: str, security: str = "none", username: str = "") -> Smtp:
    """Record the mail server in ``config.json`` (an empty host removes it)."""
    if not is_initialised(data_dir):
        load(data_dir)  # raises the "run mediatrail init first" refusal
    if security not in SMTP_SECURITY:
        raise InvalidInput(f"SMTPの暗号化は {'/'.join(SMTP_SECURITY)} のいずれかです", f"SMTP security must be one of {'/'.join(SMTP_SECURITY)}")
    if not 0 < int(port) < 65536:
        raise InvalidInput("SMTPのポート番号が範囲外です", "the SMTP port is out of range")
    if host and "@" not in sender:
        raise InvalidInput(f"差出人のメールアドレス「{sender}」が正しくありません", f"the sender address {sender!r} is not an email address")
    config = json.loads((data_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    if host:
        config["smtp"] = {"host": host.strip(), "port": int(port), "sender": sender.strip(), "security": security,
                          "username": username.strip()}
    else:
        config.pop("smtp", None)
    _write_config(data_dir, config)
    return _smtp_from(config.get("smtp"))


def default_base_url() -> str:
    return f"http://{socket.gethostname().lower()}:{DEFAULT_PORT}"


def _load_secret(data_dir: Path) -> bytes:
    from_environment = os.environ.get("MEDIATRAIL_SECRET")
    if from_environment:
        return bytes.fromhex(from_environment)
    secret_path = data_dir / SECRET_FILE
    if not secret_path.exists():
        raise InvalidInput(
            f"ラベル署名用の秘密鍵 {secret_path} がありません",
            f"label signing secret {secret_path} is missing",
        )
    return secret_path.read_bytes()
