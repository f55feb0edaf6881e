"""The embedded backend: a tantivy index on local disk (the default when no Elasticsearch URL is set).

Per-language handling: every title/body is indexed four ways (plain lowercase words, English
stems, Russian stems — also used for Ukrainian —, and one token per CJK character so a phrase
over characters finds Korean, Japanese and Chinese words without spaces). tantivy's query
parser returns nothing for ``word*``, so queries are built as Query objects from our own parse
tree and prefixes become regex queries.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import tantivy

from indexing.backend import (
    BucketCount,
    BulkResult,
    CountUnit,
    Dimension,
    Hit,
    IndexBackend,
    IndexUnavailable,
    QuerySyntaxError,
    SearchFilters,
    SearchRequest,
    SearchResult,
)
from indexing.buckets import read_trend_aggregation, trend_aggregation, window_filters
from indexing.fields import (
    BY_NAME,
    DATE_SOURCE_FIELD,
    FILTER_FIELDS,
    FLAG_FILTERS,
    QUERY_TEXT_FIELDS,
    TRUSTED_DATE_SOURCES,
    Role,
    named,
)
from indexing.query import And, Keyword, MatchAll, Node, Not, Text, parse_query
from indexing.searching import prepare_query
from whirlpool.article import Article

ANALYZED_VARIANTS = {"": "default", "_en": "en_stem", "_ru": "whirlpool_ru", "_cjk": "whirlpool_cjk"}
CJK_OR_WORD = (
    r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]|[^\s\p{P}\p{S}\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]+"
)
# 2: the story keywords; 3: the schema derived from indexing.fields (published_at_source replaces
# a date_guessed flag). An index of an older version is copied into the new one when first opened.
SCHEMA_VERSION = 3
KEYWORDS, FLAGS, DATES = named(Role.KEYWORD), named(Role.FLAG), named(Role.DATE)
MIGRATION_PAGE = 5_000  # articles copied from an older schema's index per write
log = logging.getLogger(__name__)


def _schema() -> tantivy.Schema:
    """One analysed field per text query name and variant (``title_en``, ``body_cjk``: the summary
    and body are searched together as ``body``), one raw field per keyword (fast where aggregated),
    and one fast field per flag and date."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_bytes_field("doc", stored=True, indexed=False)
    for base in QUERY_TEXT_FIELDS:
        for suffix, tokenizer in ANALYZED_VARIANTS.items():
            builder.add_text_field(base + suffix, tokenizer_name=tokenizer)
    for name in KEYWORDS:  # a columnar (fast) copy only where trend counts aggregate
        builder.add_text_field(name, tokenizer_name="raw", fast=BY_NAME[name].aggregatable)
    for name in FLAGS:
        builder.add_boolean_field(name, indexed=True, fast=True)
    for name in DATES:
        builder.add_date_field(name, indexed=True, fast=True)
    return builder.build()


def _register_tokenizers(index: tantivy.Index) -> None:
    russian = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    index.register_tokenizer(
        "whirlpool_ru",
        russian.filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.stemmer("russian")).build(),
    )
    cjk = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(CJK_OR_WORD)).filter(tantivy.Filter.lowercase())
    index.register_tokenizer("whirlpool_cjk", cjk.build())


def _searched_text(article: Article, base: str) -> str:
    """The text the ``base`` query name searches: its fields' values, one paragraph each."""
    return "\n".join(part for part in (getattr(article, name) for name in QUERY_TEXT_FIELDS[base]) if part)


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


class EmbeddedBackend(IndexBackend):
    name = "embedded"

    def __init__(self, directory: Path, heap_bytes: int = 100_000_000) -> None:
        self.directory = Path(directory) / f"v{SCHEMA_VERSION}"
        self.heap_bytes = heap_bytes
        self._index: tantivy.Index | None = None
        self._lock = threading.Lock()
        self.schema = _schema()
        self.taxonomy = None  # set by open_backend for cross-script expansion

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def index(self) -> tantivy.Index:
        if self._index is None:
            self.ensure_ready()
        assert self._index is not None
        return self._index

    def ensure_ready(self) -> None:
        if self._index is not None:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            is_new = not tantivy.Index.exists(str(self.directory))
            index = tantivy.Index(self.schema, path=str(self.directory), reuse=True)
        except (OSError, ValueError) as exc:
            raise IndexUnavailable(f"cannot open the embedded index at {self.directory}: {exc}") from exc
        _register_tokenizers(index)
        self._index = index
        if is_new:
            self._copy_older_version()

    def _copy_older_version(self) -> int:
        """Re-index the stored articles of the newest older schema version (``v2`` beside ``v3``)
        into this one, so a schema change loses nothing; the old folder is left in place."""
        older = [
            path
            for path in self.directory.parent.glob("v*")
            if path.name[1:].isdigit()
            and int(path.name[1:]) < SCHEMA_VERSION
            and tantivy.Index.exists(str(path))
        ]
        if not older:
            return 0
        source = max(older, key=lambda path: int(path.name[1:]))
        copied = 0
        try:
            searcher = tantivy.Index.open(str(source)).searcher()
            while copied < searcher.num_docs:  # a page at a time: an index may not fit in memory
                found = searcher.search(tantivy.Query.all_query(), limit=MIGRATION_PAGE, offset=copied).hits
                if not found:
                    break
                copied += self.upsert(self._article(searcher, address) for _, address in found).indexed
        except (OSError, ValueError) as exc:
            log.warning(
                "embedded index: stopped copying the older index %s after %d articles (%s); its folder "
                "is kept: move the new folder %s aside to copy again",
                source,
                copied,
                exc,
                self.directory,
            )
            return copied
        log.warning(
            "embedded index: copied %d articles from schema %s into %s (%s can be deleted)",
            copied,
            source.name,
            self.directory.name,
            source,
        )
        return copied

    def close(self) -> None:
        self._index = None

    # -- writes ----------------------------------------------------------------------------
    def _document(self, article: Article) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_text("id", article.id)
        doc.add_bytes("doc", article.to_json().encode("utf-8"))
        for base in QUERY_TEXT_FIELDS:
            text = _searched_text(article, base)
            for suffix in ANALYZED_VARIANTS:
                doc.add_text(base + suffix, text)
        for name in KEYWORDS:
            value = getattr(article, name)
            for item in dict.fromkeys(value if isinstance(value, list) else [value]):
                if item:  # each value once: a trend count counts an article once per value
                    doc.add_text(name, str(item))
        for name in FLAGS:
            doc.add_boolean(name, bool(getattr(article, name)))
        for name in DATES:
            if (moment := getattr(article, name)) is not None:
                doc.add_date(name, _naive_utc(moment))
        return doc

    def upsert(self, articles: Iterable[Article]) -> BulkResult:
        result = BulkResult()
        with self._lock:
            try:
                writer = self.index.writer(heap_size=self.heap_bytes, num_threads=1)
            except ValueError as exc:
                raise IndexUnavailable(f"embedded index is locked or unwritable: {exc}") from exc
            for article in articles:
                writer.delete_documents_by_term("id", article.id)
                writer.add_document(self._document(article))
                result.indexed += 1
            writer.commit()
            writer.wait_merging_threads()
        self.index.reload()
        return result

    def delete_older_than(self, cutoff: datetime, dry_run: bool = False) -> int:
        query = self._filtered(MatchAll(), SearchFilters(until=cutoff))
        count = self.index.searcher().search(query, limit=1, count=True).count
        if count and not dry_run:
            with self._lock:
                try:
                    writer = self.index.writer(heap_size=self.heap_bytes, num_threads=1)
                except ValueError as exc:
                    raise IndexUnavailable(f"embedded index is locked or unwritable: {exc}") from exc
                writer.delete_documents_by_query(query)
                writer.commit()
                writer.garbage_collect_files()
                writer.wait_merging_threads()
            self.index.reload()
        return count

    # -- reads -----------------------------------------------------------------------------
    def get(self, article_id: str) -> Article | None:
        searcher = self.index.searcher()
        found = searcher.search(tantivy.Query.term_query(self.schema, "id", article_id), limit=1).hits
        if not found:
            return None
        return self._article(searcher, found[0][1])

    def _article(self, searcher: tantivy.Searcher, address: tantivy.DocAddress) -> Article:
        return Article.from_json(bytes(searcher.doc(address).get_first("doc")))

    def count(self, filters: SearchFilters | None = None) -> int:
        query = self._filtered(MatchAll(), filters or SearchFilters())
        return self.index.searcher().search(query, limit=1, count=True).count

    def search(self, request: SearchRequest) -> SearchResult:
        node, expanded = prepare_query(request, self.taxonomy)
        text_query = self._translate(node)
        query = self._filtered(node, request.filters, text_query)
        searcher = self.index.searcher()
        limit = max(request.limit, 1)
        if request.sort == "date":
            found = searcher.search(
                query,
                limit=limit,
                offset=request.offset,
                order_by_field="published_at",
                order=tantivy.Order.Desc,
            )
        else:
            found = searcher.search(query, limit=limit, offset=request.offset)
        hits = []
        snippets = self._snippet_generators(searcher, text_query) if request.highlight else []
        for score, address in found.hits[: request.limit]:
            doc = searcher.doc(address)
            article = Article.from_json(bytes(doc.get_first("doc")))
            highlights = [s for s in (_snippet(g, doc, article) for g in snippets) if s]
            hits.append(Hit(article=article, score=float(score or 0.0), highlights=highlights))
        return SearchResult(total=found.count, hits=hits, expanded_query=expanded)

    def _snippet_generators(self, searcher: tantivy.Searcher, query: tantivy.Query) -> list:
        generators = []
        for field in QUERY_TEXT_FIELDS:
            generator = tantivy.SnippetGenerator.create(searcher, query, self.schema, field)
            generator.set_max_num_chars(200)
            generators.append((field, generator))
        return generators

    def bucket_counts(
        self,
        dimension: Dimension,
        interval: timedelta,
        start: datetime,
        end: datetime,
        query: str | None = None,
        filters: SearchFilters | None = None,
        unit: CountUnit = "clusters",
    ) -> dict[str, list[BucketCount]]:
        """Counted by tantivy's aggregations over fast fields: no stored document is read."""
        window = window_filters(filters, start, end)
        tantivy_query = self._filtered(parse_query(query or ""), window)
        response = self.index.searcher().aggregate(
            tantivy_query, trend_aggregation(dimension, interval, start, unit)
        )
        return read_trend_aggregation(response, dimension, interval, start, end, unit)

    # -- translation -----------------------------------------------------------------------
    def _filtered(self, node: Node, filters: SearchFilters, text_query: tantivy.Query | None = None):
        must = [text_query if text_query is not None else self._translate(node)]
        schema = self.schema
        for attribute, field in FILTER_FIELDS.items():
            if values := getattr(filters, attribute):
                must.append(tantivy.Query.term_set_query(schema, field, list(values)))
        for attribute, flag in FLAG_FILTERS.items():
            if getattr(filters, attribute):
                must.append(tantivy.Query.term_query(schema, flag, True))
        if filters.exclude_guessed_dates:
            must.append(tantivy.Query.term_set_query(schema, DATE_SOURCE_FIELD, list(TRUSTED_DATE_SOURCES)))
        if filters.since or filters.until:
            must.append(
                tantivy.Query.range_query(
                    schema,
                    "published_at",
                    tantivy.FieldType.Date,
                    _naive_utc(filters.since) if filters.since else tantivy.MIN_DATETIME,
                    _naive_utc(filters.until) if filters.until else tantivy.MAX_DATETIME,
                    include_lower=True,
                    include_upper=filters.until is None,
                )
            )
        if len(must) == 1:
            return must[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in must])

    def _translate(self, node: Node) -> tantivy.Query:
        Q = tantivy.Query
        if isinstance(node, MatchAll):
            return Q.all_query()
        if isinstance(node, Keyword):
            return Q.term_query(self.schema, node.field, node.value)
        if isinstance(node, Text):
            return self._text_query(node)
        if isinstance(node, Not):
            return Q.boolean_query(
                [(tantivy.Occur.Must, Q.all_query()), (tantivy.Occur.MustNot, self._translate(node.item))]
            )
        occur = tantivy.Occur.Must if isinstance(node, And) else tantivy.Occur.Should
        clauses = []
        for item in node.items:
            if isinstance(item, Not) and occur is tantivy.Occur.Must:
                clauses.append((tantivy.Occur.MustNot, self._translate(item.item)))
            else:
                clauses.append((occur, self._translate(item)))
        if all(o is tantivy.Occur.MustNot for o, _ in clauses):
            clauses.append((tantivy.Occur.Must, Q.all_query()))
        return Q.boolean_query(clauses)

    def _text_query(self, node: Text) -> tantivy.Query:
        fields = node.fields or tuple(QUERY_TEXT_FIELDS)
        queries = []
        if node.prefix:
            pattern = re.escape(node.text.lower()) + ".*"
            for base in fields:
                queries.append(tantivy.Query.regex_query(self.schema, base, pattern))
                queries.append(tantivy.Query.regex_query(self.schema, base + "_cjk", pattern))
        else:
            escaped = node.text.replace("\\", " ").replace('"', " ")
            for base in fields:
                for suffix in ANALYZED_VARIANTS:
                    try:
                        queries.append(self.index.parse_query(f'{base}{suffix}:"{escaped}"'))
                    except ValueError as exc:
                        raise QuerySyntaxError(f"cannot search for {node.text!r}: {exc}") from exc
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


def _snippet(
    field_generator: tuple[str, tantivy.SnippetGenerator], doc: tantivy.Document, article: Article
) -> str:
    field, generator = field_generator
    text = _searched_text(article, field)
    probe = tantivy.Document()
    probe.add_text(field, text)
    html = generator.snippet_from_doc(probe).to_html()
    if "<b>" not in html:
        return ""
    return html.replace("<b>", "<mark>").replace("</b>", "</mark>")
