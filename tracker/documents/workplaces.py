"""作業場所届 (Art. 9): the work places of a contract as reported to the city, with the city's
acknowledgement, and the ID badges issued for work inside the city's premises (9(2))."""

from __future__ import annotations

from tracker import vocabulary
from tracker.documents.paper import Issue, Paper, city_addressee, city_title, name_of, when
from tracker.models import Contract, IdBadge, WorkPlace


def work_places_paper(contract: Contract, article: str, places: list[WorkPlace], badges: list[IdBadge], issue: Issue) -> bytes:
    paper = Paper(city_title(contract, "work_places"), "Work places of the contract (Art. 9)", issue, contract, f"特記事項 {article}")
    paper.paragraph(f"{city_addressee(contract)}\n\n個人情報を取り扱う作業場所を次のとおり届け出ます。\n受託者　{contract.contractor or '—'}")
    paper.heading(f"1. 作業場所")
    paper.table(
        ["名称・部屋", "所在地", "安全管理措置", "庁舎内", "状態", "市の確認"],
        [[f"{row.location.name} {row.location.room}".strip(), row.address, row.security_measures,
          "庁舎内" if row.city_premises else "—", vocabulary.WORK_PLACE_STATUSES[row.status][0],
          f"{name_of(row.decided_by)} {when(row.decided_at)}" if row.decided_by else "—"] for row in places]
        or [["—", "", "", "", "", ""]],
        [30, 34, 50, 14, 24, 28],
    )
    if badges:
        paper.heading("2. 身分証明書（庁舎内の作業, 第9条第2項）")
        paper.table(["番号", "氏名", "発行日", "返却日"],
                    [[badge.number, name_of(badge.user_id), badge.issued_on, badge.returned_on or "貸出中"] for badge in badges],
                    [40, 50, 45, 45])
    return paper.output()
