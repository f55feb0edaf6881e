"""A small KQL reader for tests: checks a KQL expression is well formed and lists the fields it names.

Grammar (the subset Whirlpool writes, after Kibana's kuery grammar): clauses ``field:value`` where the
value is a quoted string (``\\`` and ``"`` escaped) or an unquoted value (``\\``-escapes, optional
trailing ``*``), joined by ``and`` / ``or``, negated by ``not``, grouped by parentheses.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<op>(?:and|or|not)(?=[\s(]))"
    r'|(?P<field>[A-Za-z_][\w.]*):(?P<value>"(?:[^"\\]|\\.)*"|(?:[^\s()\\":<>*]|\\.)+\*?))',
    re.IGNORECASE,
)


class KqlError(ValueError):
    pass


def kql_clauses(kql: str) -> list[tuple[str, str]]:
    """Every (field, value) clause of ``kql``, values unquoted; raises KqlError if malformed."""
    clauses: list[tuple[str, str]] = []
    depth, position, expect_operand = 0, 0, True
    while position < len(kql.rstrip()):
        match = _TOKEN.match(kql, position)
        if not match:
            raise KqlError(f"cannot read KQL at {position}: {kql[position : position + 40]!r}")
        position = match.end()
        if match.group("lp"):
            depth += 1
        elif match.group("rp"):
            depth -= 1
            if depth < 0 or expect_operand:
                raise KqlError(f"unbalanced ')' at {position}")
        elif match.group("op"):
            op = match.group("op").lower()
            if (op == "not") != expect_operand:
                raise KqlError(f"misplaced {op!r} at {position}")
            expect_operand = True
        else:
            if not expect_operand:
                raise KqlError(f"two clauses without an operator at {position}")
            value = match.group("value")
            if value.startswith('"'):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            clauses.append((match.group("field"), value))
            expect_operand = False
        if match.group("rp"):
            expect_operand = False
    if depth != 0:
        raise KqlError("unbalanced parentheses")
    if clauses and expect_operand:
        raise KqlError("dangling operator at the end")
    return clauses
