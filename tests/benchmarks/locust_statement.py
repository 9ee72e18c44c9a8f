# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The morning after the run, for Locust (driven by bench_statement_burst.py).

Virtual customers follow the link of their reminder: they open their
statement (most), download an invoice's PDF, say they have paid or dispute
an invoice, with think times; a few collectors work the worklist and open a
customer's form in the back office meanwhile. The targets (tokens,
communications, invoices, the collector's login) come from the JSON file
named by BURST_TARGETS.
"""

import json
import os
import random
import re

from locust import HttpUser, between, task

with open(os.environ["BURST_TARGETS"], encoding="utf-8") as targets_file:
    TARGETS = json.load(targets_file)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Customer(HttpUser):
    weight = 19
    wait_time = between(1, 3)

    def on_start(self):
        self.target = random.choice(TARGETS["customers"])

    def _statement(self, target, name):
        return self.client.get(f"/d/{target['token']}?c={target['comm']}", name=name)

    @task(12)
    def open_statement(self):
        self._statement(self.target, "statement")

    @task(2)
    def open_statement_of_20(self):
        self._statement(TARGETS["with_20"], "statement, 20 invoices")

    @task(1)
    def open_statement_of_200(self):
        self._statement(TARGETS["with_200"], "statement, 200 invoices")

    @task(2)
    def invoice_pdf(self):
        if os.environ.get("BURST_PDF") == "0":
            return
        self.client.get(
            f"/d/{self.target['token']}/invoice/{self.target['move']}", name="invoice PDF"
        )

    def _post(self, action, data, name):
        page = self._statement(self.target, "statement")
        found = CSRF.search(page.text or "")
        if not found:
            return
        self.client.post(
            f"/d/{self.target['token']}/{action}",
            data=dict(data, c=self.target["comm"], csrf_token=found.group(1)),
            name=name,
        )

    @task(1)
    def dispute(self):
        self._post(
            "dispute",
            {"invoice": self.target["move"], "reason": "missing_document", "message": "Albarán"},
            "dispute",
        )

    @task(1)
    def already_paid(self):
        self._post(
            "paid",
            {"date": TARGETS["today"], "amount": f"{self.target['amount']:.2f}"},
            "already paid",
        )


class Collector(HttpUser):
    weight = 1
    wait_time = between(2, 5)

    def on_start(self):
        page = self.client.get("/web/login", name="login")
        csrf = CSRF.search(page.text).group(1)
        self.client.post(
            "/web/login",
            data={
                "login": TARGETS["collector"],
                "password": TARGETS["collector"],
                "csrf_token": csrf,
            },
            name="login",
        )

    def _call(self, model, method, args, kwargs, name):
        self.client.post(
            f"/web/dataset/call_kw/{model}/{method}",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"model": model, "method": method, "args": args, "kwargs": kwargs},
            },
            name=name,
        )

    @task(3)
    def worklist(self):
        self._call(
            "dunning.worklist",
            "web_search_read",
            [],
            {
                "domain": [],
                "specification": {
                    "score": {},
                    "partner_id": {"fields": {"display_name": {}}},
                    "reasons": {},
                    "amount": {},
                    "days_overdue": {},
                    "phone": {},
                },
                "limit": 80,
            },
            "back office: worklist",
        )

    @task(2)
    def customer_form(self):
        self._call(
            "res.partner",
            "web_read",
            [[random.choice(TARGETS["customers"])["partner"]]],
            {
                "specification": {
                    "display_name": {},
                    "dunning_status": {},
                    "dunning_overdue_amount": {},
                    "dunning_segment_id": {"fields": {"display_name": {}}},
                }
            },
            "back office: customer form",
        )
