"""預り証 (Art. 16) and 返還受領書 (Art. 17(1)): one paper for a handover, either direction.

Receiving and returning are the same event seen from opposite sides: someone releases media,
someone else receives them, both confirm, and the list says what should have changed hands. So
one function draws both, and only the wording and which side releases differ (``_WORDING``).

What is printed comes from the recorded rows: the items actually scanned at the handover, not
the list the city sent. Differences from that list are printed in their own section (未受領 /
一覧外), because they are exactly what a reader of a receipt needs to notice.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.documents import identified
from tracker.documents.paper import (
    Issue,
    Paper,
    city_addressee,
    city_title,
    contractor_addressee,
    contractor_block,
    kind_ja,
    name_of,
    quantity_of,
    totals_by_kind,
    when,
)
from tracker.models import Handover, HandoverItem, Medium, RosterEntry
from tracker.timeutil import wareki

UNCONFIRMED = "未確定（双方の確認前）"
KEY_APART = "鍵は別送"


@dataclass(frozen=True)
class _Wording:
    title_ja: str
    title_en: str
    article: str
    number_label: str
    date_label: str
    statement: str
    releaser_role: str
    receiver_role: str
    city_releases: bool  # receiving: the city hands over; returning: the contractor does


_WORDING = {
    "receive": _Wording(
        title_ja="預り証",
        title_en="Custody receipt (Art. 16)",
        article="特記事項 第16条",
        number_label="受領番号",
        date_label="受領日",
        statement="下記の媒体を、特記事項第16条に基づき確かに預かりました。",
        releaser_role="引渡者（委託者）",
        receiver_role="受領者（受託者）",
        city_releases=True,
    ),
    "return": _Wording(
        title_ja="返還受領書",
        title_en="Receipt for returned media (Art. 17(1))",
        article="特記事項 第17条第1号",
        number_label="返還番号",
        date_label="返還日",
        statement="下記の媒体の返還を、特記事項第17条第1号に基づき確かに受けました。",
        releaser_role="返還者（受託者）",
        receiver_role="受領者（委託者）",
        city_releases=False,
    ),
}

ITEM_HEADERS = ["No.", "名称", "種類", "媒体ID／製造番号", "数量", "件数", "個人情報項目", "暗号化", "封印番号"]
ITEM_WIDTHS = [8, 34, 18, 30, 12, 16, 28, 18, 16]
ITEM_ALIGN = ["RIGHT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT", "LEFT", "LEFT"]


def handover_receipt(handover: Handover, issue: Issue) -> bytes:
    """The 預り証 (direction "receive") or 返還受領書 ("return") of ``handover`` as PDF bytes.

    Renders at any status; before both sides confirmed, every page carries the 未確定 banner.
    """
    wording = _WORDING[handover.direction]
    contract = handover.contract
    items = _items(handover)
    handed = [item for item in items if item.scanned_at]
    paper = Paper(city_title(contract, "custody_receipt" if handover.direction == "receive" else "return_receipt"), wording.title_en, issue, contract, wording.article,
                  banner="" if handover.status == "confirmed" else UNCONFIRMED)

    city = (handover.city_official, _city_confirmation(handover))
    contractor_side = (name_of(handover.signed_by), f"電子署名 {when(handover.signed_at)}" if handover.signed_at else "未署名")
    released, received = (city, contractor_side) if wording.city_releases else (contractor_side, city)

    # 預り証: the contractor acknowledges to the city; 返還受領書: the city acknowledges to the contractor.
    if wording.city_releases:
        paper.parties(city_addressee(contract), contractor_block(contract, f"取扱責任者 {_responsible(contract.code)}"))
    else:
        paper.parties(contractor_addressee(contract), _city_block(handover))
    paper.heading("1. 受渡しの内容")
    paper.fields([
        (wording.number_label, handover.number),
        (wording.date_label, wareki(handover.handover_at)),
        ("取扱責任者", _responsible(contract.code)),
        ("受渡し日時", when(handover.handover_at)),
        ("受渡し場所", handover.place),
        ("受渡し方法", handover.means),
        ("引渡者", released[0]),
        ("受領者", received[0]),
    ])
    statement = wording.statement
    if any(item.medium.encrypted for item in handed):
        statement += "暗号化された媒体の復号鍵は、媒体とは別に受け渡しています（鍵は別送）。"
    paper.paragraph(statement)

    paper.heading("2. 受け渡した媒体")
    paper.table(ITEM_HEADERS, _item_rows(handed), ITEM_WIDTHS, ITEM_ALIGN)
    if handed:
        paper.paragraph(identified.summary([(item.medium_id, item.identified_by) for item in handed]))

    paper.heading("3. 受渡し一覧との差異")
    _differences(paper, handover, items)

    paper.heading("4. 保管・返還の予定")
    paper.fields([
        ("保管予定場所", handover.storage_plan or "—"),
        ("返還・廃棄の予定", handover.disposition_plan or "—"),
    ])

    paper.signatures([(wording.releaser_role, *released), (wording.receiver_role, *received)],
                     title="5. 確認")
    return paper.output()


def _items(handover: Handover) -> list[HandoverItem]:
    """Every item of the handover, in list order, then the ones not on the list by medium ID."""
    items = HandoverItem.select(HandoverItem, Medium).join(Medium).where(HandoverItem.handover == handover.number)
    return sorted(items, key=lambda item: (item.line is None, item.line or 0, item.medium_id))


def _item_rows(handed: list[HandoverItem]) -> list[list[str]]:
    rows = []
    for number, item in enumerate(handed, start=1):
        medium = item.medium
        identity = medium.id + (f"\n{medium.serial_number}" if medium.serial_number else "") + (
            f"\n管理番号 {item.reference}" if item.reference else "")  # the city's own number, from its list
        rows.append([
            str(number), medium.title, kind_ja(medium.kind), identity, quantity_of(medium),
            f"{medium.record_count:,}", "、".join(medium.pi_items or []) or "—",
            f"有\n{KEY_APART}" if medium.encrypted else "無", medium.seal_number or "—",
        ])
    # Per kind: 1,200 sheets and one USB stick are two totals, not "1,201".
    for kind, count, quantity, records in totals_by_kind([item.medium for item in handed]):
        rows.append(["", f"計（{kind}）", "", f"{count} 点", quantity, f"{records:,}", "", "", ""])
    records = sum(item.medium.record_count for item in handed)
    rows.append(["", "合計", "", f"{len(handed)} 点", "—", f"{records:,}", "", "", ""])
    return rows


def _differences(paper: Paper, handover: Handover, items: list[HandoverItem]) -> None:
    """未受領 (on the list, not handed over) and 一覧外 (handed over, not on the list).

    Without a list (every return, and receipts made by scanning alone) there is nothing to
    differ from: the media scanned are what was handed over, and saying "not on the list" of
    each would only alarm the reader."""
    if not handover.list_name and not any(item.listed for item in items):
        paper.paragraph("受渡し一覧はありません。読み取った媒体が受渡しの対象です。")
        return
    listed_lines = [item.line for item in items if item.listed]
    paper.fields([
        ("受渡し一覧", handover.list_name or "—"),
        *([("シート", handover.list_sheet)] if handover.list_sheet else []),
        ("一覧の行", _line_ranges(listed_lines) or "—"),
        ("SHA-256", handover.list_sha256 or "—"),
    ])
    missing = [("未受領", item) for item in items if item.listed and not item.scanned_at]
    extra = [("一覧外", item) for item in items if item.scanned_at and not item.listed]
    if not missing and not extra:
        paper.paragraph("差異はありません。" if any(item.listed for item in items) else "受渡し一覧の取込みはありません。")
        return
    paper.paragraph("未受領：一覧にあるが受け渡されなかった媒体。一覧外：一覧にないが受け渡された媒体。")
    rows = [
        [label, str(item.line) if item.listed else "—", item.medium.id, item.medium.title, kind_ja(item.medium.kind)]
        for label, item in missing + extra
    ]
    paper.table(["区分", "一覧行", "媒体ID", "名称", "種類"], rows, [20, 16, 34, 80, 30])


def _line_ranges(lines: list[int]) -> str:
    """The rows of the list the media came from, as a reader finds them in Excel: 5–8、10."""
    ranges: list[list[int]] = []
    for line in sorted(set(lines)):
        if ranges and line == ranges[-1][1] + 1:
            ranges[-1][1] = line
        else:
            ranges.append([line, line])
    return "、".join(str(first) if first == last else f"{first}–{last}" for first, last in ranges)


def _city_block(handover: Handover) -> list[str]:
    """The city as it acknowledges a return: its name and section, and the official who received."""
    contract = handover.contract
    return [f"{contract.client} {contract.client_section}".strip(), f"受領者 {handover.city_official}"]


def _responsible(contract_code: str) -> str:
    entries = (
        RosterEntry.select()
        .where(RosterEntry.contract == contract_code, RosterEntry.role == "responsible", RosterEntry.removed_at.is_null())
        .order_by(RosterEntry.added_at, RosterEntry.key)
    )
    return "、".join(entry.user.name for entry in entries) or "—"


def _city_confirmation(handover: Handover) -> str:
    if not handover.confirmed_at:
        return "未確認"
    confirmer = name_of(handover.confirmed_by)
    by = "" if confirmer == handover.city_official else f"（確認操作 {confirmer}）"
    return f"電子確認 {when(handover.confirmed_at)}{by}"
