"""事故報告書 (Art. 19): the preliminary report (速報) and the final report (確報) of an incident.

The items of the PPC's leak report — overview, personal-information items, number of persons,
cause, secondary harm, response to the persons, publication, prevention — and the contract's
own: place and circumstances, number of records, the emergency response plan (each step with
its owner and deadline), encrypted or not, when it occurred and when it was found. The final
report prints the serial and date of the preliminary one it follows, so the two are read as a
pair. Media found again since are listed with when, where and by whom.
"""

from __future__ import annotations

from tracker import vocabulary
from tracker.documents.checks import encryption_text
from tracker.documents.paper import Issue, Paper, city_addressee, city_title, kind_ja, name_of, when
from tracker.models import Document, Incident, Medium, ResponsePlan
from tracker.timeutil import wareki

ARTICLE = "特記事項 第19条"
STAGES = {
    "preliminary": ("事故報告書（速報）", "Incident report — preliminary (Art. 19)"),
    "final": ("事故報告書（確報）", "Incident report — final (Art. 19)"),
}
ENCRYPTED = {True: "暗号化あり", False: "暗号化なし", None: "一部のみ暗号化"}


def incident_report(incident: Incident, stage: str, preliminary: Document | None, issue: Issue, banner: str = "") -> bytes:
    _, title_en = STAGES[stage]
    paper = Paper(city_title(incident.contract, f"incident_{stage}"), title_en, issue, incident.contract, ARTICLE, banner=banner)
    reported_at = incident.final_at if stage == "final" else incident.preliminary_at

    paper.heading("1. 報告")
    rows = [
        ("事故番号", incident.number),
        ("報告の区分", "確報" if stage == "final" else "速報"),
        ("報告日", wareki(reported_at) if reported_at else "—"),
    ]
    if stage == "final":
        rows.append(("速報",
                     f"文書番号 {preliminary.serial}（{wareki(preliminary.issued_at)} 発行）" if preliminary else "—"))
    rows.append(("宛先", city_addressee(incident.contract)))
    paper.fields(rows)

    paper.heading("2. 事故の概要")
    paper.fields([
        ("種類", " / ".join(vocabulary.INCIDENT_KINDS.get(incident.kind, (incident.kind, incident.kind)))),
        ("概要", incident.summary or "—"),
        ("発生場所", incident.place or "—"),
        ("発生日時", when(incident.occurred_at) if incident.occurred_at else "不明（最終確認から発見までの間）"),
        ("発見日時", when(incident.discovered_at)),
        ("発見の経緯", _source(incident)),
        ("市への第一報", when(incident.city_told_at) if incident.city_told_at else "未送信"),
        ("第一報（書面）の期限", when(incident.report_due_at) if incident.report_due_at else "—"),
        ("発生状況", incident.circumstances or "—"),
        ("原因", incident.cause or "調査中"),
    ])

    paper.heading("3. 個人情報と媒体")
    paper.fields([
        ("個人情報の項目", "、".join(incident.pi_items or []) or "—"),
        ("件数（人数）", f"{incident.record_count:,} 件"),
        ("暗号化", ENCRYPTED[incident.encrypted]),
    ])
    seen = dict(line.split(": ", 1) for line in incident.last_seen.splitlines() if ": " in line)
    media = {medium.id: medium for medium in Medium.select().where(Medium.id.in_(incident.media or ["-"]))}
    paper.table(
        ["媒体ID", "名称", "種類", "件数", "暗号化", "最終確認（日時・場所・者）"],
        [[medium_id, media[medium_id].title, kind_ja(media[medium_id].kind), f"{media[medium_id].record_count:,}",
          encryption_text(media[medium_id]), seen.get(medium_id, "—")] for medium_id in incident.media if medium_id in media],
        [28, 36, 18, 16, 24, 58], ["LEFT", "LEFT", "LEFT", "RIGHT", "LEFT", "LEFT"],
    )

    paper.heading("4. 緊急時対応計画")
    paper.table(["No.", "対応内容", "担当者", "期限", "完了"],
                [[str(number), step["action"], step["owner"], step["deadline"], step.get("done_at") or "—"]
                 for number, step in enumerate(incident.response_steps, start=1)],
                [8, 90, 34, 24, 24], ["RIGHT", "LEFT", "LEFT", "LEFT", "LEFT"])

    paper.heading("5. 影響と対応")
    paper.fields([
        ("二次被害", incident.secondary_harm or "調査中"),
        ("本人への対応", incident.persons_response or "検討中"),
        ("公表", incident.publication or "委託者の判断による"),
        ("再発防止策", incident.prevention or "検討中"),
    ])

    plan = ResponsePlan.get_or_none(ResponsePlan.key == incident.plan) if incident.plan else None
    paper.heading("6. 緊急時対応計画（事前に定めた計画）")
    if plan is None:
        paper.paragraph("事故の発生時点で緊急時対応計画は登録されていませんでした")
    else:
        paper.fields([
            ("計画", f"{plan.key}（{wareki(plan.recorded_at)} 登録、{name_of(plan.recorded_by)}）"),
            ("連絡体制", plan.contacts),
            ("初動の手順", plan.steps),
            ("判断する者", plan.decides),
        ])

    instructions = sorted(incident.instructions, key=lambda row: int(row.key.rsplit("/", 1)[1]))
    if instructions:
        paper.heading("7. 委託者の指示と対応")
        paper.table(["No.", "指示（日時・指示者）", "内容", "対応（日時）"],
                    [[str(number), f"{when(row.given_at)}\n{name_of(row.given_by)}", row.text,
                      f"{row.response}（{when(row.responded_at)}）" if row.responded_at else "未対応"]
                     for number, row in enumerate(instructions, start=1)],
                    [10, 40, 65, 65], ["RIGHT", "LEFT", "LEFT", "LEFT"])

    if incident.found:
        paper.heading("8. 発見された媒体")
        paper.table(["媒体ID", "発見日時", "場所・保持", "発見者", "備考"],
                    [[entry["medium"], when(entry["found_at"]), entry["where"], name_of(entry["found_by"]), entry.get("note", "")]
                     for entry in incident.found], [30, 36, 50, 30, 34])

    status_ja = vocabulary.INCIDENT_STATUSES[incident.status][0]
    paper.signatures([("報告者（取扱責任者）", issue.issued_by or "—", f"{status_ja} {when(reported_at)}"),
                      ("受託者", incident.contract.contractor or "—", "")], title="報告者")
    return paper.output()


def _source(incident: Incident) -> str:
    if not incident.source:
        return "取扱者からの届出"
    if incident.source.startswith("CHK"):
        return f"保管状況点検 {incident.source}"
    return f"移送 {incident.source}"
