"""再委託承認申請書 (Art. 14(2)): the application with its seven items and the city's decision."""

from __future__ import annotations

from tracker.documents.paper import Issue, Paper, city_addressee, name_of, when
from tracker.models import Subcontract
from tracker.timeutil import wareki

ARTICLE = "特記事項 第14条"
BANNERS = {"applied": "市の承認前（申請中）", "rejected": "却下"}


def application(subcontract: Subcontract, issue: Issue) -> bytes:
    from tracker.workflows.subcontracting import ITEMS  # the items as the workflow checks them

    contract = subcontract.contract
    paper = Paper("再委託承認申請書", "Application for approval of subcontracting (Art. 14(2))", issue, contract, ARTICLE,
                  banner=BANNERS.get(subcontract.status, ""))
    paper.heading("1. 申請")
    paper.fields([
        ("申請番号", subcontract.number),
        ("申請日", wareki(subcontract.applied_at)),
        ("宛先", city_addressee(contract)),
        ("受託者", contract.contractor or "—"),
        ("申請者", name_of(subcontract.applied_by)),
    ])
    paper.paragraph("個人情報取扱特記事項に基づき、下記のとおり再委託の承認を申請します。")
    paper.heading("2. 再委託の内容（第14条第2項）")
    paper.fields([(ja, getattr(subcontract, name)) for name, ja, _en in ITEMS], label_width=62.0)
    paper.heading("3. 委託者の決定")
    decision = {"approved": "承認", "rejected": "却下"}.get(subcontract.status, "未決定")
    paper.fields([
        ("決定", decision),
        ("承認番号", subcontract.approval_number or "—"),
        ("決定日時", when(subcontract.decided_at)),
        ("決定者", name_of(subcontract.decided_by) if subcontract.decided_by else "—"),
        ("条件・理由", subcontract.decision_note or "—"),
    ])
    return paper.output()
