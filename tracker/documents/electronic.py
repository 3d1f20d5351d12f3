"""電磁的記録媒体 届出 (Art. 6): what the contractor will record personal information on, where,
why, how it is encrypted and how the key travels, with the city's consent."""

from __future__ import annotations

from tracker import vocabulary
from tracker.documents.paper import Issue, Paper, city_addressee, name_of, when
from tracker.models import ElectronicNotice
from tracker.timeutil import wareki

ARTICLE = "特記事項 第6条"
KEY_DELIVERY = {"separate": "鍵は別送", "together": "鍵は媒体と同送", "none": "鍵の受渡しなし（受託者内で管理）"}
BANNERS = {"submitted": "市の承諾前 ／ not yet consented by the city", "refused": "不承諾 ／ refused by the city"}


def notice(row: ElectronicNotice, issue: Issue) -> bytes:
    paper = Paper("電磁的記録媒体への記録に関する届出書", "Notice of recording on electronic media (Art. 6)", issue, row.contract, ARTICLE,
                  banner=BANNERS.get(row.status, ""))
    paper.heading("1. 届出 / notice")
    paper.fields([
        ("届出番号 / number", row.number),
        ("届出日 / date", wareki(row.submitted_at)),
        ("宛先 / to", city_addressee(row.contract)),
        ("受託者 / contractor", row.contract.contractor or "—"),
        ("届出者 / submitted by", name_of(row.submitted_by)),
    ])
    paper.heading("2. 内容 / what")
    paper.fields([
        ("対象 / covers", "、".join(vocabulary.ELECTRONIC_NOTICE_KINDS[kind][0] for kind in row.kinds)),
        ("機器・媒体・経路 / devices or route", row.description),
        ("場所 / where", row.place),
        ("理由 / why", row.purpose),
        ("暗号化の方式 / encryption", row.encryption),
        ("鍵の受渡し / key", KEY_DELIVERY[row.key_delivery]),
    ])
    paper.heading("3. 委託者の回答 / the city's answer")
    answer = {"consented": "承諾 / consented", "refused": "不承諾 / refused"}.get(row.status, "未回答 / not yet answered")
    paper.fields([("回答 / answer", answer), ("回答日時 / when", when(row.decided_at)),
                  ("回答者 / by", name_of(row.decided_by) if row.decided_by else "—"), ("条件・理由 / note", row.decision_note or "—")])
    return paper.output()
