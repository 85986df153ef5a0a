"""The storage backend (services/storage.py) with S3-compatible object storage: moto's server on a free port is the
endpoint, so the real boto3 code goes over HTTP. An upload stored through the app lands in the bucket and another
app server serves it; a PDF is cached in the bucket and read back from it; backups go to the bucket, the newest N
are kept, and one restores; bad settings stop the app at startup. The local folder default is what every other
test runs on."""
from __future__ import annotations

import io
import socket
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
from botocore.config import Config as BotoConfig
from sqlalchemy import select

from app import create_app
from extensions import db
from services import storage
from services.documents import invoices, uploads
from services.documents.pdf_cache import ObjectPdfStore, invoice_version, pdf_store
from tests.conftest import make_test_config
from tests.fixtures_documents import pdf_image_count
from tests.fixtures_pos import sign_in
from tests.test_admin import image_bytes, settings_form, shop  # noqa: F401  (the fixture: a store with its staff)
from tests.test_backups import build_shop, database_urls, restore  # noqa: F401  (database_urls: a fixture)
from tests.test_documents_cache import renders  # noqa: F401  (the fixture: how many PDFs xhtml2pdf made)
from tests.test_returns_pages import sale  # noqa: F401  (the fixture: a bill of 4 soaps, 88.80 due)

CREDENTIALS = {"S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing", "S3_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server (`moto[server]`), one per test process, on a free port."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def raw_client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


@pytest.fixture
def bucket(s3_endpoint) -> str:
    name = f"shop-{uuid.uuid4().hex[:12]}"
    raw_client(s3_endpoint).create_bucket(Bucket=name)
    return name


def s3_settings(endpoint: str, bucket: str, prefix: str = "chain") -> dict:
    return {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": endpoint, "S3_BUCKET": bucket, "S3_PREFIX": prefix,
            "S3_ADDRESSING_STYLE": "path", **CREDENTIALS}


@pytest.fixture
def app_config_overrides(s3_endpoint, bucket) -> dict:
    return s3_settings(s3_endpoint, bucket)


def keys(endpoint: str, bucket: str, prefix: str = "") -> list[str]:
    listed = raw_client(endpoint).list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def local_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


# --------------------------------------------------------------------------- the interface


@pytest.mark.sqlite_only
def test_both_backends_keep_bytes_by_key_and_refuse_keys_outside_their_area(app, tmp_path):
    for kept in (storage.uploads(), storage.LocalStorage(tmp_path / "folder")):
        assert kept.get("s1/a.png") is None and not kept.exists("s1/a.png") and kept.version("s1/a.png") is None
        kept.put("s1/a.png", b"one")
        kept.put("s1/b.png", b"two")
        kept.put("s2/c.png", b"three")
        assert kept.get("s1/a.png") == b"one" and kept.exists("s1/a.png")
        assert kept.list("s1/") == ["s1/a.png", "s1/b.png"] and len(kept.list()) == 3
        before = kept.version("s1/a.png")
        kept.put("s1/a.png", b"changed")
        assert kept.get("s1/a.png") == b"changed" and kept.version("s1/a.png") != before
        assert kept.local_path("s1/a.png").read_bytes() == b"changed"
        kept.delete("s1/a.png")
        kept.delete("s1/a.png")  # gone already: no error
        assert kept.get("s1/a.png") is None and kept.list("s1/") == ["s1/b.png"]
        for bad in ("../x.png", "/etc/passwd", "s1/../../x", "s1//x", "s1/./x", "", "s1/", "a\\b"):
            with pytest.raises(ValueError, match="not a storage key"):
                kept.put(bad, b"x")
    assert isinstance(storage.uploads(), storage.S3Storage)
    assert local_files(Path(app.config["UPLOAD_FOLDER"])) == []  # nothing on this server's disk


# --------------------------------------------------------------------------- uploads


def test_an_upload_lands_in_the_bucket_and_another_server_serves_it(app, client, shop, s3_endpoint, bucket,  # noqa: F811
                                                                     backend, tmp_path):
    sign_in(client, shop["owner"])
    data = settings_form()
    data["logo"] = (io.BytesIO(image_bytes("PNG")), "logo.png")
    assert client.post_form("/admin/settings", data, content_type="multipart/form-data").status_code == 303
    store = shop["store"]
    db.session.refresh(store)
    assert keys(s3_endpoint, bucket) == [f"chain/uploads/{store.logo_path}"]
    assert local_files(Path(app.config["UPLOAD_FOLDER"])) == []

    other = create_app(make_test_config(backend, tmp_path / "server-2", **s3_settings(s3_endpoint, bucket)))
    served = other.test_client().get("/uploads/" + store.logo_path)
    assert served.status_code == 200 and served.content_type == "image/png" and served.data == image_bytes("PNG")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    again = other.test_client().get("/uploads/" + store.logo_path, headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304

    first = store.logo_path  # a new logo replaces the old object
    data["logo"] = (io.BytesIO(image_bytes("JPEG")), "logo.jpg")
    assert client.post_form("/admin/settings", data, content_type="multipart/form-data").status_code == 303
    db.session.refresh(store)
    assert keys(s3_endpoint, bucket) == [f"chain/uploads/{store.logo_path}"] and store.logo_path != first
    assert other.test_client().get("/uploads/" + first).status_code == 404
    # What the uploads module did not write is never served, even from the bucket.
    raw_client(s3_endpoint).put_object(Bucket=bucket, Key=f"chain/uploads/{store.uid}/logo-0123456789abcdef.png",
                                       Body=b"<script>alert(1)</script>")
    assert client.get(f"/uploads/{store.uid}/logo-0123456789abcdef.png").status_code == 404


def test_a_product_photo_goes_to_the_bucket_and_a_refused_product_leaves_none(client, till_shop, s3_endpoint,
                                                                              bucket):
    from models import Product
    from tests.test_inventory_products import NEW, png

    sign_in(client, till_shop.owner)
    refused = client.post_form("/inventory/new", NEW | {"sku": "SALT-1",
                                                         "image": (io.BytesIO(png()), "p.png")},
                               content_type="multipart/form-data")
    assert refused.status_code == 422 and keys(s3_endpoint, bucket) == []  # the photo was removed again
    made = client.post_form("/inventory/new", NEW | {"image": (io.BytesIO(png()), "p.png")},
                            content_type="multipart/form-data")
    assert made.status_code == 303
    photo = db.session.execute(select(Product.product_Img).filter_by(sku="PARLE-250")).scalar_one()
    assert keys(s3_endpoint, bucket) == ["chain/uploads/" + photo.removeprefix("/uploads/")]
    assert client.get(photo).data == png()


# --------------------------------------------------------------------------- the PDF cache and the logo it prints


def test_a_pdf_is_cached_in_the_bucket_and_the_second_download_is_read_from_it(client, sale, renders, s3_endpoint,  # noqa: F811
                                                                               bucket, app):
    assert isinstance(pdf_store(), ObjectPdfStore)
    sign_in(client, sale.cashier)
    url = f"/documents/bills/{sale.bill.id}/invoice.pdf"
    first = client.get(url)
    assert first.status_code == 200 and first.data.startswith(b"%PDF") and len(renders) == 1
    version = first.headers["ETag"].strip('"')
    uid = sale.bill.store.uid
    key = f"chain/pdf-cache/{uid}/invoice-{sale.bill.id}-{version}.pdf"
    assert keys(s3_endpoint, bucket, "chain/pdf-cache/") == [key]
    again = client.get(url)
    assert again.status_code == 200 and again.data == first.data and len(renders) == 1  # read back, not rendered

    # The bucket is what is read: a PDF put there by another server is what this one serves.
    raw_client(s3_endpoint).put_object(Bucket=bucket, Key=key, Body=b"%PDF-from-server-2")
    assert client.get(url).data == b"%PDF-from-server-2" and len(renders) == 1
    assert local_files(Path(app.instance_path) / "pdf-cache") == []

    # A new version replaces the older one in the bucket.
    ObjectPdfStore(storage.pdf_cache()).put(uid, f"invoice-{sale.bill.id}-newer.pdf", b"%PDF-2",
                                            replaces=f"invoice-{sale.bill.id}-")
    assert keys(s3_endpoint, bucket, "chain/pdf-cache/") == [f"chain/pdf-cache/{uid}/invoice-{sale.bill.id}-newer.pdf"]


def test_an_object_store_that_cannot_be_reached_is_a_cache_miss_and_the_pdf_is_still_served(sale, monkeypatch,  # noqa: F811
                                                                                             renders):
    from services.documents import pdf_cache

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{closed}", region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=BotoConfig(retries={"max_attempts": 1}, connect_timeout=1))
    down = ObjectPdfStore(storage.S3Storage(client, "nowhere", "chain/pdf-cache/", Path("/nonexistent")))
    monkeypatch.setattr(pdf_cache, "pdf_store", lambda: down)
    first = pdf_cache.cached_pdf(pdf_cache.invoice_doc(sale.bill))
    assert first.rendered and first.data.startswith(b"%PDF") and len(renders) == 1
    with pytest.raises(OSError, match="object storage"):
        down.get(sale.bill.store.uid, "invoice-1-x.pdf")


def test_the_logo_in_the_bucket_is_printed_and_a_changed_logo_is_a_new_version(sale, s3_endpoint, bucket, tmp_path):  # noqa: F811
    store = sale.bill.store
    without = invoices.render_invoice_pdf(sale.bill).data
    version_without = invoice_version(sale.bill)
    store.logo_path = uploads.save_image(store.uid, image_bytes("PNG"), "png", prefix="logo")
    db.session.commit()
    path = invoices.store_logo_path(store)
    assert path is not None and path.read_bytes() == image_bytes("PNG")  # a local copy of the object
    assert path.is_relative_to(invoices.store_upload_dir(store))
    printed = invoices.render_invoice_pdf(sale.bill).data
    assert pdf_image_count(printed, tmp_path) == pdf_image_count(without, tmp_path) + 1
    with_logo = invoice_version(sale.bill)
    assert with_logo != version_without and invoice_version(sale.bill) == with_logo

    # Another server replaces the object under the same name: a new version, and the new bytes are printed.
    raw_client(s3_endpoint).put_object(Bucket=bucket, Key=f"chain/uploads/{store.logo_path}",
                                       Body=image_bytes("PNG", size=(80, 40)))
    assert invoice_version(sale.bill) != with_logo
    assert invoices.store_logo_path(store).read_bytes() == image_bytes("PNG", size=(80, 40))

    # Another store's object is not this store's logo, whatever the row says.
    raw_client(s3_endpoint).put_object(Bucket=bucket, Key="chain/uploads/other-store/logo.png", Body=image_bytes())
    for path in ("other-store/logo.png", "../other-store/logo.png", f"{store.uid}/../other-store/logo.png",
                 "/other-store/logo.png"):
        store.logo_path = path
        assert invoices.store_logo_path(store) is None
        key = invoices.store_logo_key(store)
        assert key is None or key.startswith(store.uid + "/"), key  # at most a name inside its own area
    callback = invoices.make_link_callback(store)
    assert not Path(callback("/store-uploads/../other-store/logo.png", None)).exists()


# --------------------------------------------------------------------------- backups


def test_a_backup_to_the_object_store_keeps_the_newest_n_and_restores(backend, tmp_path, database_urls, s3_endpoint,  # noqa: F811
                                                                      bucket, monkeypatch):
    from models import Store
    from services.backups import from_config, make_backup

    shop_url, restored_url = database_urls

    def server(url: str, role: str, prefix: str):
        from config import engine_options

        return create_app(make_test_config(
            backend, tmp_path / role, SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=engine_options(url),
            BACKUP_DIR=f"s3://{bucket}/backups", BACKUP_KEEP=2, **s3_settings(s3_endpoint, bucket, prefix)))

    source = server(shop_url, "shop", "shop")
    built = build_shop(source)
    start = datetime(2026, 11, 1, 21, 30, tzinfo=timezone.utc)
    with source.app_context():
        results = [make_backup(now=start + timedelta(days=day)) for day in range(3)]
        names = [result.name for result in results]
        assert from_config(source).names() == names[1:] and results[2].removed == [names[0]]
        assert results[2].location == f"s3://{bucket}/backups/{names[2]}"
        assert results[2].manifest["uploads"] == 1
        db.engine.dispose()
    assert {key.split("/")[1] for key in keys(s3_endpoint, bucket, "backups/")} == set(names[1:])
    assert all(key.rsplit("/", 1)[1] in {"manifest.json", "uploads.tar", "database.sqlite3", "database.pgdump"}
               for key in keys(s3_endpoint, bucket, "backups/"))
    assert local_files(tmp_path / "shop" / "uploads") == []
    # Objects without a manifest (an upload cut short) are not a backup: not listed, not counted, not restorable.
    raw_client(s3_endpoint).put_object(Bucket=bucket, Key="backups/shop-20300101T000000Z/uploads.tar", Body=b"x")
    with source.app_context():
        assert from_config(source).names() == names[1:]
        # An upload that fails half-way (the manifest goes last) deletes what it wrote; the kept backups stay.
        client = storage.s3_client(source)
        real = client.upload_file

        def cut_at_the_manifest(filename, to_bucket, key, *args, **kwargs):
            if key.endswith("/manifest.json"):
                raise OSError("connection reset")
            return real(filename, to_bucket, key, *args, **kwargs)

        monkeypatch.setattr(client, "upload_file", cut_at_the_manifest)
        with pytest.raises(OSError, match="connection reset"):
            make_backup(now=start + timedelta(days=5))
        monkeypatch.setattr(client, "upload_file", real)
        assert from_config(source).names() == names[1:]
        db.engine.dispose()
    assert keys(s3_endpoint, bucket, "backups/shop-20261106") == []

    target = server(restored_url, "restored", "restored")
    listed = target.test_cli_runner().invoke(args=["backup", "--list"])
    assert listed.exit_code == 0 and names[2] in listed.output and names[0] not in listed.output
    restored = restore(target, names[2])  # by name, downloaded from the bucket
    assert restored.exit_code == 0, restored.output
    assert "and 1 upload(s)" in restored.output
    logo_path, logo = built["logo"]
    assert raw_client(s3_endpoint).get_object(Bucket=bucket, Key=f"restored/uploads/{logo_path}")["Body"].read() \
        == logo
    with target.app_context():
        assert db.session.execute(select(Store.logo_path)).scalar_one() == logo_path
        assert target.test_client().get("/uploads/" + logo_path).data == logo
        missing = restore(target, "shop-20200101T000000Z")
        assert missing.exit_code == 1 and "There is no backup named" in missing.output
        db.session.remove()
        db.engine.dispose()


# --------------------------------------------------------------------------- settings


@pytest.mark.sqlite_only
@pytest.mark.parametrize("settings, message", [
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": None}, "STORAGE_BACKEND=s3 needs S3_BUCKET"),
    ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND='ftp': use one of local, s3"),
    ({"BACKUP_DIR": "s3:///backups"}, "names no bucket"),
])
def test_storage_settings_that_cannot_work_stop_the_app_at_startup(backend, tmp_path, settings, message):
    with pytest.raises(storage.StorageConfigError, match=message):
        create_app(make_test_config(backend, tmp_path, **settings))


def test_s3_settings_come_from_the_environment(monkeypatch):
    from config import Config

    monkeypatch.setenv("STORAGE_BACKEND", "S3")
    monkeypatch.setenv("S3_BUCKET", "chain-files")
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://minio:9000")
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", "from-env")
    config = Config()
    assert (config.STORAGE_BACKEND, config.S3_BUCKET, config.S3_ENDPOINT_URL, config.S3_SECRET_ACCESS_KEY) == (
        "s3", "chain-files", "http://minio:9000", "from-env")
    monkeypatch.delenv("STORAGE_BACKEND")
    assert Config().STORAGE_BACKEND == "local"
