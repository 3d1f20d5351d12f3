"""Electronic media (Art. 6): the notice the city consents to before the contractor records
personal information on an electronic medium, registration and take-out refused without it,
encryption on every take-out, the transmissions log, the 電磁的記録媒体 届出書 with 鍵は別送 only
when recorded so."""

from __future__ import annotations

import re
import subprocess

import pytest

from tracker import ledger
from tracker.errors import InvalidInput, NotAllowed, WrongState
from tracker.models import ElectronicNotice, Event
from tracker.workflows import electronic, media, papers, people


@pytest.fixture
def second(cast):
    """A contract of the same city with no notice yet."""
    people.create_contract(None, "KG27", "別の委託", "小金井市", contractor="株式会社サンプル")
    cast.rostered(cast.admin, "KG27", "yamada", "responsible")
    people.sign_pledge(cast.responsible, "KG27")
    return "KG27"


def pdf_text(settings, document) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=papers.content(settings, document), check=True,
                          capture_output=True).stdout.decode()


def test_no_consent_no_electronic_medium_holding_data_then_consent(cast, settings, second):
    before = Event.select().count()
    with pytest.raises(NotAllowed) as refused:
        media.register(cast.responsible, second, "usb", "入力データ", record_count=5000, pi_items=["氏名"],
                       encrypted=True, encryption="AES-256", location=cast.cabinet.code)
    assert "承諾" in refused.value.message_ja and "小金井市個人情報取扱特記事項 第6条" in refused.value.message_ja
    assert Event.select().count() == before
    # Paper, or an empty stick, needs no notice.
    media.register(cast.responsible, second, "paper", "申告書", record_count=10, location=cast.cabinet.code)
    media.register(cast.responsible, second, "usb", "空のUSB", location=cast.cabinet.code)

    notice = electronic.submit(cast.responsible, second, ["usb"], "BUFFALO RUF3-KE 32GB（S/N 1234）", "本社 2F", "入力データの保存",
                               "AES-256（ハードウェア暗号化）", "separate")
    with pytest.raises(NotAllowed):  # still waiting for the city
        media.register(cast.responsible, second, "usb", "入力データ", record_count=5000, encrypted=True, encryption="AES-256")
    with pytest.raises(NotAllowed):
        electronic.decide(cast.responsible, notice.number, True)
    electronic.decide(cast.city, notice.number, True, "鍵は別送とすること")
    stick = media.register(cast.responsible, second, "usb", "入力データ", record_count=5000, encrypted=True, encryption="AES-256",
                           location=cast.cabinet.code)
    with pytest.raises(NotAllowed):  # the notice covers USB sticks, not hard disks
        media.register(cast.responsible, second, "hdd", "HDD", record_count=5000, encrypted=True, encryption="AES-256")
    assert stick.record_count == 5000
    text = pdf_text(settings, electronic.issue_paper(cast.responsible, notice.number, settings))
    assert "届出書" in text and "鍵は別送" in text and "承諾" in text and "S/N 1234" in text
    assert not re.search(r"[/／]\s+[A-Za-z]", text)  # Japanese only: no "ja / en" glosses on the paper


def test_unencrypted_usb_refused_on_take_out_and_key_delivery_printed_only_when_recorded(cast, settings):
    plain = media.register(cast.worker, "KG26", "usb", "平文USB", record_count=5000, location=cast.cabinet.code)
    with pytest.raises(WrongState) as refused:
        media.take_out(cast.worker, plain.id, cast.work_room.code, "入力作業")
    assert "暗号化" in refused.value.message_ja and "第6条第1号" in refused.value.message_ja
    together = electronic.submit(cast.responsible, "KG26", ["optical"], "DVD-R", "本社", "納品", "AES-256", "together")
    text = pdf_text(settings, electronic.issue_paper(cast.responsible, together.number, settings))
    assert "鍵は媒体と同送" in text and "鍵は別送" not in text


def test_transmissions_need_a_consented_notice_and_are_logged(cast, settings):
    with pytest.raises(NotAllowed) as refused:
        electronic.record_transmission(cast.worker, "KG26", "市民税課", "入力結果CSV", "LGWANメール")
    assert "第6条第5号" in refused.value.message_ja
    notice = electronic.submit(cast.responsible, "KG26", ["transmission"], "LGWAN メール（暗号化ZIP）", "本社", "入力結果の納品",
                               "AES-256 ZIP", "separate")
    electronic.decide(cast.city, notice.number, True)
    sent = electronic.record_transmission(cast.worker, "KG26", "市民税課", "入力結果CSV（5,000件）", "LGWANメール")
    assert (sent.number, sent.notice_id, sent.key_delivery) == ("KG26-X0001", notice.number, "separate")
    assert electronic.transmissions(["KG26"])[0].number == sent.number
    with pytest.raises(InvalidInput):
        electronic.submit(cast.responsible, "KG26", ["fax"], "FAX", "本社", "送信", "なし")
    with pytest.raises(WrongState):
        electronic.decide(cast.city, notice.number, False, "二重")
    assert ElectronicNotice.select().count() == 2  # the fixture's, and this one (the refused one left none)
    assert ledger.verify(settings.attachments_dir).ok
