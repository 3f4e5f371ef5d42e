"""Cold start of the frozen terminal beside the source install, over a 50,000-customer store.

    python tests/bench/frozen_start.py [--customers 50000] [--launches 5] [--dist DIR]

Builds (or reuses) an encrypted store as tests/bench/search.py does (SQLCipher, its key in
a file keyring in the benchmark's folder), builds the terminal with its cold-start probe
(``packaging/build.py --start-probe``; or reuses ``--dist`` if it has one), then launches
packaging/start_probe.py from source and frozen, alternately, and prints each one's median
time from process start to the customer book painted. Budget (issue 9): frozen ≤ 1.5 s.
The last line is a summary of name=value pairs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.store import db
from tests.bench.common import build_terminal_store, percentile
from tests.bench.search import bench_keyring

REPO = Path(__file__).resolve().parents[2]
BUDGET_S = 1.5


def ensure_store(customers: int) -> Path:
    path = Path(tempfile.gettempdir()) / f"guidedesk-bench-{customers}" / db.DB_FILENAME
    path.parent.mkdir(parents=True, exist_ok=True)
    bench_keyring(path.parent)
    if not path.exists():
        print(f"building a store of {customers} customers at {path} …", flush=True)
        tmp = path.with_suffix(".building")
        for leftover in path.parent.glob(tmp.name + "*"):
            leftover.unlink()
        seconds = build_terminal_store(tmp, customers, purchases=False)
        for suffix in ("-wal", "-shm"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
        tmp.rename(path)
        print(f"built in {seconds:.1f}s", flush=True)
    return path


def ensure_build(dist: Path) -> Path:
    probe = dist / "guidedesk" / "guidedesk-startprobe"
    if not probe.exists():
        started = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                str(REPO / "packaging" / "build.py"),
                "--start-probe",
                "--dist",
                str(dist),
                "--work",
                str(dist.parent / "work"),
            ],
            check=True,
        )
        print(f"frozen build with the probe: {time.monotonic() - started:.0f} s", flush=True)
    return probe


def launch(command: list[str], store: Path, env: dict[str, str]) -> float:
    launched_at = time.time()
    done = subprocess.run(
        [*command, str(store), repr(launched_at)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{done.stdout}\n{done.stderr}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("first_window "))
    return float(line.split()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--launches", type=int, default=5)
    parser.add_argument(
        "--dist", type=Path, default=Path(tempfile.gettempdir()) / "guidedesk-bench-frozen" / "dist"
    )
    args = parser.parse_args()
    store = ensure_store(args.customers)
    probe = ensure_build(args.dist)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    frozen_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    source_cmd = [sys.executable, str(REPO / "packaging" / "start_probe.py")]
    source_env = {**env, "PYTHONPATH": str(REPO)}
    # One launch each first, not counted: the page cache holds the store and the libraries
    # as it does on a terminal that has started before (a "cold" start of the program).
    launch(source_cmd, store, source_env)
    launch([str(probe)], store, frozen_env)
    source: list[float] = []
    frozen: list[float] = []
    for _ in range(args.launches):
        source.append(launch(source_cmd, store, source_env))
        frozen.append(launch([str(probe)], store, frozen_env))
    f_med, s_med = percentile(frozen, 50), percentile(source, 50)
    print("source: " + ", ".join(f"{t:.3f}" for t in source) + f" s (median {s_med:.3f} s)")
    print("frozen: " + ", ".join(f"{t:.3f}" for t in frozen) + f" s (median {f_med:.3f} s)")
    print(
        f"frozen_start customers={args.customers} frozen_s={f_med:.3f} source_s={s_med:.3f} "
        f"frozen_max_s={max(frozen):.3f} budget_s={BUDGET_S} "
        f"budget_ratio={f_med / BUDGET_S:.2f}"
    )
    return 0 if f_med <= BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
