"""Build the labelled story set from ``real.yaml`` (items of the shared data, named by file and
title) and ``written.yaml`` (items written where the shared data lacks a language), and split it.

    python tests/data/stories/assemble.py [--shared ../shared/data/articles/ktitan-news-items]

Writes ``tuning.jsonl`` and ``heldout.jsonl`` beside this file, one item a line (id, story, group,
language, title, summary, published_at, source, source_kind, url, written, origin). The split is
fixed by a hash of each story's ``group``: look-alike events of the same days share a group, so
they always fall on the same side, and nothing can move a story across the split.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import unicodedata
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
HELDOUT_PERCENT = 40
SOURCE_KINDS = {
    "yna": "wire", "yna-en": "wire", "interfax": "wire",
    "chosun": "independent", "nhk": "independent", "smcp": "independent", "bbc": "independent",
    "lemonde": "independent", "nytimes": "independent", "taipeitimes": "independent",
    "zaobao": "independent", "kyodo": "wire", "kyivindependent": "independent", "pravda-ua": "independent",
    "tass": "state_media", "tass-ru": "state_media", "ria": "state_media", "cgtn": "state_media",
    "xinhua": "state_media", "kcna": "state_media", "nknews": "specialist",
}  # fmt: skip
FILE_LANGUAGE = {"kp": "ko", "kr": "ko", "jp": "ja", "fr": "fr"}  # the others are English
# Look-alike events of the same days: one group, one side of the split.
GROUPS = {
    "june-2025-pyongyang": [
        "russia-day-message-2025-06-12", "treaty-anniversary-messages-2025-06-19",
        "shoigu-pyongyang-2025-06-17", "moscow-pyongyang-train-2025-06-17",
        "shoigu-pyongyang-2025-06-04", "lavrov-wonsan-2025-07-12",
    ],
    "mid-august-2025": [
        "putin-kim-phone-call-2025-08-12", "putin-lauds-kursk-soldiers-2025-08-13",
        "volodin-pyongyang-2025-08-14", "liberation-day-messages-2025-08-15",
        "kim-yo-jong-loudspeakers-2025-08-14",
        "alaska-summit-2025-08-15",
    ],
    "kim-china-trip-2025-09": [
        "kim-munitions-factory-2025-08-31", "sco-summit-tianjin-2025-09-01",
        "kim-train-to-beijing-2025-09-02", "kim-icbm-institute-2025-09-02",
        "xi-putin-talks-2025-09-02", "putin-kim-beijing-talks-2025-09-03",
        "woo-meets-kim-parade-2025-09-03", "xi-kim-talks-2025-09-04", "kim-wraps-up-china-2025-09-05",
        "seal-mission-2019-report-2025-09-05",
    ],
    "october-2025-pyongyang": [
        "kim-birthday-greeting-putin-2025-10-07", "medvedev-meets-kim-2025-10-09",
        "putin-message-wpk-80-2025-10-10", "wpk-parade-hwasong20-2025-10-10",
    ],
    "choe-moscow-2025-10": [
        "choe-visit-russia-announced-2025-10-26", "putin-receives-choe-2025-10-27",
        "choe-lavrov-talks-2025-10-27",
    ],
    "late-october-2025": [
        "ballistic-missile-launch-2025-10-22", "trump-no-kim-meeting-planned-2025-10-25",
        "burevestnik-test-2025-10-26", "cruise-missile-test-2025-10-28",
        "trump-remarks-plane-kim-2025-10-29", "poseidon-test-2025-10-29",
        "trump-nuclear-tests-order-2025-10-30",
    ],
}  # fmt: skip
GROUP_OF = {story: group for group, stories in GROUPS.items() for story in stories}


def is_heldout(group: str) -> bool:
    return int(hashlib.sha1(group.encode("utf-8")).hexdigest()[:8], 16) % 100 < HELDOUT_PERCENT


def _item_id(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _squeeze(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _shared_items(shared: Path) -> dict[str, list[dict]]:
    by_file: dict[str, list[dict]] = {}
    for path in sorted(shared.glob("*_items.jsonl")):
        rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
        by_file[path.name.split("_")[0]] = rows
    return by_file


def _real(story: str, ref: str, by_file: dict[str, list[dict]]) -> dict:
    name, title = ref.split("|", 1)
    found = [row for row in by_file[name] if _squeeze(row["title"]).startswith(_squeeze(title))]
    if len(found) != 1:
        raise SystemExit(f"{story}: {ref!r} matches {len(found)} items")
    row = found[0]
    return {
        "id": _item_id(row["url"]),
        "story": story,
        "language": FILE_LANGUAGE.get(name, "en"),
        "title": row["title"],
        "summary": row.get("summary", ""),
        "published_at": row["date"],
        "source": row["source"],
        "source_kind": SOURCE_KINDS.get(row["source"], "independent"),
        "url": row["url"],
        "written": False,
        "origin": f"ktitan/{name}_items.jsonl",
    }


def _written(story: str, number: int, entry: list) -> dict:
    language, source, kind, date, title, summary = entry
    url = f"https://written.invalid/stories/{story}/{language}-{number}"
    return {
        "id": _item_id(url),
        "story": story,
        "language": language,
        "title": title,
        "summary": summary,
        "published_at": date if isinstance(date, str) else date.isoformat(),
        "source": source,
        "source_kind": kind,
        "url": url,
        "written": True,
        "origin": "written",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--shared", type=Path, default=HERE.parents[3] / "shared" / "data" / "articles" / "ktitan-news-items"
    )
    args = parser.parse_args()
    by_file = _shared_items(args.shared)
    real = yaml.safe_load((HERE / "real.yaml").read_text(encoding="utf-8"))
    written = yaml.safe_load((HERE / "written.yaml").read_text(encoding="utf-8"))
    items = [_real(story, ref, by_file) for story, refs in real.items() for ref in refs]
    for story, entries in written.items():
        items.extend(_written(story, number, entry) for number, entry in enumerate(entries, 1))
    unknown = set(GROUP_OF) - {item["story"] for item in items}
    if unknown:
        raise SystemExit(f"groups name stories with no items: {sorted(unknown)}")
    items.sort(key=lambda item: (item["published_at"], item["id"]))
    parts: dict[str, list[dict]] = {"tuning.jsonl": [], "heldout.jsonl": []}
    for item in items:
        item["group"] = GROUP_OF.get(item["story"], item["story"])
        parts["heldout.jsonl" if is_heldout(item["group"]) else "tuning.jsonl"].append(item)
    for name, rows in parts.items():
        with (HERE / name).open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        stories = {row["story"] for row in rows}
        print(f"{name}: {len(rows)} items, {len(stories)} stories")


if __name__ == "__main__":
    main()
