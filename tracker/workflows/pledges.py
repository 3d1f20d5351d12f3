"""The pledges (誓約書, Art. 11): the contract's own forms, signed, handed to the city, confirmed.

Which text a person signs comes from the contract's provision profile: Koganei's has one form for
the responsible person (five items, with the company and the responsible person's name) and one
for workers (four items, several signatures per sheet). A pledge is bound to the exact text by its
SHA-256; a person may act only with a pledge whose hash is that of the form for their current
role (``current``), so a revised text — or a worker becoming the responsible person — asks for a
new signature.

A pledge is signed by hand on the printed form (``tracker/documents/pledges.py``) and the signed
sheet, a photo or scan, is uploaded and kept by hash; one sheet may carry several workers'
signatures. Where the profile accepts it (``pledges.on_screen``), a person may sign on screen
instead, recorded as such. Art. 11 asks the contractor to hand the pledges to the city: that
handing (date, how, which city official received it) is recorded, and the city confirms receipt
with its own login. The screens say which of these steps actually happened.
"""

from __future__ import annotations

from tracker import db, ledger, provisions
from tracker.errors import InvalidInput, NotAllowed, WrongState
from tracker.models import Contract, Pledge, RosterApplication, User
from tracker.timeutil import JST, now_iso, utc_now
from tracker.workflows import access, attachments, inputs, profiles

MAX_SHEET_BYTES = 20 * 1024 * 1024
SUBMISSION_METHODS = {"hand": ("持参", "handed over in person"), "post": ("郵送", "by post"),
                      "courier": ("使送（庁内便）", "by messenger")}


def form_for(contract: Contract | str, role: str) -> tuple[provisions.PledgeForm, str, str]:
    """(form, exact text, SHA-256 of the text) a person in ``role`` signs for ``contract``."""
    contract = access.get_contract(contract)
    profile = profiles.for_contract(contract)
    text = profile.pledge_text(role, contract.client)
    return profile.pledge_form(role), text, provisions.sha256_of(text)


def current(user: User, contract: Contract | str) -> Pledge | None:
    """The person's pledge of the form for their roster role now, if they signed one."""
    contract = access.get_contract(contract)
    entry = access.roster_entry(user, contract)
    if entry is None:
        return None
    _, _, sha256 = form_for(contract, entry.role)
    return (Pledge.select().where((Pledge.user == user.login) & (Pledge.contract == contract.code) & (Pledge.text_sha256 == sha256))
            .order_by(Pledge.signed_on.desc(), Pledge.key.desc()).first())


def missing_reason(user: User, contract: Contract, role: str) -> tuple[str, str]:
    """Why ``user`` has no current pledge, naming the form they must sign and the article."""
    form, _, _ = form_for(contract, role)
    cite_ja, cite_en = profiles.for_contract(contract).cite(profiles.for_contract(contract).pledges.article)
    signed_before = Pledge.select().where((Pledge.user == user.login) & (Pledge.contract == contract.code)).exists()
    if signed_before:
        return (f"{user.name} さんが署名した誓約書は、現在の{form.title}と文面が異なります（改訂、又は役割の変更）。"
                f"新しい{form.title}に署名してください（{cite_ja}）",
                f"the pledge {user.login} signed is not the current form '{form.id}' for their role (text revised or role changed); "
                f"it must be signed again ({cite_en})")
    return (f"{user.name} さんの契約「{contract.title}」の{form.title}が未提出です（{cite_ja}）",
            f"{user.login} has not signed the pledge ({form.id}) for contract {contract.code} ({cite_en})")


def signing_role(user: User, contract: Contract) -> str:
    """The role whose form ``user`` signs: the one the city is asked to approve, else the current one."""
    pending = (RosterApplication.select().where((RosterApplication.contract == contract.code) & (RosterApplication.user == user.login)
                                                & (RosterApplication.status == "pending")).first())
    if pending is not None and pending.change in ("add", "role"):
        return pending.role
    entry = access.roster_entry(user, contract)
    if entry is None or not entry.active:
        raise WrongState(
            f"{user.name} さんは契約「{contract.title}」の名簿になく、名簿への追加も申請されていないため誓約書を登録できません",
            f"{user.login} is not on the roster of {contract.code}; no pledge can be recorded",
        )
    return entry.role


def sign(actor: User, contract_code: str) -> Pledge:
    """A person signs their own pledge on screen, where the contract's provisions accept that."""
    contract = access.get_contract(contract_code)
    access.require_active(actor)
    if actor.role != "contractor":
        raise NotAllowed("誓約書に署名するのは受託者の取扱責任者・従事者です", "pledges are signed by the contractor's handlers")
    role = signing_role(actor, contract)
    profile = profiles.for_contract(contract)
    profiles.require_allowed(contract, "この契約の特記事項は誓約書に自署を求めています。印刷した誓約書に署名し、その画像を登録してください",
                             "this contract's provisions ask for a handwritten signature: sign the printed form and upload it",
                             profile.pledges.article, profile.pledges.on_screen)
    with db.writing():
        return _record(actor, contract, actor, role, _today(), "electronic", sheet=None, changes={})


def record_sheet(actor: User, settings, contract_code: str, signers: list[str], signed_on: str, content: bytes,
                 filename: str = "") -> list[Pledge]:
    """The signed paper form, photographed or scanned, for each person who signed it (the worker
    form has lines for several). Images and PDFs only; stored by SHA-256."""
    contract = access.get_contract(contract_code)
    logins = list(dict.fromkeys(login.strip() for login in signers if login and login.strip()))
    if not logins:
        raise InvalidInput("署名した人を選んでください", "choose who signed the sheet")
    people = [access.get_user(login) for login in logins]
    _require_recorder(actor, contract, logins)
    roles = {person.login: signing_role(person, contract) for person in people}
    forms = {form_for(contract, role)[0].id for role in roles.values()}
    if len(forms) > 1:
        raise InvalidInput("一枚の誓約書には同じ様式の人だけを記録できます（責任者用と従事者用は別の用紙です）",
                           "one sheet carries one form: the responsible person's and the workers' pledges are separate sheets")
    day = inputs.parse_date(signed_on or "").isoformat()
    if day > _today():
        raise InvalidInput("署名日が未来の日付です", "the signing date is in the future")
    media_type = sheet_media_type(content, filename or "誓約書")
    with db.writing():
        sha256, changes = attachments.store(settings.attachments_dir, content, media_type, filename)
        recorded = []
        for person in people:
            recorded.append(_record(actor, contract, person, roles[person.login], day, "paper", sheet=sha256, changes=changes))
            changes = {}  # the sheet's attachment row goes with the first pledge only
    return recorded


def record_submission(actor: User, contract_code: str, keys: list[str], submitted_on: str, how: str, receiver: str) -> list[Pledge]:
    """The pledges handed to the city (Art. 11): when, how, and which official received them."""
    contract = access.get_contract(contract_code)
    keys = list(dict.fromkeys(key for key in keys if key))
    if not keys:
        raise InvalidInput("提出した誓約書を選んでください", "choose the pledges that were handed over")
    pledges = [_get(contract, key) for key in keys]
    _require_recorder(actor, contract, [pledge.user_id for pledge in pledges])
    day = inputs.parse_date(submitted_on or "").isoformat()
    if day > _today():
        raise InvalidInput("提出日が未来の日付です", "the submission date is in the future")
    inputs.parse_choice(how, tuple(SUBMISSION_METHODS), "提出方法", "how it was handed over")
    receiver = inputs.require_text(receiver, "受け取った市の職員", "the city official who received it", 100)
    for pledge in pledges:
        if pledge.submitted_on:
            raise WrongState(f"{pledge.user.name} さんの誓約書は {pledge.submitted_on} に提出済みです",
                             f"{pledge.user_id}'s pledge was already handed over on {pledge.submitted_on}")
        if pledge.signed_on > day:
            raise InvalidInput("提出日が署名日より前です", "handed over before it was signed")
    with db.writing():
        ledger.append("pledge.submitted", actor.login, contract=contract.code,
                      data={"pledges": keys, "submitted_on": day, "how": how, "receiver": receiver},
                      changes={"pledge": {key: {"submitted_on": day, "submitted_how": how, "submitted_to": receiver,
                                                "submission_recorded_by": actor.login} for key in keys}})
    return [Pledge.get_by_id(key) for key in keys]


def confirm(city_user: User, key: str) -> Pledge:
    """The city confirms, with its own login, that it holds the pledge."""
    access.require_municipality(city_user)
    pledge = Pledge.get_or_none(Pledge.key == (key or "").strip())
    if pledge is None:
        raise InvalidInput(f"誓約書 {key} は登録されていません", f"no pledge {key}")
    access.require_municipality(city_user, pledge.contract)  # of the contract's own city
    if not pledge.submitted_on and pledge.method == "paper":
        raise WrongState("提出の記録がない誓約書は受領確認できません", "a pledge not recorded as handed over cannot be confirmed")
    if pledge.confirmed_by:
        raise WrongState(f"この誓約書は {pledge.confirmed_at[:10]} に受領確認済みです", "this pledge was already confirmed")
    with db.writing():
        ledger.append("pledge.confirmed", city_user.login, contract=pledge.contract_id, data={"pledge": pledge.key},
                      changes={"pledge": {pledge.key: {"confirmed_by": city_user.login, "confirmed_at": now_iso()}}})
    return Pledge.get_by_id(pledge.key)


def of_contract(contract: Contract | str) -> list[Pledge]:
    contract = access.get_contract(contract)
    return list(Pledge.select().where(Pledge.contract == contract.code).order_by(Pledge.user, Pledge.key))


def sheet_media_type(content: bytes, filename: str) -> str:
    """``application/pdf`` or the image's type; anything else refused, naming the file."""
    from tracker.workflows import destruction  # its size and image checks, shared by every upload

    destruction.require_size(len(content), filename, MAX_SHEET_BYTES)
    if content.startswith(b"%PDF-"):
        if b"%%EOF" not in content[-2048:]:
            raise InvalidInput(f"{filename} は途中で切れたPDFです。何も記録していません",
                               f"{filename} is a truncated PDF; nothing was recorded")
        return "application/pdf"
    try:
        return destruction.read_photo(content, filename).media_type
    except InvalidInput:
        raise InvalidInput(f"{filename} は画像（JPEG・PNG など）でもPDFでもありません。署名した誓約書の写真かスキャンを選んでください。何も記録していません",
                           f"{filename} is neither an image nor a PDF: choose a photo or scan of the signed pledge; nothing was recorded") from None


# ---- helpers ----------------------------------------------------------------------------------


def _record(actor: User, contract: Contract, signer: User, role: str, day: str, method: str, sheet: str | None,
            changes: dict) -> Pledge:
    form, _, sha256 = form_for(contract, role)
    count = Pledge.select().where((Pledge.user == signer.login) & (Pledge.contract == contract.code)).count()
    key = f"{contract.code}/{signer.login}/{count + 1}"
    ledger.append("pledge.signed", actor.login, contract=contract.code,
                  data={"signer": signer.login, "method": method, "form": form.id, **({"sheet": sheet} if sheet else {})},
                  changes={**changes, "pledge": {key: {
                      "contract": contract.code, "user": signer.login, "signed_on": day, "text_version": form.id,
                      "text_sha256": sha256, "method": method, "recorded_by": actor.login, "role": role, "sheet": sheet,
                      "submitted_on": None, "submitted_how": "", "submitted_to": "", "submission_recorded_by": None,
                      "confirmed_by": None, "confirmed_at": None}}})
    return Pledge.get_by_id(key)


def _require_recorder(actor: User, contract: Contract, signers: list[str]) -> None:
    """Papers of others are recorded by the contract's responsible person (who may not have a
    pledge of their own yet: theirs is among the first recorded); one's own by oneself."""
    access.require_active(actor)
    if actor.role == "contractor" and signers == [actor.login]:
        return
    entry = access.roster_entry(actor, contract)
    if actor.role != "contractor" or entry is None or not entry.active or entry.role != "responsible":
        raise NotAllowed("他の人の誓約書を記録できるのは、この契約の取扱責任者だけです",
                         "only the contract's responsible person records other people's pledges")


def _get(contract: Contract, key: str) -> Pledge:
    pledge = Pledge.get_or_none((Pledge.key == key) & (Pledge.contract == contract.code))
    if pledge is None:
        raise InvalidInput(f"誓約書 {key} はこの契約に登録されていません", f"no pledge {key} on contract {contract.code}")
    return pledge


def _today() -> str:
    return utc_now().astimezone(JST).date().isoformat()


def form_pdf(contract: Contract | str, role: str, logins: list[str] = ()) -> bytes:
    """The printable form for ``role``, dated today, with the names of ``logins`` under the
    signature lines (by default: everyone on or applied for the roster who signs that form and
    has no current pledge of it)."""
    from tracker.documents import pledges as pledge_paper
    from tracker.workflows import roster

    contract = access.get_contract(contract)
    form, text, sha256 = form_for(contract, role)
    if not logins:
        people = {entry.user.login: entry.user for entry in roster.entries(contract)}
        people.update({application.user.login: application.user for application in roster.waiting(contract)
                       if application.status == "pending" and application.change != "remove"})
        logins = [login for login, person in people.items()
                  if form_for(contract, signing_role(person, contract))[0].id == form.id and current(person, contract) is None]
    names = [access.get_user(login).name for login in logins]
    return pledge_paper.pledge_form(profiles.for_contract(contract), form, contract, text, sha256, names,
                                    utc_now().astimezone(JST).date())


def not_with_the_city(contract_codes: list[str]) -> list[Pledge]:
    """Signed sheets not yet handed to the city, and pledges the city has not confirmed (one statement)."""
    return list(Pledge.select(Pledge, User).join(User)
                .where(Pledge.contract.in_(contract_codes) & Pledge.confirmed_by.is_null()
                       & ((Pledge.method == "paper") | Pledge.submitted_on.is_null(False)))
                .order_by(Pledge.contract, Pledge.key))
