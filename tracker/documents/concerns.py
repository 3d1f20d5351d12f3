"""苦情・指示の記録 (Art. 18, 12(2)(3)): one complaint or improvement instruction with its progress,
the contractor's response and how it was closed."""

from __future__ import annotations

from tracker import vocabulary
from tracker.documents.paper import Issue, Paper, city_addressee, name_of, when
from tracker.models import Concern

ARTICLES = {"complaint": "特記事項 第18条", "improvement": "特記事項 第12条第2項・第3項"}
TITLES = {"complaint": ("苦情処理の記録", "Complaint record (Art. 18)"),
          "improvement": ("改善指示と改善報告の記録", "Improvement instruction and response (Art. 12(2)(3))")}


def record(concern: Concern, issue: Issue) -> bytes:
    title_ja, title_en = TITLES[concern.kind]
    paper = Paper(title_ja, title_en, issue, concern.contract, ARTICLES[concern.kind])
    paper.heading("1. 記録 / record")
    paper.fields([
        ("番号 / number", concern.number),
        ("区分 / kind", " / ".join(vocabulary.CONCERN_KINDS[concern.kind])),
        ("宛先 / to", city_addressee(concern.contract)),
        ("件名 / title", concern.title),
        ("内容 / detail", concern.detail),
        ("申出者・調査 / source", concern.source or "—"),
        ("受付・指示日時 / received or given", when(concern.received_at)),
        ("記録者 / entered by", name_of(concern.entered_by)),
        ("期限 / due", concern.due or "—"),
        ("状態 / status", " / ".join(vocabulary.CONCERN_STATUSES[concern.status])),
    ])
    paper.heading("2. 経過 / progress")
    paper.table(["日時", "記録者", "内容"], [[when(entry["at"]), name_of(entry["by"]), entry["text"]] for entry in concern.progress]
                or [["—", "—", "記録なし"]], [40, 30, 110])
    paper.heading("3. 対応と終了 / response and closure")
    paper.fields([
        ("改善報告 / response", concern.response or "—"),
        ("報告者・日時 / by, when", f"{name_of(concern.responded_by)} {when(concern.responded_at)}" if concern.responded_at else "—"),
        ("終了 / closed", f"{when(concern.closed_at)} {name_of(concern.closed_by)}" if concern.closed_at else "未了 / open"),
        ("結果 / outcome", concern.closing_note or "—"),
    ])
    return paper.output()
