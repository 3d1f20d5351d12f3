"""電磁的記録媒体 届出 (Art. 6): what the contractor will record personal information on, where,
why, how it is encrypted and how the key travels, with the city's consent."""

from __future__ import annotations

from tracker import vocabulary
from tracker.documents.paper import Issue, Paper, city_addressee, name_of, when
from tracker.models import ElectronicNotice
from tracker.timeutil import wareki

ARTICLE = "特記事項 第6条"
KEY_DELIVERY = {"separate": "鍵は別送", "together": "鍵は媒体と同送", "none": "鍵の受渡しなし（受託者内で管理）"}
BANNERS = {"submitted": "市の承諾前", "refused": "不承諾"}


def notice(row: ElectronicNotice, issue: Issue) -> bytes:
    paper = Paper("電磁的記録媒体への記録に関する届出書", "Notice of recording on electronic media (Art. 6)", issue, row.contract, ARTICLE,
                  banner=BANNERS.get(row.status, ""))
    paper.heading("1. 届出")
    paper.fields([
        ("届出番号", row.number),
        ("届出日", wareki(row.submitted_at)),
        ("宛先", city_addressee(row.contract)),
        ("受託者", row.contract.contractor or "—"),
        ("届出者", name_of(row.submitted_by)),
    ])
    paper.heading("2. 内容")
    paper.fields([
        ("対象", "、".join(vocabulary.ELECTRONIC_NOTICE_KINDS[kind][0] for kind in row.kinds)),
        ("機器・媒体・経路", row.description),
        ("場所", row.place),
        ("理由", row.purpose),
        ("暗号化の方式", row.encryption),
        ("鍵の受渡し", KEY_DELIVERY[row.key_delivery]),
    ])
    paper.heading("3. 委託者の回答")
    answer = {"consented": "承諾", "refused": "不承諾"}.get(row.status, "未回答")
    paper.fields([("回答", answer), ("回答日時", when(row.decided_at)),
                  ("回答者", name_of(row.decided_by) if row.decided_by else "—"), ("条件・理由", row.decision_note or "—")])
    return paper.output()
