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
    paper.heading("1. 記録")
    paper.fields([
        ("番号", concern.number),
        ("区分", vocabulary.CONCERN_KINDS[concern.kind][0]),
        ("宛先", city_addressee(concern.contract)),
        ("件名", concern.title),
        ("内容", concern.detail),
        ("申出者・調査", concern.source or "—"),
        ("受付・指示日時", when(concern.received_at)),
        ("記録者", name_of(concern.entered_by)),
        ("期限", concern.due or "—"),
        ("状態", vocabulary.CONCERN_STATUSES[concern.status][0]),
    ])
    paper.heading("2. 経過")
    paper.table(["日時", "記録者", "内容"], [[when(entry["at"]), name_of(entry["by"]), entry["text"]] for entry in concern.progress]
                or [["—", "—", "記録なし"]], [40, 30, 110])
    paper.heading("3. 対応と終了")
    paper.fields([
        ("改善報告", concern.response or "—"),
        ("報告者・日時", f"{name_of(concern.responded_by)} {when(concern.responded_at)}" if concern.responded_at else "—"),
        ("終了", f"{when(concern.closed_at)} {name_of(concern.closed_by)}" if concern.closed_at else "未了"),
        ("結果", concern.closing_note or "—"),
    ])
    return paper.output()
