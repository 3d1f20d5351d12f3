"""Telling the city at once (Art. 19(1)): an email through the installation's SMTP server.

A notice is recorded in the ledger (``notice.queued``) in the same transaction as what it tells —
an incident opened — so it cannot be lost: if the mail server is down, or no address is set, it
stays ``pending``, shown to both sides as 「未送信」, and every later attempt (after the next
action, from the dashboard's "resend" button, or ``mediatrail notices send`` from cron) tries it
again. Each failed attempt is recorded (``notice.failed``: the error, the count) and the
delivery too (``notice.sent``), which is the moment the city was first told: an incident takes
its ``city_told_at`` from it.

Sending happens after the transaction that queued the notice has committed, never inside it:
a slow mail server must not hold the ledger's write lock, and a notice must never be sent for
something that was then rolled back.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from tracker import db, ledger
from tracker.errors import InvalidInput
from tracker.models import Incident, Notice, User
from tracker.timeutil import from_iso, now_iso, utc_now
from tracker.workflows import access, inputs

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def set_recipient(actor: User | None, contract_code: str, address: str):
    """The city's address for a contract's notices (an administrator sets it)."""
    if actor is not None:
        access.require_admin(actor)
    contract = access.get_contract(contract_code)
    address = (address or "").strip()
    if not _ADDRESS.match(address) or len(address) > 200:
        raise InvalidInput(f"メールアドレス「{address}」が正しくありません", f"{address!r} is not an email address")
    with db.writing():
        ledger.append("contract.notify_email_set", actor.login if actor else None, contract=contract.code,
                      data={"address": address}, changes={"contract": {contract.code: {"notify_email": address}}})
    return access.get_contract(contract.code)


def queue(actor_login: str | None, contract_code: str, subject: str, title: str, body: str) -> Notice:
    """Record a notice to the contract's city. Call inside ``db.writing()``; ``deliver`` sends it."""
    contract = access.get_contract(contract_code)
    number = inputs.next_number(Notice, contract.code, "N")
    ledger.append("notice.queued", actor_login, contract=contract.code, data={"number": number, "subject": subject},
                  changes={"notice": {number: {
                      "contract": contract.code, "subject": subject, "recipient": contract.notify_email, "title": title[:200],
                      "body": body, "status": "pending", "attempts": 0, "last_error": "", "last_attempt_at": None,
                      "sent_at": None, "created_at": now_iso()}}})
    return Notice.get_by_id(number)


def pending(contracts: list[str] | None = None) -> list[Notice]:
    query = Notice.select().where(Notice.status == "pending")
    if contracts is not None:
        query = query.where(Notice.contract.in_(list(contracts)))
    return list(query.order_by(Notice.number))


def of_subject(subject: str) -> list[Notice]:
    return list(Notice.select().where(Notice.subject == subject).order_by(Notice.number))


def deliver(settings, contracts: list[str] | None = None, backoff: bool = False) -> tuple[int, int]:
    """Try every pending notice once; returns (sent, failed). Never raises for a mail server's
    failure: the failure is recorded on the notice instead. ``backoff``: skip notices tried
    recently (1, 2, 4… up to 60 minutes after each failure), for the retries that ride on other
    requests, so a server that is down does not slow every page."""
    if db.database.in_transaction():
        return 0, 0  # sent after the caller's transaction commits, never from inside it
    sent = failed = 0
    for notice in pending(contracts):
        if backoff and not _due_for_retry(notice):
            continue
        error = _send(settings, notice)
        with db.writing():
            current = Notice.get_by_id(notice.number)
            if current.status != "pending":
                continue  # another worker delivered it meanwhile
            now = now_iso()
            if error is None:
                address = current.recipient or current.contract.notify_email
                changes = {"notice": {notice.number: {"status": "sent", "sent_at": now, "last_attempt_at": now, "recipient": address,
                                                      "attempts": current.attempts + 1, "last_error": ""}}}
                incident = Incident.get_or_none(Incident.number == notice.subject)
                if incident is not None and not incident.city_told_at:
                    changes["incident"] = {incident.number: {"city_told_at": now}}
                ledger.append("notice.sent", None, contract=notice.contract_id,
                              data={"number": notice.number, "recipient": address}, changes=changes)
                sent += 1
            else:
                ledger.append("notice.failed", None, contract=notice.contract_id,
                              data={"number": notice.number, "error": error},
                              changes={"notice": {notice.number: {"attempts": current.attempts + 1, "last_error": error,
                                                                  "last_attempt_at": now}}})
                failed += 1
    return sent, failed


def _due_for_retry(notice: Notice) -> bool:
    if not notice.last_attempt_at or not notice.attempts:
        return True
    wait = timedelta(minutes=min(2 ** (notice.attempts - 1), 60))
    return utc_now() >= from_iso(notice.last_attempt_at) + wait


def _send(settings, notice: Notice) -> str | None:
    """Send one notice; None when the server accepted it, else why not (kept on the notice)."""
    recipient = notice.recipient or notice.contract.notify_email
    if not recipient:
        return "宛先（市のメールアドレス）が未設定 / no city address set for this contract"
    smtp = getattr(settings, "smtp", None)
    if smtp is None:
        return "メールサーバー（SMTP）が未設定 / no SMTP server configured"
    message = EmailMessage()
    message["Subject"] = notice.title
    message["From"] = formataddr(("mediatrail", smtp.sender))
    message["To"] = recipient
    message["Message-ID"] = make_msgid(idstring=notice.number.replace("-", ""))
    message["X-Mediatrail-Notice"] = notice.number
    message.set_content(notice.body, charset="utf-8")
    try:
        client_class = smtplib.SMTP_SSL if smtp.security == "ssl" else smtplib.SMTP
        with client_class(smtp.host, smtp.port, timeout=smtp.timeout) as client:
            if smtp.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if smtp.username:
                client.login(smtp.username, smtp.password)
            client.send_message(message, to_addrs=[recipient])
    except (OSError, smtplib.SMTPException) as error:
        return f"{type(error).__name__}: {error}"[:250]
    return None
