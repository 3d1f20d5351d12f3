"""The pledge forms (誓約書, Art. 11) as the city's own form lays them out, printed for signing by hand.

Not an issued paper (no serial, no ledger head): a blank to be signed, like the form the city
attaches to its provisions. Following the seed's layout: the title spaced out (誓 約 書), the
addressee (the profile's: 小金井市長 様), the text exactly as the profile holds it, the date in
the profile's calendar, then — for the responsible person's form — 会社名 and one signature line
with its caption, or — for the workers' form — several signature lines under 「（従事者氏名）
※必ず自署願います。」. The names are printed small under each line so the right person signs
it; the signature itself stays handwritten. A small line at the foot names the contract, the
form and the SHA-256 of its text, so an uploaded sheet can be matched with what was signed.
"""

from __future__ import annotations

from datetime import date

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from labels import fonts
from tracker.models import Contract
from tracker.provisions import PledgeForm, Profile
from tracker.timeutil import wareki

MARGIN = 22.0
BODY_PT = 10.5
LINE = 6.2
WORKER_LINES = 8  # the seed's worker form has eight signature lines


def pledge_form(profile: Profile, form: PledgeForm, contract: Contract, text: str, sha256: str,
                names: list[str], day: date | None = None) -> bytes:
    """The form ``form`` for ``contract``, with ``names`` (who is to sign it) printed under the lines."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(MARGIN, 20, MARGIN)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(f"{form.title} {contract.code}")
    pdf.set_creator("mediatrail")
    pdf.set_lang("ja")
    fonts.add_japanese_font(pdf)
    pdf.add_page()

    pdf.set_font(fonts.FAMILY, "B", 18)
    pdf.cell(0, 12, " ".join(profile.papers.titles.pledge.replace(" ", "")), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_font(fonts.FAMILY, "", 12)
    pdf.cell(0, 8, profile.addressee(contract.client), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(5)

    pdf.set_font(fonts.FAMILY, "", BODY_PT)
    paragraphs = [part.strip() for part in text.split("\n\n") if part.strip()]
    for index, paragraph in enumerate(paragraphs):
        # The preamble is indented as on the form; numbered items hang from their number.
        indent = "　" if index == 0 else ""
        pdf.multi_cell(0, LINE, indent + paragraph.replace("\n", ""), wrapmode=WrapMode.CHAR,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2.5)

    pdf.ln(4)
    pdf.cell(0, LINE, _date_line(profile, day), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(5)
    if form.company_line:
        pdf.cell(0, LINE, f"会社名　{contract.contractor}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(5)
    if len(form.for_roles) == 1 and form.for_roles[0] == "responsible":
        _signature_line(pdf, _caption_head(form.signer_caption), names[0] if names else "")
        pdf.set_font(fonts.FAMILY, "", 9)
        pdf.cell(0, 5, _caption_tail(form.signer_caption), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
        pdf.cell(0, 5, "※ 責任者氏名は必ず自署願います。", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.set_font(fonts.FAMILY, "", BODY_PT)
        pdf.cell(0, LINE, f"（{form.signer_caption}）※必ず自署願います。", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
        for index in range(max(WORKER_LINES, len(names))):
            _signature_line(pdf, "", names[index] if index < len(names) else "")

    pdf.set_auto_page_break(False)  # the foot line sits inside the bottom margin of the last page
    pdf.set_y(-16)
    pdf.set_font(fonts.FAMILY, "", 6.5)
    pdf.set_text_color(110)
    pdf.multi_cell(0, 3, f"mediatrail 契約 {contract.code}　様式 {form.id}　文面 SHA-256 {sha256}", wrapmode=WrapMode.CHAR)
    return bytes(pdf.output())


def _signature_line(pdf: FPDF, caption: str, printed_name: str) -> None:
    """A line to sign on, with the caption before it and the expected name in small type below."""
    pdf.set_font(fonts.FAMILY, "", BODY_PT)
    pdf.ln(6)
    start = pdf.l_margin + (40 if caption else 20)
    if caption:
        pdf.cell(40, LINE, caption)
    pdf.line(start, pdf.get_y() + LINE, pdf.w - pdf.r_margin, pdf.get_y() + LINE)
    pdf.ln(LINE + 0.5)
    if printed_name:
        pdf.set_font(fonts.FAMILY, "", 7)
        pdf.set_x(start)
        pdf.cell(0, 3.5, f"（{printed_name}）", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.ln(3.5)


def _date_line(profile: Profile, day: date | None) -> str:
    if day is None:
        return "令和　　年　　月　　日" if profile.papers.calendar == "wareki" else "　　　　年　　月　　日"
    if profile.papers.calendar == "wareki":
        return wareki(day)
    return f"{day.year}年{day.month}月{day.day}日"


def _caption_head(caption: str) -> str:
    """「責任者氏名（個人情報保護責任者・業務責任者）」 → 「責任者氏名」, printed before the line."""
    return caption.split("（", 1)[0]


def _caption_tail(caption: str) -> str:
    return "（" + caption.split("（", 1)[1] if "（" in caption else ""
