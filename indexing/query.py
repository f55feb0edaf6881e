"""Our search query language, parsed once into a small tree that each backend translates.

Grammar (Lucene/KQL-like)::

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*        # juxtaposition means AND
    unary   := ("NOT" | "-") unary | primary
    primary := "(" or ")" | [field ":"] (WORD | WORD* | "PHRASE")

Fields: title, body (text); language, source, source_kind, theme, entity, place (exact keywords).
A malformed query raises :class:`QuerySyntaxError` with a one-line message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexing.backend import QuerySyntaxError
from indexing.fields import KEYWORD_QUERY_NAMES, QUERY_TEXT_FIELDS


@dataclass(frozen=True)
class Text:
    """Words to find in title/body (``fields`` empty means both); ``phrase`` keeps word order."""

    text: str
    fields: tuple[str, ...] = ()
    phrase: bool = False
    prefix: bool = False


@dataclass(frozen=True)
class Keyword:
    field: str  # an Article field name, e.g. "entities"
    value: str


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class MatchAll:
    pass


Node = Text | Keyword | And | Or | Not | MatchAll

_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<quote>"(?P<phrase>[^"]*)"?)|(?P<word>[^\s()"]+))')


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            break
        position = match.end()
        if match.group("lp"):
            tokens.append(("(", "("))
        elif match.group("rp"):
            tokens.append((")", ")"))
        elif match.group("quote") is not None:
            if not match.group("quote").endswith('"') or len(match.group("quote")) < 2:
                raise QuerySyntaxError(f"unclosed quote in query: {text.strip()!r}")
            tokens.append(("phrase", match.group("phrase")))
        elif match.group("word"):
            tokens.append(("word", match.group("word")))
    return tokens


MAX_NESTING = 32  # parentheses and NOTs inside each other; deeper is a mistake, not a query


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0
        self.depth = 0

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise QuerySyntaxError(f"query nests deeper than {MAX_NESTING} levels of parentheses or NOT")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def is_operator(self, name: str) -> bool:
        token = self.peek()
        return token is not None and token == ("word", name)

    def parse(self) -> Node:
        if not self.tokens:
            return MatchAll()
        node = self.parse_or()
        if self.peek() is not None:
            raise QuerySyntaxError(f"unexpected {self.peek()[1]!r} in query (unbalanced parentheses?)")
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self.is_operator("OR"):
            self.take()
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Node:
        items = [self.parse_unary()]
        while True:
            token = self.peek()
            if token is None or token[0] == ")" or self.is_operator("OR"):
                break
            if self.is_operator("AND"):
                self.take()
            items.append(self.parse_unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self) -> Node:
        if self.is_operator("NOT"):
            self.take()
            self.nest()
            node = Not(self.parse_unary())
            self.depth -= 1
            return node
        token = self.peek()
        if token and token[0] == "word" and token[1].startswith("-") and len(token[1]) > 1:
            self.tokens[self.position] = ("word", token[1][1:])
            self.nest()
            node = Not(self.parse_unary())
            self.depth -= 1
            return node
        return self.parse_primary()

    def parse_primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError(f"query ends where a term was expected: {self.text.strip()!r}")
        kind, value = self.take()
        if kind == "(":
            self.nest()
            node = self.parse_or()
            if self.peek() != (")", ")"):
                raise QuerySyntaxError(f"missing closing parenthesis in query: {self.text.strip()!r}")
            self.take()
            self.depth -= 1
            return node
        if kind == ")":
            raise QuerySyntaxError("unexpected ')' in query")
        if kind == "phrase":
            return _text(value, (), phrase=True)
        if value in ("AND", "OR"):
            raise QuerySyntaxError(f"{value} needs a term on each side")
        field, sep, rest = value.partition(":")
        if not sep or not field:
            return _word(value, ())
        field = field.lower()
        if field not in QUERY_TEXT_FIELDS and field not in KEYWORD_QUERY_NAMES:
            known = ", ".join([*QUERY_TEXT_FIELDS, *KEYWORD_QUERY_NAMES])
            raise QuerySyntaxError(f"unknown field {field!r} in query (known: {known})")
        if not rest:
            nxt = self.peek()
            if nxt is None or nxt[0] not in ("phrase", "word"):
                raise QuerySyntaxError(f"{field}: needs a value")
            kind, rest = self.take()
            if kind == "phrase" and field in QUERY_TEXT_FIELDS:
                return _text(rest, (field,), phrase=True)
        if field in KEYWORD_QUERY_NAMES:
            return Keyword(KEYWORD_QUERY_NAMES[field], rest)
        return _word(rest, (field,))


def _text(text: str, fields: tuple[str, ...], phrase: bool = False) -> Node:
    if not text.strip():
        raise QuerySyntaxError("empty phrase in query")
    return Text(text.strip(), fields, phrase=phrase)


def _word(word: str, fields: tuple[str, ...]) -> Node:
    if word.endswith("*"):
        stem = word.rstrip("*")
        if not stem or "*" in stem:
            raise QuerySyntaxError(f"a prefix needs letters before '*': {word!r}")
        return Text(stem, fields, prefix=True)
    if "*" in word:
        raise QuerySyntaxError(f"'*' is only allowed at the end of a word: {word!r}")
    return Text(word, fields)


def parse_query(text: str) -> Node:
    """Parse query text into a tree; raises QuerySyntaxError naming the problem."""
    return _Parser(text).parse()


def render(node: Node) -> str:
    """The tree as query text again (shows the query after expansion)."""
    if isinstance(node, MatchAll):
        return "*"
    if isinstance(node, Keyword):
        name = next(k for k, v in KEYWORD_QUERY_NAMES.items() if v == node.field)
        return f"{name}:{node.value}"
    if isinstance(node, Text):
        body = (
            f'"{node.text}"' if node.phrase or " " in node.text else node.text + ("*" if node.prefix else "")
        )
        return f"{node.fields[0]}:{body}" if node.fields else body
    if isinstance(node, Not):
        return f"NOT {render(node.item)}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(render(i) for i in node.items) + ")"
