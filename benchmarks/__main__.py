"""`make bench`: run every benchmark and print its figures (targets live here, not in tests).

Usage: python -m benchmarks [NAME ...]   (names: see BENCHMARKS)
"""

from __future__ import annotations

import importlib
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propel_admin.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

BENCHMARKS = {
    "client": "benchmarks.client_throughput",
    "pipeline": "benchmarks.pipeline",
    "review": "benchmarks.review",
    "sending": "benchmarks.sending",
}


def main(names: list[str]) -> int:
    import django

    django.setup()
    chosen = names or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    failed = 0
    for name in chosen:
        module = importlib.import_module(BENCHMARKS[name])
        started = time.perf_counter()
        print(f"== {name}: {(module.__doc__ or name).strip().splitlines()[0]}")
        ok = module.run()
        print(f"   ({time.perf_counter() - started:.1f}s) {'goal met' if ok else 'GOAL MISSED'}\n")
        failed += 0 if ok else 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
