"""台帳 (media register, Art. 7(5)) as a paper: every medium, who handled it, and the balance.

The rows and the balance come from ``tracker.register``, i.e. from the projection and the event
log, so the printed register is a dated view of the ledger (its head is in every page's footer)
rather than a list someone typed. The balance closes the paper because it is the question an
inspector asks of a register: is every medium that came in accounted for?

The page is A4 portrait (``Paper`` has no landscape), so each row packs related facts into one
cell — a copy's original under its ID, the seal under the encryption, the custodian under the
place — instead of dropping any of them.
"""

from __future__ import annotations

from tracker import register
from tracker.documents.paper import Issue, Paper, city_title, kind_ja, when
from tracker.models import Contract
from tracker.register import Balance, RegisterRow

ARTICLE = "特記事項 第7条第5号"
# Millimetres; they add up to the 180 mm between the margins.
COLUMNS = (
    ("媒体ID", 26, "LEFT"),
    ("名称", 24, "LEFT"),
    ("種類", 17, "LEFT"),
    ("個人情報項目", 20, "LEFT"),
    ("件数", 12, "RIGHT"),
    ("暗号・封印", 17, "LEFT"),
    ("状態", 14, "LEFT"),
    ("場所・保持者", 26, "LEFT"),
    ("取扱者", 24, "LEFT"),
)


def register_pdf(contract: Contract, rows: list[RegisterRow], balance: Balance, issue: Issue) -> bytes:
    paper = Paper(city_title(contract, "media_register"), "Media register (Art. 7(5))", issue, contract, ARTICLE,
                  banner="" if balance.balanced else "収支不一致")

    paper.heading("1. 概要")
    handlers = register.people_with_access(contract.code)
    paper.fields([
        ("媒体数", f"{len(rows):,}"),
        ("記録件数の合計", f"{sum(row.record_count for row in rows):,}"),
        ("取扱責任者", _names(handlers, "responsible")),
        ("従事者", _names(handlers, "worker")),
        ("作成の基礎", "台帳イベントから作成（手入力による行はありません）"),
    ])

    paper.heading("2. 媒体")
    paper.table([header for header, _width, _align in COLUMNS], [_row(row) for row in rows],
                [width for _header, width, _align in COLUMNS], [align for _header, _width, align in COLUMNS])

    _balance_section(paper, balance)
    return paper.output()


def _row(row: RegisterRow) -> list[str]:
    # One fact per line: a name or an ID broken mid-way is hard to read back.
    identity = row.id + (f"\n複製元\n{row.parent}" if row.parent else "")
    protection = "\n".join(part for part in ("有" if row.encrypted else "無", row.seal_number) if part)
    place = "\n".join(part for part in (row.location_name, row.custodian_name) if part) or "—"
    return [identity, row.title, kind_ja(row.kind), "、".join(row.pi_items) or "—", f"{row.record_count:,}",
            protection, register.status_name(row.status)[0], place, "\n".join(row.handled_by) or "—"]


def _balance_section(paper: Paper, balance: Balance) -> None:
    paper.heading("3. 媒体の収支")
    sign = "=" if balance.balanced else "≠"
    paper.fields([
        ("受領", str(balance.received)),
        ("複製", str(balance.copies)),
        ("返還", str(balance.returned)),
        ("廃棄", str(balance.destroyed)),
        ("保管中", f"{balance.held}（所在不明を含む / incl. missing）"),
        ("式",
         f"{balance.received} + {balance.copies} = {balance.came_in} {sign} "
         f"{balance.returned} + {balance.destroyed} + {balance.held} = {balance.went_out_or_held}"),
        ("判定", "一致" if balance.balanced else "不一致"),
    ])
    if balance.never_received:
        paper.paragraph(f"受領予定のまま受け取っていない媒体 {balance.never_received} 件は式に含みません。")
    if balance.unaccounted_media:
        paper.paragraph("状態が不明で収支に計上できない媒体：" + "、".join(row.id for row in balance.unaccounted_media))
    if balance.held_media:
        paper.table(
            ["保管中の媒体", "名称", "状態", "場所", "保持者", "最終記録"],
            [[row.id, row.title, register.status_name(row.status)[0], row.location_name or "—",
              row.custodian_name or "—", when(row.last_event_at)] for row in balance.held_media],
            [26, 40, 16, 38, 26, 34],
        )


def _names(handlers: list[register.Handler], role: str) -> str:
    names = [handler.name + ("（削除済）" if handler.removed_at else "") for handler in handlers if handler.role == role]
    return "、".join(names) or "—"
