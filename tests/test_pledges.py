"""Both pledges (Art. 11) from the contract's profile, and the Art. 8 path end to end: applied for,
refused until the city approves, the worker's signed sheet handed to the city, then acting; the
roster paper lists them with the approval number."""

from __future__ import annotations

import io
import re
import subprocess

import pytest
from PIL import Image

from tracker import ledger
from tracker.errors import DomainError, InvalidInput, NotAllowed, WrongState
from tracker.models import Pledge
from tracker.workflows import media, papers, people, pledges, roster
from tests.conftest import refused

# The two forms as the seed (Koganei's 個人情報取扱特記事項, 別紙 誓約書) prints them, line breaks
# and all: the PDFs must carry exactly this text.
SEED_RESPONSIBLE = """
  この度私は、小金井市との委託業務を遂行するに当たり、以下の事項を遵守することを
誓約いたします。
１ 私は、この度の委託業務に携わるに当たり、小金井市役所庁舎内に立ち入りますが、そ
の際には、小金井市の諸規則・契約内容及び業務上の指示を遵守し、誠実に業務を行いま
す。
２ 私は、小金井市との契約を履行するに当たり、業務上知り得た情報等について、契約期
間中及び契約終了後も一切他に漏らしたり提供はいたしません。
３ 私は、小金井市から提供された書類、資料、電磁的記録等について、業務上やむを得な
いもので小金井市の許可を受けたものを除き、一切複写又は複製はいたしません。なお、
やむを得ず複写又は複製したものについては、業務が終了次第、迅速かつ確実に返還又は
廃棄・消去し、個人情報等が漏れることがないようにいたします。
４ 私は、小金井市から提供された書類、資料、電磁的記録等について、本契約の業務以外
の用途には使用いたしません。
５ その他、この度の業務を遂行するに当たっては、別紙契約書、仕様書、個人情報の保護
に関する法律及びその他諸法令等を遵守いたします。
"""
SEED_WORKER = """
  この度私は、小金井市との委託業務を遂行するに当たり、以下の事項を遵守することを誓約いたします。
１ 私は、小金井市との契約を履行するに当たり、業務上知り得た情報等について、契約期間中及び契約終了後
も一切他に漏らしたり提供はいたしません。
２ 私は、小金井市から提供された書類、資料、電磁的記録等について、業務上やむを得ないもので小金井市の
許可を受けたものを除き、一切複写又は複製はいたしません。なお、やむを得ず複写又は複製したものについ
ては、業務が終了次第、迅速かつ確実に返還又は廃棄・消去し、個人情報等が漏れることがないようにいたし
ます。
３ 私は、小金井市から提供された書類、資料、電磁的記録等について、本契約の業務以外の用途には使用いた
しません。
４ その他、この度の業務を遂行するに当たっては、別紙契約書、仕様書、個人情報の保護に関する法律及びそ
の他諸法令等を遵守いたします。
"""


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()


def signed_sheet() -> bytes:
    image = Image.new("RGB", (640, 900), "white")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


def register(actor):
    return media.register(actor, "KG26", "paper", "給与支払報告書", record_count=10)


@pytest.mark.parametrize(("role", "seed", "lines"), [
    ("responsible", SEED_RESPONSIBLE, ["会社名 株式会社サンプル", "責任者氏名", "（個人情報保護責任者・業務責任者）", "※ 責任者氏名は必ず自署願います。"]),
    ("worker", SEED_WORKER, ["（従事者氏名）※必ず自署願います。"]),
])
def test_each_pledge_pdf_carries_the_seed_text_and_signature_lines(cast, role, seed, lines):
    text = pdf_text(pledges.form_pdf("KG26", role, ["yamada" if role == "responsible" else "sato"]))
    body = text[text.index("小金井市長 様") + len("小金井市長 様"):text.index("令和")]
    assert squeeze(body) == squeeze(seed)
    assert re.search(r"令和\d+年\d+月\d+日", text)  # dated in the profile's calendar
    for line in lines:
        assert squeeze(line) in squeeze(text)
    assert ("（山田 太郎）" if role == "responsible" else "（佐藤 花子）") in text
    assert text.count("小金井市長 様") == 1 and squeeze("誓 約 書") in squeeze(text)


def test_the_art_8_path_from_application_to_acting(cast, settings):
    application = roster.apply_add(cast.responsible, "KG26", "suzuki", "worker", employment_type="契約社員", reason="増員")
    error = refused(lambda: register(cast.newcomer), NotAllowed)
    assert "市の承認待ち" in error.message_ja

    roster.decide(cast.city, application.number, True)
    roster.issue_paper(cast.city, settings, "KG26")
    error = refused(lambda: register(cast.newcomer), NotAllowed)
    assert "誓約書（従事者）が未提出" in error.message_ja and "小金井市個人情報取扱特記事項 第11条" in error.message_ja

    form = pdf_text(pledges.form_pdf("KG26", "worker"))
    assert "（鈴木 一郎）" in form and "（佐藤 花子）" not in form  # only those who still have to sign
    [pledge] = pledges.record_sheet(cast.responsible, settings, "KG26", ["suzuki"], "2026-11-20", signed_sheet(), "seiyaku.jpg")
    assert (pledge.method, pledge.text_version, pledge.role, pledge.submitted_on) == ("paper", "koganei-worker-1", "worker", None)
    [pledge] = pledges.record_submission(cast.responsible, "KG26", [pledge.key], "2026-11-24", "hand", "高橋 美咲")
    assert (pledge.submitted_on, pledge.submitted_how, pledge.submitted_to) == ("2026-11-24", "hand", "高橋 美咲")
    refused(lambda: pledges.confirm(cast.responsible, pledge.key), NotAllowed)
    assert pledges.confirm(cast.city, pledge.key).confirmed_by == "takahashi"
    assert register(cast.newcomer).status == "received"

    document = roster.issue_paper(cast.city, settings, "KG26")
    text = pdf_text(papers.content(settings, document))
    lines = text.splitlines()
    at = next(index for index, line in enumerate(lines) if "鈴木 一郎" in line)
    row = lines[at]
    assert "従事者" in row and "契約社員" in row and f"{application.number}-承認" in row
    assert "令和8年11月20日" in row and "市確認済" in squeeze("".join(lines[at:at + 3]))  # the pledge cell wraps
    assert papers.check(settings, document).ok and document.kind == "roster"


def test_the_responsible_person_signs_the_responsible_form(cast, settings):
    entry_pledge = pledges.current(cast.responsible, cast.contract)
    assert entry_pledge.text_version == "koganei-responsible-1"
    # A worker made responsible must sign the responsible person's form before acting again.
    change = roster.apply_role_change(cast.admin, "KG26", "sato", "responsible", reason="交代")
    roster.decide(cast.city, change.number, True)
    error = refused(lambda: register(cast.worker), NotAllowed)
    assert "現在の誓約書（責任者）と文面が異なります" in error.message_ja
    people.sign_pledge(cast.worker, "KG26")
    assert pledges.current(cast.worker, cast.contract).text_version == "koganei-responsible-1"
    assert register(cast.worker).status == "received"


def test_bad_sheets_and_submissions_are_refused(cast, settings):
    cast.rostered(cast.responsible, "KG26", "suzuki", "worker")
    refused(lambda: pledges.record_sheet(cast.responsible, settings, "KG26", ["suzuki"], "2026-11-20", b"hello, not a picture", "a.txt"),
            InvalidInput)
    refused(lambda: pledges.record_sheet(cast.responsible, settings, "KG26", ["suzuki"], "2026-11-20", b"%PDF-1.7\n1 0 obj", "cut.pdf"),
            InvalidInput)
    refused(lambda: pledges.record_sheet(cast.worker, settings, "KG26", ["suzuki"], "2026-11-20", signed_sheet(), "s.jpg"), NotAllowed)
    refused(lambda: pledges.record_sheet(cast.responsible, settings, "KG26", ["suzuki", "yamada"], "2026-11-20", signed_sheet(), "s.jpg"),
            InvalidInput)  # two forms on one sheet
    refused(lambda: pledges.record_sheet(cast.responsible, settings, "KG26", ["suzuki"], "2099-01-01", signed_sheet(), "s.jpg"),
            InvalidInput)
    [pledge] = pledges.record_sheet(cast.responsible, settings, "KG26", ["suzuki"], "2026-11-20", signed_sheet(), "s.jpg")
    refused(lambda: pledges.confirm(cast.city, pledge.key), WrongState)  # not handed over yet
    refused(lambda: pledges.record_submission(cast.responsible, "KG26", [pledge.key], "2026-11-19", "hand", "高橋"), InvalidInput)
    refused(lambda: pledges.record_submission(cast.responsible, "KG26", [pledge.key], "2026-11-24", "fax", "高橋"), InvalidInput)
    refused(lambda: pledges.record_submission(cast.responsible, "KG26", [pledge.key], "2026-11-24", "hand", " "), InvalidInput)
    assert Pledge.get_by_id(pledge.key).sheet == pledge.sheet and len(pledge.sheet) == 64


def test_a_revised_text_asks_everyone_to_sign_again(cast):
    from tracker import provisions
    from tracker.workflows import profiles

    text = provisions.builtin_texts()["koganei@1"].replace('version = "1"', 'version = "2"', 1) \
        .replace("誠実に業務を行います。", "誠実かつ適正に業務を行います。", 1)
    profiles.register(cast.admin, text)
    profiles.request_change(cast.admin, "KG26", "koganei@2", "誓約書様式の改訂")
    profiles.decide_change(cast.city, "KG26", True)
    assert register(cast.worker).status == "received"  # the worker form did not change
    error = refused(lambda: register(cast.responsible), NotAllowed)
    assert "文面が異なります" in error.message_ja


def test_on_screen_signing_only_where_the_profile_accepts_it(cast):
    from tracker import provisions
    from tracker.workflows import profiles

    text = provisions.builtin_texts()["koganei@1"].replace('version = "1"', 'version = "3"', 1) \
        .replace('[pledges]\narticle = "第11条"', '[pledges]\narticle = "第11条"\non_screen = false', 1)
    profiles.register(cast.admin, text)
    people.create_contract(cast.admin, "KH26", "自署のみの契約", "小金井市", profile="koganei@3")
    cast.rostered(cast.admin, "KH26", "yamada", "responsible")
    error = refused(lambda: people.sign_pledge(cast.responsible, "KH26"), NotAllowed)
    assert "自署" in error.message_ja and "第11条" in error.message_ja
