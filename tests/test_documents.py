"""Papers as PDF: 預り証 / 返還受領書 and 移送記録, from rows the ledger really projected.

Text is read back with poppler's ``pdftotext -layout`` (what a reviewer's tools see), the QR code
is decoded from a rasterised page, and the font embedding and creation date are read with pypdf.
"""

from __future__ import annotations

import io
import re
import subprocess
from datetime import datetime, timezone

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from tracker import ledger
from tracker.documents.paper import Issue, Paper
from tracker.documents.receipts import handover_receipt
from tracker.documents.transfers import transfer_record
from tracker.models import Handover, Transfer
from tracker.workflows import contracts, media

ISSUED_AT = "2026-11-25T13:45:00.000000Z"  # 22:45 JST, 令和8年11月25日
VERIFY_URL = "http://mediatrail.test/verify/KG26-D00003"
LIST_SHA256 = "5" * 64


# ---- fixtures: rows written through the ledger --------------------------------------------------


@pytest.fixture
def stock(cast):
    """Four media: two on the city's list and handed over, one listed but missing, one extra."""
    register = media.register
    return {
        "usb": register(cast.responsible, "KG26", "usb", "課税データ", record_count=1200, encrypted=True,
                        encryption="AES-256", pi_items=["氏名", "住所"], serial_number="SN-77", seal_number="S-0001"),
        "paper": register(cast.responsible, "KG26", "paper", "申告書原票", record_count=250, quantity=250),
        "missing": register(cast.responsible, "KG26", "optical", "控えディスク", record_count=40),
        "extra": register(cast.responsible, "KG26", "hdd", "追加資料", record_count=30, quantity=2),
    }


def make_handover(stock, direction="receive", status="confirmed", number="KG26-H0001") -> Handover:
    confirmed = status == "confirmed"
    lines = {"usb": 1, "paper": 2, "missing": 3, "extra": None}
    items = {
        f"{number}/{medium.id}": {
            "handover": number, "medium": medium.id, "line": lines[name],
            "scanned_at": None if name == "missing" else "2026-11-25T05:10:00.000000Z",
            "scanned_by": None if name == "missing" else "yamada",
        }
        for name, medium in stock.items()
    }
    ledger.append("handover.created", "yamada", contract="KG26", changes={
        "handover": {number: {
            "contract": "KG26", "direction": direction, "status": status,
            "handover_at": "2026-11-25T05:00:00.000000Z", "place": "市役所本庁舎 3階 市民税課",
            "means": "手渡し（施錠ケース）", "city_official": "高橋 市役所",
            "storage_plan": "本社 2F 保管室 施錠キャビネットA", "disposition_plan": "2027-03-31までに返還",
            "list_name": "引渡一覧_20261125.csv", "list_sha256": LIST_SHA256,
            "created_by": "yamada", "created_at": "2026-11-20T01:00:00.000000Z",
            "signed_by": "yamada", "signed_at": "2026-11-25T05:20:00.000000Z",
            "confirmed_by": "takahashi" if confirmed else None,
            "confirmed_at": "2026-11-25T05:25:00.000000Z" if confirmed else None,
        }},
        "handover_item": items,
    })
    return Handover.get_by_id(number)


def make_transfer(stock, cast, status="arrived") -> Transfer:
    arrived = status == "arrived"
    sent = "2026-11-26T00:30:00.000000Z"
    landed = "2026-11-26T01:15:00.000000Z" if arrived else None
    timing = {"usb": (sent, landed), "paper": (sent, None), "extra": (None, landed)}
    ledger.append("transfer.created", "yamada", contract="KG26", changes={
        "transfer": {"KG26-T0001": {
            "contract": "KG26", "status": status, "purpose": "入力作業のため本社へ移送",
            "approval_reference": "市民税課承認 第45号", "origin": "市役所本庁舎 市民税課",
            "destination": cast.cabinet.code, "means": "社用車", "route": "市役所→本社（直行）",
            "custodians": ["佐藤 花子"], "seal_number": "S-0099", "locked_case": True,
            "created_by": "yamada", "created_at": "2026-11-25T09:00:00.000000Z",
            "departed_by": "sato", "departed_at": sent,
            "arrived_by": "yamada" if arrived else None, "arrived_at": landed,
            "seal_intact": False if arrived else None,
            "exceptions": "到着時に封印シールのずれを確認、責任者へ報告" if arrived else "",
        }},
        "transfer_item": {
            f"KG26-T0001/{stock[name].id}": {
                "transfer": "KG26-T0001", "medium": stock[name].id,
                "sent_at": at_sent, "sent_by": "sato" if at_sent else None,
                "arrived_at": at_arrived, "arrived_by": "yamada" if at_arrived else None,
            }
            for name, (at_sent, at_arrived) in timing.items()
        },
    })
    return Transfer.get_by_id("KG26-T0001")


def issue() -> Issue:
    seq, head_hash = ledger.head()
    # The issuer is deliberately neither party, so a party's name can only come from the rows.
    return Issue("KG26-D00003", seq, head_hash, VERIFY_URL, ISSUED_AT, "管理者")


# ---- helpers ----------------------------------------------------------------------------------


def pdf_text(pdf: bytes, tmp_path, *pages: int) -> str:
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf)
    page_range = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    return subprocess.run(["pdftotext", "-layout", *page_range, str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def line_with(text: str, marker: str) -> str:
    """The first line containing ``marker`` (pdftotext -layout keeps a table row on one line)."""
    lines = [line for line in text.splitlines() if marker in line]
    assert lines, f"no line with {marker!r} in:\n{text}"
    return lines[0]


def on_one_line(text: str, *parts: str) -> bool:
    return any(all(part in line for part in parts) for line in text.splitlines())


def embedded_font_files(pdf: bytes) -> set[str]:
    """Font-file keys (/FontFile2, /FontFile3) found in the descriptors of the page fonts."""
    found = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is not None:
                    found |= {key for key in ("/FontFile", "/FontFile2", "/FontFile3") if key in descriptor.get_object()}
    return found


def decoded_qr(pdf: bytes, tmp_path, page: int = 1) -> list[str]:
    path = tmp_path / "qr.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", "-f", str(page), "-l", str(page), str(path),
                    str(tmp_path / "qr")], check=True)
    image = Image.open(next(tmp_path.glob("qr-*.png")))
    return [result.text for result in zxingcpp.read_barcodes(image)]


# ---- 預り証 -----------------------------------------------------------------------------------


def represented(cast):
    """The contract's contractor block as the demo fills it (issue #13)."""
    contracts.update_contract(cast.admin, "KG26", contractor_address="東京都小金井市梶野町5丁目1番1号",
                              contractor_representative_title="代表取締役", contractor_representative="武蔵野 一郎")


def test_receipt_prints_the_recorded_handover(cast, stock, tmp_path):
    represented(cast)
    handover = make_handover(stock)
    paper_issue = issue()
    pdf = handover_receipt(handover, paper_issue)
    text = pdf_text(pdf, tmp_path)

    assert "預り証" in text and "返還受領書" not in text
    assert "KG26-D00003" in text and "KG26-H0001" in text
    assert "令和8年11月25日" in text and "2026-11-25 22:45 JST" in text  # the header gives both calendars
    assert "/ handover" not in text and "Custody receipt" not in text  # Japanese only
    assert "特記事項 第16条" in text and "住民税課税資料入力業務委託" in text
    assert f"台帳 #{paper_issue.head_seq} {paper_issue.head_hash}" in text
    assert VERIFY_URL in text
    for medium in stock.values():
        assert medium.id in text
    # The contractor acknowledges to the city: the mayor addressed at the left, the company with its
    # address, representative and seal box at the right.
    assert on_one_line(text, "小金井市長 様", "東京都小金井市梶野町5丁目1番1号")
    assert "株式会社サンプル" in text and "代表取締役 武蔵野 一郎" in text and re.search(r"\s印\s*$", text, re.M)  # the seal box
    assert "取扱責任者 山田 太郎" in text
    # The city releases, the contractor's signer receives; each with how and when they confirmed.
    assert "高橋" in line_with(text, "引渡者") and "山田" in line_with(text, "受領者")
    assert "令和8年11月25日 14時25分" in line_with(text, "電子確認")
    assert "令和8年11月25日 14時20分" in line_with(text, "電子署名")
    assert "令和8年11月25日 14時00分" in line_with(text, "受渡し日時")  # body dates in 和暦
    assert "2026-11-25 14" not in text.split("台帳 #")[0].split("JST", 1)[1]  # no Western date in the body
    # Totals per kind over what was handed over (usb + paper + extra): sheets, sticks and disks apart.
    assert on_one_line(text, "計（紙（原票））", "1点", "250枚", "250")
    assert on_one_line(text, "計（USBメモリ）", "1点", "1個", "1,200")
    assert on_one_line(text, "計（HDD）", "1点", "2台", "30")
    total = line_with(text, "合計")
    assert re.search(r"\b3\s*点", total) and "1,480" in total and "253" not in total
    usb_row = line_with(text, stock["usb"].id)
    assert "USBメモリ" in usb_row and "1個" in usb_row and "1,200" in usb_row and "氏名、住所" in usb_row and "S-0001" in usb_row
    assert "鍵は別送" in text and "SN-77" in text
    # Differences from the city's list, each named.
    assert on_one_line(text, "未受領", "3", stock["missing"].id, "控えディスク")
    assert on_one_line(text, "一覧外", stock["extra"].id, "追加資料")
    assert not on_one_line(text, "未受領", stock["usb"].id) and not on_one_line(text, "一覧外", stock["usb"].id)
    assert "引渡一覧_20261125.csv" in text and LIST_SHA256 in text
    assert "本社 2F 保管室 施錠キャビネットA" in text and "2027-03-31までに返還" in text
    assert "未確定" not in text


def test_return_receipt_has_the_city_receive(cast, stock, tmp_path):
    text = pdf_text(handover_receipt(make_handover(stock, direction="return"), issue()), tmp_path)
    assert "返還受領書" in text and "預り証" not in text
    assert "特記事項 第17条第1号" in text
    assert "山田" in line_with(text, "返還者") and "高橋" in line_with(text, "受領者")
    # The city acknowledges to the contractor: the company addressed, the city's section and its
    # receiving official as the issuer, with the seal box.
    assert on_one_line(text, "株式会社サンプル 御中", "小金井市") and "受領者 高橋 市役所" in text and re.search(r"\s印\s*$", text, re.M)
    represented(cast)
    text = pdf_text(handover_receipt(Handover.get_by_id("KG26-H0001"), issue()), tmp_path)
    assert "株式会社サンプル 代表取締役 武蔵野 一郎 様" in text


def test_unconfirmed_handover_renders_as_preview_on_every_page(cast, stock, tmp_path):
    pdf = handover_receipt(make_handover(stock, status="signed"), issue())
    text = pdf_text(pdf, tmp_path)
    pages = text.split("\f")[:-1]
    assert pages and all("未確定（双方の確認前）" in page for page in pages)
    assert "未確認" in text  # the city's side has not confirmed yet


def test_receipt_is_deterministic_and_self_contained(cast, stock, tmp_path):
    handover = make_handover(stock)
    paper_issue = issue()
    first = handover_receipt(handover, paper_issue)
    assert handover_receipt(Handover.get_by_id(handover.number), paper_issue) == first
    reader = PdfReader(io.BytesIO(first))
    assert reader.metadata.creation_date == datetime(2026, 11, 25, 13, 45, tzinfo=timezone.utc)
    assert embedded_font_files(first) & {"/FontFile2", "/FontFile3"}
    assert decoded_qr(first, tmp_path) == [VERIFY_URL]


def test_long_item_list_repeats_headers_and_counts_pages(cast, tmp_path):
    many = [media.register(cast.responsible, "KG26", "paper", f"課税資料 第{n}分冊", record_count=10) for n in range(1, 61)]
    ledger.append("handover.created", "yamada", contract="KG26", changes={
        "handover": {"KG26-H0002": {
            "contract": "KG26", "direction": "receive", "status": "confirmed",
            "handover_at": "2026-11-25T05:00:00.000000Z", "place": "市民税課", "means": "手渡し",
            "city_official": "高橋 市役所", "created_by": "yamada", "created_at": "2026-11-20T01:00:00.000000Z",
            "signed_by": "yamada", "signed_at": "2026-11-25T05:20:00.000000Z",
            "confirmed_by": "takahashi", "confirmed_at": "2026-11-25T05:25:00.000000Z",
        }},
        "handover_item": {f"KG26-H0002/{m.id}": {"handover": "KG26-H0002", "medium": m.id, "line": n,
                                                "scanned_at": "2026-11-25T05:10:00.000000Z", "scanned_by": "yamada"}
                          for n, m in enumerate(many, start=1)},
    })
    pdf = handover_receipt(Handover.get_by_id("KG26-H0002"), issue())
    count = len(PdfReader(io.BytesIO(pdf)).pages)
    assert count >= 2
    second = pdf_text(pdf, tmp_path, 2)
    assert "預り証" in second and "KG26-D00003" in second and "媒体ID" in second
    assert re.search(rf"\b2\s*/\s*{count}\b", second)
    text = pdf_text(pdf, tmp_path)
    assert all(m.id in text for m in many)
    assert re.search(r"\b60\s*点", line_with(text, "合計")) and "600" in line_with(text, "合計")


# ---- 移送記録 ---------------------------------------------------------------------------------


def test_transfer_record_prints_route_custody_and_exceptions(cast, stock, tmp_path):
    paper_issue = issue()
    pdf = transfer_record(make_transfer(stock, cast), paper_issue)
    text = pdf_text(pdf, tmp_path)

    assert "移送記録" in text and "特記事項 第7条第4号" in text and "KG26-T0001" in text
    assert "KG26-D00003" in text and paper_issue.head_hash in text
    assert "入力作業のため本社へ移送" in text and "市民税課承認 第45号" in text
    assert "社用車" in text and "市役所→本社（直行）" in text and "S-0099" in text
    for name in ("usb", "paper", "extra"):
        assert stock[name].id in text
    assert "AES-256" in line_with(text, stock["usb"].id)
    assert "復号鍵" in text
    assert on_one_line(text, "出発 ", "令和8年11月26日 9時30分", "市役所本庁舎 市民税課", "佐藤")
    assert on_one_line(text, "到着 ", "令和8年11月26日 10時15分", "施錠キャビネットA", "山田")
    assert "異常あり" in line_with(text, "封印の確認") and "/ departure" not in text
    assert on_one_line(text, "未着", stock["paper"].id) and on_one_line(text, "未発送", stock["extra"].id)
    assert not on_one_line(text, "未着", stock["usb"].id) and not on_one_line(text, "未発送", stock["usb"].id)
    assert "到着時に封印シールのずれを確認" in text
    assert "移送中" not in text


def test_transfer_record_in_transit_is_marked_and_deterministic(cast, stock, tmp_path):
    transfer = make_transfer(stock, cast, status="departed")
    paper_issue = issue()
    pdf = transfer_record(transfer, paper_issue)
    text = pdf_text(pdf, tmp_path)
    assert "移送中（到着確認前）" in text
    assert "未確認" in line_with(text, "封印の確認")
    assert transfer_record(Transfer.get_by_id(transfer.number), paper_issue) == pdf
    assert embedded_font_files(pdf) & {"/FontFile2", "/FontFile3"}


# ---- the shared page ----------------------------------------------------------------------------


def test_every_page_carries_the_issue(cast, tmp_path):
    paper_issue = Issue("KG26-D00009", 7, "a" * 64, VERIFY_URL, ISSUED_AT, "管理者")
    paper = Paper("台帳", "Register", paper_issue, cast.contract, "特記事項 第7条第5号")
    paper.table(["No.", "内容"], [[str(n), "長い内容の行" * 12] for n in range(80)], [15, 165])
    pdf = paper.output()
    count = len(PdfReader(io.BytesIO(pdf)).pages)
    assert count >= 2
    pages = pdf_text(pdf, tmp_path).split("\f")[:-1]
    assert len(pages) == count
    for number, page in enumerate(pages, start=1):
        assert "台帳" in page and "KG26-D00009" in page and "特記事項 第7条第5号" in page
        assert f"台帳 #7 {'a' * 64}" in page and re.search(rf"\b{number}\s*/\s*{count}\b", page)
        assert "小金井市" in page and "株式会社サンプル" in page
    assert decoded_qr(pdf, tmp_path, page=count) == [VERIFY_URL]
