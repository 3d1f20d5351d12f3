"""Pages, API listings, exports, a large storage check, verify and the scan API over a generated
multi-year history (bench/generate.py), on SQLite and PostgreSQL (issue 17).

    .venv/bin/python bench/bench_scale.py --preset small [--repeat 20] [--postgres URL | --skip-postgres]

For each database: generate the history (or reuse ``--data DIR/<database>`` when it is there),
then measure, and print one Markdown table per database:

* every page and API listing: median and p99 of ``--repeat`` requests through the Flask app in
  this process (the application's own time: no HTTP server, no network), and the statements
  each ran;
* the custody and register CSV of the largest contract and the register PDF: time and peak
  memory, each in a fresh process (its maximum resident set size);
* a storage check of the largest place: starting it, one scan (median and p99 of 50), and its
  page and API answer with half of them scanned;
* ``mediatrail verify`` in a fresh process: events per second and peak memory;
* the scan API (store) against a trivial route, the same number of requests one after the other
  in the same run: the ratio of their throughputs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

PYTHON = sys.executable


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


@contextmanager
def counted(real):
    seen = []
    original = real.execute_sql

    def execute_sql(sql, params=None, *args, **kwargs):
        seen.append(sql)
        return original(sql, params, *args, **kwargs)

    real.execute_sql = execute_sql
    try:
        yield seen
    finally:
        del real.execute_sql


def in_fresh_process(code: str, data: Path, env: dict) -> tuple[float, float, str]:
    """(seconds, peak resident MB, output) of ``code`` run in a new Python process."""
    began = time.perf_counter()
    process = subprocess.Popen([PYTHON, "-c", code, str(data)], cwd=HERE.parent, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    output = process.stdout.read()
    if status != 0:
        raise RuntimeError(output)
    return seconds, usage.ru_maxrss / 1024, output.strip()


OPEN = """
import sys
from tracker import config, db
from pathlib import Path
from tracker.models import create_schema
settings = config.load(Path(sys.argv[1])); db.connect(settings.database_url); create_schema()  # as the CLI opens a folder
"""
CSV_EXPORT = OPEN + """
from tracker import register
size = rows = 0
for piece in register.{function}([{contract!r}]):
    size += len(piece); rows += piece.count(b"\\r\\n")
print(rows - 1, size)
"""
PDF_EXPORT = OPEN + """
from tracker import register
from tracker.documents.register import register_pdf
from tracker.models import Contract
from tracker.workflows import papers
contract = Contract.get_by_id({contract!r})
pdf = papers.preview(settings, lambda paper: register_pdf(contract, register.register_rows([contract.code]),
                                                          register.closeout_balance(contract.code), paper))
print(len(pdf))
"""
VERIFY = OPEN + """
from tracker import ledger
report = ledger.verify(settings.attachments_dir)
print(report.events, report.ok)
"""


def measure_requests(client, url: str, repeat: int, headers=None) -> dict:
    from tracker import db

    real = db.database.obj  # the app's connection (create_app binds its own)
    times, statements = [], 0
    for _ in range(repeat):
        with counted(real) as seen:
            began = time.perf_counter()
            response = client.get(url, headers=headers or {})
            _ = response.data
            times.append((time.perf_counter() - began) * 1000)
        statements = len(seen)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.data[:300]!r}")
    return {"median": statistics.median(times), "p99": percentile(times, 0.99), "statements": statements}


def bench_database(name: str, data: Path, preset: str, url: str | None, repeat: int) -> list[tuple]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    if url:
        env["DATABASE_URL"] = url
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
    rows: list[tuple] = []
    marker = data / "bench-generated.json"
    if marker.exists():
        made = json.loads(marker.read_text())
    else:
        if url:
            from tracker import db
            from tracker.models import ALL_MODELS

            db.connect(url).drop_tables(ALL_MODELS, safe=True, cascade=True)
            db.database.execute_sql("DROP TABLE IF EXISTS medium_search")
        made = generate.generate(data, preset)
        marker.write_text(json.dumps(made))
        rows.append(("generate: history through ledger.append_many", f"{made['written']:,} events",
                     f"{made['seconds'] - made['set_up_seconds']:.1f} s",
                     f"{made['written'] / (made['seconds'] - made['set_up_seconds']):,.0f} events/s", ""))

    # verify first, in its own process: events/s and peak memory
    seconds, peak, output = in_fresh_process(VERIFY, data, env)
    events, ok = output.split()[-2:]
    rows.append(("verify (full, fresh process)", f"{int(events):,} events", f"{seconds:.1f} s",
                 f"{int(events) / seconds:,.0f} events/s", f"{peak:.0f} MB" + ("" if ok == "True" else " FAILED")))

    from tracker import config, db
    from tracker.models import Medium, User
    from tracker.web import auth, create_app
    from tracker.workflows import checks, tokens

    settings = config.load(data)
    db.connect(settings.database_url)
    contracts = [code for (code,) in Medium.select(Medium.contract).distinct().tuples()]
    largest = max(contracts, key=lambda code: Medium.select().where(Medium.contract == code).count())
    lead = f"lead{made['contracts'].index(largest)}" if largest in made["contracts"] else "lead0"

    for label, function in (("custody CSV", "custody_csv_lines"), ("register CSV", "register_csv_lines")):
        seconds, peak, output = in_fresh_process(CSV_EXPORT.format(function=function, contract=largest), data, env)
        lines, size = (int(value) for value in output.split()[-2:])
        rows.append((f"{label} of {largest} (fresh process)", f"{lines:,} rows, {size / 1e6:.0f} MB", f"{seconds:.1f} s",
                     f"{lines / seconds:,.0f} rows/s", f"{peak:.0f} MB"))
    try:
        seconds, peak, output = in_fresh_process(PDF_EXPORT.format(contract=largest), data, env)
        rows.append((f"register PDF of {largest} (fresh process)", f"{int(output.split()[-1]) / 1e6:.1f} MB", f"{seconds:.1f} s", "", f"{peak:.0f} MB"))
    except RuntimeError as error:
        rows.append((f"register PDF of {largest}", "failed", str(error).splitlines()[-1][:80], "", ""))

    app = create_app(settings, {"TESTING": True})
    app.add_url_rule("/bench/trivial", "bench_trivial", lambda: "ok")
    auth.PUBLIC_ENDPOINTS.add("bench_trivial")
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        token_value = session["csrf_token"]
    client.post("/login", data={"login": lead, "password": generate.PASSWORD, "csrf_token": token_value})
    lead_user = User.get_by_id(lead)
    token = tokens.create_token(lead_user, "bench")
    bearer = {"Authorization": f"Bearer {token}"}
    big = made["big_place"]
    some = Medium.select(Medium.id).where((Medium.contract == largest) & (Medium.status == "stored")).order_by(Medium.id).limit(1).scalar()
    middle = Medium.select(Medium.id).where(Medium.contract == largest).order_by(Medium.id).offset(
        Medium.select().where(Medium.contract == largest).count() // 2).limit(1).scalar()
    pages = ["/", "/media", f"/media?after={middle}", "/media?q=課税資料", "/media?q=課税", "/media?status=stored",
             "/media?q=" + "%" * 10, f"/media/{some}", f"/locations/{big}", f"/register?contract={largest}",
             f"/register?contract={largest}&after={middle}", "/handovers", "/transfers", "/checks", "/incidents",
             "/destructions", f"/contracts/{largest}/inspection", f"/contracts/{largest}/balance"]
    for url in pages:
        found = measure_requests(client, url, repeat)
        rows.append((f"page {url}", f"{found['statements']} statements", f"{found['median']:.0f} ms median", f"{found['p99']:.0f} ms p99", ""))
    listings = ["/api/v1/media", f"/api/v1/media?after={middle}", "/api/v1/media?q=課税資料", "/api/v1/handovers",
                "/api/v1/transfers", "/api/v1/copy-requests", "/api/v1/checks", "/api/v1/checks/schedule", "/api/v1/incidents",
                "/api/v1/destructions", f"/api/v1/media/{some}/events", f"/api/v1/contracts/{largest}/inspection"]
    for url in listings:
        found = measure_requests(client, url, repeat, bearer)
        rows.append((f"API {url}", f"{found['statements']} statements", f"{found['median']:.0f} ms median", f"{found['p99']:.0f} ms p99", ""))

    # a storage check of the largest place
    held = [medium_id for (medium_id,) in Medium.select(Medium.id).where((Medium.location == big) & (Medium.status == "stored"))
            .order_by(Medium.id).tuples()]
    checker = User.get_by_id(f"worker{made['contracts'].index(held[0][:4])}")
    check = checks.open_check_at(big)  # left open by an earlier run over the same data
    if check is None:
        began = time.perf_counter()
        check = checks.start(checker, big, settings.secret)
        rows.append((f"check start at {big}", f"{len(held):,} media", f"{(time.perf_counter() - began) * 1000:.0f} ms", "", ""))
    else:
        rows.append((f"check at {big} (open since an earlier run)", f"{len(held):,} media", "", "", ""))
        held = [found for found in held if not checks.CheckScan.get_or_none(checks.CheckScan.key == f"{check.number}/{found}")]
    scan_times = []
    from labels import payload

    def label(medium_id):  # what a camera or a station reads: the signed label URL, proof the medium is there
        return payload.medium_url(medium_id, settings.secret, settings.base_url)

    for medium_id in held[:50]:
        began = time.perf_counter()
        checks.scan(checker, check.number, label(medium_id), settings.secret)
        scan_times.append((time.perf_counter() - began) * 1000)
    rows.append(("check scan (one code)", "50 scans", f"{statistics.median(scan_times):.1f} ms median",
                 f"{percentile(scan_times, 0.99):.1f} ms p99", ""))
    worker_client = app.test_client()
    worker_client.get("/login")
    with worker_client.session_transaction() as session:
        token_value = session["csrf_token"]
    worker_client.post("/login", data={"login": checker.login, "password": generate.PASSWORD, "csrf_token": token_value})
    for url, who, headers in ((f"/checks/{check.number}", worker_client, None),
                              (f"/api/v1/checks/{check.number}", client, {"Authorization": f"Bearer {tokens.create_token(checker, 'c')}"})):
        found = measure_requests(who, url, max(3, repeat // 4), headers)
        rows.append((f"check {url}", f"{found['statements']} statements", f"{found['median']:.0f} ms median", f"{found['p99']:.0f} ms p99", ""))

    # the scan API against a trivial route, one after the other in this run
    cabinets = [code for (code,) in Medium.select(Medium.location).where(Medium.location.is_null(False)).distinct().tuples()
                if code != big][:2]
    own = [medium_id for medium_id in held if medium_id.startswith(largest)]
    movable = own[len(own) // 2: len(own) // 2 + 200]
    began = time.perf_counter()
    for count, medium_id in enumerate(movable):
        response = client.post("/api/v1/scans", headers=bearer, json={
            "idempotency_key": f"bench-{time.time_ns()}-{count}", "code": label(medium_id), "action": "store", "location": cabinets[count % 2]})
        if response.status_code not in (200, 201):
            raise RuntimeError(response.data[:300])
    scans_per_second = len(movable) / (time.perf_counter() - began)
    began = time.perf_counter()
    for _ in movable:
        client.get("/bench/trivial")
    trivial_per_second = len(movable) / (time.perf_counter() - began)
    rows.append(("scan API (store) vs trivial route", f"{len(movable)} each", f"{scans_per_second:,.0f} scans/s",
                 f"{trivial_per_second:,.0f} req/s", f"ratio {scans_per_second / trivial_per_second:.2f}"))
    db.database.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", choices=sorted(generate.PRESETS), default="small")
    parser.add_argument("--data", type=Path, default=Path("/tmp/mediatrail-bench-scale"))
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    arguments = parser.parse_args()
    targets = (([] if arguments.skip_sqlite else [("SQLite", None)])
               + ([] if arguments.skip_postgres else [("PostgreSQL", arguments.postgres)]))
    print(f"preset {arguments.preset}, {arguments.repeat} requests per page, {os.cpu_count()} CPUs\n")
    for name, url in targets:
        data = arguments.data / f"{arguments.preset}-{name.lower()}"
        rows = bench_database(name, data, arguments.preset, url, arguments.repeat)
        print(f"### {name}\n\n| what | size | time | rate / p99 | memory / ratio |\n|---|---|---:|---:|---:|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        print(flush=True)


if __name__ == "__main__":
    main()
