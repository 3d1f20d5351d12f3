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
    "handover.started": ("引渡し開始", "handover opened"),
    "handover.list_imported": ("引渡しリスト取込み", "handover list imported"),
    "handover.scanned": ("引渡し時の読取り", "scanned at handover"),
    "handover.signed": ("受託者の署名", "signed by the contractor"),
    "handover.reopened": ("引渡しの差戻し", "handover reopened"),
    "handover.confirmed": ("市の確認（引渡し完了）", "confirmed by the city (handover complete)"),
    "transfer.planned": ("移送計画（第7条第4号）", "transfer planned (Art. 7(4))"),
    "transfer.scanned_out": ("移送の発送読取り", "scanned for departure"),
    "transfer.departed": ("移送の発送", "transfer departed"),
    "transfer.scanned_in": ("移送の到着読取り", "scanned at arrival"),
    "transfer.unexpected_arrival": ("発送されていない媒体の到着", "arrived without being sent"),
    "transfer.arrived": ("移送の到着", "transfer arrived"),
    "copy.requested": ("複製の申請（第5条）", "copy requested (Art. 5)"),
    "copy.approved": ("複製の承認", "copy approved"),
    "copy.rejected": ("複製の却下", "copy rejected"),
    "copy.made": ("複製の作成", "copy made"),
    "document.issued": ("文書の発行", "document issued"),
}

DOCUMENTS = {
    "handover_receipt": ("預り証", "custody receipt"),
    "return_receipt": ("返還受領書", "return receipt"),
    "transfer_record": ("移送記録", "transfer record"),
    "register": ("台帳", "register"),
}

HANDOVER_STATUSES = {
    "open": ("読取り中", "scanning"),
    "signed": ("市の確認待ち", "waiting for the city"),
    "confirmed": ("完了", "complete"),
}

TRANSFER_STATUSES = {
    "preparing": ("発送準備", "preparing"),
    "departed": ("移送中", "in transit"),
    "arrived": ("到着済", "arrived"),
}

COPY_STATUSES = {
    "requested": ("承認待ち", "awaiting approval"),
    "approved": ("承認済", "approved"),
    "rejected": ("却下", "rejected"),
    "used": ("作成済", "all copies made"),
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
