"""HTTPS on a closed office LAN: a local certificate authority and a server certificate, or a
company's own certificate.

Browsers give the camera only to a secure context, so a phone scanning in the page needs HTTPS;
on a LAN without a public DNS name no public CA will issue a certificate. ``serve --tls`` creates,
once, a small certificate authority in the data folder and a server certificate signed by it for
the machine's host name, its ``.local`` name and its LAN addresses. Each phone installs and trusts
the CA certificate once (instructions at ``/certificate``); later server certificates (renewed
before they expire, or when the machine's addresses change) need nothing more on the phones.

The server certificate follows what iOS requires of a TLS server certificate (Apple, "Requirements
for trusted certificates in iOS 13 and macOS 10.15"): names in subjectAltName only, extendedKeyUsage
serverAuth, at most 825 days (we issue 397, the limit Safari sets for public CAs), SHA-256 signature,
an ECDSA P-256 key. The CA has basicConstraints CA:TRUE (path length 0) and keyUsage keyCertSign.

::

    DATA/tls/
      ca.crt       the certificate phones install (public)
      ca.key       the CA's private key: whoever holds it can make certificates your phones trust; 0600
      server.crt   the server certificate, then the CA certificate (the chain the server sends)
      server.key   its private key; 0600
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tracker import network
from tracker.errors import InvalidInput

TLS_DIR = "tls"
CA_CERT = "ca.crt"
CA_KEY = "ca.key"
SERVER_CERT = "server.crt"
SERVER_KEY = "server.key"

CA_DAYS = 3650  # ten years: each phone installs it once
SERVER_DAYS = 397  # within iOS's 825-day limit for any TLS certificate, and Safari's 398 for public CAs
RENEW_BEFORE_DAYS = 30  # renewed at a start within the last month, so a server never starts expiring soon
BACKDATE = timedelta(hours=1)  # a phone whose clock runs a little behind still accepts a fresh certificate


@dataclass
class ServerFiles:
    """What the HTTPS listener loads, and what ``serve`` tells the person starting it."""

    certificate: Path  # PEM: the server certificate, then its chain
    key: Path
    ca_certificate: Path | None  # the local CA phones install; None with a company's certificate
    names: list[str]
    not_after: datetime
    notices: list[tuple[str, str]] = field(default_factory=list)  # (Japanese, English) lines to print


def tls_dir(data_dir: Path) -> Path:
    return data_dir / TLS_DIR


def local_ca_path(data_dir: Path) -> Path | None:
    """The local CA's certificate when ``serve --tls`` has created one, for the download page."""
    path = tls_dir(data_dir) / CA_CERT
    return path if path.exists() else None


def ensure_local_certificates(data_dir: Path, names: list[str], now: datetime | None = None) -> ServerFiles:
    """The local CA (created once) and a server certificate valid now for every name in ``names``
    (host names and IP addresses), issued again when missing, expired, expiring within
    :data:`RENEW_BEFORE_DAYS`, not covering one of ``names``, or not signed by this CA."""
    now = now or datetime.now(timezone.utc)
    folder = tls_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    notices: list[tuple[str, str]] = []
    ca_cert, ca_key = _load_or_create_ca(folder, now, notices)
    wanted = _unique(names)
    certificate_path, key_path = folder / SERVER_CERT, folder / SERVER_KEY
    reason = _why_renew(certificate_path, key_path, ca_cert, wanted, now)
    if reason:
        if reason != ("", ""):
            notices.append(reason)
        _issue_server_certificate(certificate_path, key_path, ca_cert, ca_key, wanted, now)
        issued = _load_certificates(certificate_path)[0]
        notices.append((f"サーバー証明書を発行しました（{_day(issued.not_valid_after_utc)} まで有効）",
                        f"issued the server certificate (valid until {_day(issued.not_valid_after_utc)})"))
    server = _load_certificates(certificate_path)[0]
    return ServerFiles(certificate_path, key_path, folder / CA_CERT, certificate_names(server),
                       server.not_valid_after_utc, notices)


def company_certificate(certificate_file: str | os.PathLike, key_file: str | os.PathLike,
                        now: datetime | None = None) -> ServerFiles:
    """A certificate the company issued (its own CA or a public one), checked before serving:
    PEM, an unencrypted key, and the key must be the certificate's own."""
    now = now or datetime.now(timezone.utc)
    certificate_path, key_path = Path(certificate_file), Path(key_file)
    chain = _read_company_certificates(certificate_path)
    key = _read_company_key(key_path)
    if _public_bytes(key.public_key()) != _public_bytes(chain[0].public_key()):
        raise InvalidInput(
            f"証明書 {certificate_path.name} と秘密鍵 {key_path.name} が対になっていません（別の証明書の鍵です）。何も起動していません",
            f"the certificate {certificate_path.name} and the key {key_path.name} do not match (the key belongs to "
            "another certificate); nothing was started",
            reason="certificate_key_mismatch",
        )
    leaf = chain[0]
    notices = []
    if leaf.not_valid_after_utc <= now:
        raise InvalidInput(
            f"証明書 {certificate_path.name} は {_day(leaf.not_valid_after_utc)} に期限切れです。新しい証明書を用意してください",
            f"the certificate {certificate_path.name} expired on {_day(leaf.not_valid_after_utc)}; get a new one",
            reason="certificate_expired",
        )
    if leaf.not_valid_after_utc - now < timedelta(days=RENEW_BEFORE_DAYS):
        notices.append((f"証明書は {_day(leaf.not_valid_after_utc)} に期限が切れます。更新を依頼してください",
                        f"the certificate expires on {_day(leaf.not_valid_after_utc)}; ask for a renewal"))
    return ServerFiles(certificate_path, key_path, None, certificate_names(leaf), leaf.not_valid_after_utc, notices)


def certificate_names(certificate: x509.Certificate) -> list[str]:
    """The DNS names and IP addresses in a certificate's subjectAltName."""
    try:
        alternative = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [*alternative.get_values_for_type(x509.DNSName),
            *(str(address) for address in alternative.get_values_for_type(x509.IPAddress))]


def spki_sha256(certificate_path: Path) -> str:
    """Base64 SHA-256 of the certificate's public key (SubjectPublicKeyInfo): what HPKP pins and
    Chromium's ``--ignore-certificate-errors-spki-list`` take, and a fingerprint to compare."""
    certificate = _load_certificates(certificate_path)[0]
    return base64.b64encode(hashlib.sha256(_public_bytes(certificate.public_key())).digest()).decode()


def fingerprint(certificate_path: Path) -> str:
    """SHA-256 fingerprint as iOS and Android show it under the certificate's details."""
    certificate = _load_certificates(certificate_path)[0]
    digest = certificate.fingerprint(hashes.SHA256()).hex().upper()
    return " ".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def der_bytes(certificate_path: Path) -> bytes:
    """The certificate in DER, the form every phone accepts as a ``.crt`` download."""
    return _load_certificates(certificate_path)[0].public_bytes(serialization.Encoding.DER)


def pem_bytes(certificate_path: Path) -> bytes:
    return _load_certificates(certificate_path)[0].public_bytes(serialization.Encoding.PEM)


def certificate_common_name(certificate_path: Path) -> str:
    names = _load_certificates(certificate_path)[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def certificate_not_after(certificate_path: Path) -> datetime:
    return _load_certificates(certificate_path)[0].not_valid_after_utc


# ---- the local CA and its server certificate ----------------------------------------------------


def _load_or_create_ca(folder: Path, now: datetime, notices: list) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    certificate_path, key_path = folder / CA_CERT, folder / CA_KEY
    if certificate_path.exists() and key_path.exists():
        certificate = _load_certificates(certificate_path)[0]
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if certificate.not_valid_after_utc > now + timedelta(days=SERVER_DAYS):
            return certificate, key
        notices.append((f"ローカル認証局の証明書が {_day(certificate.not_valid_after_utc)} に期限を迎えるため作り直しました。"
                        "各スマートフォンに新しい認証局証明書をインストールしてください",
                        f"the local CA expires on {_day(certificate.not_valid_after_utc)}, so a new one was made: "
                        "install the new CA certificate on every phone"))
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mediatrail"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"mediatrail local CA {_host_label()} {now:%Y-%m-%d}"),
    ])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE).not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    # The key first: a certificate without its key on disk would be re-made at the next start.
    _write_private(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    _write_public(certificate_path, certificate.public_bytes(serialization.Encoding.PEM))
    notices.append(("ローカル認証局を作成しました。各スマートフォンに一度だけ認証局証明書をインストールしてください",
                    "created the local certificate authority: install its certificate once on every phone"))
    return certificate, key


def _why_renew(certificate_path: Path, key_path: Path, ca_cert: x509.Certificate, wanted: list[str],
               now: datetime) -> tuple[str, str] | None:
    """None when the server certificate can be used as it is; otherwise why it is issued again
    (("", "") for a first issue, which needs no explanation)."""
    if not (certificate_path.exists() and key_path.exists()):
        return ("", "")
    certificate = _load_certificates(certificate_path)[0]
    expires = certificate.not_valid_after_utc
    if expires <= now:
        return (f"サーバー証明書は {_day(expires)} に期限切れになっていたため、更新します",
                f"the server certificate expired on {_day(expires)}; renewing it")
    if expires - now < timedelta(days=RENEW_BEFORE_DAYS):
        return (f"サーバー証明書の期限（{_day(expires)}）が近いため、更新します",
                f"the server certificate expires soon ({_day(expires)}); renewing it")
    if certificate.issuer != ca_cert.subject or _public_bytes(_load_key(key_path).public_key()) != _public_bytes(certificate.public_key()):
        return ("サーバー証明書が現在のローカル認証局のものではないため、発行し直します",
                "the server certificate is not from the current local CA; issuing it again")
    missing = [name for name in wanted if name not in certificate_names(certificate)]
    if missing:
        return (f"このコンピューターの名前・アドレスが変わったため（{', '.join(missing)}）、サーバー証明書を更新します",
                f"this machine's names or addresses changed ({', '.join(missing)}); renewing the server certificate")
    return None


def _issue_server_certificate(certificate_path: Path, key_path: Path, ca_cert: x509.Certificate,
                              ca_key: ec.EllipticCurvePrivateKey, names: list[str], now: datetime) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    alternative = []
    for name in names:
        try:
            alternative.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternative.append(x509.DNSName(name))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE).not_valid_after(now + timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    # The chain the server sends: its certificate, then the CA's (clients that trust the CA by its
    # key alone, as Chromium's --ignore-certificate-errors-spki-list does, find it in the chain).
    chain = certificate.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM)
    _write_public(certificate_path, chain)


# ---- a company's certificate --------------------------------------------------------------------


def _read_company_certificates(path: Path) -> list[x509.Certificate]:
    data = _read(path, "証明書", "certificate")
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        pass
    try:
        x509.load_der_x509_certificate(data)
    except ValueError:
        raise InvalidInput(f"{path.name} は証明書（PEM形式）ではありません",
                           f"{path.name} is not a certificate (PEM)", reason="not_a_certificate") from None
    raise InvalidInput(f"{path.name} はDER形式です。PEM形式に変換してください（openssl x509 -inform der -in {path.name} -out server.pem）",
                       f"{path.name} is DER; convert it to PEM (openssl x509 -inform der -in {path.name} -out server.pem)",
                       reason="not_a_certificate")


def _read_company_key(path: Path):
    data = _read(path, "秘密鍵", "key")
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise InvalidInput(f"秘密鍵 {path.name} はパスワードで保護されています。保護を外した鍵を指定してください（ファイルの権限で守ってください）",
                           f"the key {path.name} is password-protected; give an unprotected key (and protect the file by its permissions)",
                           reason="key_encrypted") from None
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidInput(f"{path.name} は秘密鍵（PEM形式）ではありません", f"{path.name} is not a private key (PEM)",
                           reason="not_a_key") from None


def _read(path: Path, what_ja: str, what_en: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"{what_ja}ファイル {path} を読めません（{error.strerror or error}）",
                           f"cannot read the {what_en} file {path} ({error.strerror or error})", reason="unreadable") from None


# ---- small helpers ------------------------------------------------------------------------------


def _load_certificates(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def _load_key(path: Path):
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def _public_bytes(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _write_private(path: Path, content: bytes) -> None:
    """Written whole, readable by its owner only (0600 from the start, not chmod-ed later)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)


def _write_public(path: Path, content: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(name.lower() for name in names if name))


def _host_label() -> str:
    return network.host_name()


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"

