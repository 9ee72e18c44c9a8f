#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The daily run shared by 1, 2, ... job workers (OCA queue_job).

    python3 tests/benchmarks/bench_job_workers.py --extra-addons /path/to/queue_job_folder \\
        --customers 20000 --invoices 200000 --overdue 80000 --db dunning_bench_jobs

Builds (once) a database with account_dunning_es and queue_job and the
seeded ledger, then for each --workers count: forgets the previous run,
lets the daily job hand the day's runs to the queue (one job per batch),
starts a prefork Odoo server with that many HTTP workers and queue_job's
runner at that capacity, and times from the server's start until the last
job is done (the server's own start and each worker's loading of the
registry included), and the jobs' own span, from the first job started to
the last one done; before them, the time the daily job took to hand the
batches to the queue.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server(args, workers, port, log):
    import odoo

    odoo_bin = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")
    env = dict(
        os.environ,
        ODOO_QUEUE_JOB_CHANNELS=f"root:{workers},root.dunning:{workers}",
        ODOO_QUEUE_JOB_PORT=str(port),
    )
    return subprocess.Popen(
        [
            sys.executable,
            odoo_bin,
            *common.odoo_args(args),
            "-d",
            args.db,
            f"--db-filter=^{args.db}$",
            f"--workers={workers}",
            "--max-cron-threads=0",
            "--load=base,web,queue_job",
            f"--http-port={port}",
            "--limit-time-real=3600",
            "--limit-time-cpu=3600",
            "--limit-memory-soft=4294967296",
            "--limit-memory-hard=8589934592",
            f"--logfile={log}",
        ],
        env=env,
    )


def main():
    parser = common.base_parser(__doc__)
    common.add_ledger_arguments(parser)
    parser.add_argument("--workers", default="1,2", help="worker counts, comma separated")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.set_defaults(date=date.today().isoformat())  # the daily job's day
    args = parser.parse_args()
    args.modules = "account_dunning_es,queue_job"
    common.ensure_database(args)
    registry = common.open_registry(args)
    from odoo import SUPERUSER_ID, api

    today = date.fromisoformat(args.date)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        common.ensure_ledger(env, args, today)
    for workers in [int(n) for n in args.workers.split(",")]:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            common.reset_dunning(env)
            cr.execute("DELETE FROM queue_job")
            common.ledger_companies(env).dunning_batch_size = args.batch_size
            # Today's runs handed to the queue, as the daily job does (the
            # customers to review found and cut into batches): timed, the
            # first part of the run's wait.
            handed = time.perf_counter()
            env["dunning.run"]._cron_dunning_run()
            cr.commit()
            handed = time.perf_counter() - handed
            cr.execute("SELECT count(*) FROM queue_job")
            jobs = cr.fetchone()[0]
            common.analyze(cr)
        port = free_port()
        log = os.path.join(common.REPO, ".ci", "out", f"bench-jobs-{workers}.log")
        os.makedirs(os.path.dirname(log), exist_ok=True)
        started = time.perf_counter()
        process = server(args, workers, port, log)
        try:
            while True:
                time.sleep(0.5)
                with registry.cursor() as cr:
                    cr.execute(
                        "SELECT count(*) FILTER (WHERE state = 'done'),"
                        " count(*) FILTER (WHERE state = 'failed'),"
                        " count(DISTINCT worker_pid) FILTER (WHERE method_name = '_job_batch')"
                        " FROM queue_job"
                    )
                    done, failed, pids = cr.fetchone()
                if failed:
                    raise SystemExit(f"{failed} jobs failed: see {log}")
                if done == jobs:
                    break
            seconds = time.perf_counter() - started
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
        with registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM dunning_communication")
            comms = cr.fetchone()[0]
            # The jobs' own span, without the server's start and each
            # worker's loading of the registry (several seconds a process).
            cr.execute(
                "SELECT extract(epoch FROM max(date_done) - min(date_started)) FROM queue_job"
            )
            span = cr.fetchone()[0]
        print(
            f"{workers} job worker(s): {seconds:.1f} s for {jobs} jobs run by {pids} process(es) "
            f"(first job started to last done: {span:.1f} s, after {handed:.1f} s handing the "
            f"batches to the queue), "
            f"{comms} communications; {seconds / (args.invoices / 1000):.2f} s per 1,000 open moves"
        )


if __name__ == "__main__":
    main()
