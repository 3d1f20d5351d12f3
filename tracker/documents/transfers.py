"""移送記録 (Art. 7(4)): what left, how it travelled, what arrived, and what did not match.

The items table comes from the scans at departure and arrival (``TransferItem``), so a medium
that left but never arrived — or turned up without having been sent — is printed as an
exception from the recorded times, not from anyone's say-so.
"""

from __future__ import annotations

from tracker.documents.paper import Issue, Paper, city_title, kind_ja, name_of, when
from tracker.models import Medium, Transfer, TransferItem

ARTICLE = "特記事項 第7条第4号"
# A record printed before arrival is not the final record; every page says so.
BANNERS = {
    "preparing": "未出発（移送準備中）／ not yet departed — preview",
    "departed": "移送中（到着確認前）／ in transit — arrival not yet confirmed",
    "arrived": "",
}
SEAL_CHECK = {True: "異常なし", False: "異常あり", None: "未確認"}


def transfer_record(transfer: Transfer, issue: Issue) -> bytes:
    """The 移送記録 of ``transfer`` as PDF bytes, at any status (banner until it has arrived)."""
    items = list(
        TransferItem.select(TransferItem, Medium).join(Medium)
        .where(TransferItem.transfer == transfer.number).order_by(TransferItem.medium)
    )
    paper = Paper(city_title(transfer.contract, "transfer_record"), "Transfer record (Art. 7(4))", issue, transfer.contract, ARTICLE,
                  banner=BANNERS.get(transfer.status, ""))

    paper.heading("1. 移送の概要")
    paper.fields([
        ("移送番号", transfer.number),
        ("目的", transfer.purpose),
        ("依頼者", name_of(transfer.created_by)),
        ("承認", transfer.approval_reference or "—"),
        ("移送手段", transfer.means),
        ("経路", transfer.route or "—"),
        ("運搬者", "、".join(transfer.custodians or []) or "—"),
        ("施錠ケース", "使用" if transfer.locked_case else "不使用"),
        ("封印番号", transfer.seal_number or "—"),
    ])
    paper.paragraph(_encryption_statement(items))

    destination = transfer.destination
    place = "　".join(part for part in (destination.name, destination.site, destination.room) if part)
    paper.heading("2. 出発と到着")
    paper.table(
        ["", "日時", "場所", "担当"],
        [
            ["出発", when(transfer.departed_at), transfer.origin, name_of(transfer.departed_by)],
            ["到着", when(transfer.arrived_at), place, name_of(transfer.arrived_by)],
        ],
        [30, 40, 70, 40],
    )
    paper.fields([("封印の確認", SEAL_CHECK[transfer.seal_intact])])

    paper.heading("3. 移送した媒体")
    paper.table(
        ["No.", "媒体ID", "名称", "種類", "暗号化（方式）", "封印番号", "出発", "到着"],
        [_item_row(number, item) for number, item in enumerate(items, start=1)],
        [8, 27, 37, 18, 32, 18, 20, 20],
        ["RIGHT"] + ["LEFT"] * 7,
    )

    paper.heading("4. 例外")
    exceptions = [["未着", item.medium.id, item.medium.title]
                  for item in items if item.sent_at and not item.arrived_at]
    exceptions += [["未発送", item.medium.id, item.medium.title]
                   for item in items if item.arrived_at and not item.sent_at]
    if exceptions:
        paper.table(["区分", "媒体ID", "名称"], exceptions, [50, 35, 95])
    if transfer.exceptions.strip():
        paper.paragraph(transfer.exceptions)
    if not exceptions and not transfer.exceptions.strip():
        paper.paragraph("なし。")

    paper.signatures(
        [("引渡者（出発）", name_of(transfer.departed_by), f"出発確認 {when(transfer.departed_at)}")]
        + [("運搬者", custodian, "") for custodian in transfer.custodians or []]
        + [("受領者（到着）", name_of(transfer.arrived_by), f"到着確認 {when(transfer.arrived_at)}")],
        title="5. 確認",
    )
    return paper.output()


def _item_row(number: int, item: TransferItem) -> list[str]:
    medium = item.medium
    if medium.encrypted:
        encryption = f"有（{medium.encryption}）" if medium.encryption else "有"
    else:
        encryption = "無" if medium.is_electronic else "—（紙）"
    return [str(number), medium.id, medium.title, kind_ja(medium.kind), encryption,
            medium.seal_number or "—", _stamp(item.sent_at), _stamp(item.arrived_at)]


def _stamp(value: str | None) -> str:
    """Date over time, so a scan time fits a narrow column without breaking inside a number."""
    return when(value).replace(" ", "\n", 1)


def _encryption_statement(items: list[TransferItem]) -> str:
    """Art. 7(4) asks for encryption with the key kept apart; name any electronic medium without it."""
    plain = [item.medium.id for item in items if item.medium.is_electronic and not item.medium.encrypted]
    statement = "電子媒体は暗号化して移送し、復号鍵は媒体と同じケース・経路では運ばず、別に管理します。"
    if plain:
        statement += f"暗号化されていない電子媒体：{'、'.join(plain)}。"
    return statement
