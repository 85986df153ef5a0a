"""Benchmark: the A4 barcode label sheet (services.catalog.labels.label_sheet) drawn in memory, no database.

Prints the time and size of three sheets: one page of 24 different items, the 2,400-label limit made of 240
different items (100 pages) and the limit made of one item. Not a test: it prints figures.

    .venv/bin/python bench/bench_labels.py [--runs 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.catalog import labels  # noqa: E402


def items(count: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(id=i, product_name=f"Bench item {i}", barcode=labels.in_house_code("29", 1, i), sku=None,
                            unit_price=Decimal("28.00"), unit="pcs", price_includes_tax=True)
            for i in range(1, count + 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    store = SimpleNamespace(name="Bench")
    labels.label_sheet(store, [labels.LabelRequest(items(1)[0], 1)])  # font registration, imports
    for name, count, copies in (("24 items x 1", 24, 1), ("240 items x 10", 240, 10), ("1 item x 2400", 1, 2400)):
        wanted = [labels.LabelRequest(item, copies) for item in items(count)]
        times, size = [], 0
        for _ in range(runs):
            start = time.perf_counter()
            size = len(labels.label_sheet(store, wanted))
            times.append(time.perf_counter() - start)
        print(f"{name:>16}: median {statistics.median(times) * 1000:7.0f} ms, max {max(times) * 1000:7.0f} ms, "
              f"{size // 1024} KiB")


if __name__ == "__main__":
    main()
