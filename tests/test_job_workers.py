# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Two job workers share a run's batches through OCA's queue_job.

queue_job is not a dependency of the product: tests/run.sh unpacks it into
an addons folder of its own and this test builds a database of its own with
it installed (dropped afterwards), a seeded ledger of 120 customers, then
starts a real Odoo server with two HTTP workers and queue_job's runner
(channel capacity 2). The daily job hands each company's run to the queue,
one job per batch of 10 customers; one worker is killed in the middle of a
batch. Every overdue invoice must be reminded exactly once, by jobs that the
two workers (and the one Odoo started again) executed.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from unittest.mock import patch

import pytest

import odoo
from odoo import SUPERUSER_ID, api, fields

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "benchmarks"))

import ledger  # noqa: E402


def _job_db():
    return f"{odoo.tools.config['db_name']}_jobs"


def _pg(*command):
    env = dict(os.environ, PGPASSWORD=odoo.tools.config["db_password"] or "")
    host = ["-h", odoo.tools.config["db_host"] or "localhost"]
    user = ["-U", odoo.tools.config["db_user"]]
    subprocess.run([*command[:1], *host, *user, *command[1:]], env=env, check=True)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(cr):
    return api.Environment(cr, SUPERUSER_ID, {})


@pytest.fixture(scope="module")
def job_registry():
    db = _job_db()
    _pg("dropdb", "--if-exists", db)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            "-c",
            odoo.tools.config.rcfile,
            "-d",
            db,
            "-i",
            "account_dunning_es,queue_job",
            "--without-demo=all",
            "--stop-after-init",
        ],
        check=True,
    )
    # Loaded as a server would (pytest-odoo's test mode would run the
    # add-ons' own tests while loading it).
    with patch.dict(odoo.tools.config.options, {"test_enable": False}):
        registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = _env(cr)
        today = fields.Date.context_today(env.user)
        ledger.build(env, customers=120, invoices=600, overdue=300, today=today)
        (env.company | ledger.second_company(env)).dunning_batch_size = 10
    yield registry
    odoo.sql_db.close_db(db)
    odoo.modules.registry.Registry.delete(db)
    _pg("dropdb", "--if-exists", db)


def _odoo_command():
    """The server's command: a prefork server starts its helper processes
    again from sys.argv, which ``python -m odoo`` cannot be."""
    odoo_bin = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")
    if os.path.exists(odoo_bin):
        return [sys.executable, odoo_bin]
    script = shutil.which("odoo")
    assert script, "neither odoo-bin nor an odoo script: cannot start a prefork server"
    return [script]


def _start_server(db, port, log):
    env = dict(
        os.environ,
        ODOO_QUEUE_JOB_CHANNELS="root:2,root.dunning:2",
        ODOO_QUEUE_JOB_PORT=str(port),
    )
    return subprocess.Popen(
        [
            *_odoo_command(),
            "-c",
            odoo.tools.config.rcfile,
            "-d",
            db,
            f"--db-filter=^{db}$",
            "--workers=2",
            "--max-cron-threads=0",
            "--load=base,web,queue_job",
            f"--http-port={port}",
            "--gevent-port=0",
            "--log-level=info",
            f"--logfile={log}",
        ],
        env=env,
    )


def _jobs(registry):
    with registry.cursor() as cr:
        cr.execute("SELECT state, worker_pid, method_name FROM queue_job ORDER BY id")
        return cr.fetchall()


def _busy_worker_pid(registry):
    """The pid of a worker executing a batch right now, if any."""
    with registry.cursor() as cr:
        cr.execute(
            "SELECT worker_pid FROM queue_job WHERE state = 'started' "
            "AND method_name = '_job_batch' AND worker_pid IS NOT NULL LIMIT 1"
        )
        row = cr.fetchone()
        return row and row[0]


def test_two_job_workers_remind_every_invoice_once(job_registry, tmp_path):
    registry = job_registry
    with registry.cursor() as cr:
        env = _env(cr)
        # The daily job hands the day's runs to the queue.
        env["dunning.run"]._cron_dunning_run()
        runs = env["dunning.run"].search([])
        assert len(runs) == 2 and all(runs.mapped("job_batches"))
        cr.execute("SELECT count(*) FROM queue_job WHERE method_name = '_job_batch'")
        batches = cr.fetchone()[0]
        assert batches >= 8
        # What the run must remind: each company's customers with an invoice
        # overdue, counted before any job runs.
        expected_customers = sum(run.partner_total for run in runs)
    assert expected_customers > 40

    port = _free_port()
    log = tmp_path / "odoo-jobs.log"
    server = _start_server(registry.db_name, port, log)
    killed = None
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            states = Counter(state for state, _pid, _method in _jobs(registry))
            if not killed:
                pid = _busy_worker_pid(registry)
                if pid:
                    # A worker dies in the middle of a batch (SIGKILL: nothing
                    # of its transaction is kept; Odoo starts a new worker
                    # and queue_job's runner puts the job back).
                    os.kill(pid, signal.SIGKILL)
                    killed = pid
            if set(states) == {"done"}:
                break
            assert "failed" not in states, open(log).read()[-5000:]
            # Look often until a batch is caught running (each takes about
            # a second), then only wait.
            time.sleep(0.5 if killed else 0.05)
        else:
            raise AssertionError(f"jobs not done in time: {states}\n{open(log).read()[-5000:]}")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    assert killed, "no batch was running to kill"
    jobs = _jobs(registry)
    workers = {pid for _state, pid, method in jobs if method == "_job_batch"}
    assert len(workers) >= 2, f"one worker did all the batches: {workers}"
    with registry.cursor() as cr:
        env = _env(cr)
        runs = env["dunning.run"].search([])
        assert set(runs.mapped("state")) == {"done"}
        # Every claimed invoice once per stage, every customer reviewed.
        cr.execute(
            "SELECT line.move_id, line.stage_id, count(*) FROM dunning_communication_line line"
            " JOIN dunning_communication comm ON comm.id = line.communication_id"
            " WHERE comm.state != 'cancelled'"
            " GROUP BY line.move_id, line.stage_id, comm.channel HAVING count(*) > 1"
        )
        assert cr.fetchall() == [], "an invoice was reminded twice at one stage"
        comms = env["dunning.communication"].search([("run_id", "in", runs.ids)])
        assert comms and set(comms.mapped("state")) <= {"sent", "draft"}
        assert sum(runs.mapped("partner_done")) == expected_customers
        # None skipped: the same day's run done again by one process, working
        # alone, finds nothing left to remind.
        for company in runs.company_id:
            again = (
                env["dunning.run"]
                .with_company(company)
                .with_context(dunning_no_job_queue=True)
                .create({"company_id": company.id, "preview": True})
            )
            again._execute()
            assert again.state == "done"
            assert not again.communication_ids, f"{company.name}: reminders left behind"
        cr.rollback()
