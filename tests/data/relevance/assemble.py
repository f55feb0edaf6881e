"""Join the drawn pool with the labels read for it (and the written items), and split by group.

    python tests/data/relevance/assemble.py POOL.jsonl LABELS.jsonl... --written W.jsonl... --out DIR
    python tests/data/relevance/assemble.py --append written/w3.jsonl --out DIR   # a later round

Writes ``DIR/tuning.jsonl`` and ``DIR/heldout.jsonl`` (``--append`` adds the written items whose ids
are not there yet to the part their group falls in, by the same rule). The split is fixed by a hash of each item's
``group`` (the URL it came from; for a written item, its event), so it never changes when items are
added, and no tuning step can move an item across it. Only ``tuning.jsonl`` may be read by
anything that fits or adjusts the scorer (``processing.relevance_model``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

HELDOUT_PERCENT = 40
LABEL_FIELDS = ("relevant", "themes", "confidence", "note")


def is_heldout(group: str) -> bool:
    return int(hashlib.sha1(group.encode("utf-8")).hexdigest()[:8], 16) % 100 < HELDOUT_PERCENT


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pool", type=Path, nargs="?")
    parser.add_argument("labels", type=Path, nargs="*")
    parser.add_argument("--written", type=Path, nargs="*", default=[])
    parser.add_argument("--append", type=Path, nargs="*", default=[])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.append:
        append(args.append, args.out)
        return
    if args.pool is None or not args.labels:
        parser.error("POOL and LABELS are needed unless --append is given")
    labels = {row["id"]: row for path in args.labels for row in _read(path)}
    items = []
    for item in _read(args.pool):
        label = labels.get(item["id"])
        if label is None:
            continue
        items.append({**item, **{k: label[k] for k in LABEL_FIELDS}})
    for path in args.written:
        items.extend(_written(row) for row in _read(path))
    args.out.mkdir(parents=True, exist_ok=True)
    parts = {"tuning": [], "heldout": []}
    for item in items:
        parts["heldout" if is_heldout(item["group"]) else "tuning"].append(item)
    for name, rows in parts.items():
        with (args.out / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(name, len(rows), "relevant", sum(r["relevant"] for r in rows))


def _written(row: dict) -> dict:
    return {
        "id": row["id"],
        "group": f"written:{row['event']}",
        "origin": "written",
        "url": "",
        "source": row.get("source", ""),
        "date": row.get("date", ""),
        "language": row["language"],
        "title": row["title"],
        "summary": row.get("summary", ""),
        "body": "",
        **{k: row[k] for k in LABEL_FIELDS},
        **({"script": row["script"]} if row.get("script") else {}),
    }


def append(paths: list[Path], out: Path) -> None:
    """Add the written items of ``paths`` not yet in ``out`` to the part their group falls in."""
    present = {row["id"] for name in ("tuning", "heldout") for row in _read(out / f"{name}.jsonl")}
    added = {"tuning": 0, "heldout": 0}
    for path in paths:
        for row in _read(path):
            if row["id"] in present:
                continue
            item = _written(row)
            name = "heldout" if is_heldout(item["group"]) else "tuning"
            with (out / f"{name}.jsonl").open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(item, ensure_ascii=False) + "\n")
            present.add(row["id"])
            added[name] += 1
    print("added", added)


if __name__ == "__main__":
    main()
