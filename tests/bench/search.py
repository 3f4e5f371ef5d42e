"""Search benchmark: keystroke by keystroke over a big terminal store.

    python tests/bench/search.py --customers 200000

Builds (or reuses) a store of that size from the demo brand, then types real queries one
character at a time — every prefix of sampled customers' phone tails, names, initials
and full pinyin, including one-character queries (王, w, 8) — and prints p50/p95 of
(a) the query alone and (b) keystroke to the list repainted, plus the time to the first
window with that store. The last line is a summary of name=value pairs.

Budgets at 200,000 customers (issue #2): query p95 ≤ 16 ms, keystroke-to-repaint p95 ≤
100 ms, first window ≤ 1.0 s (the median of ``--launches`` launches of the app).

The store is encrypted as the product's is (SQLCipher, the folder's key in a keyring: a
file keyring in the benchmark's folder unless PYTHON_KEYRING_BACKEND names one);
``--plain`` measures the same data unencrypted, for the comparison (issue 8).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.domain.search_keys import name_pinyin_parts
from app.store import db
from app.store.customers import CustomerQuery, search_customers
from tests.bench.common import BENCH_TODAY, build_terminal_store, percentile, summary_ms


def keystroke_queries(conn, samples: int, seed: int, *, prefixes: bool = True) -> list[str]:
    """Every prefix a guide types for sampled customers: tail, name, initials, pinyin
    (``prefixes=False``: the whole words, typed one character at a time by the caller)."""
    rng = random.Random(seed)
    total = conn.execute("SELECT max(rid) FROM customers").fetchone()[0]
    queries: list[str] = []
    for _ in range(samples):
        row = conn.execute(
            "SELECT name, phone FROM customers WHERE rid >= ? LIMIT 1", (rng.randint(1, total),)
        ).fetchone()
        full, initials = name_pinyin_parts(row["name"])
        for word in (row["phone"][-4:], row["name"], initials, full):
            if prefixes:
                queries.extend(word[:i] for i in range(1, len(word) + 1))
            else:
                queries.append(word)
    queries.extend(["王", "w", "8", "李", "z", "1"])
    return [q for q in queries if q]


def bench_keyring(folder: Path) -> None:
    """A keyring this process and the paint probe share (the cache key is in it)."""
    if not os.environ.get("PYTHON_KEYRING_BACKEND"):
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
        os.environ["XDG_DATA_HOME"] = str(folder / "keyring")


def bench_queries(path: Path, samples: int, seed: int) -> list[float]:
    conn = db.connect(path)
    queries = keystroke_queries(conn, samples, seed)
    for q in queries[:50]:  # warm the page cache like a terminal that has been in use
        search_customers(conn, CustomerQuery(text=q), today=BENCH_TODAY)
    times = []
    slowest: list[tuple[float, str]] = []
    for q in queries:
        started = time.perf_counter()
        search_customers(conn, CustomerQuery(text=q), today=BENCH_TODAY)
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        slowest.append((elapsed, q))
    conn.close()
    slowest.sort(reverse=True)
    print(f"query: {summary_ms(times)}")
    print("slowest queries: " + ", ".join(f"{q!r} {t * 1000:.1f}ms" for t, q in slowest[:8]))
    return times


def bench_paint(path: Path, samples: int, seed: int) -> tuple[list[float], float]:
    """Keystroke to repaint, measured in a child process that owns the Qt application;
    also that process's time to its first window."""
    out = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("paint_probe.py")),
            str(path),
            str(samples),
            str(seed),
            str(time.time()),
            *(["plain"] if db.cache_key_of is not db.keys.cache_key else []),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    times: list[float] = []
    cold = 0.0
    for line in out.stdout.splitlines():
        if line.startswith("paint "):
            times.append(float(line.split()[1]))
        elif line.startswith("first_window "):
            cold = float(line.split()[1])
    return times, cold


def bench_first_window(path: Path, launches: int, seed: int, first: float) -> list[float]:
    """Time to the first window over several launches (``first`` is one already made):
    one launch is at the mercy of the machine's noise."""
    return [first] + [bench_paint(path, 0, seed)[1] for _ in range(launches - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--samples", type=int, default=60, help="customers whose keys are typed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--store", type=Path, help="reuse this store file (built if missing)")
    parser.add_argument("--plain", action="store_true", help="an unencrypted store")
    parser.add_argument("--no-paint", action="store_true", help="measure queries only")
    parser.add_argument(
        "--launches", type=int, default=5, help="app launches for the first-window median"
    )
    args = parser.parse_args()

    folder = f"guidedesk-bench-{args.customers}{'-plain' if args.plain else ''}"
    path = args.store or Path(tempfile.gettempdir()) / folder / db.DB_FILENAME
    path.parent.mkdir(parents=True, exist_ok=True)
    bench_keyring(path.parent)
    if args.plain:
        db.cache_key_of = lambda path: None
    print(f"store: {path} ({'plain' if args.plain else 'encrypted'})", flush=True)
    if not path.exists():
        print(f"building a store of {args.customers} customers at {path} …", flush=True)
        tmp = path.with_suffix(".building")
        for leftover in path.parent.glob(tmp.name + "*"):
            leftover.unlink()
        seconds = build_terminal_store(tmp, args.customers, purchases=False)
        for suffix in ("-wal", "-shm"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
        tmp.rename(path)
        print(f"built in {seconds:.1f}s ({args.customers / seconds:,.0f} customers/s)")
    query_times = bench_queries(path, args.samples, args.seed)
    paint_p95 = cold = float("nan")
    if not args.no_paint:
        paint_times, cold = bench_paint(path, args.samples, args.seed)
        print(f"keystroke-to-repaint: {summary_ms(paint_times)}")
        windows = bench_first_window(path, max(args.launches, 1), args.seed, cold)
        cold = percentile(windows, 50)
        print(
            f"first window: median {cold:.3f}s, max {max(windows):.3f}s over {len(windows)}"
            " launches (" + ", ".join(f"{w:.3f}" for w in windows) + ")"
        )
        paint_p95 = percentile(paint_times, 95) * 1000
    query_p95 = percentile(query_times, 95) * 1000
    print(
        f"search {'plain' if args.plain else 'encrypted'} query_p95_ms={query_p95:.2f} paint_p95_ms={paint_p95:.2f} cold_start_s={cold:.3f} "
        f"customers={args.customers} query_budget_ratio={query_p95 / 16:.2f} "
        f"paint_budget_ratio={paint_p95 / 100:.2f} cold_budget_ratio={cold / 1.0:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
