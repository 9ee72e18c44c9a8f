# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A customer who presses twice, or twenty times at once: the statement
page's POSTs change nothing twice under real concurrency (pytest-odoo with
``--odoo-http``: Odoo's threaded server, one transaction per request, on
the test database built by tests/run.sh)."""

import re
import threading
from datetime import timedelta

import requests

import odoo
from odoo import SUPERUSER_ID, Command, api, fields

CONCURRENT = 20


def _registry():
    return odoo.modules.registry.Registry(odoo.tools.config["db_name"])


def _customer(name):
    """A committed customer with two overdue invoices; its token and ids."""
    with _registry().cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        journal = env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        today = fields.Date.context_today(env.user)
        partner = env["res.partner"].create(
            {"name": name, "is_company": True, "email": "c@example.com", "lang": "en_US"}
        )
        moves = env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "journal_id": journal.id,
                    "invoice_date": today - timedelta(days=40),
                    "invoice_date_due": today - timedelta(days=10),
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Servicio", "quantity": 1, "price_unit": price, "tax_ids": []}
                        )
                    ],
                }
                for price in (300.0, 200.0)
            ]
        )
        moves.action_post()
        token = partner._dunning_statement_token()
        cr.commit()
        return token, partner.id, moves.ids


def _post_at_once(token, action, data):
    """The same form of the statement page posted by CONCURRENT browser
    tabs (each its own session and CSRF token: a requests.Session is not
    thread-safe) released together; their statuses."""
    base = f"http://127.0.0.1:{odoo.tools.config['http_port']}"
    barrier = threading.Barrier(CONCURRENT)
    statuses = []

    def post():
        session = requests.Session()
        page = session.get(f"{base}/d/{token}", timeout=60)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        barrier.wait()
        response = session.post(
            f"{base}/d/{token}/{action}", data=dict(data, csrf_token=csrf), timeout=120
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=post) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _count(model, domain):
    with _registry().cursor() as cr:
        return api.Environment(cr, SUPERUSER_ID, {})[model].search_count(domain)


def test_twenty_identical_disputes_at_once_record_one():
    token, partner_id, move_ids = _customer("Concurrencia Disputa SL")
    statuses = _post_at_once(
        token,
        "dispute",
        {"invoice": move_ids[0], "reason": "dispute", "message": "Material defectuoso"},
    )
    assert statuses == [200] * CONCURRENT, statuses
    activities = _count(
        "mail.activity", [("res_model", "=", "account.move"), ("res_id", "=", move_ids[0])]
    )
    assert activities == 1, f"{activities} activities for one dispute posted {CONCURRENT} times"
    notes = _count(
        "mail.message",
        [
            ("model", "=", "res.partner"),
            ("res_id", "=", partner_id),
            ("body", "ilike", "disputes invoice"),
        ],
    )
    assert notes == 1, notes


def test_twenty_identical_already_paid_claims_at_once_record_one():
    token, partner_id, move_ids = _customer("Concurrencia Pagado SL")
    today = fields.Date.today().isoformat()
    statuses = _post_at_once(token, "paid", {"date": today, "amount": "500.00"})
    assert statuses == [200] * CONCURRENT, statuses
    activities = _count(
        "mail.activity",
        [
            ("res_model", "=", "res.partner"),
            ("res_id", "=", partner_id),
            ("summary", "=", "Customer says it has paid"),
        ],
    )
    assert activities == 1, f"{activities} activities for one claim posted {CONCURRENT} times"
    reviewed = _count("account.move", [("id", "in", move_ids), ("dunning_review", "=", "paid")])
    assert reviewed == 2


def test_twenty_customers_asking_the_same_invoice_pdf_at_once_ask_it_once():
    """An invoice never sent through Odoo: twenty clicks at once ask for its
    pro forma once (one row for the job to render), and all of them get the
    page that waits for it, not an error."""
    token, _partner_id, move_ids = _customer("Concurrencia PDF SL")
    base = f"http://127.0.0.1:{odoo.tools.config['http_port']}"
    barrier = threading.Barrier(CONCURRENT)
    statuses = []

    def get():
        barrier.wait()
        response = requests.get(f"{base}/d/{token}/invoice/{move_ids[0]}", timeout=120)
        statuses.append((response.status_code, "o_dunning_invoice_wait" in response.text))

    threads = [threading.Thread(target=get) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [(202, True)] * CONCURRENT, statuses
    assert _count("dunning.invoice.pdf", [("move_id", "=", move_ids[0])]) == 1
