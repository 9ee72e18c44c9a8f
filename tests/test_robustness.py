# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Robustness of the dunning run with real transactions (pytest-odoo).

These tests commit to the test database built by tests/run.sh (it is
dropped afterwards): two runs racing on two threads, a run process killed at
random moments and started again, a payment committed while a run is in
progress. Each test creates customers of its own, named after it.
"""

import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta

from committing import run_committing

import odoo
from odoo import SUPERUSER_ID, Command, api, fields

HERE = os.path.dirname(os.path.abspath(__file__))


def _registry():
    return odoo.modules.registry.Registry(odoo.tools.config["db_name"])


def _env(cr, **context):
    return api.Environment(cr, SUPERUSER_ID, context)


def _ledger(prefix, customers, invoices_each=2):
    """Committed customers with overdue invoices; returns their invoice ids."""
    with _registry().cursor() as cr:
        env = _env(cr)
        company = env.ref("base.main_company")
        journal = env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        today = fields.Date.context_today(env.user)
        partners = env["res.partner"].create(
            [
                {
                    "name": f"{prefix} {n:03d} SL",
                    "is_company": True,
                    "email": f"r{n}@example.com",
                    "street": "Calle Mayor 1",
                    "zip": "28013",
                    "city": "Madrid",
                    "phone": "+34 910 000 000",
                }
                for n in range(customers)
            ]
        )
        moves = env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "journal_id": journal.id,
                    "invoice_date": today - timedelta(days=35),
                    "invoice_date_due": today - timedelta(days=5 + k),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Servicio",
                                "quantity": 1,
                                "price_unit": 100 + k,
                                "tax_ids": [],
                            }
                        )
                    ],
                }
                for partner in partners
                for k in range(invoices_each)
            ]
        )
        moves.action_post()
        company.dunning_batch_size = 2
        cr.commit()
        return moves.ids


def _claims(move_ids):
    """Counter of (invoice, stage, channel, cycle) over issued communications."""
    with _registry().cursor() as cr:
        lines = _env(cr)["dunning.communication.line"].search(
            [("move_id", "in", move_ids), ("state", "!=", "cancelled")]
        )
        return Counter((l.move_id.id, l.stage_id.id, l.channel, l.cycle) for l in lines)


def _run_to_completion(move_ids):
    with _registry().cursor() as cr:
        env = _env(cr)
        run = env["dunning.run"].create(
            {"date": fields.Date.context_today(env.user), "preview": False}
        )
        cr.commit()
        run_committing(run, move_ids=move_ids)


def test_two_concurrent_runs_never_issue_a_reminder_twice():
    move_ids = _ledger("Concurrencia", customers=24)
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            with _registry().cursor() as cr:
                env = _env(cr)
                run = env["dunning.run"].create(
                    {"date": fields.Date.context_today(env.user), "preview": False}
                )
                cr.commit()
                barrier.wait()
                run_committing(run, move_ids=move_ids)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, name=f"dunning-{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    claims = _claims(move_ids)
    assert [key for key, count in claims.items() if count > 1] == [], "a reminder issued twice"
    # One run may have stopped when the other held the company: nothing is
    # skipped, the next run completes the day.
    _run_to_completion(move_ids)
    claims = _claims(move_ids)
    assert max(claims.values()) == 1
    assert {move for move, _stage, _channel, _cycle in claims} == set(move_ids)


def test_killed_run_process_restarts_without_loss_or_duplicate():
    move_ids = _ledger("Interrumpido", customers=20)
    config = odoo.tools.config
    options = ("db_host", "db_port", "db_user", "db_password", "addons_path", "data_dir")
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as conf:
        conf.write("[options]\nlog_level = warn\n")
        conf.writelines(f"{key} = {config[key]}\n" for key in options if config.get(key))
    with tempfile.NamedTemporaryFile("w", suffix=".ids", delete=False) as ids:
        ids.write(" ".join(map(str, move_ids)))
    command = [
        sys.executable,
        os.path.join(HERE, "robustness_run.py"),
        conf.name,
        config["db_name"],
        ids.name,
    ]
    rng = random.Random(7)
    kills = 0
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    for _attempt in range(4):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)
        time.sleep(rng.uniform(3.0, 6.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        partial = _claims(move_ids)
        assert max(partial.values(), default=1) == 1, "a killed run left a duplicate"
    log.seek(0)
    assert kills >= 1, f"the process was never killed mid-run: {log.read()[-2000:]}"
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    assert "completed" in done.stdout
    claims = _claims(move_ids)
    assert max(claims.values()) == 1
    assert {move for move, _stage, _channel, _cycle in claims} == set(move_ids), "a reminder lost"
    for path in (conf.name, ids.name, log.name):
        os.unlink(path)


def test_payment_committed_during_a_run_is_honoured():
    move_ids = _ledger("Pago en curso", customers=6, invoices_each=1)
    with _registry().cursor() as cr:
        last = _env(cr)["account.move"].browse(move_ids).sorted("commercial_partner_id")[-1]
        last_id, last_partner = last.id, last.commercial_partner_id.id
    first_batch_done = threading.Event()
    paid = threading.Event()
    Run = _registry()["dunning.run"]
    original = Run._process_batch

    def pausing_batch(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        if threading.current_thread().name == "runner" and not first_batch_done.is_set():
            first_batch_done.set()
            paid.wait(60)
        return result

    def runner():
        _run_to_completion(move_ids)

    Run._process_batch = pausing_batch
    try:
        thread = threading.Thread(target=runner, name="runner")
        thread.start()
        assert first_batch_done.wait(60)
        with _registry().cursor() as cr:
            env = _env(cr)
            invoice = env["account.move"].browse(last_id)
            env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"payment_date": fields.Date.context_today(env.user)})._create_payments()
            cr.commit()
        paid.set()
        thread.join(120)
    finally:
        Run._process_batch = original
    claims = _claims(move_ids)
    claimed = {move for move, _stage, _channel, _cycle in claims}
    assert last_id not in claimed, "the customer who paid during the run was reminded"
    assert claimed == set(move_ids) - {last_id}
    with _registry().cursor() as cr:
        partner = _env(cr)["res.partner"].browse(last_partner)
        assert partner.dunning_status == "ok"
