# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The late-payment rate by the law's own rule (Ley 3/2004 art. 7.2: the
ECB's rate of its last main refinancing operation before the semester + 8
points), read from the ECB Data Portal's web service.

The service is played by a real local HTTP server that answers with the
ECB's CSV format (``data/ecb_mrr_fr.csv``: series
FM.B.U2.EUR.4F.KR.MRR_FR.LEV, its changes from 2015, taken from the ECB's
table of key interest rates), or with a doctored or broken answer."""

import contextlib
import os
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tests.common import BaseCase, new_test_user

from ..models import dunning_interest_rate
from ..rules.law import EcbAnswerError, late_payment_semesters, parse_ecb_rates
from .common import DunningCommon

with open(os.path.join(os.path.dirname(__file__), "data", "ecb_mrr_fr.csv"), encoding="utf-8") as f:
    RECORDED = f.read()
HEADER = RECORDED.splitlines()[0]
ROW = RECORDED.splitlines()[-1]  # 2025-06-11: 2.15
# The BOE's figures the add-on ships, 2022 H2 to 2026 H1.
BOE = [8.00, 10.50, 12.00, 12.50, 12.25, 11.15, 10.15, 10.15]


def with_change(day, rate, text=RECORDED):
    """The recorded answer with one more change of the rate."""
    return text + ROW.replace("2025-06-11", day).replace(",2.15,", f",{rate},") + "\n"


class EcbService(BaseHTTPRequestHandler):
    """The ECB's web service, as the test wants it to answer."""

    status, body, delay, hits = 200, RECORDED, 0, []

    def do_GET(self):
        EcbService.hits.append(self.path)
        time.sleep(EcbService.delay)
        payload = EcbService.body.encode()
        self.send_response(EcbService.status)
        self.send_header("Content-Type", "text/csv" if self.status == 200 else "text/html")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        # The client may have given up (the timeout test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(payload)

    def log_message(self, *args):
        pass


class TestEcbRule(BaseCase):
    def test_the_rule_over_the_ecbs_rates_gives_the_boes_figures(self):
        changes = parse_ecb_rates(RECORDED, date(2026, 6, 15))
        semesters = late_payment_semesters(changes, date(2026, 6, 15))
        self.assertEqual([s.start for s in semesters][0], date(2022, 7, 1))
        self.assertEqual([s.rate for s in semesters], BOE)
        # 2022 H2: the 0.50 % of 27 July 2022 came after the first day.
        self.assertEqual((semesters[0].ecb_date, semesters[0].ecb_rate), (date(2016, 3, 16), 0.0))
        self.assertEqual(semesters[-1].ecb_date, date(2025, 6, 11))

    def test_the_next_semester_only_once_no_operation_can_come_before_it(self):
        changes = parse_ecb_rates(with_change("2026-12-16", "1.9"), date(2026, 12, 31))
        on_20th = late_payment_semesters(changes, date(2026, 12, 20))
        self.assertEqual(on_20th[-1].start, date(2026, 7, 1))
        on_31st = late_payment_semesters(changes, date(2026, 12, 31))
        self.assertEqual((on_31st[-1].start, on_31st[-1].rate), (date(2027, 1, 1), 9.9))
        self.assertEqual(on_31st[-2].rate, 10.15, "2026 H2: the 2.15 % of June 2025")

    def test_answers_that_cannot_be_trusted(self):
        today = date(2026, 12, 5)
        cases = {
            "not_csv": "<!DOCTYPE html><html><body>Service unavailable</body></html>",
            "empty": HEADER + "\n",
            "out_of_range": with_change("2026-03-01", "40"),
            "bad_value": with_change("2026-03-01", "NaN%"),
            "future": with_change("2026-12-17", "2.0"),
        }
        for code, text in cases.items():
            with self.assertRaises(EcbAnswerError, msg=code) as caught:
                parse_ecb_rates(text, today)
            self.assertEqual(caught.exception.code, code)
        with self.assertRaises(EcbAnswerError) as caught:
            parse_ecb_rates(with_change("2026-03-01", "-0.5"), today)
        self.assertEqual(caught.exception.code, "out_of_range")


@tagged("post_install", "-at_install")
class TestEcbJob(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), EcbService)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.server.shutdown)
        cls.env["ir.config_parameter"].set_param(
            dunning_interest_rate.ECB_URL_PARAM,
            f"http://127.0.0.1:{cls.server.server_port}/service/data/FM/"
            "B.U2.EUR.4F.KR.MRR_FR.LEV?format=csvdata",
        )
        cls.Rate = cls.env["dunning.interest.rate"]

    def setUp(self):
        super().setUp()
        EcbService.status, EcbService.body, EcbService.delay = 200, RECORDED, 0
        EcbService.hits = []

    def _table(self):
        return [
            (r.date_start, r.rate, r.origin, r.ecb_date)
            for r in self.Rate.search([("kind", "=", "late_payment")], order="date_start")
        ]

    def _update(self, on_date):
        with freeze_time(on_date):
            return self.Rate._update_from_ecb(on_date)

    def test_the_job_computes_the_semester_no_one_published(self):
        result = self._update(date(2026, 12, 5))
        self.assertFalse(result["error"])
        self.assertEqual(
            EcbService.hits[0].split("?")[0], "/service/data/FM/B.U2.EUR.4F.KR.MRR_FR.LEV"
        )
        computed = self.Rate.search([("date_start", "=", date(2026, 7, 1))])
        self.assertEqual(
            (computed.rate, computed.origin, computed.ecb_rate, computed.ecb_date),
            (10.15, "ecb", 2.15, date(2025, 6, 11)),
        )
        self.assertEqual(computed.date_end, date(2026, 12, 31))
        self.assertIn("ECB main refinancing rate 2.15 %", computed._source_text())
        self.assertIn("Ley 3/2004 art. 7.2", computed._source_text())
        # The shipped BOE semesters stay as they are, now with their basis.
        shipped = self.Rate.search(
            [("kind", "=", "late_payment"), ("date_start", "<", date(2026, 7, 1))],
            order="date_start",
        )
        self.assertEqual(shipped.mapped("rate"), BOE)
        self.assertEqual(set(shipped.mapped("origin")), {"boe"})
        self.assertEqual(shipped[-1].ecb_rate, 2.15)
        self.assertFalse(
            self.company.partner_id.activity_ids.filtered(lambda a: "differ" in a.summary)
        )
        # Once more: nothing new.
        before = self._table()
        self.assertEqual(self._update(date(2026, 12, 6))["created"], 0)
        self.assertEqual(self._table(), before)
        # A manager confirms it with the BOE's resolution.
        computed.boe_reference = "BOE-A-2026-99999"
        self.assertEqual(computed.origin, "boe")
        self.assertEqual(
            computed.boe_url, "https://www.boe.es/diario_boe/txt.php?id=BOE-A-2026-99999"
        )
        self.assertIn("BOE-A-2026-99999", computed._source_text())

    def test_a_later_decision_of_the_ecb_fills_the_next_semester(self):
        EcbService.body = with_change("2026-12-16", "1.9")
        self._update(date(2026, 12, 20))
        self.assertFalse(self.Rate.search([("date_start", "=", date(2027, 1, 1))]))
        self._update(date(2026, 12, 31))
        next_one = self.Rate.search([("date_start", "=", date(2027, 1, 1))])
        self.assertEqual((next_one.rate, next_one.ecb_date), (9.9, date(2026, 12, 16)))
        self.assertEqual(self.Rate.search([("date_start", "=", date(2026, 7, 1))]).rate, 10.15)

    def test_a_computation_that_differs_from_the_boe_keeps_the_boe_and_tells_the_managers(self):
        manager = new_test_user(
            self.env,
            login="rates.manager",
            groups="base.group_user,account_dunning_es.group_dunning_manager",
        )
        # A doctored answer: June 2025 at 2.40 % instead of 2.15 %.
        EcbService.body = RECORDED.replace("2025-06-11,2.15,", "2025-06-11,2.4,")
        self._update(date(2026, 12, 5))
        h1 = self.Rate.search([("date_start", "=", date(2026, 1, 1))])
        self.assertEqual((h1.rate, h1.origin), (10.15, "boe"), "the BOE's figure wins")
        told = self.company.partner_id.activity_ids.filtered(lambda a: "differ" in a.summary)
        self.assertIn(manager, told.user_id)
        self.assertIn("10.40", str(told[:1].note))
        # Told once.
        self._update(date(2026, 12, 12))
        self.assertEqual(
            len(self.company.partner_id.activity_ids.filtered(lambda a: "differ" in a.summary)),
            len(told),
        )

    def test_bad_answers_change_nothing_and_say_why(self):
        before = self._table()
        cases = [
            ("HTTP error", {"status": 503, "body": "Service Unavailable"}),
            ("error page", {"body": "<html><body>Maintenance</body></html>"}),
            ("empty series", {"body": HEADER + "\n"}),
            ("rate of 40 %", {"body": with_change("2026-03-01", "40")}),
            ("rate below zero", {"body": with_change("2026-03-01", "-0.25")}),
            ("date in the future", {"body": with_change("2027-02-01", "2.0")}),
        ]
        for label, answer in cases:
            EcbService.status = answer.get("status", 200)
            EcbService.body = answer["body"]
            result = self._update(date(2026, 12, 5))
            self.assertTrue(result["error"], label)
            self.assertIn("Nothing was changed", result["message"], label)
            self.assertEqual(self._table(), before, label)
            self.assertEqual(self.company.dunning_ecb_error, result["message"], label)
        # Too slow: the timeout.
        # (Odoo's tests raise a request's timeout to 10 s at least.)
        EcbService.status, EcbService.body, EcbService.delay = 200, RECORDED, 11
        with patch.object(dunning_interest_rate, "ECB_TIMEOUT", 10):
            # Not under freezegun: the timeout is counted on the clock.
            result = self.Rate._update_from_ecb(date(2026, 12, 5))
        self.assertIn("did not answer in time", result["message"])
        self.assertEqual(self._table(), before)
        # The service unreachable: the daily job's preparation goes on and
        # tells the managers that 2026 H2 has no rate, as before.
        self.env["ir.config_parameter"].set_param(
            dunning_interest_rate.ECB_URL_PARAM, "http://127.0.0.1:9/unreachable"
        )
        self.company.dunning_ecb_checked = False  # (it reads once a day)
        with freeze_time("2026-12-05"):
            self.env["dunning.run"]._daily_preparation(self.company, date(2026, 12, 5))
        self.assertIn("could not be reached", self.company.dunning_ecb_error)
        self.assertTrue(
            self.company.partner_id.activity_ids.filtered(lambda a: "2026" in (a.summary or ""))
        )
        # Back to a good answer: the next try fills it.
        EcbService.delay = 0
        self.env["ir.config_parameter"].set_param(
            dunning_interest_rate.ECB_URL_PARAM, f"http://127.0.0.1:{self.server.server_port}/"
        )
        self.assertFalse(self._update(date(2026, 12, 6))["error"])
        self.assertFalse(self.company.dunning_ecb_error)

    def test_a_letter_claims_interest_for_every_day_with_the_source_of_each_rate(self):
        self._update(date(2026, 12, 5))
        invoice = self._invoice(self.customer, 1000.0, date(2026, 5, 19))
        invoice._dunning_write({"dunning_stage_id": self.stage_call.id})
        run = self._run(on_date=date(2026, 12, 5))
        letter = run.communication_ids.filtered(lambda c: c.channel == "letter")
        self.assertEqual(len(letter), 1)
        values = letter._letter_values()
        periods = values["rows"][0]["periods"]
        self.assertFalse(values["rows"][0]["missing"], "no day without a rate")
        self.assertEqual(
            [(p.date_start, p.date_end, p.rate) for p in periods],
            [
                (date(2026, 5, 20), date(2026, 6, 30), 10.15),
                (date(2026, 7, 1), date(2026, 12, 5), 10.15),
            ],
        )
        html = self._report_html("account_dunning_es.action_report_dunning_letter", letter)
        self.assertIn("o_dunning_rate_sources", html)
        self.assertIn("BOE-A-2025-27201", html)
        self.assertIn("ECB main refinancing rate 2.15 %", html)
        self.assertNotIn("o_dunning_no_rate", html)
        # A Spanish customer reads Spanish figures and sources.
        self._activate_spanish()
        self.customer.lang = "es_ES"
        html = self._report_html("account_dunning_es.action_report_dunning_letter", letter)
        self.assertIn("10,15", html)
        self.assertIn("financiación del BCE 2,15 %", html)
        self.assertIn("11/06/2025", html)

    def test_update_from_the_ecb_button_as_a_manager(self):
        manager = new_test_user(
            self.env,
            login="rates.button",
            groups="base.group_user,account_dunning_es.group_dunning_manager",
        )
        with freeze_time("2026-12-05"):
            action = self.Rate.with_user(manager).action_update_from_ecb()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("1 semesters added", action["params"]["message"])
        EcbService.status = 500
        with freeze_time("2026-12-05"):
            action = self.Rate.with_user(manager).action_update_from_ecb()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("HTTP error", action["params"]["message"])


@tagged("post_install", "-at_install")
class TestSendNowJudgesThePromiseFirst(DunningCommon):
    def test_a_lapsed_instalment_breaks_the_promise_and_escalates(self):
        invoice = self._invoice(self.customer, 600.0, date(2026, 10, 1))
        with freeze_time("2026-10-20"):
            promise = self._promise(invoice)
        self.assertEqual(promise.state, "open")
        with freeze_time("2026-12-05"):
            action = invoice.action_dunning_send_now()
        self.assertEqual(promise.state, "broken")
        self.assertTrue(action)
        self.assertTrue(
            self._comms(self.customer).line_ids.filtered(lambda line: line.move_id == invoice),
            "escalated at once, not refused as 'under the open payment promise'",
        )

    def _promise(self, invoice):
        return self.env["dunning.promise"].create(
            {
                "company_id": self.company.id,
                "partner_id": self.customer.id,
                "move_ids": [(6, 0, invoice.ids)],
                "amount": 600.0,
                "date_promised": date(2026, 10, 20),
                "instalment_ids": [(0, 0, {"date": date(2026, 11, 2), "amount": 600.0})],
            }
        )
