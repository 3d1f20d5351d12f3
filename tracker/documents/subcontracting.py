"""再委託承認申請書 (Art. 14(2)): the application with its seven items and the city's decision."""

from __future__ import annotations

from tracker.documents.paper import Issue, Paper, city_addressee, name_of, when
from tracker.models import Subcontract
from tracker.timeutil import wareki

ARTICLE = "特記事項 第14条"
BANNERS = {"applied": "市の承認前（申請中）／ not yet approved by the city", "rejected": "却下 ／ rejected by the city"}


def application(subcontract: Subcontract, issue: Issue) -> bytes:
    from tracker.workflows.subcontracting import ITEMS  # the items as the workflow checks them

    contract = subcontract.contract
    paper = Paper("再委託承認申請書", "Application for approval of subcontracting (Art. 14(2))", issue, contract, ARTICLE,
                  banner=BANNERS.get(subcontract.status, ""))
    paper.heading("1. 申請 / application")
    paper.fields([
        ("申請番号 / number", subcontract.number),
        ("申請日 / date", wareki(subcontract.applied_at)),
        ("宛先 / to", city_addressee(contract)),
        ("受託者 / contractor", contract.contractor or "—"),
        ("申請者 / applicant", name_of(subcontract.applied_by)),
    ])
    paper.paragraph("個人情報取扱特記事項に基づき、下記のとおり再委託の承認を申請します。")
    paper.heading("2. 再委託の内容（第14条第2項）/ the items of Art. 14(2)")
    paper.fields([(f"{ja} / {en}", getattr(subcontract, name)) for name, ja, en in ITEMS], label_width=62.0)
    paper.heading("3. 委託者の決定 / the city's decision")
    decision = {"approved": "承認 / approved", "rejected": "却下 / rejected"}.get(subcontract.status, "未決定 / not yet decided")
    paper.fields([
        ("決定 / decision", decision),
        ("承認番号 / approval no.", subcontract.approval_number or "—"),
        ("決定日時 / decided", when(subcontract.decided_at)),
        ("決定者 / decided by", name_of(subcontract.decided_by) if subcontract.decided_by else "—"),
        ("条件・理由 / conditions or reason", subcontract.decision_note or "—"),
    ])
    return paper.output()
