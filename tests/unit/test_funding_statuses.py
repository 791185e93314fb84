"""Funding's status tables, and every status literal its raw SQL uses: each is a member of its enum and
each bulk UPDATE only performs moves the tables allow."""

from __future__ import annotations

import ast
import re
from enum import StrEnum
from pathlib import Path

import pytest

from services.funding import statuses
from services.funding.exceptions import InvalidState
from services.funding.statuses import AgreementStatus, InvoiceStatus, MemberStatus, check_transition
from services.registry.validation import WorkerStatus

FUNDING = Path(statuses.__file__).parent

# Which enum a table's ``status`` column holds (funded_workers copies the registry's worker status).
TABLE_STATUS: dict[str, type[StrEnum]] = {
    "funding_agreements": AgreementStatus,
    "invoices": InvoiceStatus,
    "agreement_members": MemberStatus,
    "funded_workers": WorkerStatus,
}
SQL = re.compile(r"\b(SELECT|UPDATE|INSERT|DELETE)\b")
ALIAS = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)\s+(?:AS\s+)?(\w+)\b")
COMPARISON = re.compile(r"(?:\b(\w+)\.)?\bstatus\s*(?:=|<>|!=)\s*'(\w*)'")
MEMBERSHIP = re.compile(r"(?:\b(\w+)\.)?\bstatus\s+(?:NOT\s+)?IN\s*\(([^)]*)\)")
LITERAL = re.compile(r"'(\w*)'")
SQL_KEYWORDS = {"WHERE", "ON", "JOIN", "SET", "AND", "OR", "GROUP", "ORDER", "LEFT", "INNER", "LIMIT"}


def _sql_strings() -> list[tuple[str, str]]:
    """Every string (f-string placeholders as ``{}``) in the funding package that looks like SQL."""
    found: list[tuple[str, str]] = []
    for path in sorted(FUNDING.rglob("*.py")):
        tree = ast.parse(path.read_text())
        # The literal pieces of an f-string are nodes too: only the whole f-string counts.
        pieces = {
            id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values
        }
        for node in ast.walk(tree):
            if id(node) in pieces:
                continue
            if isinstance(node, ast.JoinedStr):
                value = "".join(
                    part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
                )
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = node.value
            else:
                continue
            if (
                (SQL.search(value) and "status" in value)
                or COMPARISON.search(value)
                or MEMBERSHIP.search(value)
            ):
                found.append((path.name, value))
    return found


def _aliases(strings: list[tuple[str, str]]) -> dict[str, str]:
    aliases: dict[str, set[str]] = {}
    for _, sql in strings:
        for table, alias in ALIAS.findall(sql):
            if table in TABLE_STATUS and alias.upper() not in SQL_KEYWORDS:
                aliases.setdefault(alias, set()).add(table)
    ambiguous = {a: t for a, t in aliases.items() if len(t) > 1}
    assert not ambiguous, f"one alias for several status tables, the scan cannot tell them apart: {ambiguous}"
    return {alias: tables.pop() for alias, tables in aliases.items()}


def _main_table(sql: str) -> str | None:
    # The updated table, also when the UPDATE is a data-modifying WITH of a larger statement.
    update = re.match(r"\s*UPDATE\s+(\w+)", sql) or re.search(r"\bUPDATE\s+(\w+)\s+SET\b", sql)
    if update:
        return update.group(1)
    first = re.search(r"\bFROM\s+(\w+)", sql)
    return first.group(1) if first else None


def _status_uses(sql: str, aliases: dict[str, str]) -> list[tuple[str | None, str]]:
    """(table, literal) for every status literal in one SQL string."""
    uses: list[tuple[str | None, str]] = []
    for alias, literal in COMPARISON.findall(sql):
        uses.append((aliases.get(alias) if alias else _main_table(sql), literal))
    for alias, listed in MEMBERSHIP.findall(sql):
        table = aliases.get(alias) if alias else _main_table(sql)
        uses.extend((table, literal) for literal in LITERAL.findall(listed))
    for case in re.findall(r"SET\s+status\s*=\s*CASE(.*?)\bEND\b", sql, re.S):
        uses.extend((_main_table(sql), literal) for literal in LITERAL.findall(case))
    insert = re.search(r"INSERT INTO\s+(\w+)\s*\(([^)]*)\)\s*SELECT\s+(.*?)\s+FROM\b", sql, re.S)
    if insert and insert.group(1) in TABLE_STATUS:
        columns = [c.strip() for c in insert.group(2).split(",")]
        values = [v.strip() for v in insert.group(3).split(",")]
        if "status" in columns:
            assert len(columns) == len(values), f"cannot line up {columns} with {values}"
            uses.extend(
                (insert.group(1), literal) for literal in LITERAL.findall(values[columns.index("status")])
            )
    return uses


def test_the_scan_sees_the_status_sql() -> None:
    """Guard against a scan that silently matches nothing: the known statements are found."""
    strings = _sql_strings()
    aliases = _aliases(strings)
    uses = {use for _, sql in strings for use in _status_uses(sql, aliases)}
    assert {
        ("invoices", "overdue"),
        ("invoices", "partially_paid"),
        ("invoices", "draft"),
        ("agreement_members", "removed"),
        ("funding_agreements", "ended"),
        ("funded_workers", "deceased"),
    } <= uses


def test_every_status_literal_in_funding_sql_is_a_member_of_its_enum() -> None:
    strings = _sql_strings()
    aliases = _aliases(strings)
    for name, sql in strings:
        for table, literal in _status_uses(sql, aliases):
            assert table in TABLE_STATUS, (
                f"{name}: cannot tell which table's status {literal!r} is in:\n{sql}"
            )
            assert literal in {s.value for s in TABLE_STATUS[table]}, f"{name}: {table}.status {literal!r}"


def test_bulk_status_updates_only_make_allowed_moves() -> None:
    strings = _sql_strings()
    checked = 0
    for name, sql in strings:
        update = re.match(r"\s*UPDATE\s+(\w+)\s+SET\s+status\s*=\s*(CASE(.*?)\bEND\b|'(\w+)')", sql, re.S)
        if not update or update.group(1) not in TABLE_STATUS:
            continue
        kind = TABLE_STATUS[update.group(1)]
        targets = LITERAL.findall(update.group(3)) if update.group(3) else [update.group(4)]
        where = sql[update.end() :].split("WHERE", 1)[-1]
        sources = LITERAL.findall(" ".join(_where_status_clauses(where)))
        # No status in the WHERE: the rows are the ones just inserted, whose status is the default.
        for source in sources or [_default(kind)]:
            for target in targets:
                if target != source:  # CASE … ELSE status keeps some rows as they were
                    assert statuses.can_transition(kind, source, kind(target)), f"{name}: {source} → {target}"
                    checked += 1
    assert checked >= 4  # issue, overdue, settle (paid, partially paid) at least


def _where_status_clauses(where: str) -> list[str]:
    """The unprefixed status conditions of an UPDATE's WHERE clause (those on the updated table)."""
    unprefixed = [m.group(0) for m in re.finditer(r"(?<![\w.])status\s*(?:=|<>|!=)\s*'\w*'", where)]
    unprefixed += [m.group(0) for m in re.finditer(r"(?<![\w.])status\s+IN\s*\([^)]*\)", where)]
    return unprefixed


def _default(kind: type[StrEnum]) -> str:
    return {InvoiceStatus: "draft", AgreementStatus: "draft", MemberStatus: "active"}[kind]


@pytest.mark.parametrize(
    ("kind", "current", "target"),
    [
        (AgreementStatus, "draft", AgreementStatus.active),
        (AgreementStatus, "active", AgreementStatus.ended),
        (InvoiceStatus, "draft", InvoiceStatus.issued),
        (InvoiceStatus, "issued", InvoiceStatus.overdue),
        (InvoiceStatus, "issued", InvoiceStatus.partially_paid),
        (InvoiceStatus, "overdue", InvoiceStatus.paid),
        (InvoiceStatus, "partially_paid", InvoiceStatus.paid),
        (InvoiceStatus, "overdue", InvoiceStatus.void),
        (MemberStatus, "active", MemberStatus.removed),
        (MemberStatus, "removed", MemberStatus.active),
    ],
)
def test_allowed_moves(kind: type[StrEnum], current: str, target: StrEnum) -> None:
    assert check_transition(kind, current, target) is target


@pytest.mark.parametrize(
    ("kind", "current", "target"),
    [
        (AgreementStatus, "draft", AgreementStatus.ended),
        (AgreementStatus, "ended", AgreementStatus.active),
        (AgreementStatus, "active", AgreementStatus.draft),
        (InvoiceStatus, "paid", InvoiceStatus.void),
        (InvoiceStatus, "partially_paid", InvoiceStatus.void),
        (InvoiceStatus, "void", InvoiceStatus.issued),
        (InvoiceStatus, "paid", InvoiceStatus.overdue),
        (InvoiceStatus, "partially_paid", InvoiceStatus.overdue),
        (InvoiceStatus, "draft", InvoiceStatus.paid),
    ],
)
def test_refused_moves_are_409(kind: type[StrEnum], current: str, target: StrEnum) -> None:
    with pytest.raises(InvalidState) as refused:
        check_transition(kind, current, target)
    assert refused.value.status == 409
    assert current in str(refused.value) and target.value in str(refused.value)


def test_every_status_has_a_row_in_its_table() -> None:
    for kind, table in statuses.ALLOWED.items():
        assert set(table) == set(kind), kind
