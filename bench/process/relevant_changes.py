"""Which pages of the benchmark's corpus change relevance between two trees, with their evidence.

Each tree scores the corpus ``bench.process`` builds (title, summary, body → language, tags,
relevance, themes, as the process step does); run it once per tree, the tree first on PYTHONPATH,
then compare the two dumps::

    PYTHONPATH=<old tree> python bench/process/relevant_changes.py dump old.jsonl
    PYTHONPATH=<new tree> python bench/process/relevant_changes.py dump new.jsonl
    python bench/process/relevant_changes.py compare old.jsonl new.jsonl

The comparison lists the pages relevant in one and not the other: title, both scores, the features
that fired and the sentences that name a side, to be read and judged by the labelling guide.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

KEEP_EVIDENCE_FROM = 0.3  # the score from which a page's texts and evidence are kept in the dump


def dump(out: Path, count: int) -> None:
    import processing
    from bench.process.corpus import build_corpus
    from processing.evaluation import shared_data_dir
    from processing.pipeline import analyse_texts, clean_texts, relevance_model_for
    from whirlpool.settings import Settings
    from whirlpool.taxonomy import load_taxonomy

    tree = Path(processing.__file__).parent.parent
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), config_dir=tree / "config").process
    taxonomy = load_taxonomy(tree / "config" / "taxonomy.yaml")
    model = relevance_model_for(settings)
    relevant = 0
    with out.open("w", encoding="utf-8") as fh:
        for number, doc in enumerate(build_corpus(count, shared_data_dir())):
            texts = clean_texts(doc, settings)
            analysis = analyse_texts(
                taxonomy, settings, texts["title"], texts["summary"], texts["body"], model
            )
            relevant += analysis.relevant
            row = {
                "i": number,
                "url": doc.url,
                "score": analysis.relevance.score,
                "relevant": analysis.relevant,
            }
            if analysis.relevance.score >= KEEP_EVIDENCE_FROM:
                row |= {
                    "title": texts["title"],
                    "body": texts["body"],
                    "features": sorted(analysis.relevance.features),
                    "reasons": analysis.relevance.reasons,
                    "sides": [
                        (m.term, m.concept.side, m.start)
                        for m in analysis.tags.strong().get("body", [])
                        if m.concept.side
                    ],
                }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{tree}: {relevant} relevant of {count:,}")


def compare(old_path: Path, new_path: Path) -> None:
    old = {row["i"]: row for row in map(json.loads, old_path.open(encoding="utf-8"))}
    new = {row["i"]: row for row in map(json.loads, new_path.open(encoding="utf-8"))}
    gained = [i for i in new if new[i]["relevant"] and not old[i]["relevant"]]
    lost = [i for i in new if old[i]["relevant"] and not new[i]["relevant"]]
    print(
        f"relevant {sum(r['relevant'] for r in old.values())} → {sum(r['relevant'] for r in new.values())}: "
        f"{len(gained)} gained, {len(lost)} lost"
    )
    for label, numbers in (("GAINED", gained), ("LOST", lost)):
        for i in numbers:
            row = new[i] if "title" in new[i] else old[i]
            print(
                f"\n{label} #{i} {row['url']} score {old[i]['score']} → {new[i]['score']}\n  {row['title']}"
            )
            print(f"  features: {', '.join(row['features'])}")
            body, shown = row["body"], set()
            for _, side, start in row["sides"]:
                begin = max(body.rfind("\n", 0, start), body.rfind(". ", 0, start)) + 1
                if begin not in shown:
                    shown.add(begin)
                    end = body.find("\n", start)
                    print(f"  {side} @{start}: {body[begin : end if end > 0 else None][:240]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("dump")
    one.add_argument("out", type=Path)
    one.add_argument("--docs", type=int, default=20_000)
    two = sub.add_parser("compare")
    two.add_argument("old", type=Path)
    two.add_argument("new", type=Path)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out, args.docs)
    else:
        compare(args.old, args.new)


if __name__ == "__main__":
    main()
