"""Importing products (with opening stock) from a CSV or XLSX file: read, map columns, check every row, write.

The steps: `read_table` judges the bytes (a CSV in UTF-8 or an XLSX whose zip is checked for bombs before
openpyxl opens it read-only), `guess_mapping` pairs the file's headers with product fields, `check_rows` turns
each row into a ProductInput and collects ALL its problems at once (the parse here, the domain's rules from
services.catalog.products.product_problems, matching by SKU or barcode, duplicates within the file and against
the store), and `run_job` writes the clean rows in the background a batch at a time (new products through
services.catalog.products.create_products, opening stock as moves of reason `import`; a batch with a refused row is
written again a row at a time, each in its own savepoint). The preview and the job share `check_rows`: one rule.

Formulas: a cell whose text starts with `=` (an XLSX formula such as `=HYPERLINK(...)`, or CSV text that a
spreadsheet would run) is refused with a message; nothing that starts with `=` is stored.
"""
from __future__ import annotations

import csv
import io
import logging
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from sqlalchemy import update

from extensions import db
from models import IMPORT_MATCH, IMPORT_MODES, Category, ImportJob, Product, Store, User
from services.accounts.access import require_role
from services.bounds import MAX_STOCK, money_problem
from services.catalog import stock
from services.catalog.products import ProductInput, create_products, get_product, product_problems, update_product
from services.errors import DomainError, NotFound, ValidationError

log = logging.getLogger(__name__)

MAX_ROWS = 50_000
MAX_COLUMNS = 60
MAX_CELL = 2000  # characters in one cell
XLSX_MAX_UNPACKED = 100 * 1024 * 1024  # all the zip's members together, uncompressed
XLSX_MAX_RATIO = 100  # uncompressed / compressed, for any member larger than 1 MB unpacked
XLSX_MAX_MEMBERS = 1000
BATCH = 100  # rows written together and committed with the progress: on SQLite the job holds the write lock until
# it commits, so a till saving a bill meanwhile waits about as long as a batch takes (busy_timeout is 15 s)
STALE_AFTER = timedelta(minutes=5)  # a running job with no progress this long was lost with its worker

NOT_A_TABLE = "This file is not a CSV or XLSX file. Save it from your spreadsheet as CSV (UTF-8) or Excel (.xlsx)."
NOT_UTF8 = "The CSV file is not UTF-8 text. In your spreadsheet choose \"CSV UTF-8\" when saving."
TOO_BIG_UNPACKED = "This XLSX file unpacks to far more data than a product list holds; it was not opened."
FORMULA = "formulas are not imported; type the value itself (the cell starts with '=')."
LOST = "The import stopped without finishing (its worker was stopped); rows already imported are kept."

# (field, column heading in the template, other headings it is recognised by)
FIELDS: list[tuple[str, str, tuple[str, ...]]] = [
    ("product_name", "Name", ("product name", "product", "item", "item name", "title", "product_name")),
    ("sku", "SKU", ("item code", "product code", "code", "sku code")),
    ("barcode", "Barcode", ("ean", "ean13", "upc", "gtin", "bar code")),
    ("category", "Category", ("category name", "group", "department")),
    ("type", "Type", ("product type", "kind")),
    ("unit", "Unit", ("uom", "units")),
    ("unit_price", "Price", ("mrp", "selling price", "sale price", "unit price", "rate", "unit_price")),
    ("price_includes_tax", "Price includes GST", ("includes gst", "incl gst", "tax inclusive", "mrp includes gst",
                                                  "price includes tax", "price_includes_tax")),
    ("gst_rate", "GST %", ("gst", "gst rate", "tax %", "tax rate")),
    ("cgst_rate", "CGST %", ("cgst", "cgst rate", "cgst_rate")),
    ("sgst_rate", "SGST %", ("sgst", "sgst rate", "sgst_rate")),
    ("hsn_code", "HSN", ("hsn code", "hsn/sac", "hsn sac", "hsn_code")),
    ("quantity", "Opening stock", ("stock", "qty", "quantity", "opening qty", "stock qty", "in stock")),
    ("low_stock_threshold", "Low stock at", ("reorder level", "min stock", "minimum stock", "low stock",
                                             "low_stock_threshold")),
    ("description", "Description", ("details", "notes")),
]
LABELS = {name: label for name, label, _ in FIELDS}
EXAMPLE_ROW = ["Basmati rice 1 kg", "RICE-1KG", "8901234567894", "Groceries", "product", "pcs", "120.00", "yes",
               "5", "", "", "1006", "40", "10", "Long grain"]
DECIMALS = ("unit_price", "gst_rate", "cgst_rate", "sgst_rate", "quantity")
YES = {"yes", "y", "true", "1", "incl", "included"}
NO = {"no", "n", "false", "0", "excl", "excluded"}


def _norm(text: str) -> str:
    return " ".join("".join(c if c.isalnum() or c in "%/_" else " " for c in text.lower()).split())


_ALIASES = {_norm(alias): name for name, label, aliases in FIELDS for alias in (label, name, *aliases)}


# --------------------------------------------------------------------------- reading the file


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]  # every cell as text ("" when empty), as wide as headers


def _file_error(message: str) -> ValidationError:
    return ValidationError.field("file", message)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f") if value == value else "nan"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _check_zip(content: bytes) -> None:
    """Refuse an XLSX bomb from the zip's directory alone, before anything is unpacked."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise _file_error(NOT_A_TABLE) from exc
    with archive:
        members = archive.infolist()
        if len(members) > XLSX_MAX_MEMBERS or sum(m.file_size for m in members) > XLSX_MAX_UNPACKED:
            raise _file_error(TOO_BIG_UNPACKED)
        for member in members:
            if member.file_size > 1024 * 1024 and member.file_size > XLSX_MAX_RATIO * max(member.compress_size, 1):
                raise _file_error(TOO_BIG_UNPACKED)
        if "xl/workbook.xml" not in {m.filename for m in members}:
            raise _file_error(NOT_A_TABLE)


def _read_xlsx(content: bytes) -> list[list[str]]:
    _check_zip(content)
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise _file_error(NOT_A_TABLE) from exc
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            if len(rows) > MAX_ROWS:
                break
            rows.append([_cell_text(v) for v in row[:MAX_COLUMNS + 1]])
        return rows
    finally:
        book.close()


def _read_csv(content: bytes) -> list[list[str]]:
    if b"\x00" in content[:8192]:
        raise _file_error(NOT_A_TABLE)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _file_error(NOT_UTF8) from exc
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            if len(rows) > MAX_ROWS:
                break
            rows.append(row[:MAX_COLUMNS + 1])
    except csv.Error as exc:
        raise _file_error(f"{NOT_A_TABLE} ({exc})") from exc
    return rows


def read_table(content: bytes, filename: str = "") -> Table:
    """The file's header row and data rows, or a ValidationError on `file` saying what is wrong with it."""
    if not content:
        raise _file_error("The file is empty.")
    is_zip = content[:4] == b"PK\x03\x04"
    if filename.lower().endswith((".xlsx", ".xlsm")) and not is_zip:
        raise _file_error(NOT_A_TABLE)
    raw = _read_xlsx(content) if is_zip else _read_csv(content)
    while raw and not any(cell.strip() for cell in raw[-1]):
        raw.pop()
    if not raw:
        raise _file_error("The file has no rows.")
    if len(raw) - 1 > MAX_ROWS:
        raise _file_error(f"The file has more than {MAX_ROWS:,} rows; split it into smaller files.")
    headers = [h.strip() for h in raw[0]]
    if len(headers) > MAX_COLUMNS:
        raise _file_error(f"The file has more than {MAX_COLUMNS} columns.")
    if not any(_norm(h) in _ALIASES for h in headers):
        raise _file_error("No column of the first row names a product field (Name, SKU, Price...). "
                          "Start from the template.")
    width = len(headers)
    rows = [(r + [""] * width)[:width] for r in raw[1:]]
    return Table(headers, [[c.strip() for c in r] for r in rows])


def guess_mapping(headers: list[str]) -> list[str]:
    """One field name per column ("" to skip it), from the header's wording; a field is mapped once."""
    mapping, used = [], set()
    for header in headers:
        name = _ALIASES.get(_norm(header), "")
        mapping.append("" if name in used else name)
        used.add(name)
    return mapping


def mapping_problems(mapping: list[str], mode: str) -> list[str]:
    """What is wrong with a column mapping as a whole (fields twice, a name and price missing for new products)."""
    problems = []
    chosen = [name for name in mapping if name]
    for name in sorted({n for n in chosen if chosen.count(n) > 1}):
        problems.append(f"{LABELS[name]} is chosen for more than one column.")
    unknown = [n for n in chosen if n not in LABELS]
    if unknown:
        problems.append("Unknown field: " + ", ".join(sorted(set(unknown))))
    if mode in ("create", "upsert"):
        for name in ("product_name", "unit_price"):
            if name not in chosen:
                problems.append(f"New products need a {LABELS[name]} column.")
    if mode in ("update", "upsert") and "sku" not in chosen and "barcode" not in chosen:
        problems.append("Updating needs a SKU or Barcode column to find each product.")
    return problems


# --------------------------------------------------------------------------- checking rows


@dataclass
class Row:
    number: int  # the line in the file (the header is line 1)
    cells: dict[str, str]  # field -> text as given
    values: dict[str, Any] = field(default_factory=dict)  # field -> parsed value, for ProductInput
    product_id: Optional[int] = None  # the product it updates
    problems: list[str] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {"row": self.number, "sku": self.cells.get("sku", ""), "barcode": self.cells.get("barcode", ""),
                "name": self.cells.get("product_name", ""), "messages": self.problems}


@dataclass
class Plan:
    rows: list[Row]

    @property
    def bad(self) -> list[Row]:
        return [row for row in self.rows if row.problems]


_LENGTHS = {c.name: c.type.length for c in Product.__table__.columns if getattr(c.type, "length", None)}


def _parse(row: Row, categories: dict[str, int]) -> None:
    """Text cells -> typed values; wording problems are added to the row (every one, not only the first)."""
    lengths = _LENGTHS
    for name, text in row.cells.items():
        label = LABELS[name]
        if not text:
            continue
        if text.startswith("="):
            row.problems.append(f"{label}: {FORMULA}")
            continue
        if name in DECIMALS:
            try:
                value = Decimal(text.replace(",", "").replace("₹", "").strip())
            except InvalidOperation:
                row.problems.append(f"{label}: enter a number (not {text[:30]!r}).")
                continue
            if not value.is_finite() or money_problem(value) or (name == "quantity" and abs(value) > MAX_STOCK):
                row.problems.append(f"{label}: the number is too large.")
                continue
            row.values[name] = value
        elif name == "low_stock_threshold":
            try:
                row.values[name] = int(Decimal(text))
                if row.values[name] != Decimal(text) or not 0 <= row.values[name] <= MAX_STOCK:
                    raise ValueError
            except (InvalidOperation, ValueError):
                row.problems.append(f"{label}: enter a whole number from 0.")
        elif name == "price_includes_tax":
            if text.lower() not in YES | NO:
                row.problems.append(f"{label}: enter yes or no.")
            else:
                row.values[name] = text.lower() in YES
        elif name == "category":
            category_id = categories.get(text.lower())
            if category_id is None:
                row.problems.append(f"{label}: no category named {text!r} in this store.")
            else:
                row.values["category_id"] = category_id
        elif name in ("type", "unit"):
            row.values[name] = text.lower()
        else:
            if len(text) > (lengths.get(name) or MAX_CELL):
                row.problems.append(f"{label}: at most {lengths.get(name) or MAX_CELL} characters.")
                continue
            row.values[name] = text
    gst = row.values.pop("gst_rate", None)
    if gst is not None:
        if "cgst_rate" in row.values or "sgst_rate" in row.values:
            row.problems.append("GST %: give either GST % or CGST % and SGST %, not both.")
        else:
            row.values["cgst_rate"] = row.values["sgst_rate"] = gst / 2


def _duplicates_in_file(rows: list[Row]) -> None:
    """Every row sharing a SKU, barcode or name with another row is refused: which one is meant cannot be known."""
    for name in ("sku", "barcode", "product_name"):
        seen: dict[str, list[Row]] = {}
        for row in rows:
            value = row.cells.get(name, "")
            if value:
                seen.setdefault(value.lower() if name == "product_name" else value, []).append(row)
        for same in seen.values():
            if len(same) > 1:
                lines = ", ".join(str(r.number) for r in same[:10]) + (" ..." if len(same) > 10 else "")
                for row in same:
                    row.problems.append(f"{LABELS[name]} {same[0].cells[name]!r} appears more than once in the "
                                        f"file (rows {lines}).")


class _StoreIndex:
    """The store's products by SKU, barcode and name, loaded once (matching and uniqueness without a query a row).
    Names are those of catalogue items only: jewellery pieces share names (services.catalog.products._check_unique)."""

    def __init__(self, store: Store):
        result = db.session.execute(db.select(Product.id, Product.sku, Product.barcode, Product.product_name,
                                              Product.archived, Product.gross_weight.is_not(None))
                                    .where(Product.store_id == store.id))
        self.sku: dict[str, int] = {}
        self.barcode: dict[str, int] = {}
        self.name: dict[str, int] = {}
        self.live: set[int] = set()
        self.pieces: set[int] = set()
        for pid, sku, barcode, name, archived, piece in result:
            if sku:
                self.sku[sku] = pid
            if barcode:
                self.barcode[barcode] = pid
            if piece:
                self.pieces.add(pid)
            else:
                self.name[name.lower()] = pid
            if not archived:
                self.live.add(pid)


def check_rows(store: Store, table: Table, mapping: list[str], mode: str, match_by: str) -> Plan:
    """Every row of the file with all its problems: parse, in-file duplicates, match, store uniqueness, and the
    product rules (services.catalog.products.product_problems, the same rule the forms and APIs use)."""
    if mode not in IMPORT_MODES or match_by not in IMPORT_MATCH:
        raise ValidationError.field("mode", "Choose create, update or create-or-update, by SKU or barcode.")
    categories = {c.name.lower(): c.id for c in db.session.execute(
        db.select(Category).where(Category.store_id == store.id)).scalars()}
    index = _StoreIndex(store)
    rows = []
    for offset, cells in enumerate(table.rows):
        given = {name: cells[i] for i, name in enumerate(mapping) if name and i < len(cells)}
        if not any(given.values()):
            continue  # a blank line
        row = Row(offset + 2, given)
        _parse(row, categories)
        rows.append(row)
    _duplicates_in_file(rows)
    products: dict[int, Product] = {}
    for row in rows:
        key = row.cells.get(match_by, "")
        found = (index.sku if match_by == "sku" else index.barcode).get(key) if key else None
        if found is not None and found not in index.live:
            found = None
        if mode == "create" and found is not None:
            row.problems.append(f"{LABELS[match_by]} {key!r}: a product with it already exists in this store "
                                "(choose update or create-or-update to change it).")
            continue
        if mode == "update" and found is None:
            row.problems.append(f"{LABELS[match_by]}: " + (f"no product with {key!r} in this store." if key else
                                                            "needed to find the product to update."))
            continue
        row.product_id = found
        for name, taken in (("sku", index.sku), ("barcode", index.barcode), ("product_name", index.name)):
            value = row.values.get(name)
            if name == "product_name" and found in index.pieces:
                continue  # a piece keeps or takes any name
            holder = taken.get(value.lower() if name == "product_name" else value) if value else None
            if holder is not None and holder != found:
                row.problems.append(f"{LABELS[name]} {value!r} belongs to another product in this store.")
        product = None
        if found is not None:
            product = products.get(found) or db.session.get(Product, found)
        # category_id came from this store's own categories (looked up by name above), so it is left out here: the
        # check would be a query a row. create_product/update_product check it again when the row is written.
        data = ProductInput.of(**{k: v for k, v in row.values.items() if k != "category_id"})
        for name, messages in product_problems(store, data, product).items():
            label = LABELS.get(name, LABELS.get(name.replace("_id", ""), name))
            row.problems.extend(f"{label}: {message}" for message in messages)
    return Plan(rows)


# --------------------------------------------------------------------------- the job


def new_job(store: Store, user: User, filename: str, content: bytes) -> ImportJob:
    """Judge the uploaded file and keep it with a guessed mapping (managers and owners); nothing runs yet."""
    require_role(user, store, "manager")
    table = read_table(content, filename)
    job = ImportJob(store_id=store.id, user_id=user.id, status="uploaded", filename=(filename or "upload")[:255],
                    content=content, mapping=guess_mapping(table.headers), total=len(table.rows))
    db.session.add(job)
    db.session.flush()
    return job


def get_job(store: Store, job_id: int) -> ImportJob:
    job = db.session.execute(db.select(ImportJob).where(ImportJob.id == job_id, ImportJob.store_id == store.id)
                             ).scalar_one_or_none()
    if job is None:
        raise NotFound("Import not found")
    return job


def set_mapping(job: ImportJob, mapping: list[str], mode: str, match_by: str) -> None:
    """Keep the user's mapping and mode; refuses a mapping that cannot work (every problem at once)."""
    if job.status != "uploaded":
        raise ValidationError.field("mapping", "This import has already started.")
    if mode not in IMPORT_MODES or match_by not in IMPORT_MATCH:
        raise ValidationError.field("mode", "Choose create, update or create-or-update, by SKU or barcode.")
    problems = mapping_problems(mapping, mode)
    if problems:
        raise ValidationError(problems[0], {"mapping": problems})
    job.mapping, job.mode, job.match_by = mapping, mode, match_by
    db.session.flush()


def plan_for(job: ImportJob, store: Store) -> Plan:
    return check_rows(store, read_table(job.content, job.filename), job.mapping or [], job.mode, job.match_by)


def queue(job: ImportJob, user: User, store: Store) -> None:
    """uploaded -> queued (the caller commits, then hands the id to the job runner)."""
    require_role(user, store, "manager")
    if job.status != "uploaded":
        raise ValidationError.field("mapping", "This import has already started.")
    problems = mapping_problems(job.mapping or [], job.mode)
    if problems:
        raise ValidationError(problems[0], {"mapping": problems})
    job.status = "queued"
    db.session.flush()


def fail(job_id: int, message: str) -> None:
    """Mark a job failed (a crash, a lost worker, a queue that would not take it) and commit."""
    db.session.rollback()
    db.session.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.status.in_(("queued", "running")))
                       .values(status="failed", error=message[:2000], finished_at=_now()))
    db.session.commit()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def mark_if_lost(job: ImportJob) -> ImportJob:
    """A running job whose worker died (no progress for STALE_AFTER) is shown, and stored, as failed."""
    beat = job.heartbeat_at or job.started_at
    if job.status == "running" and beat is not None and _now() - beat > STALE_AFTER:
        fail(job.id, LOST)
        db.session.refresh(job)
    return job


def _update(store: Store, user: User, job: ImportJob, row: Row) -> None:
    values = dict(row.values)
    quantity = values.pop("quantity", None)
    product = get_product(store, row.product_id, for_update=True)
    if product is None:
        raise NotFound("The product was archived or deleted while the import ran.")
    update_product(store, user, product, ProductInput.of(**values))
    delta = (quantity - product.quantity) if quantity is not None else 0
    if delta and product.tracks_stock:
        stock.adjust(product, delta, reason="import", user_id=user.id, note=f"import #{job.id}")


def _write(store: Store, user: User, job: ImportJob, rows: list[Row]) -> None:
    """Write clean rows: the new products at once (services.catalog.products.create_products, their opening stock
    moves of reason `import`), the updates one by one."""
    new = [row for row in rows if row.product_id is None]
    if new:
        create_products(store, user, [ProductInput.of(**row.values) for row in new], reason="import",
                        note=f"import #{job.id}")
    for row in rows:
        if row.product_id is not None:
            _update(store, user, job, row)


def _write_batch(store: Store, user: User, job: ImportJob, rows: list[Row]) -> None:
    """A batch of rows in one savepoint; when any of them is refused (a product changed since the preview, a name
    taken meanwhile), the batch is undone and written again a row at a time, each in its own savepoint, so that row
    gets its own messages in the report and the others are kept."""
    clean = [row for row in rows if not row.problems]
    if not clean:
        return
    try:
        with db.session.begin_nested():
            _write(store, user, job, clean)
        return
    except DomainError:
        pass
    for row in clean:
        try:
            with db.session.begin_nested():
                _write(store, user, job, [row])
        except DomainError as exc:
            row.problems.extend(_messages(exc))


def _messages(exc: DomainError) -> list[str]:
    found = [f"{LABELS.get(k, k)}: {m}" for k, ms in (exc.errors or {}).items() for m in ms]
    return found or [exc.message]


def run_job(job_id: int) -> None:
    """The background job: claim the queued job once, write the clean rows a batch at a time, commit each batch
    with the progress, keep the refused rows in the report. Any crash leaves the job failed, never running."""
    claimed = db.session.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == "queued")
                                 .values(status="running", started_at=_now(), heartbeat_at=_now()))
    db.session.commit()
    if claimed.rowcount != 1:
        log.warning("import job %s was not queued; skipped", job_id)
        return
    try:
        job = db.session.get(ImportJob, job_id)
        store, user = db.session.get(Store, job.store_id), db.session.get(User, job.user_id)
        if user is None:
            raise NotFound("The user who started this import no longer exists.")
        plan = plan_for(job, store)
        job.total = len(plan.rows)
        db.session.commit()
        report, done, failed = [], 0, 0
        for start in range(0, len(plan.rows), BATCH):
            batch = plan.rows[start:start + BATCH]
            _write_batch(store, user, job, batch)
            bad = [row for row in batch if row.problems]
            report.extend(row.report() for row in bad)
            done, failed = done + len(batch), failed + len(bad)
            job.done, job.failed, job.heartbeat_at = done, failed, _now()
            db.session.commit()
        job.done, job.failed, job.report = done, failed, report
        job.status, job.finished_at = "done", _now()
        db.session.commit()
    except Exception as exc:
        log.exception("import job %s failed", job_id)
        fail(job_id, exc.message if isinstance(exc, DomainError) else f"The import stopped: {type(exc).__name__}.")


def report_rows(job: ImportJob) -> list[list[str]]:
    """The refused rows as a table (row, SKU, barcode, name, problems), for the CSV download."""
    rows = [["Row", "SKU", "Barcode", "Name", "Problems"]]
    for entry in job.report or []:
        rows.append([str(entry["row"]), entry["sku"], entry["barcode"], entry["name"], "; ".join(entry["messages"])])
    return rows
