"""保管状況点検報告 (Art. 6(2)): one storage place checked against the ledger, for one contract.

Every field REFERENCES.md lists for the paper: period and date, inspectors, the responsible
person's sign-off, the place (room, locked cabinet or safe), each ledger entry present / absent /
unexpected with its seal and whether the counts match, backups (place, count, encryption), the
data-accuracy check's method and result, anomalies, corrective actions and the next check date.
The lists come from the check's recorded scans (``checks.reconcile``), limited to the contract
the paper belongs to: a cabinet shared by two contracts gives each its own paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tracker import vocabulary
from tracker.documents import identified
from tracker.documents.paper import Issue, Paper, city_title, kind_ja, name_of, when
from tracker.models import Contract, Incident, StorageCheck
from tracker.timeutil import wareki

ARTICLE = "特記事項 第6条第2号"
UNSIGNED = "未確定（取扱責任者の確認前）／ not yet signed off — preview"
SEAL = {True: "異常なし", False: "異常あり", None: "未確認"}


@dataclass(frozen=True)
class ReportData:
    """What the paper prints, gathered by ``checks.report_data`` from the recorded rows."""

    check: StorageCheck
    contract: Contract
    lines: object  # checks.Reconciliation, limited to ``contract``
    previous: StorageCheck | None  # the place's check before this one
    next_due: date | None
    incidents: list[Incident]  # opened by this check for this contract
    reasons: dict[str, str]  # unexpected medium -> where the ledger had it


def storage_check_report(data: ReportData, issue: Issue) -> bytes:
    check, lines, place = data.check, data.lines, data.check.location
    paper = Paper(city_title(data.contract, "check_report"), "Storage check report (Art. 6(2))", issue, data.contract, ARTICLE,
                  banner="" if check.status == "signed_off" else UNSIGNED)

    paper.heading("1. 点検の概要")
    paper.fields([
        ("点検番号", check.number),
        ("点検日", wareki(check.completed_at or check.started_at)),
        ("点検時間", f"{when(check.started_at)} 〜 {when(check.completed_at)}"),
        ("対象期間", f"{_day(data.previous.completed_at) if data.previous else '初回（前回点検なし）'} 〜 "
                            f"{_day(check.completed_at or check.started_at)}"),
        ("保管場所", "　".join(part for part in (place.name, place.site, place.room) if part)),
        ("種別", f"{vocabulary.LOCATION_KINDS[place.kind][0]}（{'施錠可' if place.lockable else '施錠不可'}）　{place.code}"),
        ("点検者", "、".join(name_of(login) for login in check.participants) or "—"),
        ("取扱責任者の確認", f"{name_of(check.signed_off_by)}　{when(check.signed_off_at)}" if check.signed_off_by else "未確認"),
    ])

    found, missing, unexpected = lines.found, lines.missing, lines.unexpected
    recorded = lines.expected + lines.backups
    matches = not missing and not unexpected
    paper.heading("2. 台帳との照合")
    paper.fields([
        ("台帳上の媒体", f"{len(recorded)} 点（数量 {sum(line.medium.quantity for line in recorded):,}）"),
        ("所在確認", f"{len(found)} 点（数量 {sum(line.medium.quantity for line in found):,}）"),
        ("所在不明", f"{len(missing)} 点"),
        ("想定外", f"{len(unexpected)} 点　不明なコード / unknown codes {len(lines.unknown)} 件"),
        ("数量の一致", "一致" if matches else "不一致"),
    ])

    paper.heading("2-1. 所在を確認した媒体")
    _media_table(paper, found, lambda line: [SEAL[line.scan.seal_intact] if line.medium.seal_number else "封印なし",
                                             _scanned(line.scan)],
                 ["封印", "読取り"])
    if found:
        paper.paragraph(identified.summary([(line.id, line.scan.identified_by) for line in found]))
    paper.heading("2-2. 所在不明の媒体")
    _media_table(paper, missing, lambda line: ["—", "読取りなし"], ["封印", "読取り"])
    if lines.moved:
        paper.paragraph("点検中に台帳上で移動した媒体（所在不明ではありません）"
                        + "、".join(f"{line.id}（{vocabulary.STATUSES[line.medium.status][0]}）" for line in lines.moved))
    paper.heading("2-3. 想定外の媒体・不明なコード")
    if unexpected:
        paper.table(["媒体ID", "名称", "台帳の記録", "封印", "読取り"],
                    [[line.id, line.medium.title, data.reasons.get(line.id, ""),
                      SEAL[line.scan.seal_intact] if line.medium.seal_number else "封印なし",
                      _scanned(line.scan)] for line in unexpected],
                    [30, 38, 62, 18, 32])
    if lines.unknown:
        paper.table(["読み取ったコード", "理由", "読取り"],
                    [[line.scan.medium, line.scan.note, _scanned(line.scan)]
                     for line in lines.unknown], [70, 78, 32])
    if not unexpected and not lines.unknown:
        paper.paragraph("なし。")

    paper.heading("3. バックアップ")
    if lines.backups:
        paper.table(["媒体ID", "名称", "場所", "数量", "暗号化（方式）", "結果"],
                    [[line.id, line.medium.title, place.name, f"{line.medium.quantity:,}", encryption_text(line.medium),
                      "所在確認" if line.scan else "所在不明"] for line in lines.backups],
                    [30, 40, 34, 14, 40, 22], ["LEFT", "LEFT", "LEFT", "RIGHT", "LEFT", "LEFT"])
    else:
        paper.paragraph("この保管場所に記録されたバックアップ媒体はありません。")

    paper.heading("4. 記録されたデータの正確性")
    paper.fields([("点検方法", check.accuracy_method or "—"), ("結果", check.accuracy_result or "—")])

    paper.heading("5. 異常と是正措置")
    broken = [line.id for line in found + unexpected if line.scan.seal_intact is False]
    paper.fields([
        ("異常", check.anomalies or ("なし" if matches and not broken and not lines.unknown else "上記のとおり")),
        ("封印の異常", "、".join(f"{medium_id}（{_seal_note(lines, medium_id)}）" for medium_id in broken) or "なし"),
        ("事故報告", "、".join(f"{incident.number}（{len(incident.media)}点）" for incident in data.incidents) or "なし"),
        ("是正措置", check.corrective_actions or "—"),
        ("次回点検予定", f"{wareki(data.next_due)}（{data.next_due.isoformat()}）" if data.next_due else "点検間隔の設定なし"),
    ])

    paper.signatures(
        [("点検者", name_of(login), "点検に参加") for login in check.participants]
        + [("点検完了", name_of(check.completed_by), f"完了 {when(check.completed_at)}"),
           ("取扱責任者", name_of(check.signed_off_by), f"確認 {when(check.signed_off_at)}" if check.signed_off_at else "未確認")],
        title="6. 確認",
    )
    return paper.output()


def _media_table(paper: Paper, lines, extra, extra_headers: list[str]) -> None:
    if not lines:
        paper.paragraph("なし。")
        return
    rows = [[str(number), line.id, line.medium.title + ("（バックアップ）" if line.medium.is_backup else ""),
             kind_ja(line.medium.kind), f"{line.medium.quantity:,}", f"{line.medium.record_count:,}",
             line.medium.seal_number or "—", *extra(line)]
            for number, line in enumerate(lines, start=1)]
    paper.table(["No.", "媒体ID", "名称", "種類", "数量", "件数", "封印番号", *extra_headers], rows,
                [8, 28, 40, 18, 11, 15, 18, 16, 26], ["RIGHT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT", "LEFT", "LEFT"])


def encryption_text(medium) -> str:
    """有（方式） / 無 / —（紙）: as every paper prints a medium's encryption."""
    if medium.encrypted:
        return f"有（{medium.encryption}）" if medium.encryption else "有"
    return "無" if medium.is_electronic else "—（紙）"


def _seal_note(lines, medium_id: str) -> str:
    for line in lines.found + lines.unexpected:
        if line.id == medium_id:
            return line.scan.note or "異常あり"
    return "異常あり"


def _scanned(scan) -> str:
    """Date, time, who and how, one per line: a scan fits a narrow column without breaking a number.
    A typed ID says so (its label was not read)."""
    how = "\n手入力" if scan.identified_by == "typed" else ""
    return f"{when(scan.scanned_at).replace(' ', chr(10), 1)}\n{name_of(scan.scanned_by)}{how}"


def _day(value: str | None) -> str:
    return wareki(value) if value else "—"
