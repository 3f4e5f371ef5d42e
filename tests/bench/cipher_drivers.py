"""Which encrypted SQLite for the terminal's cache: the raw measurement behind the choice.

    python tests/bench/cipher_drivers.py --store PLAIN_STORE_FILE

Takes a plain terminal store (``python tests/bench/search.py --plain`` builds one at
$TMPDIR/guidedesk-bench-200000-plain/guidedesk.sqlite3), makes an SQLCipher copy
(sqlcipher3, raw 256-bit key) and, when ``apsw-sqlite3mc`` is installed (it is not a
dependency: ``pip install apsw-sqlite3mc``), a SQLite3 Multiple Ciphers copy (ChaCha20),
then runs the search benchmark's 1,120 keystroke queries through the store's own
``search_customers`` on each, at page caches of 32, 64 and 128 MB, and times an open.

Figures of 2026-12-02 at 200,000 customers (p95 of the queries, ms):

    cache   plain sqlite3   sqlcipher3 (AES-256-CBC + HMAC-SHA512)   sqlite3mc (ChaCha20)
    32 MB   3.7             13.7                                      5.8
    64 MB   3.3             5.9                                       3.0
    128 MB  3.1             4.6                                       2.6

sqlite3mc is faster per page, but apsw is not the DB-API: no ``sqlite3.Row``, its own
exceptions, no ``isolation_level``; sqlite-utils (migration 4) does not take it. sqlcipher3
is the stdlib module built on SQLCipher: the store runs on it unchanged, and at 64 MB its
p95 is well inside the 16 ms budget. Hence SQLCipher with a 64 MB cache (app/store/db.py).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import sqlcipher3.dbapi2 as sqlcipher

from app.store.customers import CustomerQuery, search_customers
from tests.bench.common import BENCH_TODAY, percentile
from tests.bench.search import keystroke_queries

KEY = "ab" * 32


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", type=Path, required=True, help="a plain terminal store")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gd-cipher-"))
    plain = work / "plain.sqlite3"
    source = sqlite3.connect(args.store)
    target = sqlite3.connect(plain)
    source.backup(target)
    source.close()
    target.execute("PRAGMA journal_mode=DELETE")
    target.row_factory = sqlite3.Row
    queries = keystroke_queries(target, 60, 7)
    target.close()

    ciphered = work / "sqlcipher.sqlite3"
    conn = sqlcipher.connect(plain)
    conn.execute("ATTACH DATABASE ? AS enc KEY ?", (str(ciphered), f"x'{KEY}'"))
    conn.execute("SELECT sqlcipher_export('enc')")
    conn.execute("DETACH DATABASE enc")
    conn.close()

    def open_plain():
        return sqlite3.connect(plain)

    def open_sqlcipher():
        c = sqlcipher.connect(ciphered)
        c.execute(f"PRAGMA key = \"x'{KEY}'\"")
        return c

    openers = [("sqlite3 plain", open_plain), ("sqlcipher3", open_sqlcipher)]
    try:
        import apsw  # apsw-sqlite3mc

        mc = work / "sqlite3mc.sqlite3"
        shutil.copyfile(plain, mc)
        a = apsw.Connection(str(mc))
        a.execute("PRAGMA cipher='chacha20'")
        a.execute("PRAGMA kdf_iter=1")
        a.execute("PRAGMA rekey='bench-key'")
        a.close()

        def open_mc():
            c = apsw.Connection(str(mc))
            c.execute("PRAGMA cipher='chacha20'")
            c.execute("PRAGMA kdf_iter=1")
            c.execute("PRAGMA key='bench-key'")
            return c

        openers.append(("sqlite3mc (apsw)", open_mc))
    except ImportError:
        print("apsw-sqlite3mc not installed: measuring plain and SQLCipher only")

    for name, opener in openers:
        opens = []
        for _ in range(5):
            started = time.perf_counter()
            c = opener()
            c.execute("SELECT count(*) FROM sqlite_master").fetchall()
            opens.append(time.perf_counter() - started)
            c.close()
        print(f"{name}: open + first read, median {statistics.median(opens) * 1000:.2f} ms")
        for cache in (32_000, 64_000, 128_000):
            c = opener()
            c.execute(f"PRAGMA cache_size=-{cache}")
            for q in queries[:50]:
                search_customers(c, CustomerQuery(text=q), today=BENCH_TODAY)
            times = []
            for q in queries:
                started = time.perf_counter()
                search_customers(c, CustomerQuery(text=q), today=BENCH_TODAY)
                times.append(time.perf_counter() - started)
            c.close()
            print(
                f"  cache {cache // 1000} MB: search p50 {percentile(times, 50) * 1000:.2f} ms"
                f" p95 {percentile(times, 95) * 1000:.2f} ms max {max(times) * 1000:.1f} ms"
            )
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
