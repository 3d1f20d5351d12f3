"""The page every mediatrail paper is printed on: A4 portrait, Japanese first, English small.

Each page repeats what a reader needs to place it without the others: the title, the document
number and issue date (和暦 as on municipal forms, plus JST), the contract and the article of the
特記事項 it fulfils; and at the foot the page count, the ledger position and full head hash it
was made from, and a vector QR code of the verification URL. A single page found in a folder
can therefore still be checked against the ledger.

Output is deterministic (same rows, same :class:`Issue` → identical bytes): the creation date is
the issue time, fpdf2's /ID is an MD5 of the content plus that date, and the embedded font
subset keeps the font's own timestamp. Re-rendering an issued paper thus reproduces the
attachment's SHA-256.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from fpdf import FPDF, FontFace
from fpdf.enums import WrapMode, XPos, YPos

from labels import fonts
from labels.symbols import dark_rectangles, qr_matrix
from tracker import vocabulary
from tracker.models import Contract, User
from tracker.timeutil import format_jst, from_iso, to_jst, wareki

PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0  # A4, mm
MARGIN = 15.0
TOP = 12.0
FOOTER_HEIGHT = 30.0  # the body stops this far above the page's bottom edge
QR_SIZE = 18.0  # mm: about 0.5 mm modules for a typical verification URL, easy for a phone

BODY_PT = 9.0
SMALL_PT = 7.0
LINE = 4.6  # mm per body line
CELL_PADDING = 1.0
SIGNATURE_ROW = 16.0  # mm: room for a 印 or a handwritten signature
SEAL_BOX = 16.0  # mm: the square a company or official seal (印) is pressed into
SHADE = (235, 235, 235)
BANNER_RED = (190, 0, 0)


@dataclass(frozen=True)
class Issue:
    """What every paper prints about itself; the caller records the same values as a Document."""

    serial: str  # document number, e.g. "KG26-D00003", never reused
    head_seq: int  # ledger position it was made from
    head_hash: str  # 64-hex ledger head hash
    verify_url: str  # printed as a vector QR + text; opens the verification page
    issued_at: str  # UTC ISO string like "2026-11-25T13:45:00.000000Z"
    issued_by: str  # name of the person who issued it
    checkpoint: str = ""  # signed checkpoint note of (head_seq, head_hash) at issued_at; none on a preview


def city_title(contract: Contract, paper_kind: str) -> str:
    """The paper's title as the contract's city names it (its provision profile's ``papers.titles``)."""
    from tracker.workflows import profiles  # papers are drawn inside workflows: imported when used

    return getattr(profiles.for_contract(contract).papers.titles, paper_kind)


def city_addressee(contract: Contract) -> str:
    """「小金井市長 様（市民税課）」: the head of the client as the contract's provisions address it."""
    from tracker.workflows import profiles

    section = f"（{contract.client_section}）" if contract.client_section else ""
    return profiles.for_contract(contract).addressee(contract.client) + section


class Paper:
    """One paper being written: call the section methods in reading order, then :meth:`output`.

    ``banner`` (e.g. 「未確定（双方の確認前）」) is printed in red on every page, so a preview
    page cannot be mistaken for the issued paper even when separated from the first one.
    """

    def __init__(self, title_ja: str, title_en: str, issue: Issue, contract: Contract, article: str, banner: str = ""):
        self.title_ja = title_ja
        self.title_en = title_en
        self.issue = issue
        self.contract = contract
        self.article = article
        self.banner = banner
        self.pdf = _PagedPDF(self)
        self.pdf.add_page()

    # ---- body sections -------------------------------------------------------------------------

    def parties(self, addressee: str, issuer: list[str], seal: str = "印") -> None:
        """The addressee at the left (「小金井市長 様」) and the issuer's block at the right —
        address, name, representative — with a square for the seal, as Japanese office papers
        open. Kept on the first page with what follows it."""
        pdf = self.pdf
        top = pdf.get_y() + 1
        pdf.set_font(fonts.FAMILY, "B", 11)
        pdf.set_xy(MARGIN, top)
        pdf.multi_cell(80, 6, addressee, wrapmode=WrapMode.WORD, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        left_bottom = pdf.get_y()
        block_width = 78.0
        x = PAGE_WIDTH - MARGIN - SEAL_BOX - 2 - block_width
        pdf.set_font(fonts.FAMILY, "", BODY_PT)
        pdf.set_xy(x, top)
        for line in [line for line in issuer if line]:
            pdf.set_x(x)
            pdf.multi_cell(block_width, LINE, line, wrapmode=WrapMode.WORD, new_x=XPos.LEFT, new_y=YPos.NEXT)
        block_bottom = pdf.get_y()
        box_x, box_y = PAGE_WIDTH - MARGIN - SEAL_BOX, top
        pdf.set_draw_color(0)
        pdf.set_line_width(0.2)
        pdf.rect(box_x, box_y, SEAL_BOX, SEAL_BOX)
        pdf.set_font(fonts.FAMILY, "", SMALL_PT)
        pdf.set_text_color(120)
        pdf.set_xy(box_x, box_y + SEAL_BOX / 2 - 1.5)
        pdf.cell(SEAL_BOX, 3, seal, align="C")
        pdf.set_text_color(0)
        pdf.set_font(fonts.FAMILY, "", BODY_PT)
        pdf.set_xy(MARGIN, max(left_bottom, block_bottom, box_y + SEAL_BOX) + 3)

    def heading(self, text: str, keep_with: float = LINE * 4) -> None:
        """A section heading, moved to the next page unless ``keep_with`` mm of what follows fit
        under it: a heading is never left alone at the bottom of a page."""
        pdf = self.pdf
        if pdf.will_page_break(10 + keep_with):
            pdf.add_page()
        pdf.ln(2)
        pdf.set_font(fonts.FAMILY, "B", 10.5)
        pdf.multi_cell(0, 6, japanese_only(text), wrapmode=WrapMode.WORD, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(120)
        pdf.set_line_width(0.3)
        pdf.line(MARGIN, pdf.get_y(), PAGE_WIDTH - MARGIN, pdf.get_y())
        pdf.ln(1.5)

    def fields(self, rows: list[tuple[str, str]], label_width: float = 50.0) -> None:
        """Label/value pairs as a two-column table; long values wrap inside their cell."""
        value_width = PAGE_WIDTH - 2 * MARGIN - label_width
        self._grid(None, [[japanese_only(label), value] for label, value in rows], [label_width, value_width], shade_first_column=True)

    def table(
        self,
        headers: list[str],
        rows: list[list[str]],
        widths: list[float],
        align: Sequence[str] | None = None,
    ) -> None:
        """A table of ``widths`` mm columns; cells wrap, and headers repeat on every page it spans.

        ``align`` gives each column's alignment ("LEFT", "CENTER", "RIGHT"; counts read best right).
        """
        self._grid([japanese_only(header) for header in headers], rows, widths, align=align)

    def paragraph(self, text: str) -> None:
        pdf = self.pdf
        pdf.set_font(fonts.FAMILY, "", BODY_PT)
        pdf.multi_cell(0, LINE, text, wrapmode=WrapMode.WORD, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    def signatures(self, parties: list[tuple[str, str, str]], title: str = "") -> None:
        """(role, name, how/when confirmed) per party, each with an empty box for 印 or a signature.

        The electronic confirmation is printed; the box is for the paper copy the city files.
        With ``title``, the heading and the whole block stay together on one page.
        """
        if title:
            self.heading(title, keep_with=SIGNATURE_ROW * (len(parties) + 1))
        rows = [[role, name, how, ""] for role, name, how in parties]
        self._grid(["立場", "氏名", "確認", "印・署名"], rows,
                   [38, 42, 70, 30], min_row_height=SIGNATURE_ROW)

    def output(self) -> bytes:
        return bytes(self.pdf.output())

    # ---- page furniture (called by _PagedPDF) -------------------------------------------------

    def draw_header(self) -> None:
        pdf, issue, contract = self.pdf, self.issue, self.contract
        pdf.set_text_color(0)
        pdf.set_xy(MARGIN, TOP)
        pdf.set_font(fonts.FAMILY, "B", 15)
        pdf.multi_cell(112, 7, self.title_ja, wrapmode=WrapMode.WORD, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        title_bottom = pdf.get_y()  # the English title stays in the PDF's metadata (subject), not on the Japanese page

        right = 70.0
        pdf.set_text_color(0)
        pdf.set_xy(PAGE_WIDTH - MARGIN - right, TOP)
        for text, bold in (
            (f"文書番号 {issue.serial}", True),
            (f"発行日 {wareki(issue.issued_at)}", False),
            (format_jst(issue.issued_at), False),
        ):
            pdf.set_font(fonts.FAMILY, "B" if bold else "", 8.5 if bold else 8)
            pdf.set_x(PAGE_WIDTH - MARGIN - right)
            pdf.cell(right, 4, text, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(max(title_bottom, pdf.get_y()) + 1)

        pdf.set_font(fonts.FAMILY, "", 8)
        for line in _contract_lines(contract, self.article):
            pdf.multi_cell(0, 3.8, line, wrapmode=WrapMode.WORD, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.banner:
            pdf.ln(1)
            pdf.set_font(fonts.FAMILY, "B", 11)
            pdf.set_text_color(*BANNER_RED)
            pdf.set_draw_color(*BANNER_RED)
            pdf.set_line_width(0.6)
            pdf.multi_cell(0, 7, japanese_only(self.banner), border=1, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0)
        pdf.set_draw_color(0)
        pdf.set_line_width(0.4)
        pdf.line(MARGIN, pdf.get_y() + 1, PAGE_WIDTH - MARGIN, pdf.get_y() + 1)
        pdf.set_y(pdf.get_y() + 3)
        pdf.set_font(fonts.FAMILY, "", BODY_PT)

    def draw_footer(self) -> None:
        pdf, issue = self.pdf, self.issue
        top = PAGE_HEIGHT - FOOTER_HEIGHT + 4
        pdf.set_draw_color(150)
        pdf.set_line_width(0.2)
        pdf.line(MARGIN, top - 1.5, PAGE_WIDTH - MARGIN, top - 1.5)
        draw_qr(pdf, issue.verify_url, MARGIN, top, QR_SIZE)

        text_x, text_w = MARGIN + QR_SIZE + 3, 125.0
        pdf.set_text_color(0)
        pdf.set_xy(text_x, top)
        pdf.set_font(fonts.FAMILY, "", SMALL_PT)
        pdf.cell(text_w, 3.2, "真正性の確認（どなたでも照合できます）:", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.multi_cell(text_w, 3.2, issue.verify_url, wrapmode=WrapMode.WORD, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(fonts.FAMILY, "", 6)
        pdf.multi_cell(text_w, 3.0, f"台帳 #{issue.head_seq} {issue.head_hash}{_signature_mark(issue)}", wrapmode=WrapMode.WORD,
                       new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(fonts.FAMILY, "", SMALL_PT)
        # Who pressed the button, not the paper's issuer: the issuer is named in the body (parties).
        pdf.cell(text_w, 3.2, f"作成操作 {issue.issued_by}　{issue.serial}　時刻は日本時間", new_x=XPos.LEFT, new_y=YPos.NEXT)

        pdf.set_font(fonts.FAMILY, "", 8)
        pdf.set_xy(PAGE_WIDTH - MARGIN - 25, top)
        pdf.cell(25, 4, f"{pdf.page_no()} / {{nb}}", align="R")

    # ---- helpers -------------------------------------------------------------------------------

    def _grid(
        self,
        headers: list[str] | None,
        rows: list[list[str]],
        widths: list[float],
        *,
        align: Sequence[str] | None = None,
        shade_first_column: bool = False,
        min_row_height: float | None = None,
    ) -> None:
        """fpdf2's table, set up once for every paper: CJK wraps by character, no justification."""
        pdf = self.pdf
        pdf.set_font(fonts.FAMILY, "", BODY_PT if headers is None else 8)
        pdf.set_draw_color(0)
        pdf.set_line_width(0.2)
        shaded = FontFace(emphasis="BOLD", fill_color=SHADE)
        with pdf.table(
            col_widths=tuple(widths),
            width=min(sum(widths), PAGE_WIDTH - 2 * MARGIN),
            align="LEFT",
            v_align="TOP",  # a row's first line then holds every short value, as a reader scans it
            first_row_as_headings=headers is not None,
            headings_style=shaded,
            repeat_headings=1,
            text_align=tuple(align) if align else "LEFT",
            wrapmode=WrapMode.WORD,
            line_height=pdf.font_size * 1.45,
            padding=CELL_PADDING,
        ) as grid:
            if headers is not None:
                grid.row(headers)
            for values in rows:
                row = grid.row(min_height=min_row_height)
                for index, value in enumerate(values):
                    row.cell("" if value is None else str(value), style=shaded if shade_first_column and index == 0 else None)
        pdf.ln(2)


def draw_qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    """Vector QR code of ``text``, ``size`` mm square with its top-left corner at (x, y).

    One filled path in module units (as the labels draw theirs): no raster to blur, and no
    seams between modules when a viewer anti-aliases.
    """
    matrix = qr_matrix(text, "M")
    module = size / len(matrix)
    transform = f"{module * pdf.k:.4f} 0 0 {-module * pdf.k:.4f} {x * pdf.k:.3f} {(pdf.h - y) * pdf.k:.3f} cm"
    path = " ".join(f"{col} {row} {w} {h} re" for col, row, w, h in dark_rectangles(matrix))
    pdf._out(f"q 0 g {transform} {path} f Q")  # noqa: SLF001 - raw vector path, see docstring


def _signature_mark(issue: Issue) -> str:
    """After the head on every page: the start of the checkpoint's signature, which the reader
    finds in the full note embedded in the PDF (``checkpoint.txt``) and in the city's copies."""
    if not issue.checkpoint:
        return ""
    signature = issue.checkpoint.rstrip("\n").rsplit(" ", 1)[-1]
    return f"　署名 {signature[:16]}…"


def _contract_lines(contract: Contract, article: str) -> list[str]:
    number = f"　契約番号 {contract.contract_number}" if contract.contract_number else ""
    client = f"{contract.client} {contract.client_section}".strip()
    return [
        f"契約 {contract.code}　{contract.title}{number}",
        f"委託者 {client}　／　受託者 {contract.contractor or '—'}",
        f"根拠 {article}",
    ]


class _PagedPDF(FPDF):
    """FPDF whose header and footer are the owning :class:`Paper`'s."""

    def __init__(self, paper: Paper):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.paper = paper
        issue = paper.issue
        self.set_margins(MARGIN, TOP, MARGIN)
        self.set_auto_page_break(True, margin=FOOTER_HEIGHT)
        self.set_creation_date(from_iso(issue.issued_at))
        self.set_title(f"{paper.title_ja} {issue.serial}")
        self.set_subject(f"{paper.title_en} / {paper.contract.code} / {paper.article}")
        self.set_author(issue.issued_by)
        self.set_creator("mediatrail")
        self.set_lang("ja")
        fonts.add_japanese_font(self)
        self.set_font(fonts.FAMILY, "", BODY_PT)
        if issue.checkpoint:
            # The whole signed note rides along as an attachment: the reader can save it and check
            # the ledger against it later (`mediatrail verify --checkpoint checkpoint.txt`).
            issued = from_iso(issue.issued_at)
            self.embed_file(bytes=issue.checkpoint.encode(), basename="checkpoint.txt", mime_type="text/plain",
                            creation_date=issued, modification_date=issued,
                            desc="mediatrail signed checkpoint (C2SP tlog-checkpoint note)")

    def header(self) -> None:
        self.paper.draw_header()

    def footer(self) -> None:
        self.paper.draw_footer()


# ---- wording shared by the papers --------------------------------------------------------------


def name_of(login: str | None) -> str:
    """A person's name as printed, from their login; the login itself if no such user (never blank)."""
    if not login:
        return "—"
    user = User.get_or_none(User.login == login)
    return user.name if user else login


def kind_ja(kind: str) -> str:
    return vocabulary.MEDIUM_KINDS.get(kind, (kind, kind))[0]


def quantity_of(medium) -> str:
    """「1,200枚」「1個」: a quantity with its kind's counting word."""
    return f"{medium.quantity:,}{vocabulary.MEDIUM_UNITS.get(medium.kind, '点')}"


def totals_by_kind(media: list) -> list[tuple[str, int, str, int]]:
    """(kind in Japanese, media, quantity with its unit, records) per kind, in the vocabulary's
    order: sheets and sticks are counted apart, never summed into one number."""
    rows = []
    for kind in vocabulary.MEDIUM_KINDS:
        of_kind = [medium for medium in media if medium.kind == kind]
        if of_kind:
            quantity = sum(medium.quantity for medium in of_kind)
            rows.append((kind_ja(kind), len(of_kind), f"{quantity:,}{vocabulary.MEDIUM_UNITS.get(kind, '点')}",
                         sum(medium.record_count for medium in of_kind)))
    return rows


def contractor_block(contract: Contract, *extra: str) -> list[str]:
    """The contractor as it signs a paper: address, company, representative (代表者), then ``extra``
    lines (e.g. its responsible person)."""
    representative = " ".join(part for part in (contract.contractor_representative_title, contract.contractor_representative) if part)
    return [contract.contractor_address, contract.contractor or "（受託者名未登録）",
            representative or "代表者（未登録）", *extra]


def contractor_addressee(contract: Contract) -> str:
    """「株式会社武蔵野データサービス 代表取締役 武蔵野 一郎 様」, or 「… 御中」 without a representative."""
    company = contract.contractor or "受託者"
    if contract.contractor_representative:
        title = f" {contract.contractor_representative_title}" if contract.contractor_representative_title else ""
        return f"{company}{title} {contract.contractor_representative} 様"
    return f"{company} 御中"


def when(value: str | None) -> str:
    """An ISO time as ``令和8年11月25日 22時45分`` (Japan time, as the footer says), or a dash for
    something that has not happened. Date and time are separate words, so a line breaks between
    them and never inside either."""
    if not value:
        return "—"
    moment = to_jst(value)
    return f"{wareki(moment)} {moment.hour}時{moment.minute:02d}分"


def japanese_only(text: str) -> str:
    """An authored label without its English gloss: 「1. 概要 / summary」 → 「1. 概要」. Only a
    slash followed by a space and a Latin letter starts a gloss (「媒体ID／製造番号」 stays)."""
    return _GLOSS.sub("", text)


_GLOSS = re.compile(r"\s*[/／]\s+[A-Za-z(].*$")
