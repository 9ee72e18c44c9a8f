# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Shared set-up of the benchmarks: configuration, database, measures."""

import argparse
import os
import resource
import subprocess
import sys
import time
import timeit
import tracemalloc
from contextlib import contextmanager

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def base_parser(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", default="dunning_bench")
    parser.add_argument("--db-host", default=os.environ.get("ODOO_DB_HOST", "localhost"))
    parser.add_argument("--db-user", default=os.environ.get("ODOO_DB_USER", "odoo"))
    parser.add_argument("--db-password", default=os.environ.get("ODOO_DB_PASSWORD", "odoo"))
    parser.add_argument("--extra-addons", default="", help="more addons folders, comma separated")
    parser.add_argument("--modules", default="account_dunning_es")
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild the database")
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="also trace Python allocations (slow: times not comparable)",
    )
    return parser


def add_ledger_arguments(parser):
    """--customers, --invoices, --overdue and --date of the seeded ledger."""
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--invoices", type=int, default=50000)
    parser.add_argument("--overdue", type=int, default=20000)
    parser.add_argument("--date", default="2026-06-15")


def addons_path(extra=""):
    import odoo

    root = os.path.dirname(os.path.abspath(odoo.__file__))
    paths = [os.path.join(root, "addons"), os.path.abspath(os.path.join(root, "..", "addons"))]
    paths = [p for p in paths if os.path.isdir(p)] + [REPO]
    return ",".join(paths + [p for p in extra.split(",") if p])


def odoo_args(args):
    return [
        f"--db_host={args.db_host}",
        f"--db_user={args.db_user}",
        f"--db_password={args.db_password}",
        f"--addons-path={addons_path(args.extra_addons)}",
        "--log-level=warn",
    ]


def ensure_database(args):
    """Build the benchmark database (no demo data) unless it exists."""
    env = dict(os.environ, PGPASSWORD=args.db_password)
    exists = subprocess.run(
        [
            "psql",
            "-h",
            args.db_host,
            "-U",
            args.db_user,
            "-d",
            "postgres",
            "-Atc",
            f"SELECT 1 FROM pg_database WHERE datname = '{args.db}'",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    if exists and not args.fresh:
        return False
    subprocess.run(
        ["dropdb", "-h", args.db_host, "-U", args.db_user, "--if-exists", args.db],
        env=env,
        check=True,
    )
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            *odoo_args(args),
            "-d",
            args.db,
            "-i",
            args.modules,
            "--without-demo=all",
            "--stop-after-init",
        ],
        check=True,
    )
    print(f"database {args.db} built in {time.perf_counter() - started:.0f} s")
    return True


def machine_speed():
    """Milliseconds of a fixed pure-Python loop (best of 5), printed beside
    the figures: machines of the same kind differ (on 2026-12-02 the same
    first run took 20 s on one, 68 s on the next), and the run is mostly
    Python. Compare figures measured at similar speeds only."""
    loop = "s = 0\nfor i in range(1_000_000):\n    s += i"
    best = min(timeit.repeat(loop, number=1, repeat=5))
    print(f"machine speed: {best * 1000:.0f} ms for a million-step Python loop")
    return best


def open_registry(args):
    import odoo

    odoo.tools.config.parse_config([*odoo_args(args), "-d", args.db])
    return odoo.modules.registry.Registry(args.db)


def sql_count():
    from odoo import sql_db

    return sql_db.sql_counter


@contextmanager
def measure(label, trace_memory=False):
    """Print wall time, SQL queries and memory of the block.

    Also the CPU time of this process (helper processes not included): on a
    shared machine it varies less than the wall time from one run to the next,
    which compares two versions of the code better.

    Memory is the process's peak resident size; with ``trace_memory`` also the
    peak of Python allocations in the block (tracemalloc, which slows Python
    down several times: the time is then not comparable).
    """
    figures = {"peak_mib": 0.0}
    if trace_memory:
        tracemalloc.start()
    queries = sql_count()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    cpu_started = time.process_time()
    try:
        yield figures
    finally:
        figures["seconds"] = time.perf_counter() - started
        figures["cpu_seconds"] = time.process_time() - cpu_started
        figures["queries"] = sql_count() - queries
        if trace_memory:
            figures["peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        figures["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        traced = f", Python allocations peak {figures['peak_mib']:.0f} MiB" if trace_memory else ""
        print(
            f"{label}: {figures['seconds']:.1f} s ({figures['cpu_seconds']:.1f} s of this "
            f"process's CPU), {figures['queries']} SQL queries, "
            f"process peak RSS {figures['rss_mib']:.0f} MiB (was {rss_before / 1024:.0f} MiB "
            f"before){traced}"
        )


@contextmanager
def waits(top=None):
    """Print where the block's process waited: each kind of SQL statement,
    the commits and the sanitising helpers' results, slowest first.

    The run's process spends about as long waiting as computing (the CPU
    time ``measure`` prints): this says on what. Statements are grouped by
    their first 70 characters; the timing wraps the cursor's ``execute``, so
    it includes the little Python around the call. ``top`` kinds are
    printed: 12, or the environment's BENCH_WAITS_TOP.
    """
    top = top or int(os.environ.get("BENCH_WAITS_TOP", "12"))
    import re  # noqa: PLC0415
    from collections import defaultdict  # noqa: PLC0415
    from concurrent.futures import Future  # noqa: PLC0415

    from odoo import sql_db  # noqa: PLC0415

    totals = defaultdict(lambda: [0, 0.0])

    def timed(function, label_of):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                total = totals[label_of(*args)]
                total[0] += 1
                total[1] += time.perf_counter() - started

        return wrapper

    def statement(*args):
        query = args[1] if len(args) > 1 else "?"
        return re.sub(r"\s+", " ", str(getattr(query, "code", query))).strip()[:70]

    patched = {
        (sql_db.Cursor, "execute"): statement,
        (sql_db.Cursor, "commit"): lambda *_args: "COMMIT",
        (Future, "result"): lambda *_args: "waiting for a sanitising helper",
    }
    originals = {key: getattr(*key) for key in patched}
    for (owner, name), label_of in patched.items():
        setattr(owner, name, timed(originals[owner, name], label_of))
    try:
        yield totals
    finally:
        for (owner, name), original in originals.items():
            setattr(owner, name, original)
        waited = sum(seconds for _count, seconds in totals.values())
        print(f"  waited {waited:.1f} s in all; slowest:")
        for label, (count, seconds) in sorted(totals.items(), key=lambda item: -item[1][1])[:top]:
            print(f"  {seconds:6.2f} s  {count:5d} x  {label}")


def ensure_ledger(env, args, today):
    """The seeded ledger of --customers and --invoices (--overdue past due), once.

    Two companies, a share of invoices in a foreign currency and of open
    credit notes: see ledger.build.
    """
    import ledger

    key = f"{ledger.VERSION}:{args.customers}/{args.invoices}/{args.overdue}/{today}"
    params = env["ir.config_parameter"].sudo()
    if params.get_param("dunning_benchmark.ledger") == key:
        return
    if ledger.ledger_size(env):
        raise SystemExit(f"{args.db} holds another ledger: run again with --fresh")
    with measure(f"ledger of {args.customers} customers, {args.invoices} invoices"):
        ledger.build(env, args.customers, args.invoices, args.overdue, today)
        params.set_param("dunning_benchmark.ledger", key)
        analyze(env.cr)


def analyze(cr):
    """VACUUM ANALYZE, as autovacuum does between two daily runs.

    Without fresh statistics a newly generated ledger gets poor query plans
    (one of OCA's queries took 200 s instead of 25); without the vacuum the
    dead rows the previous step left (deleted runs, rewritten invoices) slow
    the next step down, whichever tool it measures.
    """
    cr.commit()
    cr._cnx.autocommit = True
    try:
        cr._obj.execute("VACUUM ANALYZE")
    finally:
        cr._cnx.autocommit = False


def ledger_companies(env):
    """The companies of the ledger: the main one, then the second one."""
    import ledger

    return env.company | ledger.second_company(env)


def create_runs(env, today, preview=False, origin="cron"):
    """One dunning run per company of the ledger, committed, not executed."""
    runs = env["dunning.run"]
    for company in ledger_companies(env):
        runs |= runs.with_company(company).create(
            {"company_id": company.id, "date": today, "preview": preview, "origin": origin}
        )
    analyze(env.cr)
    return runs


def execute_committed(run, **execute_kwargs):
    """Execute a run as the daily job does: one committed batch at a time."""
    sys.path.insert(0, os.path.dirname(HERE))  # tests/, for committing.py
    from committing import run_committing  # noqa: PLC0415 (needs odoo imported first)

    return run_committing(run.with_company(run.company_id), **execute_kwargs)


def execute_runs(runs):
    """Execute the runs as the daily job does, each in its company."""
    for run in runs:
        execute_committed(run)


def reset_dunning(env):
    """Forget every dunning run and communication: each benchmark starts clean."""
    env.cr.execute("DELETE FROM dunning_communication")
    env.cr.execute("DELETE FROM dunning_run")
    env.cr.execute("DELETE FROM mail_mail")
    # The reminders logged on the customers' chatter: left there, each run
    # measured again would write into a table some 9,000 messages larger
    # (50,000 moves), and the runs would slow down from one to the next.
    env.cr.execute(
        "DELETE FROM mail_message WHERE model = 'res.partner' AND message_type = 'email_outgoing'"
    )
    env.cr.execute(
        "UPDATE account_move SET dunning_stage_id = NULL, dunning_last_date = NULL, "
        "dunning_count = 0 WHERE dunning_stage_id IS NOT NULL"
    )
    env.cr.commit()
    env.invalidate_all()
