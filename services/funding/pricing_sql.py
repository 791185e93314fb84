"""The SQL twin of :func:`services.funding.pricing.quote`, for set-based billing and budgets.

:func:`priced_lines` wraps a *source* query yielding ``(agreement_id, worker_id, period_idx)`` rows and
prices one line per programme with the schedule in force for that month, exactly as ``quote`` does
(tests compare both over many incomes, occupations, sources and months):

- JKK = clamp(round_half_up(income x rate_bp / 10000), min, max); JKM = flat; JHT = round_half_up(income x
  rate_bp / 10000);
- each line gets the applicable discount leaving the lowest amount (``round_half_up(full x pct / 100)``),
  if lower than the full amount (``dialect`` picks a LATERAL lookup on PostgreSQL, a scalar subquery
  elsewhere);
- JHT lines only when both the agreement and the worker include JHT.

Rounding half up for non-negative integers is ``(2n + d) / (2d)`` with integer division, identical on
SQLite and PostgreSQL because every operand is an integer column or literal.
"""

from __future__ import annotations

# A rostered worker is billed unless funding's copy says they left coverage for good.
BILLABLE_WORKER_SQL = "w.status NOT IN ('deceased', 'inactive')"


def member_billed_sql(p: str = ":p") -> str:
    """A member (``m``, worker copy ``w``) billed for month ``p``: joined in ``p`` or earlier, and on the
    roster (and still living) or taken off it in ``p`` or later (the month a worker died, moved or
    withdrew stays payable; see agreements.remove_member)."""
    return (
        f"(m.first_period_idx <= {p} AND ((m.status = 'active' AND {BILLABLE_WORKER_SQL}) "
        f"OR (m.status = 'removed' AND m.last_period_idx IS NOT NULL AND m.last_period_idx >= {p})))"
    )


def member_unbilled_sql(p: str = ":p") -> str:
    """... and not billed yet for ``p`` by its agreement: no line of theirs on a live (not void) invoice.
    A worker who joined after the month's invoice, or whose month's invoice was voided, is billed again."""
    return f"""NOT EXISTS (
        SELECT 1 FROM invoices bi JOIN invoice_lines bl ON bl.invoice_id = bi.id
        WHERE bi.agreement_id = m.agreement_id AND bi.period_idx = {p} AND bi.status <> 'void'
          AND bl.worker_id = m.worker_id)"""


# A member ``m`` whose month after the agreement's last (:next) another agreement already funds - on next
# year's roster, say - is not handed over to self-pay.
HAS_SUCCESSOR_SQL = """EXISTS (
    SELECT 1 FROM funded_months sf WHERE sf.worker_id = m.worker_id AND sf.period_idx = :next
      AND sf.agreement_id <> m.agreement_id)"""

MEMBER_BILLED_SQL = member_billed_sql()
MEMBER_UNBILLED_SQL = member_unbilled_sql()

# Month offsets 0..11: agreements stay inside one fiscal year, so this expands any of their ranges.
MONTH_OFFSETS_SQL = " UNION ALL ".join(f"SELECT {n} AS n" for n in range(12))


def _full_amount() -> str:
    jkk = "(2 * w.declared_income_idr * s.jkk_rate_bp + 10000) / 20000"
    jht = "(2 * w.declared_income_idr * s.jht_rate_bp + 10000) / 20000"
    return (
        "CASE p.program "
        f"WHEN 'JKK' THEN CASE WHEN {jkk} < s.jkk_min_idr THEN s.jkk_min_idr "
        f"WHEN {jkk} > s.jkk_max_idr THEN s.jkk_max_idr ELSE {jkk} END "
        "WHEN 'JKM' THEN s.jkm_flat_idr "
        f"ELSE {jht} END"
    )


def priced_lines(source: str, dialect: str) -> str:
    """SELECT of priced lines for ``source`` (columns agreement_id, worker_id, period_idx).

    Output columns: agreement_id, worker_id, period_idx, program, program_position, schedule_id,
    declared_income_idr, amount_idr, discount_idr.
    """
    base = f"""
        SELECT src.agreement_id AS agreement_id, src.worker_id AS worker_id, src.period_idx AS period_idx,
               p.program AS program, p.position AS program_position, s.id AS schedule_id,
               w.declared_income_idr AS declared_income_idr, w.occupation AS occupation,
               a.source AS source, {_full_amount()} AS full_idr
        FROM ({source}) src
        JOIN funding_agreements a ON a.id = src.agreement_id
        JOIN funded_workers w ON w.worker_id = src.worker_id
        JOIN funding_programs p ON (p.program <> 'JHT' OR (a.includes_jht AND w.has_jht))
        JOIN rate_schedules s ON s.superseded_at IS NULL
             AND s.effective_from_idx <= src.period_idx
             AND (s.effective_to_idx IS NULL OR s.effective_to_idx >= src.period_idx)
    """
    # The lowest payable percentage among the discounts that apply: round_half_up(full x pct / 100) grows
    # with pct, so the smallest pct leaves the lowest amount - the discount quote() picks.
    lowest_pct = """
        SELECT MIN(d.percent_payable) AS pct FROM rate_discounts d
        WHERE d.schedule_id = f0.schedule_id
          AND d.start_idx <= f0.period_idx AND d.end_idx >= f0.period_idx
          AND ((f0.program = 'JKK' AND d.covers_jkk) OR (f0.program = 'JKM' AND d.covers_jkm))
          AND (d.all_occupations OR EXISTS (
                SELECT 1 FROM rate_discount_occupations o
                WHERE o.discount_id = d.id AND o.occupation = f0.occupation))
          AND (d.applies_to_dana_desa OR f0.source <> 'dana_desa')
          AND (d.applies_to_apbd_kelurahan OR f0.source <> 'apbd_kelurahan')
    """
    if dialect == "postgresql":
        # LATERAL lets PostgreSQL memoize the lookup per distinct (schedule, programme, occupation,
        # source, month) instead of running it for each of millions of lines.
        with_pct = f"SELECT f0.*, dk.pct AS pct FROM ({base}) f0 LEFT JOIN LATERAL ({lowest_pct}) dk ON true"
    else:
        with_pct = f"SELECT f0.*, ({lowest_pct}) AS pct FROM ({base}) f0"
    discounted = "(2 * f1.full_idr * f1.pct + 100) / 200"
    amount = (
        f"CASE WHEN f1.pct IS NOT NULL AND {discounted} < f1.full_idr THEN {discounted} ELSE f1.full_idr END"
    )
    return f"""
        SELECT f1.agreement_id AS agreement_id, f1.worker_id AS worker_id, f1.period_idx AS period_idx,
               f1.program AS program, f1.program_position AS program_position, f1.schedule_id AS schedule_id,
               f1.declared_income_idr AS declared_income_idr,
               {amount} AS amount_idr, f1.full_idr - ({amount}) AS discount_idr
        FROM ({with_pct}) f1
    """
