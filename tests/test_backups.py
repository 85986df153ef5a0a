"""Backups a shop can restore (services/backups, `flask backup`, `flask restore`, the scheduled backup).

The main test backs a shop up while three tills save bills in threads, restores the backup into a new empty
database through `flask restore`, and finds every bill acknowledged before the backup started, with numbers
1..n without a gap, every line, and stock equal to the sum of its moves. On SQLite (a file in WAL mode: a plain
copy of the file would miss the commits still in the -wal) and on PostgreSQL (new databases of their own).
"""
from __future__ import annotations

import shutil
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from app import create_app
from config import engine_options
from extensions import db
from tests.conftest import PG_URL, WORKER, make_test_config, reset_schema
from tests.fixtures_live import empty_pg_database

TILLS = 3
LINES = 2
OPENING_STOCK = 100_000
REVISION = "backup-test-rev"


def _pg_database(name: str) -> str:
    return empty_pg_database(PG_URL, name)


@pytest.fixture
def database_urls(backend: str, tmp_path: Path):
    """Two empty databases of the backend: the shop's and the one its backup is restored into."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'shop.db'}", f"sqlite:///{tmp_path / 'restored.db'}"
    prefix = f"{make_url(PG_URL).database}_bk{WORKER or 'main'}"
    return _pg_database(f"{prefix}_shop"), _pg_database(f"{prefix}_restored")


def shop_app(backend: str, tmp_path: Path, url: str, role: str, **overrides):
    """An app on database `url` with uploads in <tmp>/<role>-uploads; both apps share one BACKUP_DIR."""
    config = make_test_config(backend, tmp_path, SQLALCHEMY_DATABASE_URI=url,
                              SQLALCHEMY_ENGINE_OPTIONS=engine_options(url),
                              INSTANCE_PATH=str(tmp_path / f"{role}-instance"),
                              UPLOAD_FOLDER=str(tmp_path / f"{role}-uploads"), BACKUP_DIR=str(tmp_path / "backups"),
                              **overrides)
    return create_app(config)


def build_shop(app) -> dict:
    """Schema (at a made-up migration revision), an owner and store with a logo, two items with opening stock."""
    from services.accounts.stores import create_owner
    from services.catalog import stock
    from services.catalog.products import ProductInput, create_product
    from services.documents import uploads

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            reset_schema("sqlite")  # the suite's schema template, copied (far quicker than the DDL)
        else:
            db.create_all()
        db.session.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        db.session.execute(text("INSERT INTO alembic_version VALUES (:r)"), {"r": REVISION})
        owner, store = create_owner(username="owner", email="owner@example.com", password="Password123!",
                                    store_name="Backup Kirana", verified=True)
        products = [create_product(store, owner, ProductInput.of(
            product_name=f"Item {n}", type="product", unit_price=Decimal("100.00"), cgst_rate=Decimal("0"),
            sgst_rate=Decimal("0"))) for n in range(LINES)]
        stock.add({product: OPENING_STOCK for product in products}, reason="import")
        logo = b"\x89PNG\r\n\x1a\n" + b"logo bytes" * 100
        store.logo_path = uploads.save_image(store.uid, logo, "png", prefix="logo")
        db.session.commit()
        return {"store": store.id, "owner": owner.id, "products": [p.id for p in products],
                "logo": (store.logo_path, logo)}


def till(app, shop: dict, stop: threading.Event, acks: list, errors: list) -> None:
    """Save bills of one unit of each item, each in its own transaction, until told to stop; each acknowledged
    bill (its commit returned) goes into `acks` with the time it was acknowledged."""
    from models import Product, Store, User
    from services.billing import bills as billing

    with app.app_context():
        try:
            while not stop.is_set():
                store, user = db.session.get(Store, shop["store"]), db.session.get(User, shop["owner"])
                products = [db.session.get(Product, pid) for pid in shop["products"]]
                draft = billing.BillDraft(
                    lines=[billing.DraftLine(product=p, qty=1) for p in products],
                    payments=[billing.DraftPayment(mode="cash", amount=Decimal("100.00") * LINES)])
                number = billing.save_bill(store, user, draft).invoice_number
                db.session.commit()
                acks.append((number, time.monotonic()))
                db.session.expire_all()
        except Exception as exc:  # reported by the test
            errors.append(repr(exc))
        finally:
            db.session.remove()


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def restore(app, *args: str):
    return app.test_cli_runner().invoke(args=["restore", *args])


def test_backup_under_load_restores_every_acknowledged_bill(backend, tmp_path, database_urls, monkeypatch):
    from models import Bill, BillItem, Payment, Product, StockMove, Store
    from services.backups import make_backup, writer

    shop_url, restored_url = database_urls
    source = shop_app(backend, tmp_path, shop_url, "shop")
    shop = build_shop(source)

    stop, acks, errors = threading.Event(), [], []
    # The uploads are packed after the database; waiting there for three more bills makes sure the tills are saving
    # while the backup runs (the database snapshot itself takes a few milliseconds here).
    pack = writer.pack_uploads

    def pack_after_three_more_bills(*args):
        seen = len(acks)
        wait_for(lambda: len(acks) >= seen + 3 or errors)
        return pack(*args)

    monkeypatch.setattr(writer, "pack_uploads", pack_after_three_more_bills)
    threads = [threading.Thread(target=till, args=(source, shop, stop, acks, errors)) for _ in range(TILLS)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(acks) >= 15 or errors)
        with source.app_context():
            started = time.monotonic()
            result = make_backup()
            finished = time.monotonic()
        wait_for(lambda: any(at > finished for _, at in acks) or errors)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    acknowledged = {number for number, at in acks if at < started}
    assert any(started <= at <= finished for _, at in acks), "no bill was saved while the backup ran"
    location = Path(result.location)
    assert result.manifest["database"] == backend and result.manifest["uploads"] == 1
    assert result.manifest["alembic_revision"] == REVISION and set(result.manifest["files"]) == {
        "database.sqlite3" if backend == "sqlite" else "database.pgdump", "uploads.tar"}

    target = shop_app(backend, tmp_path, restored_url, "restored")
    # A tampered copy is refused before anything is written.
    tampered = tmp_path / "tampered"
    shutil.copytree(location, tampered)
    database_file = next(tampered / name for name in result.manifest["files"] if name.startswith("database"))
    data = bytearray(database_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    database_file.write_bytes(bytes(data))
    refused = restore(target, str(tampered))
    assert refused.exit_code == 1
    assert f"{database_file.name}: checksum mismatch" in refused.output and "nothing was restored" in refused.output
    with target.app_context():
        assert inspect(db.engine).get_table_names() == []
        db.engine.dispose()
    assert not (tmp_path / "restored-uploads").exists()

    with target.app_context():  # what `flask db upgrade` leaves before any data: empty for a restore
        db.session.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        db.session.execute(text("INSERT INTO alembic_version VALUES ('an-older-revision')"))
        db.session.commit()
        db.engine.dispose()
    restored = restore(target, result.name)  # by name, from BACKUP_DIR
    assert restored.exit_code == 0, restored.output
    assert "and 1 upload(s)" in restored.output
    assert f"The backup is at migration {REVISION}, which this code does not have" in restored.output

    with target.app_context():
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == REVISION
        numbers = dict(db.session.execute(select(Bill.invoice_number, Bill.seq)).all())
        assert acknowledged <= set(numbers), f"acknowledged bills missing: {sorted(acknowledged - set(numbers))}"
        assert set(numbers) <= {number for number, _ in acks}
        assert sorted(numbers.values()) == list(range(1, len(numbers) + 1)), "invoice numbers have a gap"
        items = db.session.execute(select(BillItem.bill_id, func.count()).group_by(BillItem.bill_id)).all()
        assert len(items) == len(numbers) and {count for _, count in items} == {LINES}
        assert db.session.execute(select(func.count()).select_from(Payment)).scalar_one() == len(numbers)
        moves = dict(db.session.execute(
            select(StockMove.product_id, func.sum(StockMove.delta)).group_by(StockMove.product_id)).all())
        for product in db.session.execute(select(Product)).scalars():
            assert Decimal(str(product.quantity)) == Decimal(str(moves[product.id])) == OPENING_STOCK - len(numbers)
        logo_path, logo = shop["logo"]
        assert (tmp_path / "restored-uploads" / logo_path).read_bytes() == logo
        db.session.remove()
        db.engine.dispose()

    # The restored database now holds data (and a shop more): a second restore is refused and changes nothing;
    # with --force it deletes what is there and puts the backup in its place.
    with target.app_context():
        from services.accounts.stores import create_owner

        create_owner(username="other", email="other@example.com", password="Password123!", store_name="Other shop",
                     verified=True)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    again = restore(target, str(location))
    assert again.exit_code == 1 and "already holds data" in again.output and "--force" in again.output
    with target.app_context():
        assert db.session.execute(select(func.count()).select_from(Store)).scalar_one() == 2
        db.session.remove()
        db.engine.dispose()
    forced = restore(target, "--force", str(location))
    assert forced.exit_code == 0, forced.output
    assert "Deleted the data that was in the target (--force)" in forced.output
    with target.app_context():
        assert db.session.execute(select(Store.name)).scalars().all() == ["Backup Kirana"]
        assert set(db.session.execute(select(Bill.invoice_number)).scalars()) == set(numbers)
        db.session.remove()
        db.engine.dispose()


@pytest.mark.sqlite_only
def test_backups_beyond_keep_are_removed_oldest_first_and_a_failed_one_leaves_nothing(backend, tmp_path, monkeypatch):
    from services.backups import BackupError, make_backup, writer

    source = shop_app(backend, tmp_path, f"sqlite:///{tmp_path / 'shop.db'}", "shop", BACKUP_KEEP=2)
    build_shop(source)
    backups = tmp_path / "backups"
    start = datetime(2026, 11, 1, 21, 30, tzinfo=timezone.utc)
    with source.app_context():
        names = [make_backup(now=start + timedelta(days=day)).name for day in range(3)]
        assert names == ["shop-20261101T213000Z", "shop-20261102T213000Z", "shop-20261103T213000Z"]
        assert sorted(p.name for p in backups.iterdir() if not p.name.startswith(".")) == names[1:]
        same_second = make_backup(now=start + timedelta(days=2))  # a second backup in the same second
        assert same_second.name == "shop-20261103T213000Z-2" and same_second.removed == [names[1]]

        monkeypatch.setattr(writer, "pack_uploads", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
        with pytest.raises(OSError):
            make_backup(now=start + timedelta(days=3))
        assert sorted(p.name for p in backups.iterdir() if p.name != ".lock") == [names[2], same_second.name]
    memory = shop_app(backend, tmp_path, "sqlite://", "memory")
    with memory.app_context(), pytest.raises(BackupError, match="in-memory SQLite"):
        make_backup()


@pytest.mark.sqlite_only
def test_the_scheduled_backup_runs_hourly_and_backs_up_when_the_newest_is_a_day_old(backend, tmp_path):
    import jobs
    from services.backups import backup_if_due, from_config

    at = datetime(2026, 11, 27, 3, 7)
    assert "scheduled_backup" in [task.name for task in jobs.huey.read_periodic(at)]
    assert "scheduled_backup" not in [task.name for task in jobs.huey.read_periodic(at.replace(minute=8))]

    source = shop_app(backend, tmp_path, f"sqlite:///{tmp_path / 'shop.db'}", "shop")
    build_shop(source)
    now = datetime(2026, 11, 27, 3, 7, tzinfo=timezone.utc)
    with source.app_context():
        jobs.scheduled_backup.call_local()  # no backup yet: one now
        names = from_config(source).names()
        assert len(names) == 1
        first = names[0]
        assert backup_if_due(now=datetime.now(timezone.utc) + timedelta(hours=23)) is None  # 23 h old: not due
        due = backup_if_due(now=datetime.now(timezone.utc) + timedelta(hours=23, minutes=40))  # the next check
        assert due is not None and from_config(source).names() == [first, due.name]
        source.config["BACKUP_EVERY_HOURS"] = 0  # turned off
        assert backup_if_due(now=now + timedelta(days=30)) is None


@pytest.mark.sqlite_only
def test_restore_checks_the_backup_before_the_database(backend, tmp_path):
    """A backup of another kind of database, a manifest that names a file outside the backup, and an uploads
    archive that would write outside the uploads folder are refused, and nothing is written."""
    import json
    import tarfile

    from services.backups import make_backup
    from services.backups.manifest import describe

    source = shop_app(backend, tmp_path, f"sqlite:///{tmp_path / 'shop.db'}", "shop")
    build_shop(source)
    with source.app_context():
        location = Path(make_backup().location)
    target = shop_app(backend, tmp_path, f"sqlite:///{tmp_path / 'new.db'}", "new")

    def variant(name: str, change) -> str:
        folder = tmp_path / name
        shutil.copytree(location, folder)
        manifest = json.loads((folder / "manifest.json").read_text())
        change(folder, manifest)
        (folder / "manifest.json").write_text(json.dumps(manifest))
        return str(folder)

    def other_kind(folder, manifest):
        manifest["database"] = "postgresql"

    def outside(folder, manifest):
        manifest["files"]["../shop.db"] = manifest["files"].pop("database.sqlite3")

    def evil_tar(folder, manifest):
        with tarfile.open(folder / "uploads.tar", "w") as archive:
            info = tarfile.TarInfo("../escaped.txt")
            info.size = 0
            archive.addfile(info)
        manifest["files"].update(describe(folder, ["uploads.tar"]))

    def missing(folder, manifest):
        (folder / "uploads.tar").unlink()

    cases = {
        "kind": (other_kind, "This backup is of a postgresql database"),
        "outside": (outside, "'../shop.db': not a file of this backup"),
        "tar": (evil_tar, "'../escaped.txt', which is not a file inside the uploads folder"),
        "missing": (missing, "uploads.tar: missing"),
    }
    for name, (change, message) in cases.items():
        result = restore(target, variant(name, change))
        assert result.exit_code == 1 and message in result.output, (name, result.output)
    assert not (tmp_path / "escaped.txt").exists()
    with target.app_context():
        assert inspect(db.engine).get_table_names() == []


def test_postgres_client_older_than_the_server_is_refused_with_what_to_install():
    from services.backups import BackupError
    from services.backups.databases import check_client, libpq_target

    check_client("pg_dump", 16, 15)
    with pytest.raises(BackupError, match=r"client-16\) and set BACKUP_PG_BINDIR=/usr/lib/postgresql/16/bin"):
        check_client("pg_dump", 15, 16)
    uri, env = libpq_target(make_url("postgresql+psycopg://shop:s%40cret@db.local:5433/shop?options=-csearch_path%3Dw"))
    assert uri == "postgresql://shop@db.local:5433/shop?options=-csearch_path%3Dw" and env["PGPASSWORD"] == "s@cret"
