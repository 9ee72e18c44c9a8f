#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The morning after the run: thousands of customers open their statement.

    python3 tests/benchmarks/bench_statement_burst.py --workers 1,2,4

Builds (once) the benchmark database and ledger (see bench_dunning_run.py),
runs the day's dunning when it has not run (every reminder carries its
customer's statement link), adds two customers with 20 and 200 open
invoices, then for each number of workers starts a real Odoo server
(``--workers N``) and lets Locust (tests/benchmarks/locust_statement.py)
play virtual customers and a few collectors for ``--duration`` seconds.
Prints, per kind of request, throughput and p50/p95/p99 in ms, failures,
the most database connections seen and the issue's goals met or not; then
profiles the slowest kind of page in-process. Customers also pay with
Odoo's demo provider (payment_demo, installed in the database when
missing) and wait for their invoice PDFs, which the server's one cron
worker renders (the other scheduled actions are paused during a burst).

Locust (tests/benchmarks/requirements.txt) is installed on first use in a
virtualenv of its own, .ci/out/locust-venv: never in Odoo's Python, whose
pinned Werkzeug and gevent it would replace.
"""

import cProfile
import csv
import io
import json
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTOR = "burst.collector"


def prepare(env, today):
    """The day's run (once), the two customers of 20 and 200 invoices, the
    collector, and the targets Locust reads."""
    from odoo import Command

    env.cr.execute("SELECT count(*) FROM dunning_communication WHERE date = %s", [today])
    if not env.cr.fetchone()[0]:
        common.reset_dunning(env)
        runs = common.create_runs(env, today)
        with common.measure(f"dunning run of {today}"):
            common.execute_runs(runs)
    company = env.company
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    sized = {}
    for count in (20, 200):
        name = f"Burst {count} SL"
        partner = env["res.partner"].search([("name", "=", name)], limit=1)
        if not partner:
            partner = env["res.partner"].create(
                {"name": name, "is_company": True, "email": f"b{count}@example.com"}
            )
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "journal_id": journal.id,
                        "invoice_date": today - timedelta(days=60),
                        "invoice_date_due": today - timedelta(days=30 - n % 20),
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": "Servicio",
                                    "quantity": 1,
                                    "price_unit": 50 + n,
                                    "tax_ids": [],
                                }
                            )
                        ],
                    }
                    for n in range(count)
                ]
            )
            moves.action_post()
        sized[count] = {"token": partner._dunning_statement_token(), "comm": 0}
    if not env["res.users"].search([("login", "=", COLLECTOR)]):
        env["res.users"].create(
            {
                "name": "Burst Collector",
                "login": COLLECTOR,
                "password": COLLECTOR,
                "groups_id": [
                    Command.set(
                        [
                            env.ref("base.group_user").id,
                            env.ref("account_dunning_es.group_dunning_user").id,
                        ]
                    )
                ],
            }
        )
    provider = demo_provider(env, company)
    env.cr.execute(
        """
        SELECT DISTINCT ON (c.partner_id) p.dunning_access_token, c.id, p.id,
               l.move_id, m.amount_residual
          FROM dunning_communication c
          JOIN res_partner p ON p.id = c.partner_id
          JOIN dunning_communication_line l ON l.communication_id = c.id
          JOIN account_move m ON m.id = l.move_id
         WHERE c.date = %s AND p.dunning_access_token IS NOT NULL
           AND m.move_type = 'out_invoice' AND m.company_id = %s
           -- paid at once in the company's currency (the others one by one)
           AND m.currency_id = %s
         ORDER BY c.partner_id, c.id
         LIMIT 3000
        """,
        [today, company.id, company.currency_id.id],
    )
    customers = [
        {"token": t, "comm": c, "partner": p, "move": m, "amount": float(a)}
        for t, c, p, m, a in env.cr.fetchall()
    ]
    env.cr.commit()
    return {
        "customers": customers,
        "with_20": sized[20],
        "with_200": sized[200],
        "collector": COLLECTOR,
        "today": today.isoformat(),
        "provider": provider,
    }


def demo_provider(env, company):
    """Odoo's demo payment provider, enabled for the company (payment_demo
    is installed by ``main`` when the database lacks it)."""
    demo = env.ref("payment.payment_provider_demo", raise_if_not_found=False)
    if not demo or demo.module_id.state != "installed":
        return None
    provider = env["payment.provider"].search(
        [("code", "=", "demo"), ("company_id", "=", company.id), ("state", "=", "test")], limit=1
    )
    if not provider:
        provider = demo.copy({"company_id": company.id, "name": "Demo (burst)"})
        provider.write({"state": "test", "is_published": True})
    # Its payment method in the company's bank journal, as saving the
    # provider's form does: left to the first payments, two customers paying
    # at once each create one, and every later payment fails ("Expected
    # singleton: account.payment.method.line"; seen in a burst).
    # (Reading the journal first: its computation may create the line.)
    if provider.journal_id:
        provider._ensure_payment_method_line()
    return {"id": provider.id, "method": provider.payment_method_ids[:1].id}


def ensure_payment_demo(args):
    """Install Odoo's demo payment provider in the benchmark database."""
    state = subprocess.run(
        ["psql", "-h", args.db_host, "-U", args.db_user, "-d", args.db, "-Atc",
         "SELECT state FROM ir_module_module WHERE name = 'payment_demo'"],
        capture_output=True, text=True, check=True,
        env=dict(os.environ, PGPASSWORD=args.db_password),
    ).stdout.strip()  # fmt: skip
    if state != "installed":
        subprocess.run(
            [sys.executable, "-m", "odoo", *common.odoo_args(args), "-d", args.db,
             "-i", "payment_demo", "--stop-after-init"],
            check=True,
        )  # fmt: skip


def locust_python():
    """Locust in a virtualenv of its own (.ci/out/locust-venv): its
    dependencies (Werkzeug 3, gevent 25) must not replace Odoo's pinned
    ones in the Python that runs Odoo. It only talks HTTP to the server."""
    venv = os.path.join(common.REPO, ".ci", "out", "locust-venv")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run(
            [python, "-m", "pip", "install", "-q", "-r", os.path.join(HERE, "requirements.txt")],
            check=True,
        )
    return python


def odoo_bin():
    """Odoo's launcher script: a prefork server restarts its gevent process
    with sys.argv[0], which ``python -m odoo`` makes a path that cannot run."""
    import odoo

    script = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")
    return [sys.executable, script] if os.path.exists(script) else ["odoo"]


def start_server(args, workers, port, proxied=False):
    # One database named, no --db-filter: with a filter Odoo lists the
    # databases (a new PostgreSQL connection) for every visitor who has no
    # session yet, which is every customer following a link (9 of a 27 ms
    # page, measured in-process).
    command = [
        *odoo_bin(), *common.odoo_args(args), "-d", args.db, "--no-database-list",
        f"--http-port={port}", f"--workers={workers}",
        "--max-cron-threads=1", "--limit-time-real=600", "--limit-time-cpu=300",
        "--limit-memory-soft=2147483648", "--limit-memory-hard=2684354560",
        # Behind the proxy, the customers' own addresses (the wrong-token
        # limiter counts per address).
        *(["--proxy-mode"] if proxied else []),
        # More server options to study a burst (--log-handler=werkzeug:INFO
        # logs each request's queries and server-side time).
        *os.environ.get("BURST_SERVER_ARGS", "").split(),
    ]  # fmt: skip
    log = open(os.path.join(common.REPO, ".ci", "out", f"burst-server-{workers}.log"), "w")  # noqa: SIM115
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(240):
        try:
            if requests.get(f"http://127.0.0.1:{port}/web/health", timeout=2).ok:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    stop_server(server)
    raise SystemExit(f"the Odoo server did not start: see {log.name}")


def stop_server(server):
    """Stop the server and its workers (its own process group)."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=20)
    except ProcessLookupError:
        pass


HAPROXY = """
global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 600s
    timeout queue 120s
    # One request per connection to Odoo (a prefork worker serves one
    # connection at a time); the client side may keep its connection.
    option http-server-close
    option forwardfor
frontend customers
    bind 127.0.0.1:{port}
    # The collectors' screens (Odoo's /web) go ahead of the customers in the
    # queue: the back office keeps working through the morning's burst.
    http-request set-priority-class int(-10) if {{ path_beg /web }}
    default_backend odoo
backend odoo
    # At most one request per worker at a time: the others wait in the
    # proxy's queue, first come first served.
    server odoo 127.0.0.1:{odoo_port} maxconn {workers}
"""


def start_proxy(port, odoo_port, workers):
    """HAProxy in front of the workers, as production runs Odoo behind a
    proxy, but one that queues: Odoo's prefork server listens with a backlog
    of 8 connections per worker, and a burst of new connections beyond it
    has its SYNs dropped and retried by the client after 1, 3, 7 s (seen:
    5,794 listen overflows in one burst)."""
    config = tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False)  # noqa: SIM115
    config.write(HAPROXY.format(port=port, odoo_port=odoo_port, workers=workers))
    config.close()
    proxy = subprocess.Popen(
        ["haproxy", "-db", "-f", config.name],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(1)
    os.unlink(config.name)
    return proxy


def cpu_times():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat", encoding="utf-8") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def listen_overflows():
    """The kernel's count of connections dropped from a full listen queue."""
    with open("/proc/net/netstat", encoding="utf-8") as netstat:
        lines = [line.split() for line in netstat if line.startswith("TcpExt:")]
    return int(dict(zip(lines[0], lines[1], strict=False)).get("ListenOverflows", 0))


def connections(args, stop, seen):
    """The most connections to the benchmark database, sampled each 0.5 s."""
    env = dict(os.environ, PGPASSWORD=args.db_password)
    while not stop.is_set():
        out = subprocess.run(
            ["psql", "-h", args.db_host, "-U", args.db_user, "-d", "postgres", "-Atc",
             f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{args.db}'"],
            capture_output=True, text=True, env=env, check=False,
        ).stdout.strip()  # fmt: skip
        if out.isdigit():
            seen.append(int(out))
        stop.wait(0.5)


def burst(args, registry, workers, targets_file, port, round_=0):
    base = f"http://127.0.0.1:{port}"
    # Reports fetch their styles from the server itself.
    with registry.cursor() as cr:
        cr.execute(
            "UPDATE ir_config_parameter SET value = %s WHERE key IN ('report.url', 'web.base.url')",
            [base],
        )
        cr.execute(
            "INSERT INTO ir_config_parameter (key, value) SELECT 'report.url', %s "
            "WHERE NOT EXISTS (SELECT 1 FROM ir_config_parameter WHERE key = 'report.url')",
            [base],
        )
        # One scheduled action runs during the burst: the invoice PDFs the
        # customers ask for (its own cron worker); the others wait.
        cr.execute("SELECT id FROM ir_cron WHERE active")
        active_crons = [row[0] for row in cr.fetchall()]
        cr.execute(
            "UPDATE ir_cron SET active = (cron_name = %s)",
            ["Dunning: render invoice PDFs for statement pages"],
        )
    proxied = not args.no_proxy and bool(shutil.which("haproxy"))
    if not args.no_proxy and not proxied:
        print("  (haproxy not found: the customers talk to the workers directly)")
    server = start_server(args, workers, port + 1 if proxied else port, proxied)
    proxy = start_proxy(port, port + 1, workers) if proxied else None
    overflows = listen_overflows()
    busy = cpu_times()
    try:
        # Warm-up: the first requests of each worker load the registry.
        for _ in range(workers * 3):
            requests.get(f"{base}/web/login", timeout=60)
        stop, seen = threading.Event(), []
        sampler = threading.Thread(target=connections, args=(args, stop, seen), daemon=True)
        sampler.start()
        with tempfile.TemporaryDirectory() as tmp:
            prefix = os.path.join(tmp, "burst")
            subprocess.run(
                [
                    locust_python(), "-m", "locust", "-f",
                    os.path.join(HERE, "locust_statement.py"), "--headless",
                    "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.duration}s",
                    "--host", base, "--csv", prefix, "--only-summary", "--loglevel", "WARNING",
                ],
                env=dict(os.environ, BURST_TARGETS=targets_file, BURST_ROUND=str(round_),
                         BURST_PDF="0" if args.no_pdf else "1"),
                check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            stop.set()
            overflows = listen_overflows() - overflows
            busy = [after - before for after, before in zip(cpu_times(), busy, strict=True)]
            with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
                rows = list(csv.DictReader(stats))
            with open(f"{prefix}_failures.csv", encoding="utf-8") as failures:
                for failure in csv.DictReader(failures):
                    print(
                        f"  failed {failure['Occurrences']}x {failure['Name']}: "
                        f"{failure['Error'][:160]}"
                    )
    finally:
        if proxy:
            stop_server(proxy)
        stop_server(server)
        with registry.cursor() as cr:
            cr.execute("UPDATE ir_cron SET active = (id = ANY(%s))", [active_crons])
    return rows, max(seen or [0]), overflows, 100 * busy[0] / busy[1]


def print_table(workers, rows, most_connections, overflows, cpu):
    print(
        f"\n{workers} worker(s); the machine's CPU {cpu:.0f} % busy; at most "
        f"{most_connections} database connections; {overflows} connections dropped "
        "from a full listen queue"
    )
    print(
        f"  {'request':32} {'count':>7} {'fail':>5} {'req/s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    )
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        print(
            f"  {name:32} {row['Request Count']:>7} {row['Failure Count']:>5} "
            f"{float(row['Requests/s']):>7.1f} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
        )


def goals(rows):
    """The issue's goals for the morning after the run, met or not."""
    by_name = {row["Name"]: row for row in rows}

    def p95(name):
        return float(by_name[name]["95%"]) if name in by_name else float("nan")

    pages = sum(
        float(by_name[name]["Requests/s"])
        for name in ("statement", "statement, 20 invoices", "statement, 200 invoices")
        if name in by_name
    )
    failures = sum(int(row["Failure Count"]) for row in rows if row["Name"] != "Aggregated")
    back_office = max(
        [p95(name) for name in by_name if name.startswith("back office")] or [float("nan")]
    )
    checks = [
        ("statement pages a second", pages, ">=", 50),
        ("p95 ms, customer of 20 invoices", p95("statement, 20 invoices"), "<", 300),
        ("p95 ms, customer of 200 invoices", p95("statement, 200 invoices"), "<", 1000),
        ("failed requests", failures, "==", 0),
        ("back office p95 ms", back_office, "<", 1000),
    ]
    print("  goals:")
    for label, value, op, goal in checks:
        met = {">=": value >= goal, "<": value < goal, "==": value == goal}[op]
        print(f"    {label:34} {value:>8.1f}  goal {op} {goal:<6} {'met' if met else 'NOT met'}")


def profile_statement(registry, token):
    """Where the time of one statement page's values goes (in-process, the
    customer of 200 invoices; the QWeb rendering needs a request)."""
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        partner = env["res.partner"]._dunning_from_token(token)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        env["dunning.statement"]._values(partner)
        profiler.disable()
        print(
            f"\nStatement values of the 200-invoice customer in-process: "
            f"{(time.perf_counter() - started) * 1000:.0f} ms; top functions:"
        )
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(12)
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:3000])
        cr.rollback()


def main():
    parser = common.base_parser(__doc__)
    common.add_ledger_arguments(parser)
    parser.add_argument("--workers", default="1,2,4", help="comma separated")
    parser.add_argument("--users", type=int, default=60, help="virtual users at once")
    parser.add_argument("--spawn-rate", type=int, default=20)
    parser.add_argument("--duration", type=int, default=60, help="seconds per burst")
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument(
        "--no-proxy",
        action="store_true",
        help="customers talk to Odoo's workers directly, without HAProxy",
    )
    parser.add_argument(
        "--no-pdf",
        action="store_true",
        help="customers download no invoice PDF",
    )
    args = parser.parse_args()
    common.ensure_database(args)
    ensure_payment_demo(args)
    common.machine_speed()
    registry = common.open_registry(args)
    from odoo import SUPERUSER_ID, api

    today = date.fromisoformat(args.date)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        common.ensure_ledger(env, args, today)
        targets = prepare(env, today)
    print(
        f"{len(targets['customers'])} customers reminded on {today} to play; "
        f"{args.users} virtual users, {args.duration} s per burst"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as targets_file:
        json.dump(targets, targets_file)
    try:
        # Each burst pays with customers of its own (BURST_ROUND): five
        # bursts on one database at most.
        for round_, workers in enumerate(int(w) for w in args.workers.split(",")):
            rows, most, overflows, cpu = burst(
                args, registry, workers, targets_file.name, args.port, round_
            )
            print_table(workers, rows, most, overflows, cpu)
            goals(rows)
    finally:
        os.unlink(targets_file.name)
    profile_statement(registry, targets["with_200"]["token"])


if __name__ == "__main__":
    main()
