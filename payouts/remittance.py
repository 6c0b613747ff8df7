"""The remittance advice of a payout: what the partner was paid and why — the statements it
pays and the claw-backs taken from it — as a PDF (fpdf2) or a CSV (``core.exports``).

The PDF embeds a CJK font so Chinese names and labels render: ``REMITTANCE_CJK_FONT`` or the
first CJK font found on the machine. TrueType fonts come first (Debian's ``fonts-wqy-microhei``,
which CI installs): fpdf2 embeds the CFF outlines of Noto/Source Han so that they render but a
reader copying the text gets a NUL before every character. With
no CJK font the advice is still written: in English, with DejaVu Sans (or the PDF core font),
and characters the font lacks are left out rather than failing the download."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from fpdf import FPDF

from core.exports import csv_response, money
from core.money import money_text

from .models import Payout, PayoutLine

CJK_FONT_PATTERNS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/**/wqy-microhei.ttc",
    "/usr/share/fonts/**/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK*-Regular.*",
    "/usr/share/fonts/truetype/noto/NotoSansCJK*-Regular.*",
    "/usr/share/fonts/**/NotoSansCJK*Regular*",
    "/usr/share/fonts/**/NotoSansSC*Regular*",
    "/usr/share/fonts/**/SourceHanSans*Regular*",
    "/System/Library/Fonts/PingFang.ttc",
)
LATIN_FONT_PATTERNS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/**/DejaVuSans.ttf",
)
PDF_CONTENT_TYPE = "application/pdf"


@cache
def _font_file(patterns: tuple[str, ...]) -> str:
    for pattern in patterns:
        for found in sorted(glob.glob(pattern, recursive=True)):
            if Path(found).is_file():
                return found
    return ""


def cjk_font() -> str:
    """The CJK font file the advice embeds ("" when the machine has none)."""
    configured = settings.REMITTANCE_CJK_FONT
    if configured:
        return configured if Path(configured).is_file() else ""
    return _font_file(CJK_FONT_PATTERNS)


@dataclass(frozen=True)
class AdviceLine:
    statement_id: int
    scenario_code: str
    period: str
    kind: str
    amount: object


def advice_lines(payout: Payout, lines: list[PayoutLine]) -> list[AdviceLine]:
    return [
        AdviceLine(
            statement_id=line.statement_id,
            scenario_code=line.statement.scenario_code,
            period=f"{line.statement.period_start:%Y-%m-%d} – {line.statement.period_end:%Y-%m-%d}",
            kind=_("Statement") if line.amount > 0 else _("Claw-back taken"),
            amount=line.amount,
        )
        for line in lines
    ]


def remittance_csv(payout: Payout, lines: list[PayoutLine]) -> HttpResponse:
    rows = [
        [_("Remittance advice"), payout.end_to_end_id],
        [_("Partner"), payout.partner.legal_name or payout.partner.display_name],
        [_("Batch date"), payout.batch.requested_execution_date],
        [_("Status"), payout.get_status_display()],
        [_("Value date"), payout.value_date],
        [_("Bank reference"), payout.bank_reference],
        [_("Amount"), money(payout.amount), payout.currency],
        [],
        [_("Statement"), _("Scenario code"), _("Period"), _("Kind"), _("Amount")],
        *(
            [f"#{line.statement_id}", line.scenario_code, line.period, line.kind, money(line.amount)]
            for line in advice_lines(payout, lines)
        ),
    ]
    return csv_response(rows, filename=f"remittance-{payout.end_to_end_id}.csv")


class _Advice(FPDF):
    def __init__(self, font_file: str, cjk: bool):
        super().__init__(format="A4")
        self.set_auto_page_break(auto=True, margin=15)
        self.font_name = "Helvetica"
        self.unicode_font = bool(font_file)
        if font_file:
            options = {"collection_font_number": 0} if font_file.lower().endswith(".ttc") else {}
            self.add_font("Advice", "", font_file, **options)
            self.font_name = "Advice"
        self.cjk = cjk
        self.add_page()

    def put(
        self, value: str, size: int = 10, *, width: float = 0, align: str = "L", new_line: bool = True
    ) -> None:
        self.set_font(self.font_name, size=size)
        shown = str(value) if self.unicode_font else str(value).encode("latin-1", "replace").decode("latin-1")
        self.cell(
            width,
            7,
            shown,
            align=align,
            new_x="LMARGIN" if new_line else "RIGHT",
            new_y="NEXT" if new_line else "TOP",
        )


def remittance_pdf_bytes(payout: Payout, lines: list[PayoutLine]) -> bytes:
    """The advice as PDF bytes, in the active language when a CJK font is at hand."""
    font = cjk_font()
    if font:
        return _pdf(payout, lines, font, cjk=True)
    # No CJK font: the advice in English with a Latin font, never a failed download.
    with translation.override("en"):
        return _pdf(payout, lines, _font_file(LATIN_FONT_PATTERNS), cjk=False)


def _pdf(payout: Payout, lines: list[PayoutLine], font_file: str, *, cjk: bool) -> bytes:
    pdf = _Advice(font_file, cjk)
    pdf.set_title(f"Remittance advice {payout.end_to_end_id}")
    pdf.put(_("Remittance advice"), 16)
    pdf.ln(3)
    partner = payout.partner
    facts = [
        (_("Partner"), partner.legal_name or partner.display_name),
        (_("End-to-end id"), payout.end_to_end_id),
        (_("Batch"), payout.batch.message_id),
        (_("Batch date"), f"{payout.batch.requested_execution_date:%Y-%m-%d}"),
        (_("Amount"), money_text(payout.amount, payout.currency)),
        (_("Status"), payout.get_status_display()),
        (_("Value date"), f"{payout.value_date:%Y-%m-%d}" if payout.value_date else "—"),
        (_("Bank reference"), payout.bank_reference or "—"),
        (_("Paid to"), str(payout.payee_account)),
    ]
    for label, value in facts:
        pdf.put(label, width=45, new_line=False)
        pdf.put(value)
    pdf.ln(4)
    pdf.put(_("Netting"), 12)
    widths = (22, 45, 55, 35, 33)
    for i, head in enumerate((_("Statement"), _("Scenario code"), _("Period"), _("Kind"), _("Amount"))):
        pdf.put(head, 9, width=widths[i], align="R" if i == 4 else "L", new_line=i == 4)
    for line in advice_lines(payout, lines):
        cells = (f"#{line.statement_id}", line.scenario_code, line.period, line.kind, money_text(line.amount))
        for i, value in enumerate(cells):
            pdf.put(value, 9, width=widths[i], align="R" if i == 4 else "L", new_line=i == 4)
    pdf.put(_("Total"), 9, width=sum(widths[:4]), new_line=False)
    pdf.put(money_text(payout.amount, payout.currency), 9, width=widths[4], align="R")
    return bytes(pdf.output())


def remittance_pdf(payout: Payout, lines: list[PayoutLine]) -> HttpResponse:
    response = HttpResponse(remittance_pdf_bytes(payout, lines), content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"remittance-{payout.end_to_end_id}.pdf"
    )
    return response
