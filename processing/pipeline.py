"""The process step: clean, detect language, tag, score relevance, cluster duplicates, join stories.

``Processor.process`` is a generator over Articles: one bad document becomes an outcome in the
report and the run goes on. A demoted representative (a late copy turned out to be earlier) is
yielded again, updated, right after the article that displaced it.

It runs stage by stage over small batches: each stage (clean, language, tags, relevance, the
article, duplicates, stories) over the batch's documents, then the next. Outputs are those of one
document at a time (the stateful stages still see the documents in order), but each stage's code
and tables stay in the CPU's caches while it runs: less CPU a document than running every
stage on one document before the next (26–42 % more documents per CPU-second, docs/processing.md),
as in vectorised query engines.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from pathlib import Path

import numpy as np

from processing.cleaning import clean_text, clean_title, content_hash, hash_words
from processing.duplicates import UNSIGNED, Assignment, DuplicateIndex
from processing.language import UNDETERMINED, detect_language
from processing.relevance import LinearModel, Relevance, score_relevance
from processing.stories import StoryEvidence, StoryIndex, set_story_fields
from processing.tagging import Tags, tag_fields
from processing.themes import ThemeModel, load_theme_model, themes_of
from whirlpool.article import Article, article_id, utcnow
from whirlpool.report import StageReport
from whirlpool.settings import ProcessSettings, Settings
from whirlpool.taxonomy import Taxonomy, load_taxonomy
from whirlpool.urls import canonical_url

DUPLICATE_STATE_FILE = "duplicates.sqlite3"
STORY_STATE_FILE = "stories.sqlite3"
MAX_SUMMARY_CHARS = 5000
COMMIT_EVERY = 500
STAGE_BATCH = 100  # documents each stage runs over before the next stage (a divisor of COMMIT_EVERY)


class Processor:
    """Holds what is built once (taxonomy matcher, duplicate state) for a whole run."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        duplicates: DuplicateIndex,
        settings: ProcessSettings | None = None,
        stories: StoryIndex | None = None,
    ):
        self.taxonomy = taxonomy
        self.duplicates = duplicates
        self.settings = settings or ProcessSettings()
        self.model = relevance_model_for(self.settings)
        # without a stored index, stories last as long as this processor
        self.stories = stories or StoryIndex(Path(":memory:"), **story_limits(self.settings))

    @classmethod
    def from_settings(cls, settings: Settings) -> Processor:
        taxonomy = load_taxonomy(settings.config_path("taxonomy.yaml"))
        duplicates = DuplicateIndex(
            Path(settings.state_dir) / DUPLICATE_STATE_FILE,
            num_perm=settings.process.minhash_permutations,
            threshold=settings.process.near_duplicate_threshold,
        )
        stories = StoryIndex(Path(settings.state_dir) / STORY_STATE_FILE, **story_limits(settings.process))
        return cls(taxonomy, duplicates, settings.process, stories)

    def process(self, articles: Iterable[Article], report: StageReport) -> Iterator[Article]:
        """Process each article; yields processed articles (and demoted representatives)."""
        with fewer_collections():
            yield from self._process(articles, report)

    def _process(self, articles: Iterable[Article], report: StageReport) -> Iterator[Article]:
        done = 0
        try:
            for batch in batched(articles, STAGE_BATCH):
                yield from self._process_batch(batch, report)
                if (done + len(batch)) // COMMIT_EVERY > done // COMMIT_EVERY:
                    self.duplicates.commit()
                    self.stories.commit()
                done += len(batch)
        finally:
            self.duplicates.commit()
            self.stories.commit()

    def _process_batch(self, articles: Sequence[Article], report: StageReport) -> Iterator[Article]:
        """Each stage over the whole batch, then the next (see STAGE_BATCH); a document that fails in
        one stage is reported, skipped by the later ones and yielded as it was collected, in its place."""
        work = [Work(article) for article in articles]
        for stage in self.stages():
            self.prepare(stage, work)
            for item in work:
                if item.failure is None:
                    try:
                        stage(item, report)
                    except Exception as exc:  # one bad document must not stop the run
                        item.failure = exc
        for item in work:
            article = item.article
            if item.failure is not None:
                report.fail(
                    f"not processed ({type(item.failure).__name__}: {str(item.failure)[:200]}); kept as collected",
                    article.source_id,
                    article.url,
                )
                report.count("failed")
                yield article
                continue
            yield item.processed
            if item.demoted is not None:
                report.count("representatives_demoted")
                yield item.demoted

    def process_lines(self, articles: Iterable[Article], report: StageReport) -> Iterator[str]:
        """``process``, each output serialised once (``Article.to_json``): the line to write, which
        the duplicate state also keeps for a new representative instead of serialising it again."""
        for article in self.process(articles, report):
            line = article.to_json()
            self.duplicates.serialised(article, line)
            yield line

    def process_one(self, article: Article, report: StageReport) -> tuple[Article, Article | None]:
        """Process one article; returns it and, when it displaced one, the demoted representative.
        Exceptions propagate (``process`` reports them and goes on)."""
        item = Work(article)
        for stage in self.stages():
            stage(item, report)
        return item.processed, item.demoted

    def stages(self) -> tuple[Callable[[Work, StageReport], None], ...]:
        """The stages in order, each on one document's work."""
        return (
            self._clean,
            self._detect_language,
            self._tag,
            self._score,
            self._build,
            self._cluster,
            self._join_story,
        )

    def prepare(self, stage: Callable[[Work, StageReport], None], work: Sequence[Work]) -> None:
        """What a stage works out for a whole batch before it runs on each document: the article
        stage's content hashes (the word tables and SHA-1 over the batch, then the evidence objects
        and copies: ~20 % less for the stage), the duplicate stage's MinHash signatures (one numpy
        expression for many documents costs a third of one a document), the story stage's evidence
        (each document's, then the stories compared: ~10 % less for the stage). Each part's code
        and tables stay in cache while it runs. What fails here is worked out again in the stage,
        which reports it."""
        if stage == self._build:  # the content hashes (numpy tables, SHA-1), then the articles
            for item in work:
                if item.failure is None:
                    try:
                        item.hash_text()
                    except Exception:  # its stage works it out again, and reports it
                        item.content_hash = None
        elif stage == self._join_story:  # each document's evidence, then the stories compared
            for item in work:
                if item.failure is None and item.assignment is not None:
                    try:
                        item.story_evidence = self.stories.evidence(item.processed, item.assignment.status)
                    except Exception:  # its stage works it out again, and reports it
                        item.story_evidence = None
        elif stage == self._cluster:
            live = [item for item in work if item.failure is None and item.processed is not None]
            try:
                signatures = self.duplicates.signatures([item.compared() for item in live])
            except Exception:  # one bad document: its stage reports it
                return
            for item, signature in zip(live, signatures, strict=True):
                item.signature = signature

    def _clean(self, item: Work, report: StageReport) -> None:
        article, settings = item.article, self.settings
        if len(article.body) > settings.max_body_chars:
            report.warn(
                f"body of {len(article.body):,} characters truncated to {settings.max_body_chars:,}",
                article.source_id,
                article.url,
            )
            report.count("truncated")
        item.texts = clean_texts(article, settings)
        if not (item.texts["title"] or item.main_text):
            report.warn("no text after cleaning: nothing to tag", article.source_id, article.url)
            report.count("empty")

    def _detect_language(self, item: Work, report: StageReport) -> None:
        item.language = language_of(self.settings, item.texts)

    def _tag(self, item: Work, report: StageReport) -> None:
        item.tags = tag_fields(self.taxonomy, item.texts)

    def _score(self, item: Work, report: StageReport) -> None:
        item.analysis = judge(self.settings, item.language, item.texts, item.tags, self.model)

    def _build(self, item: Work, report: StageReport) -> None:
        """The processed article: one copy with every field replaced (fields are never mutated in
        place; no re-validation: each value is built here with the type the schema has)."""
        article, analysis, texts = item.article, item.analysis, item.texts
        canonical = article.canonical_url or canonical_url(article.url)
        if item.content_hash is None:  # (else worked out by prepare)
            item.hash_text()
        item.processed = article.model_copy(
            update={
                "title": texts["title"],
                "summary": texts["summary"],
                "body": texts["body"],
                "canonical_url": canonical,
                "id": article.id or article_id(canonical),
                "language": analysis.language,
                "content_hash": item.content_hash,
                "actors": analysis.tags.sides(),
                "entities": analysis.tags.concept_ids(("person", "organisation", "weapon")),
                "places": analysis.tags.concept_ids(("place",)),
                "themes": analysis.themes,
                "relevance": analysis.relevance.score,
                "relevant": analysis.relevant,
                "evidence": analysis.tags.evidence(texts),
                "processed_at": utcnow(),
            }
        )

    def _cluster(self, item: Work, report: StageReport) -> None:
        a = item.processed
        text, _, words = item.compared()
        assignment = self.duplicates.assign(a, text, words, item.signature)
        item.assignment = assignment
        item.demoted = assignment.demoted
        report.count("articles")
        report.count(f"language_{a.language}")
        report.count("relevant" if a.relevant else "not_relevant")
        report.count(
            {
                "new": "new_clusters",
                "joined": "joined_clusters",
                "updated": "updated_in_place",
                "unchanged": "unchanged",
            }[assignment.status]
        )
        if assignment.not_reissued:  # displaced, but its stored copy was pruned (see prune_state)
            report.count("representatives_not_reissued")
            report.warn(
                f"earlier copy of cluster {assignment.cluster_id}: the former representative "
                f"{assignment.not_reissued} stays marked representative in the index (its copy was pruned)",
                a.source_id,
                a.url,
            )
        if a.language == UNDETERMINED and (a.title or item.main_text):
            report.count("language_too_short")

    def _join_story(self, item: Work, report: StageReport) -> None:
        story = self.stories.assign(item.processed, item.assignment.status, item.story_evidence)
        report.count({"new": "new_stories", "joined": "joined_stories", "copy": "story_copies"}[story.status])
        if item.demoted is not None:  # a copy of this article: the same story
            set_story_fields(item.demoted, story.story)

    def close(self) -> None:
        self.duplicates.close()
        self.stories.close()


# Python's cyclic garbage collector, as the step runs (issue 11): by default a young collection
# comes every 700 net allocations of container objects, and now and then one walks the whole heap
# (Kiwi's cache, the taxonomy, langdetect's profiles, the story state), though a document's work
# leaves almost no reference cycles: ~130 µs a document went there. While the step runs, the objects
# there before it are frozen (not walked; unfrozen after, so cyclic garbage among them is still
# collected later) and a young collection comes every 50,000: ~15 µs a document.
GC_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Fewer garbage collections while the block runs; the former thresholds after it. A heap
    frozen by someone else (a server before it forks) is left as it was, not frozen or unfrozen."""
    before = gc.get_threshold()
    ours = gc.get_freeze_count() == 0
    if ours:
        gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        if ours:
            gc.unfreeze()


def story_limits(settings: ProcessSettings) -> dict:
    return {
        "window": timedelta(hours=settings.story_window_hours),
        "max_size": settings.story_max_size,
    }


@dataclass
class Work:
    """One document on its way through the stages: what each stage has made of it so far."""

    article: Article
    failure: Exception | None = None
    texts: dict[str, str] | None = None
    language: str = UNDETERMINED
    tags: Tags | None = None
    analysis: Analysis | None = None
    hash_words: np.ndarray | None = None  # the main text's words, for the hash and the shingles
    content_hash: str | None = None
    signature: np.ndarray | None | object = UNSIGNED  # its MinHash (Processor.prepare), if worked out
    processed: Article | None = None
    assignment: Assignment | None = None
    story_evidence: StoryEvidence | None = None  # what its story is chosen by (Processor.prepare)
    demoted: Article | None = None

    @property
    def main_text(self) -> str:
        return main_text_of(self.texts)

    def hash_text(self) -> None:
        """Its content hash, and the main text's words the hash joined (the duplicate stage
        shingles them)."""
        self.hash_words = hash_words(self.main_text)
        self.content_hash = content_hash(self.texts["title"], self.main_text, self.hash_words)

    def compared(self) -> tuple[str, str, np.ndarray | None]:
        """What the duplicate stage compares: the main text (with its hashed words), or the title
        of an article without one; and the language."""
        if self.main_text:
            return self.main_text, self.processed.language, self.hash_words
        return self.processed.title, self.processed.language, None


def batched(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    """``items`` in lists of ``size`` (the last one shorter), as they come."""
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch


@dataclass
class Analysis:
    """What the texts of one article say: language, tags, relevance, themes."""

    language: str
    texts: dict[str, str]
    tags: Tags
    relevance: Relevance
    themes: list[str]
    relevant: bool


def relevance_model_for(settings: ProcessSettings) -> LinearModel | None:
    """The learned weights when the settings ask for them; None means the hand weights."""
    if settings.relevance_model == "hand":
        return None
    from processing.relevance_model import load_model

    return load_model()


@functools.cache
def theme_model_for(kind: str) -> ThemeModel | None:
    """The learned theme model when the settings ask for it (read once a process); None: the rule."""
    return load_theme_model() if kind == "learned" else None


def clean_texts(article: Article, settings: ProcessSettings) -> dict[str, str]:
    """The article's title, summary and body, cleaned (the summary and body cut to their limits)."""
    return {
        "title": clean_title(article.title),
        "summary": clean_text(article.summary, MAX_SUMMARY_CHARS),
        "body": clean_text(article.body, settings.max_body_chars),
    }


def main_text_of(texts: dict[str, str]) -> str:
    """The text an article is about: its body, or its summary when it has none."""
    return texts["body"] or texts["summary"]


def language_of(settings: ProcessSettings, texts: dict[str, str]) -> str:
    """The language of cleaned texts: the title and the start of the main text."""
    main_text = main_text_of(texts)
    return detect_language(
        f"{texts['title']}\n{main_text[: settings.language_prefix_chars]}",
        prefix_chars=settings.language_prefix_chars,
        min_chars=settings.min_language_chars,
        seed=settings.language_seed,
    )


def judge(
    settings: ProcessSettings,
    language: str,
    texts: dict[str, str],
    tags: Tags,
    model: LinearModel | None = None,
) -> Analysis:
    """Relevance and themes of tagged texts."""
    strong = tags.strong()
    relevance = score_relevance(texts, strong, model)
    relevant = relevance.score >= settings.relevance_threshold
    return Analysis(
        language=language,
        texts=texts,
        tags=tags,
        relevance=relevance,
        themes=themes_of(
            strong,
            relevance.themes_in_tied_sentences,
            relevant,
            short=not texts["body"],
            model=theme_model_for(settings.theme_model),
        ),
        relevant=relevant,
    )


def analyse_texts(
    taxonomy: Taxonomy,
    settings: ProcessSettings,
    title: str,
    summary: str,
    body: str,
    model: LinearModel | None = None,
) -> Analysis:
    """Language, tags, relevance and themes of cleaned texts (no state: the evaluation calls it too)."""
    texts = {"title": title, "summary": summary, "body": body}
    return judge(settings, language_of(settings, texts), texts, tag_fields(taxonomy, texts), model)
