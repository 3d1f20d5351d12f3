"""完了報告 (Art. 17(1)): at the contract's end, every medium and what became of it as the city
designated — returned (under which 返還受領書) or destroyed (under which certificate) — and the
statement that confidentiality continues after the contract (Art. 2)."""

from __future__ import annotations

import json

from tracker import vocabulary
from tracker.documents.paper import Issue, Paper, city_addressee, name_of, when
from tracker.models import Closeout, Contract, Event, EventMedium, Medium
from tracker.timeutil import wareki

ARTICLE = "特記事項 第17条第1項"
DESIGNATIONS = {"return": "返還", "destroy": "廃棄"}


def completion_report(contract: Contract, issue: Issue) -> bytes:
    closeout = Closeout.get_or_none(Closeout.key == contract.code)
    designations = closeout.designations if closeout else {}
    paper = Paper("完了報告書（返還・廃棄）", "Close-out report: media returned or destroyed (Art. 17(1))",
                  issue, contract, ARTICLE)
    paper.heading("1. 報告")
    paper.fields([
        ("宛先", city_addressee(contract)),
        ("受託者", contract.contractor or "—"),
        ("契約期間", f"{contract.period_start or '—'} 〜 {contract.period_end or '—'}"),
        ("終了処理日", wareki(contract.closed_at) if contract.closed_at else "—"),
        ("報告者", name_of(closeout.completed_by) if closeout and closeout.completed_by else "—"),
        ("市の指定", f"{name_of(closeout.designated_by)}（{when(closeout.designated_at)}）" if closeout and closeout.designated_by else "指定なし"),
    ])
    paper.paragraph("本契約により取り扱った個人情報が記録された資料等は、委託者の指定した方法により、すべて返還又は廃棄したことを報告します。"
                    "契約終了後も、業務上知り得た個人情報を他に漏らし、又は不当な目的に使用しません（第2条）。")
    media = list(Medium.select().where(Medium.contract == contract.code).order_by(Medium.id))
    counts: dict[str, int] = {}
    for medium in media:
        counts[medium.status] = counts.get(medium.status, 0) + 1
    paper.heading("2. 媒体の内訳")
    paper.fields([(vocabulary.STATUSES[status][0], f"{count} 件") for status, count in sorted(counts.items())])
    paper.heading("3. 媒体ごとの結果")
    papers_by_medium = _papers_by_medium(contract.code)
    paper.table(["媒体ID", "名称", "市の指定", "結果", "根拠の文書"],
                [[medium.id, medium.title, DESIGNATIONS.get(designations.get(medium.id, ""), "—"),
                  vocabulary.STATUSES[medium.status][0], papers_by_medium.get(medium.id, "—")] for medium in media],
                [30, 56, 20, 22, 52])
    if closeout and closeout.note:
        paper.heading("4. 備考")
        paper.paragraph(closeout.note)
    paper.signatures([("受託者（取扱責任者）", name_of(closeout.completed_by) if closeout else "—", when(contract.closed_at)),
                      ("委託者 確認", "", "")], title="報告と確認")
    return paper.output()


def _papers_by_medium(contract_code: str) -> dict[str, str]:
    """The return receipt or destruction certificate each medium left under, from the ledger."""
    kinds = {"return_receipt": "返還受領書", "destruction_certificate": "消去・廃棄証明書"}
    found: dict[str, str] = {}
    rows = (Event.select(Event.data, EventMedium.medium).join(EventMedium)
            .where((Event.kind == "document.issued") & (Event.contract == contract_code)).order_by(Event.seq).tuples())
    for data, medium_id in rows:
        facts = json.loads(data)
        if facts.get("kind") in kinds:
            found[medium_id] = f"{kinds[facts['kind']]} {facts['serial']}"
    return found
