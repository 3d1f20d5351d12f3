"""取扱責任者・従事者名簿 (Art. 8): the roster the contractor reports to the city, reissued on
each change that took effect, each issue kept and verifiable like every paper.

Per person: role, employer, employment type (Art. 15), the date they were added, the date of
their current pledge and whether the city holds it, and the approval number of the application
that put them there. Below, the changes of the roster with the city's decisions, so a reader
sees which approvals this issue rests on and what is still waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tracker import vocabulary
from tracker.documents.paper import Issue, Paper, city_addressee, city_title, name_of, when
from tracker.models import Contract, Pledge, RosterApplication, RosterEntry
from tracker.timeutil import wareki


@dataclass(frozen=True)
class RosterData:
    contract: Contract
    article: str
    entries: list[RosterEntry]
    pledges: dict[str, Pledge | None]  # login -> current pledge
    applications: list[RosterApplication]  # every change, oldest first
    approval_suffix: str


def roster_paper(data: RosterData, issue: Issue) -> bytes:
    contract = data.contract
    paper = Paper(city_title(contract, "roster"), "Roster of the responsible person and workers (Art. 8)", issue, contract,
                  f"特記事項 {data.article}")
    paper.paragraph(f"{city_addressee(contract)}\n\n個人情報を取り扱う取扱責任者及び従事者を次のとおり届け出ます。\n"
                    f"受託者　{contract.contractor or '—'}")
    paper.heading(f"1. 取扱責任者・従事者 / people ({len(data.entries)} 名)")
    rows = []
    for entry in data.entries:
        pledge = data.pledges.get(entry.user_id)
        rows.append([
            name_of(entry.user_id),
            vocabulary.CONTRACT_ROLES[entry.role][0],
            entry.employer or contract.contractor or "—",
            vocabulary.EMPLOYMENT_TYPES.get(entry.employment_type, ("—",))[0],
            wareki(entry.added_at),
            _pledge_cell(pledge),
            f"{entry.approval}{data.approval_suffix}" if entry.approval else "—",
        ])
    paper.table(["氏名", "役割", "所属", "雇用形態", "追加日", "誓約書", "承認番号"], rows, [26, 20, 30, 18, 24, 30, 32])

    paper.heading("2. 名簿の変更と市の決定")
    paper.table(["申請番号", "内容", "氏名・役割", "申請日", "状態", "市の決定"],
                [[application.number, vocabulary.ROSTER_CHANGES[application.change][0],
                  f"{name_of(application.user_id)}（{vocabulary.CONTRACT_ROLES[application.role][0]}）",
                  when(application.applied_at), vocabulary.ROSTER_APPLICATION_STATUSES[application.status][0],
                  f"{name_of(application.decided_by)} {when(application.decided_at)}" if application.decided_by else "—"]
                 for application in data.applications] or [["—", "", "", "", "", ""]],
                [26, 20, 38, 28, 32, 36])
    return paper.output()


def _pledge_cell(pledge: Pledge | None) -> str:
    if pledge is None:
        return "未署名"
    how = "画面で署名" if pledge.method == "electronic" else "自署"
    cell = f"{wareki_day(pledge.signed_on)} {how}"
    if pledge.confirmed_by:
        cell += "・市確認済"
    elif pledge.submitted_on:
        cell += f"・{wareki_day(pledge.submitted_on)}提出"
    return cell


def wareki_day(iso_day: str) -> str:
    return wareki(date.fromisoformat(iso_day))
