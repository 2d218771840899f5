"""Invite in another way: one invitation as a printable A4/Letter-friendly PDF page (fpdf2), with the Join
link as a QR code (segno) drawn as vector squares, so it prints sharp at any size.

The page carries the district's name, the person's name, the join code to type and the link to scan. Its
content stream is left uncompressed: a page of text and squares is small either way, and the code stays
findable in the bytes (tests and document search read it).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime

import segno
from fpdf import FPDF

PAGE_WIDTH_MM = 210  # A4; the content fits the narrower of A4 and Letter
MARGIN_MM = 20
QR_SIZE_MM = 70


def printable_invitation_pdf(invitation: Mapping) -> bytes:
    """`invitation` as notify.PrintableInvitation answers it."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_compression(False)
    pdf.set_title(_text(f"Invitation to join {invitation['district_name']}"))
    pdf.set_margins(MARGIN_MM, MARGIN_MM)
    pdf.add_page()
    width = PAGE_WIDTH_MM - 2 * MARGIN_MM

    pdf.set_font("Helvetica", "B", 22)
    pdf.multi_cell(width, 11, _text(invitation["district_name"]), align="C")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 14)
    name = f"{invitation['given_name']} {invitation['family_name']}".strip()
    pdf.multi_cell(width, 8, _text(f"An invitation to join, for {name}"), align="C")
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(width, 6, "Scan the code with your phone's camera to open your Join page, choose a password "
                             "and your language. Or go to the Join page and type the join code below.", align="C")
    pdf.ln(6)
    _draw_qr(pdf, invitation["join_url"], x=(PAGE_WIDTH_MM - QR_SIZE_MM) / 2, y=pdf.get_y(), size=QR_SIZE_MM)
    pdf.set_y(pdf.get_y() + QR_SIZE_MM + 8)
    pdf.set_font("Helvetica", "", 12)
    pdf.cell(width, 7, "Join code", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Courier", "B", 26)
    pdf.cell(width, 14, _text(invitation["join_code"]), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(width, 5, _text(invitation["join_url"]), align="C")
    pdf.ln(3)
    pdf.multi_cell(width, 5, f"This invitation can be used once and is valid until {_day(invitation['expires_at'])}.",
                   align="C")
    return bytes(pdf.output())


def _draw_qr(pdf: FPDF, url: str, *, x: float, y: float, size: float) -> None:
    code = segno.make(url, error="m", micro=False)
    rows = list(code.matrix_iter(scale=1, border=4))
    module = size / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for row_number, row in enumerate(rows):
        start = None
        for column, dark in enumerate([*row, False]):  # runs of dark modules as one rectangle each
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                pdf.rect(x + start * module, y + row_number * module, (column - start) * module, module, style="F")
                start = None


def _text(value: str) -> str:
    """What the PDF's core fonts can show (Latin-1): accents kept where they exist there, others simplified."""
    try:
        value.encode("latin-1")
        return value
    except UnicodeEncodeError:
        decomposed = unicodedata.normalize("NFKD", value)
        simple = "".join(char for char in decomposed if not unicodedata.combining(char))
        return unicodedata.normalize("NFC", simple).encode("latin-1", "replace").decode("latin-1")


def _day(moment: datetime | str) -> str:
    parsed = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return parsed.strftime("%B %-d, %Y")
