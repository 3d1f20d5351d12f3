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

# The counting word of each kind's quantity on papers: sheets of paper and discs are 枚, a stick
# is 個, a disk 台, a tape 巻. Quantities of different kinds are never added together.
MEDIUM_UNITS = {"paper": "枚", "usb": "個", "hdd": "台", "ssd": "台", "optical": "枚", "tape": "巻", "other": "点"}

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
    "user.password_changed": ("パスワード変更", "password changed"),
    "token.issued": ("APIトークン発行", "API token issued"),
    "token.revoked": ("APIトークン取消し", "API token revoked"),
    "security.adopted": ("旧版のパスワード・トークンを台帳に記録", "passwords and tokens of an older version recorded"),
    "ledger.corrected": ("台帳の訂正（管理者の署名付き）", "ledger corrected (signed by an administrator)"),
    "login.failed": ("パスワード誤り", "wrong password"),
    "login.locked": ("パスワード誤りの連続による一時停止", "locked after repeated wrong passwords"),
    "contract.created": ("契約登録", "contract registered"),
    "contract.updated": ("契約情報の変更", "contract details changed"),
    "roster.added": ("名簿追加（第8条）", "added to roster (Art. 8)"),
    "roster.removed": ("名簿から削除（第8条）", "removed from roster (Art. 8)"),
    "roster.applied": ("名簿の変更申請（第8条）", "roster change applied for (Art. 8)"),
    "roster.approved": ("名簿の変更の承認", "roster change approved"),
    "roster.rejected": ("名簿の変更の却下", "roster change rejected"),
    "roster.acknowledged": ("名簿の変更の受領確認", "roster change acknowledged by the city"),
    "pledge.signed": ("誓約書への署名（第11条）", "pledge signed (Art. 11)"),
    "pledge.submitted": ("誓約書の市への提出", "pledge handed to the city"),
    "pledge.confirmed": ("市による誓約書の受領確認", "pledge receipt confirmed by the city"),
    "workplace.reported": ("作業場所の報告（第9条）", "work place reported (Art. 9)"),
    "workplace.acknowledged": ("作業場所の市の確認", "work place acknowledged by the city"),
    "workplace.designated": ("市による作業場所の指定", "work place designated by the city"),
    "workplace.withdrawn": ("作業場所の廃止", "work place withdrawn"),
    "badge.issued": ("身分証明書の発行（第9条第2項）", "ID badge issued (Art. 9(2))"),
    "badge.returned": ("身分証明書の返却", "ID badge returned"),
    "training.recorded": ("教育の実施の記録（第10条）", "training session recorded (Art. 10)"),
    "training.confirmed": ("受講の確認", "attendance confirmed"),
    "training.reported": ("教育結果の市への報告", "training results reported to the city"),
    "supervision.recorded": ("監督の記録（第2条第2項）", "supervision check recorded (Art. 2(2))"),
    "roster.leaver_reminded": ("離任者への守秘義務の周知", "leaver reminded of continuing confidentiality"),
    "location.created": ("保管場所登録", "location registered"),
    "medium.registered": ("媒体受領・登録", "medium registered"),
    "medium.stored": ("保管（第7条第1号）", "stored (Art. 7(1))"),
    "medium.taken_out": ("作業場所へ持出し（第9条）", "taken out to work place (Art. 9)"),
    "label.printed": ("ラベル印刷", "label printed"),
    "handover.started": ("引渡し開始", "handover opened"),
    "handover.list_imported": ("引渡しリスト取込み", "handover list imported"),
    "handover.item_added": ("リスト外の媒体の追加登録", "medium added, not on the list"),
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
    "checkpoint.issued": ("台帳チェックポイントの交付", "ledger checkpoint handed out"),
    "backup.made": ("バックアップの作成", "backup made"),
    "backup.restore_tested": ("バックアップの復元テスト", "backup restore tested"),
    "backup.restored": ("バックアップからの復元", "restored from a backup"),
    "location.check_interval_set": ("点検間隔の設定（第6条第2号）", "check interval set (Art. 6(2))"),
    "check.started": ("保管状況点検の開始（第6条第2号）", "storage check started (Art. 6(2))"),
    "check.scanned": ("点検時の読取り", "scanned at a storage check"),
    "check.seal_noted": ("点検時の封印の確認", "seal noted at a storage check"),
    "check.device_reported": ("点検端末の送信待ち件数", "check device reported its queue"),
    "check.device_released": ("点検端末の解除", "check device released"),
    "check.reconciled": ("点検結果（台帳との照合）", "storage check reconciled with the ledger"),
    "check.completed": ("保管状況点検の完了", "storage check completed"),
    "check.signed_off": ("点検結果の責任者確認", "storage check signed off"),
    "check.abandoned": ("保管状況点検の中止", "storage check abandoned"),
    "medium.lost": ("所在不明の届出", "reported missing"),
    "medium.found": ("所在不明の媒体の発見", "found again"),
    "incident.opened": ("事故報告の作成（第19条）", "incident opened (Art. 19)"),
    "incident.updated": ("事故報告の更新", "incident updated"),
    "incident.preliminary": ("事故報告（速報）", "incident reported (preliminary)"),
    "incident.final": ("事故報告（確報）", "incident reported (final)"),
    "incident.closed": ("事故報告の終了", "incident closed"),
    "incident.instructed": ("市の指示（第19条）", "the city's instruction (Art. 19)"),
    "incident.instruction_answered": ("市の指示への対応", "response to the city's instruction"),
    "response_plan.recorded": ("緊急時対応計画の登録（第19条第2項）", "emergency response plan recorded (Art. 19(2))"),
    "contract.notify_email_set": ("市への通知先の設定", "city's notice address set"),
    "notice.queued": ("市への通知（送信待ち）", "notice to the city queued"),
    "notice.sent": ("市への通知の送信", "notice to the city sent"),
    "notice.failed": ("市への通知の送信失敗（再送します）", "notice to the city failed (will retry)"),
    "electronic.notified": ("電磁的記録媒体の届出（第6条）", "electronic media notice (Art. 6)"),
    "electronic.consented": ("電磁的記録媒体の届出への承諾", "electronic media notice consented"),
    "electronic.refused": ("電磁的記録媒体の届出の不承諾", "electronic media notice refused"),
    "electronic.transmitted": ("電子送信の記録（第6条第5号）", "electronic transmission logged (Art. 6(5))"),
    "concern.received": ("苦情の受付（第18条）", "complaint received (Art. 18)"),
    "concern.instructed": ("市の改善指示（第12条）", "improvement instruction (Art. 12)"),
    "concern.progress": ("苦情・指示の経過", "complaint or instruction progress"),
    "concern.responded": ("改善指示への報告", "instruction answered"),
    "concern.closed": ("苦情・指示の終了", "complaint or instruction closed"),
    "closeout.designated": ("契約終了時の返還・廃棄の指定（第17条第1項）", "return or destruction designated for the close-out (Art. 17(1))"),
    "contract.closed": ("契約の終了処理（完了報告）", "contract closed out (completion report)"),
    "subcontract.applied": ("再委託の承認申請（第14条第2項）", "subcontracting applied for (Art. 14(2))"),
    "subcontract.approved": ("再委託の承認", "subcontracting approved"),
    "subcontract.rejected": ("再委託の却下", "subcontracting rejected"),
    "subcontract.supervised": ("再委託先の監督の記録（第14条第5項）", "subcontractor supervision recorded (Art. 14(5))"),
    "destruction.applied": ("消去・廃棄の申請（第17条第2項）", "destruction applied for (Art. 17(2))"),
    "destruction.approved": ("消去・廃棄の承認", "destruction approved"),
    "destruction.rejected": ("消去・廃棄の却下", "destruction rejected"),
    "destruction.withdrawn": ("消去・廃棄の承認撤回", "destruction approval withdrawn"),
    "destruction.scanned": ("廃棄前の読取り", "scanned before destruction"),
    "destruction.destroyed": ("消去・廃棄の実施", "erased or destroyed"),
    "destruction.evidence_added": ("廃棄の証跡（写真・報告書）", "destruction evidence added"),
    "destruction.witnessed": ("市の立会い（第17条第3項）", "witnessed by the city (Art. 17(3))"),
    "destruction.completed": ("消去・廃棄の完了（第17条第5項）", "destruction completed (Art. 17(5))"),
}

DOCUMENTS = {
    "roster": ("取扱責任者・従事者名簿", "roster of handlers"),
    "work_places": ("作業場所届", "work places report"),
    "training": ("従事者教育・監督の記録", "training and supervision record"),
    "handover_receipt": ("預り証", "custody receipt"),
    "return_receipt": ("返還受領書", "return receipt"),
    "transfer_record": ("移送記録", "transfer record"),
    "register": ("台帳", "register"),
    "storage_check": ("保管状況点検報告", "storage check report"),
    "incident_preliminary": ("事故報告書（速報）", "incident report (preliminary)"),
    "incident_final": ("事故報告書（確報）", "incident report (final)"),
    "destruction_application": ("消去・廃棄申請書", "destruction application"),
    "destruction_certificate": ("消去・廃棄証明書", "destruction certificate"),
    "subcontract_application": ("再委託承認申請書", "subcontracting application"),
    "closeout_report": ("完了報告書", "close-out report"),
    "concern_record": ("苦情・指示の記録", "complaint or instruction record"),
    "electronic_notice": ("電磁的記録媒体 届出書", "electronic media notice"),
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

DESTRUCTION_STATUSES = {
    "applied": ("市の承認待ち", "awaiting the city's approval"),
    "approved": ("承認済", "approved"),
    "rejected": ("却下", "rejected"),
    "withdrawn": ("承認撤回", "approval withdrawn"),
    "completed": ("完了", "complete"),
}

# NIST SP 800-88's three categories, in the words Japanese erasure certificates use; the English UI
# shows NIST's own terms.
SANITIZATION_CATEGORIES = {"clear": ("消去（クリア）", "Clear"), "purge": ("消去（パージ）", "Purge"), "destroy": ("物理破壊", "Destroy")}

SANITIZATION_TECHNIQUES = {
    "overwrite": ("上書き消去", "overwrite"),
    "secure_erase": ("ATA Secure Erase", "ATA Secure Erase"),
    "nvme_sanitize": ("NVMe Sanitize", "NVMe Sanitize"),
    "block_erase": ("ブロック消去", "block erase"),
    "crypto_erase": ("暗号化消去（鍵の破棄）", "cryptographic erase"),
    "degauss": ("磁気消去（消磁）", "degauss"),
    "shred": ("破砕・裁断", "shred"),
    "disintegrate": ("粉砕", "disintegrate"),
    "crush": ("圧壊・変形", "crush / deform"),
    "incinerate": ("焼却", "incinerate"),
    "pulp": ("溶解", "pulp"),
}

EVIDENCE_STAGES = {
    "before": ("処理前", "before"),
    "during": ("処理中", "during"),
    "after": ("処理後", "after"),
    "report": ("消去ツールの報告書", "erasure report"),
    "signature": ("立会人の署名", "witness's signature"),
}

LOCATION_PURPOSES = {"storage": ("保管場所", "storage"), "work": ("作業場所", "work place")}

LOCATION_KINDS = {
    "cabinet": ("施錠キャビネット", "locked cabinet"),
    "safe": ("金庫", "safe"),
    "room": ("施錠室", "locked room"),
    "work_place": ("作業場所", "work place"),
}

CHECK_STATUSES = {
    "open": ("点検中", "open"),
    "completed": ("完了（責任者の確認待ち）", "completed, awaiting sign-off"),
    "signed_off": ("確認済", "signed off"),
    "abandoned": ("中止", "abandoned"),
}

CHECK_FINDINGS = {
    "found": ("所在確認", "found"),
    "unexpected": ("想定外", "unexpected"),
    "unknown": ("不明なコード", "unknown code"),
}

DUE_STATES = {
    "ok": ("予定どおり", "on schedule"),
    "due": ("点検時期", "due"),
    "overdue": ("点検期限超過", "overdue"),
    "unscheduled": ("点検間隔が未設定", "no check interval set"),
}

INCIDENT_STATUSES = {
    "draft": ("作成中（未報告）", "draft, not reported"),
    "preliminary": ("速報済", "preliminary report issued"),
    "final": ("確報済", "final report issued"),
    "closed": ("終了", "closed"),
}

INCIDENT_KINDS = {
    "lost": ("紛失・所在不明", "lost"),
    "leaked": ("漏えい", "leaked"),
    "misdelivered": ("誤送付・誤交付", "misdelivered"),
    "damaged": ("き損・滅失", "damaged"),
    "tampered": ("改ざん", "tampered with"),
    "seal_broken": ("封印の破損", "seal broken"),
    "missing_in_transit": ("移送中の所在不明", "missing in transit"),
    "other": ("その他の事故", "other"),
}

FIRST_REPORT_STATES = {
    "due": ("第一報の期限内", "first report due"),
    "overdue": ("第一報の期限超過", "first report overdue"),
    "on_time": ("期限内に報告済", "reported in time"),
    "late": ("期限後に報告", "reported late"),
}

ELECTRONIC_NOTICE_KINDS = {
    "usb": ("USBメモリ", "USB stick"), "hdd": ("HDD", "hard disk"), "ssd": ("SSD", "SSD"),
    "optical": ("光ディスク", "optical disc"), "tape": ("磁気テープ", "tape"), "other": ("その他の電子媒体", "other electronic medium"),
    "work_pc": ("業務用PC", "work PC"), "transmission": ("電子送信", "electronic transmission"),
}

ELECTRONIC_NOTICE_STATUSES = {"submitted": ("市の回答待ち", "awaiting the city"), "consented": ("承諾済", "consented"),
                              "refused": ("不承諾", "refused")}

CONCERN_KINDS = {"complaint": ("苦情", "complaint"), "improvement": ("改善指示", "improvement instruction")}
CONCERN_STATUSES = {"open": ("対応中", "open"), "answered": ("改善報告済（市の確認待ち）", "answered, awaiting the city"),
                    "closed": ("終了", "closed")}

SUBCONTRACT_STATUSES = {
    "applied": ("市の承認待ち", "awaiting the city's approval"),
    "approved": ("承認済", "approved"),
    "rejected": ("却下", "rejected"),
}

NOTICE_STATUSES = {"pending": ("未送信", "not yet sent"), "sent": ("送信済", "sent")}


def event_name(kind: str) -> tuple[str, str]:
    return EVENTS.get(kind, (kind, kind))

CONTRACT_ROLES = {"responsible": ("取扱責任者", "responsible person"), "worker": ("従事者", "worker")}

# Art. 15: dispatched and other non-regular staff are bound the same way, so the roster says which.
EMPLOYMENT_TYPES = {
    "regular": ("正社員", "regular employee"),
    "dispatched": ("派遣", "dispatched worker"),
    "fixed_term": ("契約社員", "fixed-term employee"),
    "part_time": ("パート・アルバイト", "part-time"),
    "subcontractor": ("再委託先", "subcontractor's staff"),
}
EMPLOYMENT_TYPE_SHORT = {"dispatched": ("派遣社員", "派遣労働者"), "fixed_term": ("契約",), "part_time": ("パート", "アルバイト")}

ROSTER_CHANGES = {"add": ("追加", "addition"), "remove": ("削除", "removal"), "role": ("役割の変更", "change of role")}

ROSTER_APPLICATION_STATUSES = {
    "pending": ("市の承認待ち", "waiting for the city's approval"),
    "approved": ("承認済", "approved"),
    "rejected": ("却下", "rejected"),
    "notified": ("届出済（市の確認待ち）", "notified, waiting for the city's acknowledgement"),
    "reported": ("報告済（市の確認待ち）", "reported, waiting for the city's acknowledgement"),
    "acknowledged": ("市が確認済", "acknowledged by the city"),
}

WORK_PLACE_STATUSES = {
    "reported": ("報告済（市の確認待ち）", "reported, waiting for the city"),
    "acknowledged": ("市が確認済", "acknowledged by the city"),
    "designated": ("市が指定", "designated by the city"),
    "withdrawn": ("廃止", "withdrawn"),
}

# How a scan identified its medium (proof of presence, issue #11): every way but "typed" read the
# label itself; a typed ID is recorded only when the person confirmed the medium was there.
IDENTIFIED_BY = {
    "camera": ("カメラでラベル読取り", "label read by camera"),
    "station": ("読取り端末でラベル読取り", "label read at a station"),
    "wedge": ("ハンディスキャナでラベル読取り", "label read by handheld scanner"),
    "photo": ("写真からラベル読取り", "label read from a photo"),
    "label": ("ラベル読取り", "label read"),
    "typed": ("手入力（現物を本人が確認）", "typed (presence confirmed by the person)"),
    None: ("記録なし", "not recorded"),
}
