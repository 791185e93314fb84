"""The printable invoice for the village treasurer: one self-contained HTML page in Bahasa Indonesia.

No external assets (village printers are often offline, and nothing should be fetched from elsewhere),
print CSS for A4, dates in the village's own zone. Every value that is not a constant of this module
goes through :func:`_e` (HTML escaping): worker names, venues and references are user input. The page is
served with a Content-Security-Policy that allows no script at all, as a second line behind escaping.

Worker names and masked NIKs come from the registry through the same batch look-up as the invoice
export (:class:`services.funding.registry_client.IdentityDirectory`).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.timeutil import to_area_time, utcnow
from services.common.wilayah import VillageKind, iter_reference_areas, village_kind, zone_abbreviation
from services.funding import invoices, payments, rates
from services.funding.models import FundingAgreement, Invoice, InvoiceLine, Payment, PaymentAllocation
from services.funding.registry_client import IdentityDirectory, WorkerIdentity
from services.funding.statuses import InvoiceStatus
from services.funding.terbilang import rupiah_in_words

# No script, no external fetch of any kind; inline styles only.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

AGENCY = "BPJS Ketenagakerjaan"
AGENCY_LONG = "Badan Penyelenggara Jaminan Sosial Ketenagakerjaan"
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
PROGRAMS = {"JKK": "Jaminan Kecelakaan Kerja", "JKM": "Jaminan Kematian", "JHT": "Jaminan Hari Tua"}
PROGRAM_ORDER = ("JKK", "JKM", "JHT")
SOURCES = {
    "dana_desa": "Dana Desa (APBDes)",
    "apbd_kelurahan": "APBD kota/kabupaten (kelurahan)",
    "csr": "CSR",
    "other": "Sumber lain",
}
STATUSES = {
    InvoiceStatus.draft: "Draf",
    InvoiceStatus.issued: "Terbit",
    InvoiceStatus.partially_paid: "Dibayar sebagian",
    InvoiceStatus.paid: "Lunas",
    InvoiceStatus.overdue: "Lewat jatuh tempo",
    InvoiceStatus.void: "Dibatalkan",
}
VILLAGE_KINDS: dict[VillageKind | None, str] = {
    VillageKind.desa: "Desa",
    VillageKind.desa_adat: "Desa adat",
    VillageKind.kelurahan: "Kelurahan",
}
METHODS = {
    "bank_transfer": "Transfer bank",
    "virtual_account": "Virtual account",
    "cash": "Tunai",
    "giro": "Giro",
}


def _e(value: object) -> str:
    """HTML-escaped text (quotes too, so a value is safe in an attribute as well)."""
    return html.escape(str(value), quote=True)


def rupiah(amount_idr: int) -> str:
    """``16800`` → ``"Rp16.800"`` (Indonesian thousands separator)."""
    sign = "-" if amount_idr < 0 else ""
    return f"{sign}Rp{abs(amount_idr):,}".replace(",", ".")


def tanggal(day: dt.date) -> str:
    """``2026-12-15`` → ``"15 Desember 2026"``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@lru_cache(maxsize=1)
def _area_names() -> dict[str, str]:
    # Loaded once per process on the first print (≈ 90,000 names): the funding database keeps codes only.
    return {area.code: area.name for area in iter_reference_areas()}


def area_name(code: str) -> str | None:
    return _area_names().get(code)


@dataclass(frozen=True)
class WorkerRow:
    """One worker on the invoice: their lines' programs and amounts added up."""

    worker_id: str
    name: str | None
    nik_masked: str | None
    temporary_id: str | None
    programs: tuple[str, ...]
    amount_idr: int
    discount_idr: int
    credited_idr: int


@dataclass(frozen=True)
class PaymentRow:
    paid_on: dt.date
    method: str
    reference: str
    amount_idr: int  # the part of the payment that went to this invoice


@dataclass(frozen=True)
class PrintableInvoice:
    invoice: Invoice
    agreement: FundingAgreement
    workers: list[WorkerRow]
    payments: list[PaymentRow]
    printed_at: dt.datetime
    areas: dict[str, str | None] = field(default_factory=dict)  # village, district, regency, province


def group_by_worker(lines: Sequence[InvoiceLine], identities: dict[str, WorkerIdentity]) -> list[WorkerRow]:
    """A row per worker in line order, programs in JKK, JKM, JHT order."""
    grouped: dict[str, list[InvoiceLine]] = {}
    for line in lines:
        grouped.setdefault(line.worker_id, []).append(line)
    rows: list[WorkerRow] = []
    for worker_id, own in grouped.items():
        who = identities.get(worker_id)
        programs = sorted({line.program for line in own}, key=_program_rank)
        rows.append(
            WorkerRow(
                worker_id=worker_id,
                name=who.name if who else None,
                nik_masked=who.nik_masked if who else None,
                temporary_id=who.temporary_id if who else None,
                programs=tuple(programs),
                amount_idr=sum(line.amount_idr for line in own),
                discount_idr=sum(line.discount_idr for line in own),
                credited_idr=sum(line.credited_idr for line in own),
            )
        )
    return rows


def _program_rank(program: str) -> int:
    return PROGRAM_ORDER.index(program) if program in PROGRAM_ORDER else len(PROGRAM_ORDER)


def payments_of(session: Session, invoice_id: int) -> list[PaymentRow]:
    statement = (
        select(Payment, PaymentAllocation.amount_idr)
        .join(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
        .where(PaymentAllocation.invoice_id == invoice_id)
        .order_by(Payment.paid_on, Payment.id)
    )
    return [
        PaymentRow(paid_on=p.paid_on, method=p.method, reference=p.reference, amount_idr=amount)
        for p, amount in session.execute(statement)
    ]


def load(session: Session, invoice: Invoice, directory: IdentityDirectory) -> PrintableInvoice:
    """Everything the page shows; names from the registry in one batch per 1,000 workers."""
    lines = invoices.lines_of(session, invoice.id)
    worker_ids = sorted({line.worker_id for line in lines})
    identities = directory.fetch_identities(worker_ids) if worker_ids else {}
    agreement = session.get(FundingAgreement, invoice.agreement_id)
    if agreement is None:  # a foreign key: cannot happen short of a broken database
        raise LookupError(f"agreement {invoice.agreement_id} of invoice {invoice.id} is missing")
    code = invoice.village_code
    return PrintableInvoice(
        invoice=invoice,
        agreement=agreement,
        workers=group_by_worker(lines, identities),
        payments=payments_of(session, invoice.id),
        printed_at=utcnow(),
        areas={
            "village": area_name(code),
            "district": area_name(code[:8]),
            "regency": area_name(code[:5]),
            "province": area_name(code[:2]),
        },
    )


_STYLE = """
@page { size: A4; margin: 15mm 15mm 18mm 15mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; font-size: 10pt; color: #000;
       margin: 0 auto; max-width: 180mm; line-height: 1.35; }
header { border-bottom: 2px solid #000; padding-bottom: 4mm; margin-bottom: 5mm; }
header .agency { font-size: 14pt; font-weight: bold; letter-spacing: 0.5pt; }
header .sub { font-size: 9pt; }
h1 { font-size: 13pt; text-align: center; margin: 0 0 4mm; letter-spacing: 1pt; }
table { border-collapse: collapse; width: 100%; }
table.meta td { padding: 0.6mm 2mm 0.6mm 0; vertical-align: top; }
table.meta td.label { width: 38mm; color: #333; }
table.lines { margin-top: 5mm; }
table.lines th, table.lines td { border: 0.5pt solid #555; padding: 1.2mm 1.8mm; vertical-align: top; }
table.lines th { background: #eee; text-align: left; }
table.lines thead { display: table-header-group; }
table.lines tr { page-break-inside: avoid; break-inside: avoid; }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.totals { width: 95mm; margin: 4mm 0 0 auto; }
table.totals td { padding: 0.8mm 1.8mm; }
table.totals tr.grand td { border-top: 1pt solid #000; font-weight: bold; }
.words { margin-top: 3mm; padding: 2mm; border: 0.5pt solid #555; font-style: italic; }
.stamp { display: inline-block; border: 2pt solid #000; padding: 1mm 4mm; font-weight: bold;
         font-size: 12pt; letter-spacing: 2pt; }
section { margin-top: 6mm; page-break-inside: avoid; break-inside: avoid; }
h2 { font-size: 11pt; margin: 0 0 2mm; }
ol { margin: 0; padding-left: 5mm; }
footer { margin-top: 8mm; font-size: 8pt; color: #333; border-top: 0.5pt solid #999; padding-top: 2mm; }
.muted { color: #555; }
@media screen { body { margin: 10mm auto; } }
@media print { .noprint { display: none; } }
"""


def _worker_cells(row: WorkerRow) -> str:
    if row.name is None:
        who = f'<span class="muted">(tidak ditemukan di registry: {_e(row.worker_id)})</span>'
    else:
        who = _e(row.name)
    if row.nik_masked:
        identity = _e(row.nik_masked)
    elif row.temporary_id:
        identity = f"ID sementara {_e(row.temporary_id)}"
    else:
        identity = '<span class="muted">-</span>'
    return f"<td>{who}</td><td>{identity}</td>"


def render(data: PrintableInvoice) -> str:
    """The whole page."""
    invoice, agreement = data.invoice, data.agreement
    code = invoice.village_code
    zone = zone_abbreviation(code)
    period = rates.period_from_index(invoice.period_idx)
    period_text = f"{MONTHS[period.month - 1]} {period.year}"
    issued_on = to_area_time(invoice.created_at, code).date()
    printed = to_area_time(data.printed_at, code)
    void = invoice.status == InvoiceStatus.void
    outstanding = 0 if void else payments.outstanding(invoice)
    status = STATUSES.get(InvoiceStatus(invoice.status), invoice.status)
    village = data.areas.get("village") or code
    kind = VILLAGE_KINDS.get(village_kind(code), "Desa/kelurahan")
    place = ", ".join(
        part
        for part in (
            f"Kecamatan {data.areas['district']}" if data.areas.get("district") else None,
            data.areas.get("regency"),
            data.areas.get("province"),
        )
        if part
    )

    rows = "\n".join(
        f'<tr><td class="num">{n}</td>{_worker_cells(row)}'
        f"<td>{_e(', '.join(row.programs))}</td>"
        f'<td class="num">{_e(rupiah(row.amount_idr))}</td></tr>'
        for n, row in enumerate(data.workers, start=1)
    )
    if not rows:
        rows = '<tr><td colspan="5" class="muted">Tidak ada baris tagihan.</td></tr>'
    discount = sum(row.discount_idr for row in data.workers)

    totals = [
        ("Jumlah iuran", rupiah(invoice.total_idr), ""),
    ]
    if invoice.credited_idr:
        totals.append(("Dikurangi nota kredit", rupiah(-invoice.credited_idr), ""))
    totals.append(("Sudah dibayar", rupiah(invoice.paid_idr), ""))
    totals.append(("Sisa tagihan", rupiah(outstanding), "grand"))
    totals_html = "\n".join(
        f'<tr{f" class={cls}" if cls else ""}><td>{_e(label)}</td><td class="num">{_e(value)}</td></tr>'
        for label, value, cls in totals
    )

    if data.payments:
        paid_rows = "\n".join(
            f"<tr><td>{_e(tanggal(p.paid_on))}</td><td>{_e(METHODS.get(p.method, p.method))}</td>"
            f'<td>{_e(p.reference)}</td><td class="num">{_e(rupiah(p.amount_idr))}</td></tr>'
            for p in data.payments
        )
        payments_html = f"""
<section>
  <h2>Pembayaran yang sudah diterima</h2>
  <table class="lines">
    <thead><tr><th>Tanggal bayar</th><th>Cara</th><th>Nomor SP2D / referensi</th>
      <th class="num">Jumlah untuk tagihan ini</th></tr></thead>
    <tbody>
{paid_rows}
    </tbody>
  </table>
</section>"""
    else:
        payments_html = ""

    if void:
        stamp = '<p><span class="stamp">DIBATALKAN</span> Tagihan ini dibatalkan dan tidak perlu dibayar.</p>'
    elif outstanding == 0:
        stamp = '<p><span class="stamp">LUNAS</span></p>'
    else:
        stamp = ""

    discount_note = (
        f'<p class="muted">Termasuk potongan iuran JKK/JKM (PP 50/2025) sebesar {_e(rupiah(discount))}.</p>'
        if discount
        else ""
    )

    instructions = (
        ""
        if void or outstanding == 0
        else f"""
<section>
  <h2>Cara pembayaran</h2>
  <ol>
    <li>Bayarkan <strong>{_e(rupiah(outstanding))}</strong> paling lambat
      <strong>{_e(tanggal(invoice.due_date))}</strong>.</li>
    <li>Tuliskan nomor tagihan <strong>{_e(invoice.number)}</strong> sebagai berita/keterangan
      pembayaran.</li>
    <li>Setelah SP2D terbit, catat pembayaran di sistem desa dengan nomor SP2D sebagai referensi
      (satu nomor SP2D hanya dapat dipakai sekali per desa/kelurahan).</li>
    <li>Iuran dibayar di muka untuk bulan yang dilindungi; tunggakan lebih dari 3 bulan menghentikan
      perlindungan pekerja.</li>
  </ol>
</section>"""
    )

    return f"""<!DOCTYPE html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tagihan {_e(invoice.number)}</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
  <div class="agency">{_e(AGENCY)}</div>
  <div class="sub">{_e(AGENCY_LONG)}: iuran peserta Bukan Penerima Upah (BPU) yang dibiayai pemerintah
    desa/kelurahan</div>
</header>
<h1>TAGIHAN IURAN</h1>
{stamp}
<table class="meta">
  <tr><td class="label">Nomor tagihan</td><td><strong>{_e(invoice.number)}</strong></td></tr>
  <tr><td class="label">{_e(kind)}</td><td>{_e(village)} ({_e(code)})</td></tr>
  <tr><td class="label">Wilayah</td><td>{_e(place)}</td></tr>
  <tr><td class="label">Periode</td><td>{_e(period_text)}</td></tr>
  <tr><td class="label">Tanggal terbit</td><td>{_e(tanggal(issued_on))}</td></tr>
  <tr><td class="label">Jatuh tempo</td><td>{_e(tanggal(invoice.due_date))}</td></tr>
  <tr><td class="label">Status</td><td>{_e(status)}</td></tr>
  <tr><td class="label">Sumber dana</td><td>{_e(SOURCES.get(agreement.source, agreement.source))},
    {_e(agreement.legal_reference)} (tahun anggaran {_e(agreement.fiscal_year)})</td></tr>
</table>

<table class="lines">
  <thead><tr><th class="num">No.</th><th>Nama pekerja</th><th>NIK</th><th>Program</th>
    <th class="num">Iuran</th></tr></thead>
  <tbody>
{rows}
  </tbody>
</table>
{discount_note}
<table class="totals">
{totals_html}
</table>
<div class="words">Terbilang (sisa tagihan): {_e(rupiah_in_words(outstanding))}</div>
{payments_html}
{instructions}
<section class="muted">
  Program: {_e("; ".join(f"{k} = {v}" for k, v in PROGRAMS.items()))}.
  NIK ditampilkan tersamar untuk melindungi data pribadi.
</section>
<footer>
  Dicetak {_e(f"{tanggal(printed.date())} pukul {printed:%H.%M} {zone}")} dari Sasar.
  Tagihan nomor {_e(invoice.number)}, {_e(len(data.workers))} pekerja.
</footer>
</body>
</html>
"""
