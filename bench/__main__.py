"""Run every benchmark in turn (``python -m bench [area ...]``); each prints its own figures."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

AREAS = ("collect", "process", "index", "alerts", "retention")


def main(argv: list[str]) -> int:
    areas = argv or [a for a in AREAS if (Path(__file__).parent / a / "__main__.py").exists()]
    failed = []
    for area in areas:
        print(f"\n=== bench/{area} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"bench.{area}"])
        print(f"=== bench/{area}: exit {code} in {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(area)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
