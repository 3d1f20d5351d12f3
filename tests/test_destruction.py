"""Destruction (Art. 17(2)–(5)) through the workflows: what may be applied for, who decides, what
the station refuses, the evidence and its clock, and what completion demands before the media
become destroyed and the certificate is issued."""

from __future__ import annotations

import base64
import json
import io
import re
import subprocess
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image, ImageDraw

from labels import payload
from tracker import ledger, register, vocabulary
from tracker.errors import InvalidInput, NeedsApproval, NotAllowed, WrongState
from tracker.models import Document, Event, Evidence, Medium
from tracker.timeutil import JST, clock_at, utc_now
from tracker.workflows import copies, destruction, media, places, profiles, scans

DESTROY_HDD = {"category": "destroy", "technique": "shred", "level": "H-5", "tool": "HSM Powerline HDD", "subcontractor": ""}
PURGE_USB = {"category": "purge", "technique": "block_erase", "tool": "BlockWipe", "tool_version": "4.2"}
SHRED_PAPER = {"category": "destroy", "technique": "shred", "level": "P-4", "tool": "MSシュレッダー"}


def today(hour: int = 9) -> str:
    return utc_now().astimezone(JST).strftime(f"%Y-%m-%d {hour:02d}:00")


def jpeg(taken: datetime | None = None, offset: str | None = None, seed: int = 0) -> bytes:
    """A small photo, each seed a different file, with EXIF DateTimeOriginal when ``taken``."""
    image = Image.new("RGB", (96, 64), (40 + seed * 20 % 200, 120, 200))
    ImageDraw.Draw(image).text((4, 4), str(uuid.uuid4())[:8], fill=(0, 0, 0))
    exif = Image.Exif()
    if taken is not None:
        fields = exif.get_ifd(0x8769)
        fields[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if offset:
            fields[0x9011] = offset
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def now_photo(seed: int = 0) -> bytes:
    return jpeg(utc_now().astimezone(JST).replace(tzinfo=None), seed=seed)


def signature_url(blank: bool = False) -> str:
    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(image).line([(20, 80), (80, 30), (140, 90), (260, 40)], fill=(0, 0, 0, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def three(cast):
    """An HDD, a USB stick and a box of paper originals, stored in the cabinet."""
    hdd = media.register(cast.responsible, "KG26", "hdd", "旧サーバHDD", serial_number="WX-1001", manufacturer="WD",
                         model="WD10EZEX", record_count=5400, pi_items=["氏名", "住所"], location=cast.cabinet.code)
    usb = media.register(cast.responsible, "KG26", "usb", "課税データ", serial_number="USB-77", encrypted=True,
                         encryption="AES-256", record_count=1200, location=cast.cabinet.code)
    paper = media.register(cast.responsible, "KG26", "paper", "申告書原票", record_count=250, location=cast.cabinet.code)
    return [hdd.id, usb.id, paper.id]


def items_for(ids: list[str]) -> list[dict]:
    methods = (DESTROY_HDD, PURGE_USB, SHRED_PAPER)
    return [{"medium": medium_id, **method} for medium_id, method in zip(ids, methods)]


def apply_for(cast, ids, scheduled=None, witness=True, items=None):
    return destruction.apply(
        cast.responsible, "KG26", items or items_for(ids), reason="契約終了に伴う廃棄", scheduled_at=scheduled or today(),
        place="本社 2F 保管室", copies_statement="複製・バックアップは作成していません", verification_plan="破砕片の目視確認と消去ログの確認",
        witness_requested=witness,
    )


@pytest.fixture
def approved(cast, three):
    application = apply_for(cast, three)
    return destruction.decide(cast.city, application.number, True, "市職員の立会いのもとで実施すること")


def label(settings, medium_id: str) -> str:
    return payload.medium_url(medium_id, settings.secret, settings.base_url)


def station(actor, settings, code: str, number: str) -> tuple[int, dict]:
    return scans.record(actor, str(uuid.uuid4()), code, "destroy", number, settings.secret)


def carry_out(cast, settings, number: str, ids: list[str]) -> None:
    """Scan, destroy and photograph everything, with the city's witness: ready to complete."""
    for medium_id in ids:
        assert station(cast.worker, settings, label(settings, medium_id), number)[0] == 200
    destruction.record_destroyed(cast.worker, number, [], "破砕片の目視確認", "判読不可能を確認", "産廃業者（マニフェスト M-1）")
    destruction.add_evidence(cast.worker, settings, number, "before", now_photo(1), "before.jpg")
    destruction.add_evidence(cast.worker, settings, number, "after", now_photo(2), "after.jpg")
    destruction.witness(cast.city, settings, number)


# ---- applying ----------------------------------------------------------------------------------


def test_an_application_lists_each_medium_with_its_method(cast, three):
    application = apply_for(cast, three)
    assert application.number == "KG26-A0001" and application.status == "applied"
    rows = {item.medium_id: item for item in application.items}
    assert (rows[three[0]].category, rows[three[0]].technique, rows[three[0]].level) == ("destroy", "shred", "H-5")
    assert (rows[three[1]].category, rows[three[1]].tool, rows[three[1]].tool_version, rows[three[1]].level) == ("purge", "BlockWipe", "4.2", "")
    assert [event.kind for event in ledger.timeline(three[2])][-1] == "destruction.applied"
    assert ledger.verify().ok


def test_media_that_cannot_be_destroyed_are_each_named_and_nothing_is_recorded(cast, three):
    out = media.register(cast.worker, "KG26", "hdd", "作業用HDD", location=cast.cabinet.code, encrypted=True, encryption="BitLocker")
    media.take_out(cast.worker, out.id, cast.work_room.code, "入力作業")
    lost = media.register(cast.worker, "KG26", "hdd", "所在不明HDD")
    ledger.append("medium.lost", "yamada", contract="KG26", changes={"medium": {lost.id: {"status": "lost", "custodian": None}}})
    request = copies.request(cast.worker, three[0], 1, "hdd", "作業用")
    copies.decide(cast.city, request.number, True)
    copy = copies.make_copy(cast.worker, request.number, location=cast.cabinet.code)
    apply_for(cast, [three[2]], items=[{"medium": three[2], **SHRED_PAPER}])  # the paper is now on an open application
    before = ledger.head()

    with pytest.raises(WrongState) as refused:
        apply_for(cast, [], items=[{"medium": three[0], **DESTROY_HDD}, {"medium": out.id, **DESTROY_HDD},
                                   {"medium": lost.id, **DESTROY_HDD}, {"medium": three[2], **SHRED_PAPER}])
    assert ledger.head() == before, "a refusal records nothing"
    reasons = {entry["id"]: entry["message_en"] for entry in refused.value.details["refused"]}
    assert set(reasons) == {three[0], out.id, lost.id, three[2]}
    assert "work place" in reasons[out.id] and "missing" in reasons[lost.id]
    assert "KG26-A0001" in reasons[three[2]] and copy.id in reasons[three[0]]
    assert copy.id in refused.value.message_ja and "複製" in refused.value.message_ja

    # The copy on the same application covers it.
    application = apply_for(cast, [], items=[{"medium": three[0], **DESTROY_HDD}, {"medium": copy.id, **DESTROY_HDD}])
    assert {item.medium_id for item in application.items} == {three[0], copy.id}


def test_methods_follow_nist_and_din_66399(cast, three):
    hdd, usb, paper = (Medium.get_by_id(medium_id) for medium_id in three)
    assert destruction.check_method(hdd, "destroy", "shred", "ｈ５").level == "H-5", "typed full-width, normalised"
    assert destruction.check_method(paper, "destroy", "pulp", "P‐4").level == "P-4"
    refusals = [
        (hdd, dict(category="destroy", technique="shred", level=""), "'shredded' alone is not enough"),
        (hdd, dict(category="destroy", technique="shred", level="H-2"), "protection class 2"),
        (hdd, dict(category="destroy", technique="shred", level="P-4"), "class H levels"),
        (hdd, dict(category="destroy", technique="shred", level="H-9"), "must be a class letter"),
        (paper, dict(category="clear", technique="overwrite", tool="x", tool_version="1"), "can only be destroyed"),
        (usb, dict(category="purge", technique="degauss", tool="x", tool_version="1"), "does not work on"),
        (hdd, dict(category="purge", technique="crypto_erase", tool="x", tool_version="1"), "encrypted"),
        (usb, dict(category="purge", technique="block_erase", tool="BlockWipe"), "tool and its version"),
        (usb, dict(category="purge", technique="block_erase", level="E-4", tool="x", tool_version="1"), "only to destroy"),
        (hdd, dict(category="erase", technique="shred"), "must be one of"),
    ]
    for medium, method, words in refusals:
        with pytest.raises(InvalidInput) as refused:
            destruction.check_method(medium, **method)
        assert words in refused.value.message_en, (method, refused.value.message_en)
        assert refused.value.message_ja
    with pytest.raises(InvalidInput) as refused:
        apply_for(cast, three, items=[{"medium": three[0], **DESTROY_HDD, "level": "H-1"}])
    assert three[0] in refused.value.message_en and "protection class 2" in refused.value.message_en


def test_only_the_responsible_person_applies_and_only_the_city_decides(cast, three, database):
    with pytest.raises(NotAllowed):
        destruction.apply(cast.worker, "KG26", items_for(three), reason="r", scheduled_at=today(), place="p",
                          copies_statement="c", verification_plan="v")
    application = apply_for(cast, three)
    for contractor in (cast.responsible, cast.worker, cast.admin):
        with pytest.raises(NotAllowed) as refused:
            destruction.decide(contractor, application.number, True)
        assert "municipality" in refused.value.message_en
    with pytest.raises(InvalidInput):
        destruction.decide(cast.city, application.number, False, "  ")
    decided = destruction.decide(cast.city, application.number, True, "立会いのこと")
    assert (decided.status, decided.approval_number, decided.decided_by) == ("approved", "KG26-A0001-承認", "takahashi")
    with pytest.raises(WrongState):
        destruction.decide(cast.city, application.number, False, "やはり却下")
    with pytest.raises(InvalidInput):
        apply_for(cast, three, scheduled="2001-01-01 10:00")


# ---- execution ---------------------------------------------------------------------------------


def test_the_station_refuses_a_medium_the_ledger_has_at_another_site(cast, settings):
    """Destroyed where the ledger has it: a disk recorded in the Fuchu data centre cannot be
    destroyed at the head office (it would have travelled without a transfer record)."""
    far = places.create_location(cast.admin, "耐火書庫B", "safe", "storage", site="府中データセンター", room="地下1階")
    disk = media.register(cast.responsible, "KG26", "hdd", "府中の旧HDD", encrypted=True, encryption="AES-256", location=far.code)
    application = apply_for(cast, [disk.id], items=[{"medium": disk.id, **DESTROY_HDD}])
    destruction.decide(cast.city, application.number, True, "")
    before = ledger.head()
    status, answer = station(cast.worker, settings, label(settings, disk.id), application.number)
    cite_ja, cite_en = profiles.for_contract(disk.contract).cite(profiles.for_contract(disk.contract).storage.article)
    assert status == 409 and answer["ok"] is False
    assert "「府中データセンター」" in answer["message_ja"] and "「本社 2F 保管室」" in answer["message_ja"]
    assert cite_ja in answer["message_ja"] and cite_en in answer["message_en"]
    assert "recorded at 府中データセンター" in answer["message_en"] and "(本社 2F 保管室)" in answer["message_en"]
    assert ledger.head() == before
    assert destruction.get_application(application.number).items[0].scanned_at is None

    # taken out to the head office's work room, the ledger has it where it is destroyed
    media.take_out(cast.worker, disk.id, cast.work_room.code, "廃棄のため")
    status, answer = station(cast.worker, settings, label(settings, disk.id), application.number)
    assert status == 200 and answer["ok"]


def test_the_station_refuses_a_medium_not_on_the_approved_application(cast, settings, approved, three):
    fourth = media.register(cast.worker, "KG26", "hdd", "別のHDD", location=cast.cabinet.code)
    before = ledger.head()
    status, answer = station(cast.worker, settings, label(settings, fourth.id), approved.number)
    assert status == 409 and answer["ok"] is False
    assert "not on the approved destruction application" in answer["message_en"] and "含まれていません" in answer["message_ja"]
    status, answer = station(cast.worker, settings, three[0], approved.number)  # typed ID: the label was not read
    assert status == 400 and "label (QR code) itself" in answer["message_en"]
    assert ledger.head() == before

    status, answer = station(cast.worker, settings, label(settings, three[0]), approved.number)
    assert status == 200 and answer["ok"] and "H-5" in answer["message_ja"]
    status, answer = station(cast.worker, settings, label(settings, three[0]), approved.number)
    assert status == 200 and answer["duplicate"] is True
    application = destruction.get_application(approved.number)
    assert (application.operator, bool(application.started_at)) == ("sato", True)
    status, answer = scans.record(cast.worker, str(uuid.uuid4()), label(settings, three[1]), "destroy", None, settings.secret)
    assert status == 400 and "destruction application number" in answer["message_en"]


def test_nothing_is_carried_out_before_the_scheduled_day(cast, settings, three):
    tomorrow = (utc_now().astimezone(JST) + timedelta(days=1)).strftime("%Y-%m-%d 10:00")
    application = destruction.decide(cast.city, apply_for(cast, three, scheduled=tomorrow).number, True)
    before = ledger.head()
    status, answer = station(cast.worker, settings, label(settings, three[0]), application.number)
    assert status == 409 and "scheduled day" in answer["message_en"] and "処理予定日" in answer["message_ja"]
    with pytest.raises(WrongState):
        destruction.add_evidence(cast.worker, settings, application.number, "before", now_photo(), "before.jpg")
    assert ledger.head() == before
    with clock_at(datetime.fromisoformat(tomorrow).replace(tzinfo=JST) - timedelta(hours=1)):  # 09:00 on the day
        assert station(cast.worker, settings, label(settings, three[0]), application.number)[0] == 200


def test_a_withdrawn_approval_stops_the_execution(cast, settings, approved, three):
    with pytest.raises(NotAllowed):
        destruction.withdraw(cast.responsible, approved.number, "誤り")
    with pytest.raises(InvalidInput):
        destruction.withdraw(cast.city, approved.number, "")
    withdrawn = destruction.withdraw(cast.city, approved.number, "対象に誤りがあるため")
    assert (withdrawn.status, withdrawn.decision_note, withdrawn.approval_number) == ("withdrawn", "対象に誤りがあるため", "KG26-A0001-承認")
    before = ledger.head()
    status, answer = station(cast.worker, settings, label(settings, three[0]), approved.number)
    assert status == 409 and "withdrew its approval" in answer["message_en"] and "撤回" in answer["message_ja"]
    with pytest.raises(NeedsApproval):
        destruction.record_destroyed(cast.worker, approved.number, [], "目視", "確認", "業者")
    assert ledger.head() == before
    assert apply_for(cast, three).number == "KG26-A0002", "withdrawn: the media may be applied for again"


def test_an_approval_cannot_be_withdrawn_once_something_was_destroyed(cast, settings, approved, three):
    station(cast.worker, settings, label(settings, three[0]), approved.number)
    with pytest.raises(WrongState):
        destruction.record_destroyed(cast.worker, approved.number, [three[1]], "目視", "確認", "業者")  # not scanned yet
    done = destruction.record_destroyed(cast.worker, approved.number, [three[0]], "破砕片の目視", "判読不可", "産廃業者")
    assert [(item.medium_id, item.destroyed_by) for item in done] == [(three[0], "sato")]
    with pytest.raises(WrongState) as refused:
        destruction.withdraw(cast.city, approved.number, "中止")
    assert three[0] in refused.value.message_en


# ---- evidence ----------------------------------------------------------------------------------


def stored_files(settings) -> set:
    return {path for path in settings.attachments_dir.rglob("*") if path.is_file()}


def test_photos_must_be_images_within_the_size_limit(cast, settings, approved, three):
    before, files = ledger.head(), stored_files(settings)
    for content, name, words in ((b"%PDF-1.7 not a photo", "before.jpg", "not an image"),
                                 (now_photo()[:400], "broken.jpg", "damaged or truncated")):
        with pytest.raises(InvalidInput) as refused:
            destruction.add_evidence(cast.worker, settings, approved.number, "before", content, name)
        assert words in refused.value.message_en and name in refused.value.message_en
        assert "何も記録していません" in refused.value.message_ja
    photo = now_photo()
    with pytest.raises(InvalidInput) as refused:
        destruction.add_evidence(cast.worker, settings, approved.number, "before", photo, "big.jpg", max_bytes=len(photo) - 1)
    assert "too large" in refused.value.message_en
    with pytest.raises(InvalidInput) as refused:  # what the web checks from the declared size, before reading it
        destruction.require_size(200 * 1024 * 1024, "video.jpg")
    assert "200 MB" in refused.value.message_en and "20 MB" in refused.value.message_en
    assert ledger.head() == before and stored_files(settings) == files, "nothing recorded, nothing stored"


def test_photo_times_come_from_exif_and_are_compared_with_the_server_clock(cast, settings, approved, three):
    # The server's clock stands still at a whole second (EXIF times have no fractions), so each
    # skew is an exact figure however long the machine takes.
    now = utc_now().replace(microsecond=0)
    with clock_at(now):
        on_time = destruction.add_evidence(cast.worker, settings, approved.number, "before", now_photo(1), "a.jpg", medium_id=three[0])
        assert on_time.clock_skew_seconds == 0 and not destruction.photo_flags(on_time).any
        assert on_time.medium == three[0] and on_time.attachment.media_type == "image/jpeg"

        utc_camera = jpeg(now.replace(tzinfo=None), offset="+00:00", seed=2)  # a camera set to UTC that says so
        assert destruction.add_evidence(cast.worker, settings, approved.number, "during", utc_camera, "b.jpg").clock_skew_seconds == 0

        wrong_clock = jpeg((now.astimezone(JST) - timedelta(hours=3)).replace(tzinfo=None), seed=3)
        off = destruction.add_evidence(cast.worker, settings, approved.number, "after", wrong_clock, "c.jpg")
    assert off.clock_skew_seconds == -3 * 3600 and destruction.photo_flags(off).clock_off
    assert "10 min" in destruction.photo_flags(off).text()[1]

    plain = jpeg(seed=4)
    no_exif = destruction.add_evidence(cast.worker, settings, approved.number, "after", plain, "d.jpg")
    assert no_exif.taken_at is None and no_exif.clock_skew_seconds is None and destruction.photo_flags(no_exif).no_time

    report = destruction.add_evidence(cast.worker, settings, approved.number, "report", b"BlockWipe 4.2 report\nPASS\n",
                                      "wipe.log", media_type="text/plain", medium_id=three[1])
    assert (report.stage, report.taken_at, report.attachment.media_type) == ("report", None, "text/plain")
    assert ledger.attachment_path(settings.attachments_dir, report.attachment_id).read_bytes().startswith(b"BlockWipe")

    with pytest.raises(WrongState):
        destruction.add_evidence(cast.worker, settings, approved.number, "after", plain, "again.jpg")
    other = media.register(cast.worker, "KG26", "usb", "別", encrypted=True, encryption="AES")
    with pytest.raises(WrongState):
        destruction.add_evidence(cast.worker, settings, approved.number, "before", now_photo(5), "x.jpg", medium_id=other.id)
    with pytest.raises(NotAllowed):
        destruction.add_evidence(cast.city, settings, approved.number, "before", now_photo(6), "y.jpg")
    assert ledger.verify(settings.attachments_dir).ok


def test_the_witness_confirms_with_their_own_account_never_a_name_typed_by_the_contractor(cast, settings, three):
    first = destruction.decide(cast.city, apply_for(cast, [three[0]], items=[{"medium": three[0], **DESTROY_HDD}]).number, True)
    second = destruction.decide(cast.city, apply_for(cast, [three[1]], items=[{"medium": three[1], **PURGE_USB}]).number, True)
    witnessed = destruction.witness(cast.city, settings, first.number)
    assert (witnessed.witness, witnessed.witness_name, bool(witnessed.witnessed_at)) == ("takahashi", "", True)
    with pytest.raises(WrongState):
        destruction.witness(cast.city, settings, first.number)

    before = ledger.head()
    # The contractor alone is no witness, whatever it types or draws (issue #11).
    with pytest.raises(NotAllowed) as refused:
        destruction.witness(cast.worker, settings, second.number, signature=signature_url())
    assert refused.value.message_en == "only municipality staff may approve or witness"
    for drawn, words in ((signature_url(blank=True), "blank"), ("data:image/png;base64,bm90IGEgcG5n", "cannot be read")):
        with pytest.raises(InvalidInput) as refused:
            destruction.witness(cast.city, settings, second.number, device_user=cast.worker, signature=drawn)
        assert words in refused.value.message_en
    with pytest.raises(NotAllowed) as refused:  # the device must be the contract's, too
        destruction.witness(cast.city, settings, second.number, device_user=cast.admin, signature=signature_url())
    assert refused.value.message_en == "administrators take no custody actions (separation of duties)"
    assert ledger.head() == before
    # The official's own account on the contractor's device (the page checks the password), a signature beside it.
    signed = destruction.witness(cast.city, settings, second.number, device_user=cast.worker, signature=signature_url())
    assert (signed.witness, signed.witness_name) == ("takahashi", "")
    event = Event.select().order_by(Event.seq.desc()).first()
    assert event.kind == "destruction.witnessed" and event.actor == "takahashi"
    assert {key: json.loads(event.data)[key] for key in ("method", "device_user")} == {"method": "same_device", "device_user": "sato"}
    evidence = Evidence.get(Evidence.paper == second.number)
    assert (evidence.stage, evidence.attachment_id, evidence.attachment.media_type) == ("signature", signed.witness_signature, "image/png")


# ---- completion --------------------------------------------------------------------------------


def line_with_text(text: str, marker: str) -> str:
    return next(line for line in text.splitlines() if marker in line)


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_completion_demands_everything_then_the_media_are_destroyed_and_certified(cast, settings, approved, three, tmp_path):
    with pytest.raises(WrongState) as refused:
        destruction.complete(cast.worker, settings, approved.number, "yamada")
    for words in ("not yet recorded as destroyed", "no before photo", "no after photo", "witness"):
        assert words in refused.value.message_en
    # A copy made after the application was approved must not survive its original.
    request = copies.request(cast.worker, three[0], 1, "hdd", "退避")
    copies.decide(cast.city, request.number, True)
    copy = copies.make_copy(cast.worker, request.number, location=cast.cabinet.code)
    carry_out(cast, settings, approved.number, three)
    with pytest.raises(WrongState) as refused:
        destruction.complete(cast.worker, settings, approved.number, "yamada")
    assert copy.id in refused.value.message_en
    ledger.append("medium.returned", "yamada", contract="KG26", changes={"medium": {copy.id: {"status": "returned"}}})
    with pytest.raises(InvalidInput):
        destruction.complete(cast.worker, settings, approved.number, "suzuki")  # not on the roster: cannot verify

    document = destruction.complete(cast.worker, settings, approved.number, "yamada")
    assert (document.kind, document.subject) == ("destruction_certificate", approved.number)
    application = destruction.get_application(approved.number)
    assert (application.status, application.verifier) == ("completed", "yamada")
    for medium_id in three:
        medium = Medium.get_by_id(medium_id)
        assert (medium.status, medium.location_id, medium.custodian_id) == ("destroyed", None, None)
    assert ledger.verify(settings.attachments_dir).ok

    text = pdf_text(ledger.attachment_path(settings.attachments_dir, document.attachment_id).read_bytes(), tmp_path)
    assert "消去・廃棄証明書" in text and document.serial in text and "KG26-A0001-承認" in text
    for medium_id in three:
        assert medium_id in text
    for words in ("H-5", "P-4", "BlockWipe 4.2", "WD10EZEX", "WX-1001", "判読不可能を確認", "産廃業者", "高橋 市役所",
                  "複製・バックアップは作成していません"):
        assert words in text, words
    for evidence in Evidence.select().where(Evidence.paper == approved.number):
        assert evidence.attachment_id in text
    # Issued to the city in the name of the contractor and its responsible person (who applied),
    # not of the worker who pressed "complete"; the seal box beside them; body dates in 和暦.
    assert "小金井市長 様" in text and "株式会社サンプル" in text and "代表者（未登録）" in text
    assert "取扱責任者 山田 太郎" in text and re.search(r"\s印\s*$", text, re.M)
    assert "作成操作 佐藤 花子" in text and "発行者 佐藤" not in text
    assert re.search(r"令和\d+年\d+月\d+日 \d+時\d\d分", line_with_text(text, "完了"))
    kinds = {Medium.get_by_id(medium_id).kind for medium_id in three}
    media_line = line_with_text(text, "3 点：")
    assert all(vocabulary.MEDIUM_UNITS[kind] in media_line for kind in kinds) and "数量" not in media_line
    assert "/ summary" not in text and "Certificate and report" not in text

    balance = register.closeout_balance("KG26")
    assert balance.destroyed == 3 and set(three) <= {row.id for row in register.register_rows(["KG26"])}
    assert three[0] not in {row.id for row in balance.unaccounted_media}


def test_a_destroyed_medium_is_terminal_wherever_its_label_is_read(cast, settings, approved, three):
    carry_out(cast, settings, approved.number, three)
    certificate = destruction.complete(cast.worker, settings, approved.number, "yamada")
    before = ledger.head()
    status, answer = scans.record(cast.city, str(uuid.uuid4()), label(settings, three[0]), "lookup", None, settings.secret)
    assert status == 200 and answer["destroyed"] is True and certificate.serial in answer["message_ja"]
    assert approved.number in answer["message_en"] and "destroyed on" in answer["message_en"]
    for action, context in (("store", cast.cabinet.code), ("destroy", approved.number), ("return", "KG26-H0001")):
        status, answer = scans.record(cast.worker, str(uuid.uuid4()), label(settings, three[1]), action, context, settings.secret)
        assert status == 409 and certificate.serial in answer["message_en"], action
    with pytest.raises(WrongState) as refused:
        media.store(cast.worker, three[2], cast.cabinet.code)
    assert "destroyed" in refused.value.message_en
    assert ledger.head() == before
    assert Document.select().where(Document.kind == "destruction_certificate").count() == 1


def test_a_medium_marked_destroyed_without_a_certificate_says_so(cast, settings, three):
    # (The balance then names it as unaccounted: tests/test_register.py.)
    ledger.append("medium.destroyed", "yamada", contract="KG26", changes={"medium": {three[0]: {
        "status": "destroyed", "location": None, "custodian": None}}})
    status, answer = scans.record(cast.worker, str(uuid.uuid4()), label(settings, three[0]), "lookup", None, settings.secret)
    assert status == 200 and "no destruction certificate" in answer["message_en"]
    record = destruction.destroyed_record(three[0])
    assert record.certificate is None and "no destruction certificate" in record.message(Medium.get_by_id(three[0]))[1]


def test_dashboard_attention(cast, three):
    waiting = apply_for(cast, [three[0]], items=[{"medium": three[0], **DESTROY_HDD}])
    due = destruction.decide(cast.city, apply_for(cast, [three[1]], items=[{"medium": three[1], **PURGE_USB}]).number, True)
    attention = destruction.needing_attention(["KG26"])
    assert [a.number for a in attention.awaiting_approval] == [waiting.number]
    assert [a.number for a in attention.scheduled_today] == [due.number]
    with clock_at(datetime.now(timezone.utc) + timedelta(days=2)):
        assert not destruction.needing_attention(["KG26"]).scheduled_today
    assert [m.id for m in destruction.eligible_media(["KG26"])] == [three[2]]
