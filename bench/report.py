"""`make bench`: run the benches that measure issue 17's figures (and issue 14's products page), then print ONE table:
figure | today (median / p95) | baseline or ratio | goal | met?

Each bench runs in its own process with `--json PATH`; this reads the JSON and builds the table, so the figures are
exactly the ones each script prints (its own output goes to a log beside the JSON).

- Quick by default (a few minutes): fewer renders and saves, 20,000 products instead of 100,000, 2,000 requests
  instead of 10,000 for the worker's memory. A figure taken at a smaller size than its goal's is marked `*`.
- `--full` (`make bench FULL=1`): each script's own defaults, the issues' sizes, and the 1,000,000-row load.
- `--million` (`make bench BENCH_MILLION=1`, or BENCH_MILLION=1 in the environment): the 1M load (about 7 minutes of
  COPY on a quiet 2-core machine) in a quick run too; without it those rows say they were skipped.
- PostgreSQL: `--pg URL`, else $BENCH_DATABASE_URL, else postgresql+psycopg://postgres@127.0.0.1:5432/bench_report,
  created if the server is there and it is not. That database is EMPTIED by every PostgreSQL bench (and left empty).
  No server: the PostgreSQL rows say "skipped: no PostgreSQL (...)".

    .venv/bin/python bench/report.py [--full] [--million] [--pg URL | --no-pg] [--only documents,billing_api,...]
                                     [--out bench/results]
    .venv/bin/python bench/report.py --from-json bench/results      (the table again from a run's JSON files)

Goals not met do not fail the run (a bench prints figures); a bench that crashes does (exit status 1).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import psycopg_dsn  # noqa: E402  (bench/ is not a package)

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_report"
GROWTH_TOLERANCE_MB = 1.0  # "no growth": RSS over the last half of the run may move by this much (allocator noise)
MILLION_SKIPPED = "1M load takes ~7 min; FULL=1 or BENCH_MILLION=1"


# --------------------------------------------------------------------------- the benches and their options


@dataclass(frozen=True)
class Bench:
    name: str  # bench/bench_<name>.py and the name --only takes
    quick: tuple[str, ...]  # options of a quick run
    full: tuple[str, ...] = ()  # options of a --full run (the script's defaults)
    pg: bool = False  # takes --pg URL (and measures PostgreSQL beside SQLite)
    no_pg: tuple[str, ...] = ()  # options when there is no PostgreSQL


BENCHES = (
    Bench("documents", ("--runs-20", "3", "--runs-200", "1", "--runs-cached", "30", "--runs-receipt", "5")),
    Bench("billing_api", ("--bills", "100"), pg=True, no_pg=("--no-pg",)),
    Bench("till_scale", ("--products", "20000", "--runs", "10"), pg=True),
    Bench("inventory", ("--products", "20000", "--runs", "10"), pg=True),
    Bench("worker_rss", ("--requests", "2000")),
    Bench("million", (), pg=True),
)


def command(bench: Bench, full: bool, pg_url: Optional[str], json_path: Path) -> list[str]:
    options = list(bench.full if full else bench.quick)
    if bench.pg:
        options += ["--pg", pg_url] if pg_url else list(bench.no_pg)
    return [sys.executable, str(ROOT / "bench" / f"bench_{bench.name}.py"), *options, "--json", str(json_path)]


# --------------------------------------------------------------------------- the table


@dataclass
class Result:
    """What one bench left: its JSON document, or why it did not run or did not finish."""
    doc: Optional[dict] = None
    skipped: Optional[str] = None
    failed: Optional[str] = None

    @property
    def figures(self) -> dict:
        return (self.doc or {}).get("figures") or {}

    @property
    def params(self) -> dict:
        return (self.doc or {}).get("params") or {}


@dataclass(frozen=True)
class Goal:
    field: str
    op: str  # "<=" or ">="
    limit: float
    text: str

    def met(self, figure: dict) -> bool:
        value = figure[self.field]
        return value <= self.limit if self.op == "<=" else value >= self.limit


@dataclass(frozen=True)
class Row:
    label: Callable[[dict], str]  # of the bench's params
    bench: str
    figure: str
    cells: Callable[[dict], tuple[str, str]]  # of the figure: (today, baseline or ratio)
    goals: tuple[Goal, ...] = ()
    full_size: Callable[[dict], bool] = lambda params: True  # measured at the goal's size?
    needs_pg: bool = False


def ms(value: float) -> str:
    """Milliseconds as a person reads them: 0.84 ms, 12.3 ms, 612 ms, 2.41 s."""
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value >= 100:
        return f"{value:.0f} ms"
    if value >= 1:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def num(value: float) -> str:
    return f"{value:g}" if value < 1000 else f"{value:,.0f}"


def pdf_render(figure: dict) -> tuple[str, str]:
    return (f"{ms(figure['median_ms'])} median (CPU {ms(figure['cpu_ms'])})",
            f"{figure['ratio']:.2f}x plain xhtml2pdf ({ms(figure['baseline_ms'])}; CPU {figure['cpu_ratio']:.2f}x)")


def cached(figure: dict) -> tuple[str, str]:
    return f"{ms(figure['median_ms'])} median", f"a render: {ms(figure['render_ms'])}" if "render_ms" in figure else ""


def save(figure: dict) -> tuple[str, str]:
    return (f"{ms(figure['p50_ms'])} / {ms(figure['p95_ms'])} ({figure['rate']:.0f} bills/s)",
            f"{figure['ratio']:.2f}x the driver's {figure['baseline_rate']:.0f} bills/s")


def against(baseline: str) -> Callable[[dict], tuple[str, str]]:
    def cells(figure: dict) -> tuple[str, str]:
        return (f"{ms(figure['p50_ms'])} / {ms(figure['p95_ms'])}",
                f"{baseline} {ms(figure['baseline_p50_ms'])} / {ms(figure['baseline_p95_ms'])}")
    return cells


def worst_of(figure: dict) -> tuple[str, str]:
    today, baseline = against("/healthz")(figure)
    over = figure.get("over") or []
    return f"{today} (worst: {figure['worst']}; {len(over)} of {len(figure['interactions'])} over)", baseline


def rss(figure: dict) -> tuple[str, str]:
    return (f"{figure['rss_mb']:.1f} MB after {figure['requests']:,} (from {figure['start_mb']:.1f})",
            f"{figure['growth_mb']:+.1f} MB over the last {figure['growth_over']:,}")


def p95_under(limit: float) -> Goal:
    return Goal("p95_ms", "<=", limit, f"p95 <= {num(limit)} ms")


def products(params: dict) -> str:
    return f"{params.get('products', 100_000):,} products"  # a row not measured names the goal's size


def at_least(key: str, size: int) -> Callable[[dict], bool]:
    return lambda params: params.get(key, 0) >= size


ROWS = (
    Row(lambda p: "A4 invoice PDF, 20 lines", "documents", "pdf_20", pdf_render,
        (Goal("median_ms", "<=", 150, "<= 150 ms"),)),
    Row(lambda p: "  20 lines, repeat download from cache", "documents", "pdf_20_cached", cached,
        (Goal("median_ms", "<=", 5, "<= 5 ms"),)),
    Row(lambda p: "A4 invoice PDF, 200 lines", "documents", "pdf_200", pdf_render,
        (Goal("median_ms", "<=", 1000, "<= 1.0 s"),)),
    Row(lambda p: "  200 lines, repeat download from cache", "documents", "pdf_200_cached", cached,
        (Goal("median_ms", "<=", 5, "<= 5 ms"),)),
    Row(lambda p: f"Billing v1 save ({p.get('lines', 5)} lines, {p.get('clients', 4)} clients, "
                  f"{p.get('workers', 2)} workers), SQLite", "billing_api", "save_sqlite", save,
        (Goal("ratio", ">=", 0.3, ">= 0.3x"), p95_under(25))),
    Row(lambda p: "Billing v1 save, PostgreSQL", "billing_api", "save_pg", save,
        (Goal("ratio", ">=", 0.6, ">= 0.6x"), p95_under(25)), needs_pg=True),
    Row(lambda p: f"Till search at {products(p)}, SQLite", "till_scale", "till_search_sqlite",
        against("plain ILIKE"), (p95_under(15),), at_least("products", 100_000)),
    Row(lambda p: f"Till search at {products(p)}, PostgreSQL", "till_scale", "till_search_pg",
        against("plain ILIKE"), (p95_under(15),), at_least("products", 100_000), needs_pg=True),
    Row(lambda p: f"Worker RSS after {p.get('requests', 10_000):,} mixed requests (SQLite)", "worker_rss",
        "rss_sqlite", rss,
        (Goal("rss_mb", "<=", 120, "<= 120 MB"),
         Goal("growth_mb", "<=", GROWTH_TOLERANCE_MB, f"growth <= {num(GROWTH_TOLERANCE_MB)} MB")),
        at_least("requests", 10_000)),
    Row(lambda p: f"Products page and search at {products(p)}, SQLite (issue 14)", "inventory", "inventory_sqlite",
        worst_of, (p95_under(30),), at_least("products", 100_000)),
    Row(lambda p: f"Products page and search at {products(p)}, PostgreSQL (issue 14)", "inventory",
        "inventory_pg", worst_of, (p95_under(30),), at_least("products", 100_000), needs_pg=True),
)

# The 1M rows: one per page bench_million measures, in its goal groups; these stand for them when it did not run.
MILLION_GROUPS = {
    "catalogue": ("Catalogue at 1M products, PostgreSQL", 20.0),
    "bills": ("Bills list with filters and total at 1M bills, PostgreSQL", 50.0),
    "gstr1": ("GSTR-1 month at 1M bills, PostgreSQL", 2000.0),
}


def judge(row_goals: tuple[Goal, ...], figure: dict, full_size: bool) -> str:
    if not row_goals:
        return "-"
    verdict = "yes" if all(goal.met(figure) for goal in row_goals) else "NO"
    return verdict if full_size else verdict + "*"


def not_run(result: Optional[Result], row_needs_pg: bool, pg_skipped: Optional[str]) -> str:
    """The met? cell of a row that has no figure."""
    if row_needs_pg and pg_skipped:
        return pg_skipped
    if result is None:
        return "skipped: not run"
    if result.failed:
        return f"failed: {result.failed}"
    if result.skipped:
        return f"skipped: {result.skipped}"
    return "not measured"


def build_rows(results: dict[str, Result], pg_skipped: Optional[str] = None) -> list[list[str]]:
    """The table's rows (figure, today, baseline or ratio, goal, met?) from each bench's result, by bench name.
    `pg_skipped` is why PostgreSQL was not measured, for its rows."""
    table = []
    for row in ROWS:
        result = results.get(row.bench)
        figure = result.figures.get(row.figure) if result else None
        params = result.params if result else {}
        goal = "; ".join(goal.text for goal in row.goals)
        if figure is None:
            table.append([row.label(params), "", "", goal, not_run(result, row.needs_pg, pg_skipped)])
            continue
        today, baseline = row.cells(figure)
        table.append([row.label(params), today, baseline, goal, judge(row.goals, figure, row.full_size(params))])
    table += million_rows(results.get("million"), pg_skipped)
    return table


def million_rows(result: Optional[Result], pg_skipped: Optional[str]) -> list[list[str]]:
    pages = {name: figure for name, figure in (result.figures if result else {}).items() if figure.get("goal_p95_ms")}
    if not pages:
        reason = not_run(result, True, pg_skipped)
        return [[label, "", "", f"p95 <= {num(goal)} ms", reason] for label, goal in MILLION_GROUPS.values()]
    baseline = (result.figures.get("baseline /healthz") or {}).get("p95_ms")
    params = result.params
    full_size = at_least("products", 1_000_000)(params) and at_least("bills", 1_000_000)(params)
    size = "1M" if full_size else f"{params.get('products', 0):,} products, {params.get('bills', 0):,} bills"
    rows = []
    for name, figure in pages.items():
        goal = p95_under(figure["goal_p95_ms"])
        rows.append([f"{size} on PostgreSQL: {name}", f"{ms(figure['p50_ms'])} / {ms(figure['p95_ms'])}",
                     f"/healthz p95 {ms(baseline)}" if baseline is not None else "", goal.text,
                     judge((goal,), figure, full_size)])
    return rows


HEADER = ["figure", "today (median / p95)", "baseline or ratio", "goal", "met?"]


def format_table(rows: list[list[str]]) -> str:
    """A Markdown table, padded so that it also reads as plain text."""
    widths = [max(len(cells[i]) for cells in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths)) + " |"

    return "\n".join([line(HEADER), "|" + "|".join("-" * (width + 2) for width in widths) + "|",
                      *(line(cells) for cells in rows)])


def footnotes(rows: list[list[str]]) -> list[str]:
    notes = []
    if any(cells[4].endswith("*") for cells in rows):
        notes.append("* measured at a smaller size than the goal's (quick run); `make bench FULL=1` measures the "
                     "issues' sizes.")
    notes.append(f"RSS \"no growth\": at most {num(GROWTH_TOLERANCE_MB)} MB more over the last half of the run.")
    notes.append("Times are server time (in-process test client), but the save's (HTTP to gunicorn) and the renders' "
                 "(the function itself);\nthe baseline beside each was measured in the same run: on a shared "
                 "machine the ratio is the figure that compares.")
    return notes


# --------------------------------------------------------------------------- running


def postgres(url: Optional[str], no_pg: bool) -> tuple[Optional[str], Optional[str]]:
    """(the URL to use, None) or (None, why PostgreSQL is skipped). The default database is created if missing."""
    if no_pg:
        return None, "skipped: no PostgreSQL (--no-pg)"
    url = url or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG
    try:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo
    except ImportError:
        return None, "skipped: no PostgreSQL (psycopg is not installed)"
    dsn = psycopg_dsn(url)
    try:
        psycopg.connect(dsn, connect_timeout=3).close()
        return url, None
    except psycopg.OperationalError as error:
        missing = f'database "{conninfo_to_dict(dsn).get("dbname")}" does not exist' in str(error)
        if not (missing and url == DEFAULT_PG):
            return None, f"skipped: no PostgreSQL ({why(error, dsn)})"
    name = conninfo_to_dict(dsn)["dbname"]
    try:
        with psycopg.connect(make_conninfo(dsn, dbname="postgres"), autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        return None, f"skipped: no PostgreSQL (could not create {name}: {why(error, dsn)})"
    return url, None


def why(error: Exception, dsn: str) -> str:
    """psycopg's connection error in a few words: 'Connection refused at 127.0.0.1:5999'."""
    from psycopg.conninfo import conninfo_to_dict

    first = (str(error).strip().splitlines() or ["?"])[0]
    reason = first.rsplit("failed:", 1)[-1].strip().removeprefix("FATAL:").strip()
    where = conninfo_to_dict(dsn)
    return f"{reason} at {where.get('host', 'localhost')}:{where.get('port', 5432)}"[:120]


def empty_schema(url: str) -> None:
    """Each bench starts from an empty database and leaves it empty (they build it by migration or create_all)."""
    import psycopg

    with psycopg.connect(psycopg_dsn(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def run_bench(bench: Bench, args, pg_url: Optional[str], out: Path) -> Result:
    json_path, log_path = out / f"{bench.name}.json", out / f"{bench.name}.log"
    json_path.unlink(missing_ok=True)
    argv = command(bench, args.full, pg_url, json_path)
    shown = " ".join([relative(Path(argv[1])), *(relative(Path(part)) if part == str(json_path) else
                                                   "$PG" if part == pg_url else part for part in argv[2:])])
    print(f"  {shown}", end=" ... ", flush=True)
    if bench.pg and pg_url:
        empty_schema(pg_url)
    started = time.perf_counter()
    with log_path.open("w") as log:
        log.write(f"$ {' '.join(argv)}\n")
        log.flush()
        code = subprocess.run(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT).returncode
    if bench.pg and pg_url:
        empty_schema(pg_url)
    print(f"{time.perf_counter() - started:.0f} s" + ("" if code == 0 else f", exit {code}"))
    if code != 0 or not json_path.exists():
        tail = log_path.read_text().splitlines()[-12:]
        print("\n".join("    | " + text for text in tail), file=sys.stderr)
        return Result(failed=f"exit {code}, see {relative(log_path)}" if code else f"no JSON, see {relative(log_path)}")
    return result_of(json.loads(json_path.read_text()))


def result_of(doc: dict) -> Result:
    return Result(doc=doc, skipped=doc.get("skipped"))


def relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def from_json(folder: Path) -> dict[str, Result]:
    results = {}
    for bench in BENCHES:
        path = folder / f"{bench.name}.json"
        if path.exists():
            results[bench.name] = result_of(json.loads(path.read_text()))
    return results


def git_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the issues' sizes and the 1M load (make bench FULL=1)")
    parser.add_argument("--million", action="store_true", default=os.environ.get("BENCH_MILLION", "") == "1",
                        help="the 1M load in a quick run too (BENCH_MILLION=1)")
    parser.add_argument("--pg", default=None, help=f"PostgreSQL URL the benches may EMPTY (default "
                                                   f"$BENCH_DATABASE_URL, else {DEFAULT_PG})")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated bench names: "
                                                   + ", ".join(bench.name for bench in BENCHES))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"), help="where the JSON and logs go")
    parser.add_argument("--from-json", metavar="DIR", help="print the table of a run's JSON files, run nothing")
    args = parser.parse_args()

    if args.from_json:
        rows = build_rows(from_json(Path(args.from_json)))
        print(format_table(rows))
        print("\n".join(footnotes(rows)))
        return 0

    only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = only - {bench.name for bench in BENCHES}
    if unknown:
        parser.error(f"unknown bench {', '.join(sorted(unknown))}; choose from "
                     + ", ".join(bench.name for bench in BENCHES))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pg_url, pg_skipped = postgres(args.pg, args.no_pg)
    started = datetime.now(timezone.utc)
    print(f"make bench: {'full' if args.full else 'quick'} run, {started:%Y-%m-%d %H:%M} UTC, commit {git_commit()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}")
    print(f"PostgreSQL: {pg_url.rsplit('@', 1)[-1] if pg_url else pg_skipped}  (emptied by each bench)")

    results: dict[str, Result] = {}
    for bench in BENCHES:
        if only and bench.name not in only:
            continue
        if bench.name == "million" and not (args.full or args.million):
            results[bench.name] = Result(skipped=MILLION_SKIPPED)
            continue
        if bench.name == "million" and not pg_url:
            results[bench.name] = Result(skipped=(pg_skipped or "no PostgreSQL").removeprefix("skipped: "))
            continue
        results[bench.name] = run_bench(bench, args, pg_url, out)

    rows = build_rows(results, pg_skipped)
    table = format_table(rows)
    notes = footnotes(rows)
    finished = datetime.now(timezone.utc)
    print(f"\nIssue 17's figures and issue 14's products page ({'full' if args.full else 'quick'} run, "
          f"{(finished - started).seconds // 60} min, load average now {os.getloadavg()[0]:.1f}):\n")
    print(table)
    print()
    print("\n".join(notes))
    print(f"Each bench's output and JSON: {relative(out)}/")
    (out / "table.md").write_text(table + "\n\n" + "\n".join(notes) + "\n")
    return 1 if any(result.failed for result in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
