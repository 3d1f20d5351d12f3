"""The menu: the same destinations for everyone, ordered by what this person does next.

A worker starts at handovers and media, the city at what waits for its confirmation or approval,
the administrator at administration. On a phone the menu folds behind one button (base.html).
"""

from __future__ import annotations

from flask import url_for

# endpoint, Japanese, English
ENTRIES = {
    "dashboard": ("pages.dashboard", "ホーム", "Home"),
    "scan": ("scanning.scan_page", "読取り", "Scan"),
    "handovers": ("custody.handover_list", "引渡し", "Handovers"),
    "media": ("pages.media_list", "媒体一覧", "Media"),
    "transfers": ("custody.transfer_list", "移送", "Transfers"),
    "destruction": ("destruction.destruction_list", "消去・廃棄", "Destruction"),
    "checks": ("checks.check_list", "保管点検", "Storage checks"),
    "incidents": ("checks.incident_list", "事故報告", "Incidents"),
    "report_incident": ("oversight.new_incident", "事故を報告", "Report an incident"),
    "subcontracting": ("oversight.subcontract_list", "再委託", "Subcontracting"),
    "contracts": ("administration.contract_list", "契約の管理", "Contracts"),
    "electronic": ("oversight.electronic_page", "電子媒体の届出", "Electronic media"),
    "concerns": ("oversight.concern_list", "苦情・指示", "Complaints and instructions"),
    "register": ("register.register_page", "台帳", "Register"),
}

# A new page's menu entry goes into ENTRIES and into each role's order here (not into base.html).
ORDER = {
    "contractor": ("dashboard", "scan", "handovers", "media", "checks", "transfers", "destruction", "incidents", "report_incident",
                   "subcontracting", "electronic", "concerns", "register"),
    "municipality": ("dashboard", "handovers", "destruction", "incidents", "concerns", "subcontracting", "electronic", "register",
                     "media", "checks", "transfers", "scan"),
    "admin": ("dashboard", "contracts", "register", "media", "handovers", "checks", "transfers", "destruction", "incidents", "subcontracting",
              "electronic", "concerns", "scan"),
}


URGENT = {"report_incident"}  # shown in the danger colour


def menu_for(user) -> list[tuple[str, str, str, bool]]:
    """(url, Japanese, English, urgent) for each menu entry, in the order this user's role needs them."""
    order = ORDER.get(user.role, ORDER["contractor"])
    return [(url_for(ENTRIES[name][0]), ENTRIES[name][1], ENTRIES[name][2], name in URGENT) for name in order]
