"""Content benchmarks (issue 11, item 9). Prints figures; not a test (pytest collects
``test_*.py`` only).

    python -m tests.bench.content [--pieces 2000] [--runs 15] [--pictures 500] [--kb 200]
        [--only page|pictures]

(a) **page**: a terminal store with ``--pieces`` content pieces, each with its own
    thumbnail already in the picture cache (``PictureCache``, on disk). One sample is the
    real Content page (``ContentPage`` with a fresh ``PictureSource`` over that cache, no
    HQ) from construction to the first paint of ``contentGrid`` in which every visible
    card shows its thumbnail (paint events watched as tests/bench/paint_probe.py does).
    Budget: 300 ms. Beside it the raw baseline: a bare ``QListView`` in icon mode with the
    same pieces' icons decoded from the same files, construction to first paint.
(b) **pictures**: a real HQ process (``EmbeddedHQ``: ``guidedesk-hq serve`` over HTTP)
    with ``--pictures`` pictures of ``--kb`` KB each (valid PNGs of random pixels, so
    they do not compress), published with ``publish-content``; an enrolled terminal
    syncs the records, then the page's fetch path — one ``PictureFetcher`` (one HQ client)
    and ``fetch_into`` a ``PictureCache``, hash checked, one picture after another as the
    page's pictures lane does — fetches all of them. MB/s beside ``shutil.copyfile`` of
    the same files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import struct
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import percentile

NOW = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
BUDGET_MS = 300.0


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, pixels: bytes, level: int = 1) -> bytes:
    """A valid RGB PNG of ``pixels`` (width*height*3 bytes)."""
    stride = width * 3
    raw = b"".join(b"\x00" + pixels[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, level))
        + _chunk(b"IEND", b"")
    )


def thumbnail(n: int) -> bytes:
    """A distinct small thumbnail (160x120, two colours) for piece ``n``."""
    a = bytes(((n * 37) % 256, (n * 91) % 256, (n * 53) % 256))
    b = bytes(((n * 11) % 256, 200, (n * 7) % 256))
    row = a * 80 + b * 80
    return png(160, 120, row * 120, level=6)


def content_record(n: int, sha: str) -> dict:
    cid = f"CT-B{n:05d}"
    data = {
        "id": cid,
        "kind": ("copy", "product", "outfit", "poster")[n % 4],
        "title": f"内容 {n:05d} 冬季新品",
        "body": "{称呼}您好，冬季新品到店了。",
        "images": [sha],
        "skus": [],
        "category_631": ("brand", "brand", "service", "selling")[n % 4],
        "tags": ["新品"] if n % 2 else ["冬季"],
        "campaign": "WINTER26" if n % 3 else None,
        "valid_from": None,
        "valid_until": None,
        "status": "active",
    }
    return {"entity": "content", "op": "upsert", "id": cid, "version": 1, "data": data}


# -- (a) the page -------------------------------------------------------------------------


def bench_page(pieces: int, runs: int) -> dict:
    import shiboken6
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QPoint, QSize, Qt
    from PySide6.QtGui import QIcon, QImage, QPixmap, QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QApplication, QListView

    from app.store import db
    from app.store.guides import get_guide
    from app.store.picture_cache import PictureCache
    from app.store.replica import TerminalReplica
    from app.ui.app import apply_style, install_translator
    from app.ui.content.page import THUMB, ContentPage, PictureSource
    from app.ui.session import Session

    app = QApplication.instance() or QApplication(sys.argv[:1])
    install_translator(app, "zh_CN")
    apply_style(app)
    home = Path(tempfile.mkdtemp(prefix="gd-bench-content-"))
    store = home / "terminal.sqlite3"
    cache = PictureCache(home / "pictures")
    records = [
        {
            "entity": "store",
            "op": "upsert",
            "id": "S001",
            "version": 1,
            "data": {"id": "S001", "name": "基准店", "city": "上海"},
        },
        {
            "entity": "guide",
            "op": "upsert",
            "id": "G001",
            "version": 1,
            "data": {
                "id": "G001",
                "store_id": "S001",
                "name": "王丽",
                "is_manager": False,
                "active": True,
                "pin_verifier": None,
            },
        },
    ]
    files: list[Path] = []
    for n in range(pieces):
        data = thumbnail(n)
        sha = hashlib.sha256(data).hexdigest()
        cache.put(sha, data)
        files.append(cache._path(sha))
        records.append(content_record(n, sha))
    conn = db.connect(store)
    replica = TerminalReplica(conn, clock=lambda: NOW)
    replica.apply_page(records, str(len(records)), more=False)
    replica.set_state(store_id="S001", store_name="基准店")
    conn.close()
    session = Session(store, clock=lambda: NOW)
    guide = get_guide(session.conn, "G001")

    class Watch(QObject):
        def __init__(self, widget, ready) -> None:
            super().__init__()
            self.ready, self.done = ready, False
            widget.installEventFilter(self)

        def eventFilter(self, watched, event) -> bool:
            if event.type() == QEvent.Type.Paint and not self.done and self.ready():
                self.done = True
            return False

    def wait(watch: Watch) -> None:
        deadline = time.perf_counter() + 60
        while not watch.done and time.perf_counter() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 20)
        app.processEvents()  # finish the paint the filter saw
        if not watch.done:
            raise RuntimeError("no painted grid within 60 s")

    def page_once() -> float:
        started = time.perf_counter()
        source = PictureSource(session, cache, None)
        page = ContentPage(session, guide, pictures=source)
        page.resize(1024, 700)

        def ready() -> bool:
            # What the guide sees: cards painted, each visible one with its thumbnail (the
            # page reads the first screen first; the whole library follows, timed apart).
            if page.model.rowCount() == 0:
                return False
            rect = page.grid.viewport().rect()
            first = page.grid.indexAt(rect.topLeft() + QPoint(10, 10))
            if not first.isValid():
                return False
            row = first.row()
            while row < page.model.rowCount():
                visual = page.grid.visualRect(page.model.index(row, 0))
                if not visual.intersects(rect):
                    break
                if page.thumbnail_is_placeholder(row):
                    return False
                row += 1
            return True

        watch = Watch(page.grid.viewport(), ready)
        page.show()
        wait(watch)
        elapsed = time.perf_counter() - started
        deadline = time.perf_counter() + 60
        while not (page.ready and page.model.rowCount() == pieces):
            if time.perf_counter() > deadline:
                raise RuntimeError("the whole library did not arrive within 60 s")
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 20)
        whole.append(time.perf_counter() - started)
        page.close()
        source.close()  # its pictures lane stops; the page itself goes now, not later
        shiboken6.delete(page)
        app.processEvents()
        return elapsed

    def raw_once() -> float:
        started = time.perf_counter()
        model = QStandardItemModel()
        for n, path in enumerate(files):
            image = QImage.fromData(path.read_bytes())
            pixmap = QPixmap.fromImage(image).scaled(
                THUMB,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            item = QStandardItem(QIcon(pixmap), f"内容 {n:05d}")
            model.appendRow(item)
        view = QListView()
        view.setViewMode(QListView.ViewMode.IconMode)
        view.setIconSize(THUMB)
        view.setGridSize(QSize(THUMB.width() + 24, THUMB.height() + 76))
        view.setUniformItemSizes(True)
        view.setModel(model)
        view.resize(1024, 700)
        watch = Watch(view.viewport(), lambda: True)
        view.show()
        wait(watch)
        elapsed = time.perf_counter() - started
        view.close()
        shiboken6.delete(view)
        app.processEvents()
        return elapsed

    whole: list[float] = []
    page_once()  # warm-up: imports, fonts, the first style polish
    raw_once()
    whole.clear()
    page = [page_once() for _ in range(runs)]
    raw = [raw_once() for _ in range(runs)]
    session.close()
    shutil.rmtree(home, ignore_errors=True)
    return {"page": page, "raw": raw, "whole": whole}


# -- (b) the first sync of pictures ---------------------------------------------------


def bench_pictures(count: int, kb: int) -> dict:
    from app import terminal
    from app.embedded_hq import EmbeddedHQ
    from app.store import db
    from app.store.picture_cache import DEFAULT_LIMIT, PictureCache, fetch_into
    from app.ui.content.page import PictureFetcher
    from sync import credentials

    credentials.use_memory_keyring_if_none()
    home = Path(tempfile.mkdtemp(prefix="gd-bench-pictures-"))
    hq = EmbeddedHQ(home / "hq")

    def run(*args: str) -> None:
        done = hq.cli(*args)
        if done.returncode != 0:
            raise RuntimeError(f"guidedesk-hq {' '.join(args)}: {done.stderr}")

    run("init")
    run("add-store", "S001", "基准店")
    run("add-guide", "G001", "王丽", "--store", "S001", "--pin", "246810")
    side = int(((kb * 1024) / 3) ** 0.5)
    folder = home / "published"
    folder.mkdir()
    shas: list[str] = []
    files: list[Path] = []
    for n in range(count):
        data = png(side, side, os.urandom(side * side * 3), level=0)
        path = folder / f"p{n:04d}.png"
        path.write_bytes(data)
        files.append(path)
        shas.append(hashlib.sha256(data).hexdigest())
    total = sum(p.stat().st_size for p in files)
    per_file = 100  # a content file per hundred pictures (one transaction each)
    for start in range(0, count, per_file):
        pieces = [
            {
                "id": f"CT-P{n:04d}",
                "kind": "poster",
                "title": f"海报 {n}",
                "pictures": [files[n].name],
                "category_631": "brand",
            }
            for n in range(start, min(start + per_file, count))
        ]
        spec = folder / f"content-{start:04d}.json"
        spec.write_text(json.dumps(pieces, ensure_ascii=False), encoding="utf-8")
        run("publish-content", str(spec))
    hq.start()
    try:
        db_file = home / "terminal" / db.DB_FILENAME
        db_file.parent.mkdir()
        db.connect(db_file).close()
        terminal.enroll_terminal(db_file, hq.url, hq.enroll_code("S001"), "bench")
        make = terminal.engine_factory(db_file, clock=lambda: datetime.now(UTC))
        engine = make()
        try:
            started = time.perf_counter()
            report = engine.sync_once()
            records_s = time.perf_counter() - started
        finally:
            engine.close()
        assert report.ok, report
        cache = PictureCache(db_file.parent / "pictures")
        fetcher = PictureFetcher(make)
        started = time.perf_counter()
        fetched = sum(1 for sha in shas if fetch_into(cache, sha, fetcher) is not None)
        fetch_s = time.perf_counter() - started
        fetcher.close()
        assert fetched == count, f"{fetched} of {count} pictures kept"
        clients = fetcher.clients_made
    finally:
        hq.stop()
    copy_folder = home / "copy"
    copy_folder.mkdir()
    started = time.perf_counter()
    for path in files:
        shutil.copyfile(path, copy_folder / path.name)
    copy_s = time.perf_counter() - started
    result = {
        "pictures": count,
        "bytes": total,
        "records_sync_s": records_s,
        "fetch_s": fetch_s,
        "copy_s": copy_s,
        "clients": clients,
        "cache_limit": DEFAULT_LIMIT,
        "cache_size": cache.size(),
    }
    shutil.rmtree(home, ignore_errors=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pieces", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--pictures", type=int, default=500)
    parser.add_argument("--kb", type=int, default=200)
    parser.add_argument("--only", choices=("page", "pictures"))
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from sync import credentials

    credentials.use_memory_keyring_if_none()  # the store's key, the terminal's token
    if args.only in (None, "page"):
        found = bench_page(args.pieces, args.runs)
        page, raw = found["page"], found["raw"]
        p50, p95 = percentile(page, 50) * 1000, percentile(page, 95) * 1000
        r50 = percentile(raw, 50) * 1000
        verdict = "within" if p95 <= BUDGET_MS else "OVER"
        print(
            f"(a) Content page, {args.pieces} pieces with cached thumbnails, construct → first"
            f" paint with visible thumbnails: median {p50:.1f} ms, p95 {p95:.1f} ms"
            f" (budget {BUDGET_MS:.0f} ms: {verdict}); mean {statistics.fmean(page) * 1000:.1f} ms,"
            f" n={len(page)}"
        )
        print(
            f"    raw QListView with the same {args.pieces} icons decoded: median {r50:.1f} ms,"
            f" p95 {percentile(raw, 95) * 1000:.1f} ms; page / raw = {p50 / r50:.2f}"
        )
        whole = found["whole"]
        print(
            f"    the whole library in the grid (all {args.pieces} cards, filters ready):"
            f" median {percentile(whole, 50) * 1000:.1f} ms, p95 {percentile(whole, 95) * 1000:.1f} ms"
        )
    if args.only in (None, "pictures"):
        found = bench_pictures(args.pictures, args.kb)
        mb = found["bytes"] / 1e6
        fetch_mbs, copy_mbs = mb / found["fetch_s"], mb / found["copy_s"]
        print(
            f"(b) first sync of {found['pictures']} pictures, {mb:.1f} MB, from an HQ process"
            f" over HTTP into the picture cache (HQClient.picture + fetch_into, hash checked,"
            f" one client: {found['clients']}): {found['fetch_s']:.2f} s = {fetch_mbs:.1f} MB/s"
            f" (the content records' sync before it: {found['records_sync_s']:.2f} s)"
        )
        print(
            f"    shutil.copyfile of the same files: {found['copy_s']:.3f} s = {copy_mbs:.0f} MB/s;"
            f" copy / fetch = {copy_mbs / fetch_mbs:.1f}x; cache holds"
            f" {found['cache_size'] / 1e6:.1f} MB of its {found['cache_limit'] / 2**20:.0f} MiB limit"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
