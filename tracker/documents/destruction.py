"""消去・廃棄申請書 (Art. 17(2)) and 消去・廃棄証明書／報告書 (Art. 17(4)(5)).

Both are drawn from the recorded rows of one ``DestructionApplication``: the application with the
city's decision in its approval block, and the certificate with one line per medium as it was
actually scanned, destroyed and verified, the photos as thumbnails each with its SHA-256 and the
time in its EXIF beside the server's (a photo without one, or with a camera clock far off, is
flagged here, not silently trusted), the erasure-tool reports by hash, and the people who did,
verified and witnessed it. "Shredded" alone is never printed: every destroy line names its
DIN 66399 / ISO/IEC 21964 level.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from fpdf.enums import WrapMode, XPos, YPos
from PIL import Image, ImageOps

from labels import fonts
from tracker import ledger, vocabulary
from tracker.documents import identified
from tracker.documents.paper import (
    MARGIN,
    PAGE_WIDTH,
    Issue,
    Paper,
    city_addressee,
    city_title,
    contractor_block,
    kind_ja,
    name_of,
    totals_by_kind,
    when,
)
from tracker.models import Attachment, DestructionApplication, DestructionItem, Evidence, Medium, User
from tracker.timeutil import wareki

APPLICATION_ARTICLE = "特記事項 第17条第2項"
CERTIFICATE_ARTICLE = "特記事項 第17条第4項・第5項"
PHOTO_STAGES = ("before", "during", "after")
# Photos are taken on the execution page and sent at once: the camera's time and the server's
# should agree within minutes. A larger gap (a wrong camera clock, a photo taken at another time)
# is flagged on the page and the certificate for the reader to judge.
CLOCK_TOLERANCE_SECONDS = 600
THUMBNAIL_MM = 34.0
THUMBNAIL_PIXELS = 480  # enough for 34 mm at about 350 dpi; keeps the PDF small

APPLICATION_BANNERS = {
    "applied": "市の承認前（申請中）／ not yet approved by the city — preview",
    "rejected": "却下",
    "withdrawn": "承認撤回",
}
CERTIFICATE_BANNER = "未完了（プレビュー）／ destruction not complete — preview"


@dataclass(frozen=True)
class PhotoFlags:
    no_time: bool  # no EXIF DateTimeOriginal: when it was taken is not known
    clock_off: bool  # its time is further than the tolerance from the server's receipt

    @property
    def any(self) -> bool:
        return self.no_time or self.clock_off

    def text(self) -> tuple[str, str]:
        minutes = CLOCK_TOLERANCE_SECONDS // 60
        if self.no_time:
            return ("要確認: 撮影日時（EXIF）なし", "check: no EXIF time in the photo")
        if self.clock_off:
            return (f"要確認: サーバ時刻との差が{minutes}分超", f"check: more than {minutes} min from the server clock")
        return ("", "")


def photo_flags(evidence: Evidence) -> PhotoFlags:
    if evidence.stage not in PHOTO_STAGES:
        return PhotoFlags(False, False)
    return PhotoFlags(no_time=evidence.taken_at is None,
                      clock_off=evidence.clock_skew_seconds is not None and abs(evidence.clock_skew_seconds) > CLOCK_TOLERANCE_SECONDS)


# ---- 消去・廃棄申請書 -----------------------------------------------------------------------------


def application_paper(application: DestructionApplication, issue: Issue, preview: bool = False) -> bytes:
    """The application as PDF bytes; a preview of an undecided application carries the banner."""
    items = _items(application)
    banner = APPLICATION_BANNERS.get(application.status, "")
    paper = Paper(city_title(application.contract, "destruction_application"), "Application for erasure / destruction (Art. 17(2))", issue, application.contract,
                  APPLICATION_ARTICLE, banner=banner if (preview or application.status != "applied") else "")
    contract = application.contract

    paper.heading("1. 申請の内容")
    paper.fields([
        ("申請番号", application.number),
        ("申請日", f"{wareki(application.applied_at)}（{when(application.applied_at)}）"),
        ("宛先", city_addressee(contract)),
        ("受託者", contract.contractor or "—"),
        ("申請者", _person(application.applied_by)),
        ("理由", application.reason),
        ("処理予定日時", f"{wareki(application.scheduled_at)} {when(application.scheduled_at)}"),
        ("処理場所", application.place),
        ("市の立会い", "希望する" if application.witness_requested else "求めない"),
        ("再委託先", _subcontractors(items)),
    ])

    paper.heading("2. 個人情報の項目と媒体")
    paper.fields(_totals(items))
    paper.table(
        ["No.", "媒体ID／製造元・型番・製造番号", "名称", "種類", "件数", "区分・方法", "レベル", "ツール（版）"],
        [[str(number), "\n".join([item.medium.id, *_make(item.medium)]), item.medium.title, kind_ja(item.medium.kind),
          f"{item.medium.record_count:,}", _method(item), item.level or "—", _tool(item)]
         for number, item in enumerate(items, start=1)],
        [7, 32, 30, 19, 14, 32, 12, 34], ["RIGHT", "LEFT", "LEFT", "LEFT", "RIGHT", "LEFT", "LEFT", "LEFT"],
    )

    paper.heading("3. 検証の方法")
    paper.paragraph(application.verification_plan)
    paper.heading("4. 複製・バックアップの扱い")
    paper.paragraph(_copies_statement(application, items))

    paper.heading("5. 承認", keep_with=40)
    paper.fields(_decision_rows(application))
    paper.signatures([
        ("申請者（取扱責任者）", name_of(application.applied_by), f"電子申請 {when(application.applied_at)}"),
        ("承認者（委託者）", name_of(application.decided_by) if application.decided_by else "",
         _decision_stamp(application)),
    ], title="6. 確認")
    return paper.output()


# ---- 消去・廃棄証明書／報告書 -------------------------------------------------------------------------


def certificate(application: DestructionApplication, issue: Issue, attachments_dir: Path) -> bytes:
    """The certificate and report as PDF bytes; before completion every page says it is a preview."""
    items = _items(application)
    evidence = list(Evidence.select(Evidence, Attachment).join(Attachment)
                    .where(Evidence.paper == application.number).order_by(Evidence.uploaded_at, Evidence.key))
    paper = Paper(city_title(application.contract, "destruction_certificate"), "Certificate and report of erasure / destruction (Art. 17(4)(5))", issue,
                  application.contract, CERTIFICATE_ARTICLE,
                  banner="" if application.status == "completed" else CERTIFICATE_BANNER)
    finished = max((item.destroyed_at for item in items if item.destroyed_at), default=None)

    # Issued in the name of the contractor and its responsible person, whoever pressed "complete".
    paper.parties(city_addressee(application.contract),
                  contractor_block(application.contract, f"取扱責任者 {_person(application.applied_by)}"))
    paper.heading("1. 概要")
    paper.fields([
        ("証明書番号", issue.serial),
        ("申請番号", application.number),
        ("承認番号", application.approval_number or "—"),
        ("承認", f"{name_of(application.decided_by)} {when(application.decided_at)}" if application.decided_by else "—"),
        ("処理場所", application.place),
        ("開始", when(application.started_at)),
        ("終了", when(finished)),
        ("完了", when(application.completed_at)),
        ("作業者", _person(application.operator)),
        ("確認者", _person(application.verifier)),
        ("立会人", _witness(application)),
        ("受託者", application.contract.contractor or "—"),
        ("取扱責任者", _person(application.applied_by)),
    ])
    paper.paragraph(
        f"下記の媒体に記録された個人情報を、特記事項第17条及び承認番号 {application.approval_number or '—'} の承認のとおり"
        "消去・廃棄し、判読不可能であることを確認したことを証明し、報告します。"
    )

    paper.heading("2. 媒体")
    paper.fields(_totals(items))
    paper.table(
        ["No.", "媒体ID", "種類", "製造元", "型番", "製造番号", "名称", "件数"],
        [[str(number), item.medium.id, kind_ja(item.medium.kind), item.medium.manufacturer or "—", item.medium.model or "—",
          item.medium.serial_number or "—", item.medium.title, f"{item.medium.record_count:,}"]
         for number, item in enumerate(items, start=1)],
        [7, 26, 20, 22, 24, 27, 40, 14], ["RIGHT"] + ["LEFT"] * 6 + ["RIGHT"],
    )
    scanned = [(item.medium_id, item.identified_by) for item in items if item.scanned_at]
    if scanned:
        paper.paragraph(identified.summary(scanned))

    paper.heading("3. 方法")
    paper.table(
        ["No.", "媒体ID", "区分・方法", "レベル", "ツール（版）", "再委託先", "実施日時", "実施者"],
        [[str(number), item.medium_id, _method(item), item.level or "—", _tool(item), item.subcontractor or "—",
          when(item.destroyed_at).replace(" ", "\n", 1), name_of(item.destroyed_by) if item.destroyed_by else "—"]
         for number, item in enumerate(items, start=1)],
        [7, 26, 32, 12, 33, 22, 24, 24],
    )

    paper.heading("4. 検証と処理後の引渡先")
    paper.table(
        ["No.", "媒体ID", "検証の方法", "検証の結果", "処理後の引渡先"],
        [[str(number), item.medium_id, item.verification_method or "—", item.verification_result or "—", item.destination or "—"]
         for number, item in enumerate(items, start=1)],
        [7, 26, 52, 52, 43],
    )

    photos = [found for found in evidence if found.stage in PHOTO_STAGES]
    paper.heading("5. 写真", keep_with=THUMBNAIL_MM + 4)
    if photos:
        paper.paragraph(f"撮影日時は写真のEXIF（DateTimeOriginal）による。サーバの受信時刻との差が{CLOCK_TOLERANCE_SECONDS // 60}分を超えるもの、"
                        "EXIFのないものは「要確認」と表示する。")
        for photo in photos:
            _photo_block(paper, photo, attachments_dir)
    else:
        paper.paragraph("なし。")

    reports = [found for found in evidence if found.stage == "report"]
    paper.heading("6. 消去ツールの報告書")
    for report in reports:
        _file_lines(paper, [f"{report.attachment.original_name}（{report.attachment.media_type}、{report.attachment.size:,} bytes）"
                            f" {_medium_or_batch(report)} 登録 {when(report.uploaded_at)} {name_of(report.uploaded_by)}"],
                    report.attachment_id)
    if not reports:
        paper.paragraph("なし。")

    paper.heading("7. 複製・バックアップ")
    paper.paragraph(_copies_statement(application, items))

    paper.signatures([
        ("作業者", name_of(application.operator) if application.operator else "", f"開始 {when(application.started_at)}"),
        ("確認者", name_of(application.verifier) if application.verifier else "", f"完了 {when(application.completed_at)}"),
        ("立会人（委託者）", _witness_name(application), _witness_how(application)),
        ("取扱責任者", name_of(application.applied_by), ""),
    ], title="8. 署名")
    signature = next((found for found in evidence if found.stage == "signature"), None)
    if signature is not None:
        _photo_block(paper, signature, attachments_dir, caption="立会人の署名（画面に手書き）")
    return paper.output()


# ---- pieces ------------------------------------------------------------------------------------


def _items(application: DestructionApplication) -> list[DestructionItem]:
    return list(DestructionItem.select(DestructionItem, Medium).join(Medium)
                .where(DestructionItem.application == application.number).order_by(DestructionItem.medium))


def _totals(items: list[DestructionItem]) -> list[tuple[str, str]]:
    pi_items = list(dict.fromkeys(entry for item in items for entry in (item.medium.pi_items or [])))
    per_kind = "、".join(f"{kind} {count}点（{quantity}）" for kind, count, quantity, _records in totals_by_kind([item.medium for item in items]))
    return [
        ("個人情報の項目", "、".join(pi_items) or "—"),
        ("媒体", f"{len(items)} 点：{per_kind}" if items else "—"),
        ("件数", f"{sum(item.medium.record_count for item in items):,} 件"),
    ]


def _method(item: DestructionItem) -> str:
    category = vocabulary.SANITIZATION_CATEGORIES.get(item.category, (item.category, item.category))[0]
    technique = vocabulary.SANITIZATION_TECHNIQUES.get(item.technique, (item.technique, item.technique))[0]
    return f"{category}\n{technique}"


def _tool(item: DestructionItem) -> str:
    return f"{item.tool} {item.tool_version}".strip() or "—"


def _make(medium: Medium) -> list[str]:
    """Manufacturer and model, then the serial number, each on its own line where recorded."""
    return [line for line in (f"{medium.manufacturer} {medium.model}".strip(), medium.serial_number) if line]


def _subcontractors(items: list[DestructionItem]) -> str:
    return "、".join(dict.fromkeys(item.subcontractor for item in items if item.subcontractor)) or "なし（受託者が自ら実施）"


def _copies_statement(application: DestructionApplication, items: list[DestructionItem]) -> str:
    """The applicant's own statement, and the copies on the same application named from the rows."""
    copies = [f"{item.medium.id}（{item.medium.parent_id} の複製）" for item in items if item.medium.parent_id]
    text = application.copies_statement
    if copies:
        text += f"\n本申請に含む複製: {'、'.join(copies)}"
    return text


def _decision_rows(application: DestructionApplication) -> list[tuple[str, str]]:
    status = vocabulary.DESTRUCTION_STATUSES.get(application.status, (application.status, application.status))
    if not application.decided_by:
        return [("判断", "未判断（市記入欄）"), ("承認番号", "")]
    label = "撤回の理由" if application.status == "withdrawn" else (
        "却下の理由" if application.status == "rejected" else "条件")
    return [
        ("判断", f"{status[0]} / {status[1]}"),
        ("判断者", _person(application.decided_by)),
        ("日時", f"{wareki(application.decided_at)} {when(application.decided_at)}"),
        (label, application.decision_note or "なし"),
        ("承認番号", application.approval_number or "—"),
    ]


def _decision_stamp(application: DestructionApplication) -> str:
    if not application.decided_by:
        return "未判断"
    status = vocabulary.DESTRUCTION_STATUSES.get(application.status, (application.status,))[0]
    return f"電子確認（{status}）{when(application.decided_at)}"


def _person(login: str | None) -> str:
    """Name, then organisation and title where recorded (the certificate asks for the title)."""
    if not login:
        return "—"
    user = User.get_or_none(User.login == login)
    if user is None:
        return login
    extra = " ".join(part for part in (user.organisation, user.title) if part)
    return f"{user.name}（{extra}）" if extra else user.name


def _witness_name(application: DestructionApplication) -> str:
    if application.witness:
        return name_of(application.witness)
    return application.witness_name or ""


def _witness_how(application: DestructionApplication) -> str:
    if not application.witnessed_at:
        return "立会いなし" if not application.witness_requested else "未記録"
    how = "本人のログインで確認" if application.witness else "画面に署名"
    return f"{how} {when(application.witnessed_at)}"


def _witness(application: DestructionApplication) -> str:
    if not application.witnessed_at:
        return "立会いの求めなし" if not application.witness_requested else "未記録"
    name = _person(application.witness) if application.witness else application.witness_name
    return f"{name}　{_witness_how(application)}"


def _medium_or_batch(evidence: Evidence) -> str:
    return evidence.medium or "一括"


def _photo_block(paper: Paper, evidence: Evidence, attachments_dir: Path, caption: str = "") -> None:
    """A thumbnail on the left; stage, medium, times and the full SHA-256 on the right."""
    pdf = paper.pdf
    if pdf.will_page_break(THUMBNAIL_MM + 3):
        pdf.add_page()
    top = pdf.get_y()
    height = _thumbnail(pdf, ledger.attachment_path(attachments_dir, evidence.attachment_id), MARGIN, top)
    stage = vocabulary.EVIDENCE_STAGES.get(evidence.stage, (evidence.stage, evidence.stage))
    lines = [caption or f"{stage[0]} / {stage[1]}　{_medium_or_batch(evidence)}"]
    if evidence.stage in PHOTO_STAGES:
        flags = photo_flags(evidence)
        taken = f"撮影 {when(evidence.taken_at)}（差 {evidence.clock_skew_seconds:+,} 秒）" if evidence.taken_at else "撮影日時（EXIF）なし"
        lines.append(f"{taken}　受信 {when(evidence.uploaded_at)} {name_of(evidence.uploaded_by)}")
        if flags.any:
            lines.append(f"{flags.text()[0]} / {flags.text()[1]}")
    pdf.set_xy(MARGIN + THUMBNAIL_MM + 4, top)
    _file_lines(paper, lines, evidence.attachment_id, x=MARGIN + THUMBNAIL_MM + 4)
    pdf.set_y(max(pdf.get_y(), top + height) + 3)


def _file_lines(paper: Paper, lines: list[str], sha256: str, x: float = MARGIN) -> None:
    """Text lines, then the SHA-256 on one line of its own (never wrapped, so it can be searched
    and compared as one string)."""
    pdf = paper.pdf
    width = PAGE_WIDTH - MARGIN - x
    pdf.set_font(fonts.FAMILY, "", 8)
    for line in lines:
        pdf.set_x(x)
        pdf.multi_cell(width, 4, line, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    size = 7.5
    pdf.set_font(fonts.FAMILY, "", size)
    while pdf.get_string_width(f"SHA-256 {sha256}") > width and size > 5:
        size -= 0.5
        pdf.set_font(fonts.FAMILY, "", size)
    pdf.set_x(x)
    pdf.cell(width, 4, f"SHA-256 {sha256}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _thumbnail(pdf, path: Path, x: float, y: float) -> float:
    """A downscaled JPEG of the stored photo at (x, y); returns its height in mm. A file that is
    missing or unreadable is said to be so instead (the verification page says why)."""
    try:
        with Image.open(path) as image:
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
            flat = Image.new("RGB", upright.size, "white")
            flat.paste(upright.convert("RGBA"), mask=upright.convert("RGBA").getchannel("A"))
            buffer = io.BytesIO()
            flat.save(buffer, "JPEG", quality=80)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        pdf.set_font(fonts.FAMILY, "", 7)
        pdf.set_xy(x, y)
        pdf.multi_cell(THUMBNAIL_MM, 4, "（画像を表示できません / image unavailable）", wrapmode=WrapMode.CHAR)
        return 10.0
    width, height = flat.size
    scale = THUMBNAIL_MM / max(width, height)
    pdf.image(buffer, x=x, y=y, w=width * scale, h=height * scale)
    return height * scale
