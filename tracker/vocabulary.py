"""Bilingual names for the codes stored in the database, for screens, PDFs and labels."""

MEDIUM_KINDS = {
    "paper": ("紙（原票）", "paper originals"),
    "usb": ("USBメモリ", "USB stick"),
    "hdd": ("HDD", "hard disk"),
    "ssd": ("SSD", "SSD"),
    "optical": ("光ディスク", "optical disc"),
    "tape": ("磁気テープ", "tape"),
    "other": ("その他", "other"),
}

STATUSES = {
    "expected": ("受領予定", "expected"),
    "received": ("受領済", "received"),
    "stored": ("保管中", "stored"),
    "in_use": ("使用中", "in use"),
    "in_transit": ("移送中", "in transit"),
    "returned": ("返還済", "returned"),
    "destroyed": ("廃棄済", "destroyed"),
    "lost": ("所在不明", "missing"),
    "not_received": ("未受領", "not received"),
}

EVENTS = {
    "user.created": ("利用者登録", "user added"),
    "user.activated": ("利用者有効化", "user enabled"),
    "user.deactivated": ("利用者無効化", "user disabled"),
    "contract.created": ("契約登録", "contract registered"),
    "roster.added": ("名簿追加（第8条）", "added to roster (Art. 8)"),
    "roster.removed": ("名簿から削除（第8条）", "removed from roster (Art. 8)"),
    "pledge.signed": ("誓約書提出（第11条）", "pledge signed (Art. 11)"),
    "location.created": ("保管場所登録", "location registered"),
    "medium.registered": ("媒体受領・登録", "medium registered"),
    "medium.stored": ("保管（第7条第1号）", "stored (Art. 7(1))"),
    "medium.taken_out": ("作業場所へ持出し（第9条）", "taken out to work place (Art. 9)"),
    "label.printed": ("ラベル印刷", "label printed"),
}

LOCATION_PURPOSES = {"storage": ("保管場所", "storage"), "work": ("作業場所", "work place")}

LOCATION_KINDS = {
    "cabinet": ("施錠キャビネット", "locked cabinet"),
    "safe": ("金庫", "safe"),
    "room": ("施錠室", "locked room"),
    "work_place": ("作業場所", "work place"),
}


def event_name(kind: str) -> tuple[str, str]:
    return EVENTS.get(kind, (kind, kind))
