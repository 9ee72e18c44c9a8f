# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The statement page tells the customer what the back office does: every
reason rests its invoice, a claim and a plan are shown as they stand, a
disputed invoice is left out of "Pay all", a GET writes nothing, a link
that is not valid gets a page of its own, and the page passes axe-core."""

import base64
import io
import os
import re
from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time
from PIL import Image

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tests.common import BaseCase
from odoo.tools import mute_logger

from ..models import dunning_invoice_pdf
from ..rules import engine as engine_rules
from ..rules.statement import (
    STATEMENT_GUESSES,
    GuessLimiter,
    best_language,
    pdf_wait_seconds,
    plan_schedule,
    proof_mimetype,
)
from .common import DunningCommon
from .test_dunning_statement import one_page_pdf

D = date(2026, 12, 5)


def image_bytes(kind):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, kind)
    return buffer.getvalue()


def checkbox_of(html, move):
    return re.search(rf'<input[^>]*name="invoices"[^>]*value="{move.id}"[^>]*>', html).group(0)


class TestStatementRulesPure(BaseCase):
    def test_a_proof_is_what_its_bytes_are(self):
        self.assertEqual(proof_mimetype(one_page_pdf()), "application/pdf")
        self.assertEqual(proof_mimetype(image_bytes("PNG")), "image/png")
        self.assertEqual(proof_mimetype(image_bytes("JPEG")), "image/jpeg")
        # A program, whatever its name; a PDF or PNG signature on garbage;
        # a PNG cut short; a GIF (not offered); nothing.
        self.assertIsNone(proof_mimetype(b"MZ\x90\x00" + b"\x00" * 100))
        self.assertIsNone(proof_mimetype(b"%PDF-1.7\n" + b"junk" * 50))
        self.assertIsNone(proof_mimetype(b"\x89PNG\r\n\x1a\n" + b"junk" * 50))
        self.assertIsNone(proof_mimetype(image_bytes("PNG")[:40]))
        self.assertIsNone(proof_mimetype(image_bytes("GIF")))
        self.assertIsNone(proof_mimetype(b""))

    def test_a_plan_stands_against_what_is_still_owed(self):
        instalments = [(D, 416.67), (date(2027, 1, 5), 416.67), (date(2027, 2, 5), 416.66)]
        lines, settled = plan_schedule(instalments, 1250.0)
        self.assertFalse(settled)
        self.assertEqual([line.state for line in lines], ["pending"] * 3)
        # 250 paid: the first instalment is partly paid.
        lines, settled = plan_schedule(instalments, 1000.0)
        self.assertEqual([line.state for line in lines], ["partial", "pending", "pending"])
        self.assertAlmostEqual(lines[0].left, 166.67, places=2)
        # 500 paid: the first paid, the second partly.
        lines, _settled = plan_schedule(instalments, 750.0)
        self.assertEqual([line.state for line in lines], ["paid", "partial", "pending"])
        self.assertAlmostEqual(lines[1].left, 333.34, places=2)
        lines, settled = plan_schedule(instalments, 0.0)
        self.assertTrue(settled)
        self.assertEqual([line.state for line in lines], ["paid"] * 3)

    def test_the_visitors_language(self):
        installed = ["en_US", "es_AR", "es_ES", "ca_ES"]
        self.assertEqual(best_language(["es-ES", "es"], installed, "en_US"), "es_ES")
        self.assertEqual(best_language(["es"], installed, "en_US"), "es_ES")
        self.assertEqual(best_language(["es-MX"], installed, "en_US"), "es_ES")
        self.assertEqual(best_language(["ca"], installed, "en_US"), "ca_ES")
        self.assertEqual(best_language(["de-DE", "en"], installed, "es_ES"), "en_US")
        self.assertEqual(best_language(["de-DE"], installed, "es_ES"), "es_ES")
        self.assertEqual(best_language([], installed, "es_ES"), "es_ES")

    def test_a_review_rests_until_the_limit(self):
        self.assertTrue(engine_rules.review_rests(D, 30, date(2027, 1, 4)))
        self.assertFalse(engine_rules.review_rests(D, 30, date(2027, 1, 5)))
        self.assertTrue(engine_rules.review_rests(D, 0, date(2030, 1, 1)), "0: no limit")
        self.assertFalse(engine_rules.review_rests(None, 30, D))


class TestGuessLimiter(BaseCase):
    def test_an_address_that_guesses_is_refused_for_a_while_and_no_other(self):
        limiter = GuessLimiter(limit=3, window=60)
        self.assertFalse(limiter.wrong("10.0.0.1", 0))
        self.assertFalse(limiter.wrong("10.0.0.1", 1))
        self.assertEqual(limiter.retry_after("10.0.0.1", 2), 0)
        self.assertTrue(limiter.wrong("10.0.0.1", 2), "the limit is reached: say so once")
        self.assertEqual(limiter.retry_after("10.0.0.1", 3), 58)
        self.assertEqual(limiter.retry_after("10.0.0.2", 3), 0, "another address")
        self.assertEqual(limiter.retry_after("10.0.0.1", 60.5), 0, "the first guess left")
        self.assertFalse(limiter.wrong("10.0.0.1", 61), "no second warning for the same run")

    def test_memory_stays_bounded(self):
        limiter = GuessLimiter(limit=5, window=600, addresses=100)
        for n in range(1000):
            limiter.wrong(f"10.0.{n // 256}.{n % 256}", n)
        self.assertLessEqual(len(limiter._wrong), 100)


@tagged("post_install", "-at_install")
class TestStatementGuessing(DunningCommon, HttpCase):
    def test_token_guessing_from_one_address_is_refused_and_logged_once(self):
        token = self.customer._dunning_statement_token()
        with self.assertLogs(
            "odoo.addons.account_dunning_es.controllers.statement", "WARNING"
        ) as log:
            for n in range(STATEMENT_GUESSES.limit):
                self.assertEqual(self.url_open(f"/d/guess-{n:010d}").status_code, 404)
            refused = self.url_open(f"/d/guess-{99:010d}")
            self.assertEqual(refused.status_code, 429)
            self.assertTrue(int(refused.headers["Retry-After"]) > 0)
            # The whole address waits, a right token too: guessing learns nothing.
            self.assertEqual(self.url_open(f"/d/{token}").status_code, 429)
        self.assertEqual(len(log.records), 1)
        self.assertIn("127.0.0.1", log.output[0])
        # The window passed (here: forgotten): the customer's link works.
        STATEMENT_GUESSES.reset()
        self.assertEqual(self.url_open(f"/d/{token}").status_code, 200)


@tagged("post_install", "-at_install")
class TestStatementReview(DunningCommon, HttpCase):
    # The page runs in the test's HTTP server, on the real date.
    today = date.today()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._invoice(cls.customer, 1000.0, cls._due(-5))
        cls.invoice_2 = cls._invoice(cls.customer, 250.0, cls._due(-3))

    def _open(self):
        comm = self._run().communication_ids.filtered(
            lambda c: c.partner_id == self.customer and c.channel == "email"
        )
        path = f"/d/{self.customer._dunning_statement_token()}"
        return comm, path

    def _page(self, path, **kwargs):
        response = self.url_open(path, **kwargs)
        self.assertEqual(response.status_code, 200, path)
        return response.text

    def _post(self, path, data, files=None):
        html = self._page(path.rsplit("/", 1)[0])
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        response = self.url_open(path, data=dict(data, csrf_token=token), files=files)
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("o_dunning_statement_error", response.text)
        return response.text

    def _reminded(self, run):
        return run.communication_ids.filtered(
            lambda c: c.partner_id == self.customer
        ).line_ids.move_id

    def test_every_reason_rests_its_invoice_until_reviewed_or_the_limit(self):
        comm, path = self._open()
        self._post(
            f"{path}/dispute",
            {"c": comm.id, "invoice": self.invoice.id, "reason": "other", "message": "Consulta"},
        )
        self._post(
            f"{path}/dispute",
            {"c": comm.id, "invoice": self.invoice_2.id, "reason": "missing_document"},
        )
        self.assertEqual((self.invoice | self.invoice_2).mapped("dunning_review"), ["reason"] * 2)
        # A week later the page still says both are under review, and the
        # run leaves them alone.
        self.assertFalse(self._reminded(self._run(on_date=self._due(7))))
        html = self._page(path)
        self.assertEqual(html.count("o_dunning_statement_disputed"), 2)
        self.assertNotIn("checked", checkbox_of(html, self.invoice))
        self.assertNotIn("o_dunning_statement_pay_now", html, "nothing left to pay at once")
        # The collector resolves the second: it follows its stages again.
        self.invoice_2.with_user(self.collector).action_dunning_review_done()
        self.assertFalse(self.invoice_2.dunning_review)
        self.assertIn("checked", checkbox_of(self._page(path), self.invoice_2))
        self.assertEqual(self._reminded(self._run(on_date=self._due(30))), self.invoice_2)
        # The first, never resolved, rests up to the policy's 30 days; then
        # it is reminded and the collector is told, once.
        self.assertEqual(self._reminded(self._run(on_date=self._due(31))), self.invoice)
        told = self.env["mail.activity"].search(
            [("summary", "=", "Unchecked claim: reminders resume")]
        )
        self.assertEqual((told.res_model, told.res_id), ("account.move", self.invoice.id))
        self.assertEqual(told.user_id, self.collector)
        self._run(on_date=self._due(45))
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [("summary", "=", "Unchecked claim: reminders resume")]
            ),
            1,
        )
        # Send now refuses while a review is open, saying why.
        self.invoice_2._dunning_write({"dunning_review": "reason", "dunning_review_date": D})
        with self.assertRaisesRegex(Exception, "under review"):
            self.env["dunning.run"]._check_sendable(self.invoice_2)

    def test_the_page_shows_claims_disputes_and_plans_as_they_stand(self):
        comm, path = self._open()
        # A dispute: left out of "Pay all", payable on its own.
        self._post(
            f"{path}/dispute",
            {"c": comm.id, "invoice": self.invoice_2.id, "reason": "dispute"},
        )
        html = self._page(path)
        self.assertNotIn("checked", checkbox_of(html, self.invoice_2))
        self.assertIn("checked", checkbox_of(html, self.invoice))
        self.assertRegex(html, r"of which under review.*?250\.00")
        reference = re.search(r'o_dunning_statement_reference">([^<]*)<', html).group(1)
        self.assertIn(self.invoice.name, reference)
        self.assertNotIn(self.invoice_2.name, reference, "a transfer of all leaves it out too")
        pay_all = self._page(f"{path}/pay")
        self.assertIn(self.invoice.name, pay_all)
        self.assertNotIn(self.invoice_2.name, pay_all)
        self.assertIn("1,000.00", pay_all)
        one = self._page(f"{path}/pay?invoices={self.invoice_2.id}")
        self.assertIn(self.invoice_2.name, one)
        # A plan of 3 on the whole 1,250, then one invoice paid: the page
        # shows the schedule against what is still owed.
        self._post(
            f"{path}/plan", {"c": comm.id, "instalments": 3, "first_date": self.today.isoformat()}
        )
        promise = self.env["dunning.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(promise.instalment_ids.mapped("amount"), [416.67, 416.67, 416.66])
        self._pay(self.invoice_2)
        html = self._page(path)
        self.assertRegex(html, r"166\.67.{0,200}left of.{0,200}416\.67", "first instalment")
        self.assertIn("o_dunning_statement_instalment_partial", html)
        self._pay(self.invoice)
        html = self._page(path)
        # Kept (judged when the payment was reconciled): the page says so.
        self.assertEqual(promise.state, "kept")
        self.assertIn("o_dunning_statement_plan_settled", html)
        self.assertNotIn("416.67", html)

    def test_a_paid_claim_is_shown_after_a_reload_and_left_out_of_pay_all(self):
        comm, path = self._open()
        yesterday = self._due(-1)
        self._post(
            f"{path}/paid",
            {"c": comm.id, "date": yesterday.isoformat(), "amount": "1250.00"},
            files={"proof": ("transfer.png", image_bytes("PNG"), "image/png")},
        )
        html = self._page(path)
        claim = re.search(r'o_dunning_statement_paid_claim".*?</div>', html, re.S).group(0)
        self.assertIn("1,250.00", claim)
        self.assertIn(self.invoice.name, claim)
        self.assertIn(self.invoice_2.name, claim)
        self.assertEqual(html.count("payment reported"), 2)
        self.assertNotIn("o_dunning_statement_pay_now", html)
        self.assertNotIn("checked", checkbox_of(html, self.invoice))
        # The same claim again changes nothing.
        self._post(
            f"{path}/paid", {"c": comm.id, "date": yesterday.isoformat(), "amount": "1250.00"}
        )
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [("res_id", "=", self.customer.id), ("summary", "=", "Customer says it has paid")]
            ),
            1,
        )
        # The collector checks it: the page shows the invoices as due again.
        (self.invoice | self.invoice_2).with_user(self.collector).action_dunning_review_done()
        html = self._page(path)
        self.assertNotIn("o_dunning_statement_paid_claim", html)
        self.assertIn("o_dunning_statement_pay_now", html)

    def test_opening_the_page_writes_no_token_and_invoices_open_by_the_customers_token(self):
        _comm, path = self._open()
        moves = self.invoice | self.invoice_2
        moves.invalidate_recordset(["access_token"])
        self.assertFalse(any(moves.mapped("access_token")))
        html = self._page(path)
        moves.invalidate_recordset(["access_token"])
        self.assertFalse(any(moves.mapped("access_token")), "the GET wrote portal tokens")
        self.assertIn(f"{path}/invoice/{self.invoice.id}", html)
        # Never sent through Odoo: its pro forma is rendered by the job while
        # the customer waits on a page that reloads.
        wait = self.url_open(f"{path}/invoice/{self.invoice.id}")
        self.assertEqual(wait.status_code, 202)
        self.assertIn("o_dunning_invoice_wait_pending", wait.text)
        self.assertIn('http-equiv="refresh"', wait.text)
        self.env["dunning.invoice.pdf"]._cron_render()
        pdf = self.url_open(f"{path}/invoice/{self.invoice.id}")
        self.assertEqual(pdf.status_code, 200)
        self.assertEqual(pdf.headers["Content-Type"], "application/pdf")
        # (Odoo renders reports as HTML while testing: the invoice's own.)
        self.assertIn(self.invoice.name, pdf.text)
        self.assertIn("PROFORMA", pdf.text, "as Odoo's portal: no official PDF was kept")
        other = self._invoice(self.customer_2, 10.0, self._due(-1))
        self.assertEqual(self.url_open(f"{path}/invoice/{other.id}").status_code, 404)
        self.assertEqual(self.url_open(f"/d/{'x' * 16}/invoice/{self.invoice.id}").status_code, 404)

    def test_a_link_that_is_not_valid_says_so_in_the_visitors_language(self):
        self._activate_spanish()
        _comm, path = self._open()
        self.customer.action_dunning_reset_token()
        company = self.env.ref("base.public_user").sudo().company_id
        company.write({"phone": "+34 910 000 000", "email": "cobros@example.com"})
        for accept, text, lang in (
            ("es-ES,es;q=0.9", "Este enlace ya no es válido", "es-ES"),
            ("en-GB,en;q=0.8", "This link is no longer valid", "en-US"),
        ):
            for link in (path, "/d/mistyped-token-1234"):
                response = self.url_open(link, headers={"Accept-Language": accept})
                self.assertEqual(response.status_code, 404)
                html = response.text
                self.assertIn("o_dunning_link_not_valid", html)
                self.assertIn(text, html)
                self.assertIn(f'lang="{lang}"', html)
                self.assertIn(company.name, html)
                self.assertIn("cobros@example.com", html)
                self.assertNotIn(self.customer.name, html)
                self.assertNotIn("/web/login", html)

    def test_the_page_opens_when_the_contact_is_the_dunning_manager(self):
        """Found by the load benchmark: with no collector anywhere, the
        contact is the dunning manager, whom the public user may not read:
        the page answered 403."""
        comm, path = self._open()
        comm.sudo().user_id = False
        self.policy.collector_id = False
        self.customer.user_id = False
        manager = self.company._dunning_manager()
        self.assertTrue(manager)
        html = self._page(f"{path}?c={comm.id}")
        contact = re.search(r'o_dunning_statement_contact">(.*?)</p>', html, re.S).group(1)
        self.assertIn(manager.sudo().partner_id.name, contact)

    def test_title_language_and_the_plans_smallest_instalment(self):
        self._open()
        html = self._page(f"/d/{self.customer._dunning_statement_token()}")
        self.assertIn(f"<title>{self.company.name} · Statement of account</title>", html)
        self.assertIn('<html lang="en-US"', html)
        self.assertRegex(html, r"of at least.{0,120}50\.00", "the smallest instalment is stated")

    def test_the_page_passes_axe_core_with_no_serious_violation(self):
        """axe-core (npm, fetched by tests/run.sh) in the test's Chromium, on
        the page in every state a customer sees: a dispute, a reported
        payment, a plan, the forms open; on the "link not valid" page, and on
        the page of an invoice PDF that could not be prepared."""
        axe = os.environ.get("DUNNING_AXE_CORE_JS") or os.path.join(
            os.path.dirname(__file__),
            "..",
            "..",
            ".ci",
            "out",
            "npm",
            "node_modules",
            "axe-core",
            "axe.min.js",
        )
        if not os.path.isfile(axe):
            self.skipTest("axe-core is fetched by tests/run.sh (npm install axe-core)")
        with open(axe, "rb") as source:
            # Served by Odoo (the browser loads it as any script: the test's
            # log stays short).
            script = self.env["ir.attachment"].create(
                {
                    "name": "axe.min.js",
                    "raw": source.read(),
                    "mimetype": "text/javascript",
                    "public": True,
                }
            )
        comm, path = self._open()
        self._post(
            f"{path}/dispute", {"c": comm.id, "invoice": self.invoice_2.id, "reason": "dispute"}
        )
        self._post(
            f"{path}/plan", {"c": comm.id, "instalments": 2, "first_date": self.today.isoformat()}
        )
        self._post(f"{path}/paid", {"c": comm.id, "date": self.today.isoformat(), "amount": "10"})
        check = (
            """
            (async () => {
                const script = document.createElement("script");
                script.src = "/web/content/%s";
                document.head.appendChild(script);
                await new Promise((resolve) => { script.onload = resolve; });
                document.querySelectorAll("details").forEach((d) => { d.open = true; });
                const result = await axe.run(document, {
                    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
                });
                const bad = result.violations.filter(
                    (v) => v.impact === "serious" || v.impact === "critical"
                );
                if (bad.length) {
                    console.error("axe: " + JSON.stringify(bad.map(
                        (v) => [v.id, v.impact, v.nodes.map((n) => n.target.join(" ")).slice(0, 5)]
                    )));
                } else {
                    console.log("axe passes: " + result.passes.length + " rules");
                    console.log("test successful");
                }
            })();
        """
            % script.id
        )
        # The page of an invoice PDF that could not be prepared (the one that
        # is being prepared is the same, but reloads itself).
        pdf = self.env["dunning.invoice.pdf"]._ask(self.invoice, "en_US")
        pdf.state = "failed"
        pdf_page = f"{path}/invoice/{self.invoice.id}"
        for url in (f"{path}?c={comm.id}", "/d/mistyped-token-1234", pdf_page):
            for size in ("390x844", "1366x768"):
                self.browser_size = size
                self.browser_js(url, check, ready="document.readyState === 'complete'", timeout=60)


@tagged("post_install", "-at_install")
class TestStatementInvoicePdf(DunningCommon, HttpCase):
    """An invoice PDF is rendered at most once per version, and never by the
    customer's request."""

    today = date.today()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._invoice(cls.customer, 1000.0, cls._due(-5))
        cls.path = f"/d/{cls.customer._dunning_statement_token()}/invoice/{cls.invoice.id}"

    def setUp(self):
        super().setUp()
        # What the server learnt of its wkhtmltopdf does not carry over.
        patcher = patch.dict(dunning_invoice_pdf._BATCH_SPLITS, {"ok": None})
        patcher.start()
        self.addCleanup(patcher.stop)

    def _renders(self):
        """The pro formas rendered, one tuple of invoices per rendering call
        (and render them)."""
        Pdf = self.registry["dunning.invoice.pdf"]
        original = Pdf._proforma_pdfs
        calls = []

        def counted(model, moves):
            calls.append(tuple(moves.ids))
            return original(model, moves)

        return calls, patch.object(Pdf, "_proforma_pdfs", counted)

    def test_asked_three_times_rendered_once_then_served_from_the_store(self):
        calls, patched = self._renders()
        with patched:
            for _i in range(3):
                self.assertEqual(self.url_open(self.path).status_code, 202)
            self.assertFalse(calls, "nothing rendered on the request path")
            self.assertEqual(
                self.env["dunning.invoice.pdf"].search_count([("move_id", "=", self.invoice.id)]),
                1,
            )
            self.env["dunning.invoice.pdf"]._cron_render()
            for _i in range(3):
                response = self.url_open(self.path)
                self.assertEqual(response.status_code, 200)
                self.assertIn(self.invoice.name, response.text)
            self.env["dunning.invoice.pdf"]._cron_render()
        self.assertEqual(calls, [(self.invoice.id,)], "rendered once")

    def test_a_changed_invoice_is_rendered_again_and_its_old_pdf_dropped(self):
        calls, patched = self._renders()
        Pdf = self.env["dunning.invoice.pdf"]
        with patched:
            self.url_open(self.path)
            Pdf._cron_render()
            first = Pdf.search([("move_id", "=", self.invoice.id)])
            self.assertEqual(first.state, "done")
            # The invoice changes (a payment, a correction): a new version.
            self.env.cr.execute(
                "UPDATE account_move SET write_date = write_date + interval '1 minute'"
                " WHERE id = %s",
                [self.invoice.id],
            )
            self.invoice.invalidate_recordset(["write_date"])
            self.assertEqual(self.url_open(self.path).status_code, 202, "the new version")
            Pdf._cron_render()
            self.assertEqual(self.url_open(self.path).status_code, 200)
        self.assertEqual(calls, [(self.invoice.id,)] * 2)
        kept = Pdf.search([("move_id", "=", self.invoice.id)])
        self.assertEqual(len(kept), 1)
        self.assertFalse(first.exists(), "the old version is dropped")

    def test_the_pdfs_asked_meanwhile_are_rendered_in_one_call(self):
        second = self._invoice(self.customer, 300.0, self._due(-4))
        calls, patched = self._renders()
        with patched:
            self.url_open(self.path)
            self.url_open(self.path.replace(str(self.invoice.id), str(second.id)))
            self.env["dunning.invoice.pdf"]._cron_render()
        self.assertEqual(calls, [(self.invoice.id, second.id)], "one wkhtmltopdf call")
        response = self.url_open(self.path.replace(str(self.invoice.id), str(second.id)))
        self.assertEqual(response.status_code, 200)
        self.assertIn(second.name, response.text)
        self.assertNotIn(self.invoice.name, response.text, "each invoice its own PDF")

    def test_a_wkhtmltopdf_that_cannot_split_a_batch_renders_one_by_one_from_then_on(self):
        """Debian's wkhtmltopdf writes no PDF outlines: Odoo hands a batch
        back undivided. The first batch tells; later ones are not tried."""
        Pdf = self.registry["dunning.invoice.pdf"]
        original = Pdf._proforma_pdfs
        calls = []

        def unpatched_qt(model, moves):
            calls.append(tuple(moves.ids))
            if len(moves) > 1:
                return {False: b"%PDF-1.4 every invoice in one document"}
            return original(model, moves)

        invoices = [self._invoice(self.customer, 100.0 + n, self._due(-4)) for n in range(4)]
        paths = [self.path.replace(str(self.invoice.id), str(inv.id)) for inv in invoices]
        with patch.object(Pdf, "_proforma_pdfs", unpatched_qt):
            self.url_open(paths[0])
            self.url_open(paths[1])
            self.env["dunning.invoice.pdf"]._cron_render()
            self.url_open(paths[2])
            self.url_open(paths[3])
            self.env["dunning.invoice.pdf"]._cron_render()
        first, second, third, fourth = (inv.id for inv in invoices)
        self.assertEqual(
            calls,
            [(first, second), (first,), (second,), (third,), (fourth,)],
            "the undivided batch is not tried again",
        )
        for path, invoice in zip(paths, invoices, strict=True):
            response = self.url_open(path)
            self.assertEqual(response.status_code, 200)
            self.assertIn(invoice.name, response.text, "each invoice its own PDF")

    def test_the_waiting_page_asks_again_when_the_pdf_can_be_ready(self):
        """A long queue is not polled every 3 s: the page waits its place
        in the queue times a PDF's rendering time, and says how long."""
        invoices = [self._invoice(self.customer, 100.0 + n, self._due(-4)) for n in range(5)]
        first = self.url_open(self.path).text
        for invoice in invoices:
            last = self.url_open(self.path.replace(str(self.invoice.id), str(invoice.id))).text
        self.assertIn('http-equiv="refresh" content="3"', first)
        # Sixth in the queue: 6 x 1.2 s.
        self.assertIn('http-equiv="refresh" content="8"', last)
        self.assertIn(
            'checks again in <span class="o_dunning_invoice_wait_seconds">8</span> seconds',
            last,
        )
        self.assertEqual(pdf_wait_seconds(1), 3)
        self.assertEqual(pdf_wait_seconds(10), 12)
        self.assertEqual(pdf_wait_seconds(500), 60, "at most a minute")

    def test_the_pdf_odoo_kept_is_served_as_it_is(self):
        self.invoice.invoice_pdf_report_file = base64.b64encode(b"%PDF-1.4 the invoice as sent")
        self.invoice.invalidate_recordset(["invoice_pdf_report_id"])
        self.assertTrue(self.invoice.invoice_pdf_report_id)
        response = self.url_open(self.path)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"%PDF-1.4 the invoice as sent")
        self.assertFalse(
            self.env["dunning.invoice.pdf"].search([("move_id", "=", self.invoice.id)])
        )

    def test_a_pdf_that_cannot_be_rendered_says_so_and_is_asked_again_a_day_later(self):
        def broken(model, moves):
            raise ValueError("wkhtmltopdf failed")

        self.url_open(self.path)
        with (
            patch.object(self.registry["dunning.invoice.pdf"], "_proforma_pdfs", broken),
            mute_logger("odoo.addons.account_dunning_es.models.dunning_invoice_pdf"),
        ):
            self.env["dunning.invoice.pdf"]._cron_render()
        failed = self.env["dunning.invoice.pdf"].search([("move_id", "=", self.invoice.id)])
        self.assertEqual((failed.state, failed.error), ("failed", "wkhtmltopdf failed"))
        response = self.url_open(self.path)
        self.assertEqual(response.status_code, 503)
        self.assertIn("o_dunning_invoice_wait_failed", response.text)
        self.assertNotIn('http-equiv="refresh"', response.text, "no endless reloading")
        with freeze_time(fields.Datetime.now() + timedelta(days=2)):
            failed._gc_failed()
        self.assertFalse(failed.exists())
        self.assertEqual(self.url_open(self.path).status_code, 202, "asked for afresh")
