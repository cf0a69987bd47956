"""`make bench`: every benchmark in one run, each writing its JSON into bench/results/.

Absolute numbers on a shared 2-core machine are noisy; compare ratios within one run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
BENCHES = [
    ["e2e.py"],
    ["partitions.py"],
    ["transport_relay.py", "--messages", "50000"],
    ["pipeline_micro.py"],
    ["normalize_micro.py"],
    ["context_micro.py"],
    ["sparkplug_decode.py"],
    ["sparkplug_host.py"],
    ["lint_bench.py"],
    ["loader_gc.py", "--bindings", "100000", "--repeat", "2"],
    ["web_bench.py"],
]


def main() -> int:
    failed = []
    for bench in BENCHES:
        started = time.monotonic()
        print(f"== {' '.join(bench)}", flush=True)
        done = subprocess.run([sys.executable, str(HERE / bench[0]), *bench[1:]], check=False)
        print(f"== {bench[0]}: exit {done.returncode} in {time.monotonic() - started:.0f}s")
        if done.returncode != 0:
            failed.append(bench[0])
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
