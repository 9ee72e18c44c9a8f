# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The morning after the run, for Locust (driven by bench_statement_burst.py).

Virtual customers follow the link of their reminder: they open their
statement (most), download an invoice's PDF (waiting on the page that
reloads until it is ready, as a browser does), pay an invoice with Odoo's
demo provider, say they have paid or dispute an invoice, with think times; a
few collectors work the worklist and open a customer's form in the back
office meanwhile. The targets (tokens, communications, invoices, the demo
provider, the collector's login) come from the JSON file named by
BURST_TARGETS.
"""

import json
import os
import random
import re
import time

import gevent
from locust import FastHttpUser, between, task

with open(os.environ["BURST_TARGETS"], encoding="utf-8") as targets_file:
    TARGETS = json.load(targets_file)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
REFRESH = re.compile(r'http-equiv="refresh" content="(\d+)"')
# Each payer pays a customer's invoice nobody paid before: each burst of a
# benchmark (BURST_ROUND) takes its own slice of the customers.
_SLICE = int(os.environ.get("BURST_ROUND", "0"))
PAYERS = iter(list(reversed(TARGETS["customers"]))[_SLICE * 600 : (_SLICE + 1) * 600])
# As a reverse proxy (nginx) talks to Odoo's prefork workers: one request per
# connection. A worker kept on an idle keep-alive connection through a
# customer's think time serves nobody else (and wkhtmltopdf, fetching the
# report's styles from the server, waited behind them).
CLOSE = {"Connection": "close"}
# FastHttpUser (geventhttpclient) rather than HttpUser (requests): Locust
# shares the machine's two cores with the server, and its own documentation
# measures its client at a fifth of the CPU per request.


class Customer(FastHttpUser):
    weight = 19
    wait_time = between(1, 3)
    default_headers = CLOSE

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
        """The PDF link: the page that waits reloads when its PDF can be
        ready (a browser's meta refresh) until the PDF comes; the whole wait
        is reported as "invoice PDF, until it opens"."""
        if os.environ.get("BURST_PDF") == "0":
            return
        url = f"/d/{self.target['token']}/invoice/{self.target['move']}"
        started = time.perf_counter()
        for _attempt in range(30):
            response = self.client.get(url, name="invoice PDF (each request)")
            if response.status_code != 202:
                break
            # The page's own <meta http-equiv="refresh">: its place in the
            # queue times a PDF's rendering time.
            wait = REFRESH.search(response.text or "")
            gevent.sleep(int(wait.group(1)) if wait else 3)
        self.environment.events.request.fire(
            request_type="GET",
            name="invoice PDF, until it opens",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=len(response.content or b""),
            exception=(
                None
                if response.headers.get("Content-Type") == "application/pdf"
                else Exception(f"no PDF: {response.status_code}")
            ),
            context={},
        )

    def _json(self, path, params, name):
        with self.client.post(
            path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            name=name,
            catch_response=True,
        ) as response:
            result = response.json() if response.status_code == 200 else {}
            if "error" in result:
                response.failure(str(result["error"].get("data", {}).get("message"))[:200])
                return None
            return result.get("result")

    @task(1)
    def pay_now(self):
        """Pay one invoice with the demo provider, as the payment form's
        script does: the form, a transaction, the provider's answer, then
        the status page's poll, which reconciles the payment."""
        provider = TARGETS.get("provider")
        payer = next(PAYERS, None)
        if not provider or not payer:
            return
        self.client.get(
            f"/d/{payer['token']}/pay?invoices={payer['move']}&c={payer['comm']}", name="pay: form"
        )
        processing = self._json(
            f"/d/{payer['token']}/transaction/{payer['move']}",
            {
                "provider_id": provider["id"],
                "payment_method_id": provider["method"],
                "token_id": None,
                "amount": payer["amount"],
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": "/",
                "is_validation": False,
                "payment_reference": str(payer["move"]),
            },
            "pay: transaction",
        )
        if not processing:
            return
        self._json(
            "/payment/demo/simulate_payment",
            {
                "reference": processing["reference"],
                "payment_details": "4242",
                "simulated_state": "done",
            },
            "pay: demo provider",
        )
        self._json("/payment/status/poll", {}, "pay: status (reconciles)")

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


class Collector(FastHttpUser):
    weight = 1
    wait_time = between(2, 5)
    default_headers = CLOSE

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
