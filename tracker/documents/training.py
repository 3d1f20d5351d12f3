"""従事者教育・監督の記録 (Art. 10, Art. 2(2)): the training sessions with who attended and
confirmed, each person's last training and when the next is due, the supervision checks, and the
leavers reminded that their duty of confidentiality continues."""

from __future__ import annotations

from tracker.documents.paper import Issue, Paper, city_title, name_of, when
from tracker.models import Contract, RosterEntry, SupervisionCheck, TrainingSession


def training_paper(contract: Contract, article: str, sessions: list[TrainingSession], checks: list[SupervisionCheck],
                   standing: list, leavers: list[RosterEntry], issue: Issue) -> bytes:
    paper = Paper(city_title(contract, "training"), "Training and supervision (Art. 10, 2(2))", issue, contract, f"特記事項 {article}")
    paper.heading(f"1. 教育の実施")
    paper.table(["番号", "実施日", "内容", "講師", "受講者（確認済み）", "資料"],
                [[s.number, s.held_on, s.content, s.trainer,
                  "、".join(f"{name_of(login)}{'（確認済）' if login in s.confirmations else '（未確認）'}" for login in s.attendees),
                  ("\n".join(sha[:16] + "…" for sha in s.materials) or "—")
                  + (f"\n市へ報告 {s.reported_on}（{s.reported_to}）" if s.reported_on else "")] for s in sessions] or [["—", "", "", "", "", ""]],
                [22, 20, 50, 22, 38, 28])
    paper.heading("2. 受講の状況")
    paper.table(["氏名", "最後の受講", "次の期限", "状態"],
                [[name_of(s.entry.user_id), s.last or "未受講", s.due.isoformat(), "期限切れ" if s.lapsed else "有効"] for s in standing]
                or [["—", "", "", ""]], [50, 40, 40, 50])
    paper.heading(f"3. 監督の記録")
    paper.table(["番号", "確認日", "確認者", "対象", "確認した事項", "所見"],
                [[c.number, c.checked_on, name_of(c.checked_by), "、".join(name_of(login) for login in c.subjects) or "全員",
                  c.checked, c.findings or "—"] for c in checks] or [["—", "", "", "", "", ""]],
                [22, 20, 24, 28, 46, 40])
    paper.heading("4. 離任者への守秘義務の周知")
    paper.table(["氏名", "名簿から外れた日", "周知した日", "方法・内容"],
                [[name_of(entry.user_id), when(entry.removed_at), entry.leaver_reminded_on or "未実施", entry.leaver_reminder or "—"]
                 for entry in leavers] or [["—", "", "", ""]], [40, 40, 30, 70])
    return paper.output()
