# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The customer's statement page behind every reminder."""

import base64
import io
import re
from datetime import date

from freezegun import freeze_time
from PIL import Image, ImageChops
from reportlab.pdfgen import canvas

from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import get_lang

from ..models.dunning_statement import statement_plan_problem
from ..rules.statement import PageAmounts
from .common import DunningCommon

D = date(2026, 3, 2)


def one_page_pdf():
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Transferencia realizada")
    page.save()
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class TestStatementPage(DunningCommon, HttpCase):
    # The page runs in the test's HTTP server, on the real date.
    today = date.today()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._invoice(cls.customer, 1000.0, cls._due(-5))
        cls.invoice_2 = cls._invoice(cls.customer, 250.0, cls._due(-3))
        cls.other = cls._invoice(cls.customer_2, 777.0, cls._due(-5))

    def _reminder(self):
        """Today's run: a real reminder email per customer."""
        run = self._run()
        comm = run.communication_ids.filtered(
            lambda c: c.partner_id == self.customer and c.channel == "email"
        )
        self.assertEqual(len(comm), 1)
        return comm

    def _link_in_email(self, comm):
        mail = self.env["mail.mail"].search([("mail_message_id", "=", comm.message_id.id)])
        match = re.search(r'href="[^"]*(/d/[\w-]+\?c=\d+)"', mail.body_html)
        self.assertTrue(match, "the email carries the link")
        return match.group(1)

    def _page(self, path):
        response = self.url_open(path)
        self.assertEqual(response.status_code, 200)
        return response.text

    def _post(self, path, html, data, files=None):
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        response = self.url_open(path, data=dict(data, csrf_token=token), files=files)
        self.assertEqual(response.status_code, 200)
        return response.text

    def test_the_link_of_a_reminder_opens_the_customers_statement(self):
        comm = self._reminder()
        link = self._link_in_email(comm)
        html = self._page(link)
        for text in (
            self.invoice.name,
            self.invoice_2.name,
            self.company.name,
            "Talleres Prueba SL",
        ):
            self.assertIn(text, html)
        total = re.search(r'o_dunning_statement_total.*?oe_currency_value">([^<]+)<', html, re.S)
        self.assertEqual(total.group(1), "1,250.00")
        self.assertNotIn(self.other.name, html, "never another customer's invoice")
        self.assertTrue(comm.statement_opened_date, "counted for the reminder that carried it")
        self.assertIn(comm.payment_reference, html)
        self.assertIn("Carmen Cobros", html, "the collector to contact")

    def test_a_customer_of_two_companies_reads_the_statement_of_the_reminder_it_follows(self):
        company_b = self.setup_other_company(name="Empresa B")["company"]
        company_b.dunning_policy_id = self._create_policy(company_b, "Policy B")
        invoice_b = self._invoice(self.customer, 900.0, self._due(-5), company=company_b)
        comm_a = self._reminder()
        self._run(company=company_b)
        comm_b = self._comms(self.customer, company_id=company_b.id, channel="email")
        self.assertEqual(len(comm_b), 1)
        # Company B reminded last; the link of A's reminder still shows A's
        # statement (it showed B's), and B's shows B's.
        link_a, link_b = self._link_in_email(comm_a), self._link_in_email(comm_b)
        # (Each company numbers its invoices: the page's links tell them apart.)
        html_a = self._page(link_a)
        self.assertIn(f"/invoice/{self.invoice.id}", html_a)
        self.assertNotIn(f"/invoice/{invoice_b.id}", html_a)
        self.assertIn(self.company.name, html_a)
        html_b = self._page(link_b)
        self.assertIn(f"/invoice/{invoice_b.id}", html_b)
        self.assertNotIn(f"/invoice/{self.invoice.id}", html_b)
        self.assertIn("Empresa B", html_b)
        # "I have already paid" from A's reminder rests A's invoices only.
        self._post(
            f"{link_a.split('?')[0]}/paid",
            html_a,
            {"c": comm_a.id, "date": self.today.isoformat(), "amount": "1250.00"},
        )
        self.assertEqual((self.invoice | self.invoice_2).mapped("dunning_review"), ["paid"] * 2)
        self.assertFalse(invoice_b.dunning_review)

    def test_wrong_missing_or_revoked_tokens_are_404(self):
        comm = self._reminder()
        link = self._link_in_email(comm)
        self.assertEqual(self.url_open("/d/not-a-real-token-at-all").status_code, 404)
        self.assertEqual(self.url_open("/d/").status_code, 404)
        other_link = self.customer_2._dunning_statement_url().split("/d/")[1]
        other = self._page(f"/d/{other_link}")
        self.assertIn(self.other.name, other)
        self.assertNotIn(self.invoice.name, other)
        self.customer.action_dunning_reset_token()
        self.assertEqual(self.url_open(link).status_code, 404, "revoked")
        self.assertEqual(
            self.url_open(f"/d/{self.customer.sudo().dunning_access_token}").status_code, 200
        )

    def test_a_dispute_pauses_the_invoice_and_tells_the_collector_once(self):
        comm = self._reminder()
        link = self._link_in_email(comm)
        html = self._page(link)
        path = link.split("?")[0]
        data = {
            "c": comm.id,
            "invoice": self.invoice.id,
            "reason": "dispute",
            "message": "Material defectuoso",
        }
        # Without Odoo's CSRF token, nothing is done.
        forged = self.url_open(f"{path}/dispute", data=data)
        self.assertEqual(forged.status_code, 400)
        self.assertFalse(self.invoice.dunning_reason)
        after = self._post(f"{path}/dispute", html, data)
        self.assertIn("o_dunning_statement_done", after)
        self.assertIn("o_dunning_statement_disputed", after, "shown as pending")
        self.assertEqual(self.invoice.dunning_reason, "dispute")
        self.assertEqual(self.invoice.dunning_review, "reason")
        self.assertEqual(comm.statement_action, "dispute")
        # One activity for the collector, on the invoice; the customer's
        # chatter links to it.
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "in", ("res.partner", "account.move")),
                ("user_id", "=", self.collector.id),
            ]
        )
        self.assertEqual(len(activities), 1, activities.mapped("summary"))
        self.assertEqual(
            (activities.res_model, activities.res_id), ("account.move", self.invoice.id)
        )
        self.assertIn("Material defectuoso", str(activities.note))
        note = self.customer.message_ids.filtered(lambda m: "disputes" in (m.body or ""))[:1]
        self.assertRegex(
            str(note.body), rf"data-oe-model=.account\.move. data-oe-id=.{self.invoice.id}."
        )
        self._post(f"{path}/dispute", after, data)
        self.assertEqual(
            self.env["mail.activity"].search_count([("user_id", "=", self.collector.id)]),
            1,
            "posting twice changes nothing",
        )
        # Another customer's invoice is refused.
        error = self._post(f"{path}/dispute", after, dict(data, invoice=self.other.id))
        self.assertIn("o_dunning_statement_error", error)
        self.assertFalse(self.other.dunning_reason)

    def test_a_plan_within_limits_is_a_promise_beyond_them_waits(self):
        comm = self._reminder()
        link = self._link_in_email(comm)
        path = link.split("?")[0]
        html = self._page(link)
        first = self.today.isoformat()
        after = self._post(
            f"{path}/plan", html, {"c": comm.id, "instalments": 2, "first_date": first}
        )
        promise = self.env["dunning.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.channel, "portal")
        self.assertEqual(promise.instalment_ids.mapped("amount"), [625.0, 625.0])
        self.assertEqual(promise.move_ids, self.invoice | self.invoice_2)
        self.assertIn(promise.name, after, "the customer sees the schedule")
        again = self._post(
            f"{path}/plan", after, {"c": comm.id, "instalments": 2, "first_date": first}
        )
        self.assertIn("already under way", again)
        promise.action_cancel()
        self._post(f"{path}/plan", again, {"c": comm.id, "instalments": 10, "first_date": first})
        pending = self.env["dunning.promise"].search(
            [("partner_id", "=", self.customer.id), ("state", "=", "to_approve")]
        )
        self.assertEqual(len(pending.instalment_ids), 10)
        self.assertTrue(
            self.env["mail.activity"].search(
                [("res_id", "=", self.customer.id), ("summary", "ilike", pending.name)]
            ),
            "the collector approves it",
        )
        pending.action_approve()
        self.assertEqual(pending.state, "open")

    def test_already_paid_with_proof_rests_the_invoices_and_bad_files_are_refused(self):
        comm = self._reminder()
        link = self._link_in_email(comm)
        path = link.split("?")[0]
        html = self._page(link)
        data = {"c": comm.id, "date": self.today.isoformat(), "amount": "1250.00"}
        refused = self._post(
            f"{path}/paid",
            html,
            data,
            files={"proof": ("x.exe", b"MZ...", "application/x-msdownload")},
        )
        self.assertIn("PDF, PNG or JPEG", refused)
        self.assertFalse(self.invoice.dunning_review)
        # A program named and declared as a PDF is what it holds: refused,
        # and nothing is stored.
        attachments = self.env["ir.attachment"].search_count([])
        disguised = self._post(
            f"{path}/paid",
            html,
            data,
            files={"proof": ("justificante.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf")},
        )
        self.assertIn("o_dunning_statement_error", disguised)
        self.assertIn("Nothing was recorded", disguised)
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments)
        self.assertFalse(any((self.invoice | self.invoice_2).mapped("dunning_review")))
        self.assertFalse(self.env["mail.activity"].search([("res_id", "=", self.customer.id)]))
        # A file that starts like a PDF but is none.
        broken = self._post(
            f"{path}/paid",
            html,
            data,
            files={"proof": ("justificante.pdf", b"%PDF-1.4\n" + b"x" * 300, "application/pdf")},
        )
        self.assertIn("o_dunning_statement_error", broken)
        self.assertFalse(self.invoice.dunning_review)
        future = self._post(f"{path}/paid", html, dict(data, date="2999-01-01"))
        self.assertIn("future", future)
        # The declared type does not matter either way: a real PDF sent as
        # "application/octet-stream" is stored as a PDF.
        self._post(
            f"{path}/paid",
            html,
            data,
            files={"proof": ("transfer.pdf", one_page_pdf(), "application/octet-stream")},
        )
        self.assertEqual((self.invoice | self.invoice_2).mapped("dunning_review"), ["paid", "paid"])
        self.assertEqual(self.invoice.dunning_claim_amount, 1250.0)
        activity = self.env["mail.activity"].search(
            [("res_id", "=", self.customer.id), ("summary", "=", "Customer says it has paid")]
        )
        self.assertEqual(len(activity), 1)
        self.assertEqual(
            self.env["ir.attachment"]
            .search([("res_model", "=", "mail.activity"), ("res_id", "=", activity.id)])
            .mimetype,
            "application/pdf",
        )
        self.assertEqual(comm.statement_action, "paid")
        # The next days' runs leave its invoices alone while it is checked
        # (7 days), then resume, and the collector is told, once.
        run = self._run(on_date=self._due(7))
        self.assertFalse(run.communication_ids.filtered(lambda c: c.partner_id == self.customer))
        run = self._run(on_date=self._due(8))
        self.assertTrue(run.communication_ids.filtered(lambda c: c.partner_id == self.customer))
        told = self.env["mail.activity"].search(
            [
                ("res_model", "=", "account.move"),
                ("summary", "=", "Unchecked claim: reminders resume"),
            ]
        )
        self.assertEqual(sorted(told.mapped("res_id")), sorted((self.invoice | self.invoice_2).ids))
        self.assertEqual(told.user_id, self.collector)
        self.assertFalse(self.invoice.dunning_review)
        self._run(on_date=self._due(9))
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [("summary", "=", "Unchecked claim: reminders resume")]
            ),
            2,
        )
        report = self.env["dunning.effectiveness.report"].search([("id", "=", comm.id)])
        self.assertEqual((report.acted_count, report.statement_action), (1, "paid"))

    def test_in_a_real_browser_the_customer_disputes_proposes_a_plan_and_pays(self):
        """Headless Chromium at a phone's width: from the link of a real
        reminder, a dispute and a plan through the page's own forms, then one
        invoice paid through Odoo's payment form with the demo provider."""
        demo = self.env.ref("payment.payment_provider_demo", raise_if_not_found=False)
        if not demo or demo.sudo().module_id.state != "installed":
            self.skipTest("payment_demo is installed by tests/run.sh")
        provider = demo.sudo().copy({"company_id": self.company.id, "name": "Demo"})
        provider.write({"state": "test", "is_published": True})
        comm = self._reminder()
        link = self._link_in_email(comm)
        path = link.split("?")[0]
        code = """
            (async () => {
                const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
                if (window.innerWidth > 400) {
                    throw new Error("not a phone width: " + window.innerWidth);
                }
                const send = async (selector, values) => {
                    const details = document.querySelector(selector);
                    details.querySelector("summary").click();
                    const form = details.querySelector("form");
                    for (const [name, value] of Object.entries(values)) {
                        form.querySelector(`[name=${name}]`).value = value;
                    }
                    const response = await fetch(form.action, {method: "POST", body: new FormData(form)});
                    const text = await response.text();
                    if (!text.includes("o_dunning_statement_done")) {
                        throw new Error(selector + ": no confirmation: " + text.slice(0, 300));
                    }
                };
                await send(".o_dunning_statement_dispute", {
                    invoice: "%(dispute)s", reason: "missing_document", message: "Falta el albarán",
                });
                await send(".o_dunning_statement_plan", {instalments: "2"});
                // Pay one invoice with Odoo's payment form, in a frame.
                const frame = document.createElement("iframe");
                frame.style.width = "390px";
                frame.style.height = "800px";
                frame.src = "%(path)s/pay?invoices=%(pay)s&c=%(comm)s";
                document.body.appendChild(frame);
                const doc = () => frame.contentDocument;
                const button = () => doc() && doc().querySelector("button[name=o_payment_submit_button]");
                for (let i = 0; i < 100 && !button(); i++) {
                    await wait(100);
                }
                await wait(1500);
                const input = doc().querySelector("input[name=customer_input]");
                if (input) {
                    input.value = "4242424242424242";
                }
                button().click();
                for (let i = 0; i < 300; i++) {
                    await wait(100);
                    if (frame.contentWindow.location.href.includes("done=paid_online")) {
                        break;
                    }
                }
                if (!frame.contentWindow.location.href.includes("done=paid_online")) {
                    throw new Error("payment did not land: " + frame.contentWindow.location.href);
                }
                console.log("test successful");
            })();
        """ % {
            "dispute": self.invoice_2.id,
            "pay": self.invoice.id,
            "path": path,
            "comm": comm.id,
        }
        self.browser_size = "390x844"
        self.browser_js(link, code, ready="document.readyState === 'complete'", timeout=120)
        # The back office sees it all.
        self.assertEqual(self.invoice_2.dunning_reason, "missing_document")
        self.assertEqual(self.invoice_2.dunning_reason_note, "Falta el albarán")
        promise = self.env["dunning.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual((promise.state, promise.instalment_count), ("open", 2))
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.invoice_2.payment_state, "not_paid")
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "account.move"), ("res_id", "=", self.invoice_2.id)]
        )
        self.assertEqual(activities.mapped("summary"), [f"Customer disputes {self.invoice_2.name}"])


@tagged("post_install", "-at_install")
class TestStatementRules(DunningCommon):
    def test_plan_limits(self):
        self.assertEqual(statement_plan_problem(3, D, 900.0, D, 3, 90, 50.0), "")
        self.assertEqual(statement_plan_problem(4, D, 900.0, D, 3, 90, 50.0), "instalments")
        self.assertEqual(
            statement_plan_problem(3, date(2026, 3, 20), 900.0, D, 3, 60, 50.0), "days"
        )
        self.assertEqual(statement_plan_problem(3, D, 120.0, D, 3, 90, 50.0), "minimum")

    def test_page_amounts_print_as_odoos_monetary_widget(self):
        """The statement prints its rows' amounts without QWeb's widget (the
        widget read the language five times a row); same text, every
        language and currency position, negatives and roundings."""
        self._activate_spanish()
        self.env["res.lang"]._activate_lang("fr_FR")
        usd = self.env.ref("base.USD")
        eur = self.env.ref("base.EUR")
        usd.active = eur.active = True
        self.assertNotEqual(usd.position, eur.position)
        Widget = self.env["ir.qweb.field.monetary"]
        values = (0.0, 1.0, 1234.5, -1234567.891, 0.005, 999999999.999, -0.004)
        for code in ("en_US", "es_ES", "fr_FR"):
            amounts = PageAmounts(get_lang(self.env, code))
            for currency in (usd, eur):
                for value in values:
                    expected = Widget.with_context(lang=code).value_to_html(
                        value, {"display_currency": currency}
                    )
                    self.assertEqual(amounts(value, currency), expected, (code, value))
        self.assertIn(
            ">1.234,50</span>\N{NO-BREAK SPACE}€",
            PageAmounts(get_lang(self.env, "es_ES"))(1234.5, eur),
        )

    def test_every_letter_carries_the_link_and_its_qr_code(self):
        invoice = self._invoice(self.customer, 500.0, self._due(-25))
        invoice._dunning_write({"dunning_stage_id": self.stage_call.id})
        with freeze_time(self.today):
            self._run()
        letter = self._comms(self.customer, channel="letter")
        html = self._report_html("account_dunning_es.action_report_dunning_letter", letter)
        self.assertIn(letter.statement_url, html)
        # The QR code is drawn in (no request to the server per letter) and
        # encodes the link.
        printed = re.search(r"<strong>(http[^<]*/d/[^<]*)</strong>", html).group(1)
        self.assertEqual(printed, letter.statement_url)
        qr = re.search(r'alt="QR" src="data:image/png;base64,([^"]+)"', html).group(1)
        png = self.env["ir.actions.report"].barcode("QR", printed, width=96, height=96)
        # Same picture (reportlab's drawing varies in a few anti-aliased grey
        # levels from one call to the next, never in a module of the code).
        drawn = Image.open(io.BytesIO(base64.b64decode(qr))).convert("L")
        expected = Image.open(io.BytesIO(png)).convert("L")
        self.assertEqual(drawn.size, (96, 96))
        self.assertLessEqual(ImageChops.difference(drawn, expected).getextrema()[1], 16)
        self.assertNotIn("/report/barcode", html)
        self.assertIn(f"?c={letter.id}", letter.statement_url)
        # The batch's link (computed for a run's reminders) is the one link
        # of the customer.
        self.assertEqual(letter.statement_url, letter._statement_url())


@tagged("post_install", "-at_install")
class TestStatementPayment(DunningCommon, HttpCase):
    """Pay now through Odoo's payment providers (payment_demo, installed with
    the tests and the demo database)."""

    today = date.today()

    def _demo_provider(self):
        """Odoo's demo provider, in test mode in the test company."""
        demo = self.env.ref("payment.payment_provider_demo", raise_if_not_found=False).sudo()
        if not demo or demo.module_id.state != "installed":
            self.skipTest("payment_demo is installed by tests/run.sh")
        provider = demo.copy({"company_id": self.company.id, "name": "Demo"})
        provider.write({"state": "test", "is_published": True})
        return provider

    def _transaction(self, route, provider, amount, reference):
        """What the payment form's script asks: a draft transaction."""
        processing = self.make_jsonrpc_request(
            route,
            {
                "provider_id": provider.id,
                "payment_method_id": provider.payment_method_ids[:1].id,
                "token_id": None,
                "amount": amount,
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": "/",
                "is_validation": False,
                "payment_reference": reference,
            },
        )
        return self.env["payment.transaction"].search([("reference", "=", processing["reference"])])

    def test_the_invoices_chosen_are_paid_in_their_company(self):
        provider = self._demo_provider()
        company_b = self.setup_other_company(name="Empresa B")["company"]
        company_b.dunning_policy_id = self._create_policy(company_b, "Policy B")
        invoice_a = self._invoice(self.customer, 300.0, self._due(-5))
        self._invoice(self.customer, 900.0, self._due(-5), company=company_b)
        yesterday = self._due(-1)
        comm_a = self._run(on_date=yesterday).communication_ids.filtered(
            lambda c: c.partner_id == self.customer
        )
        # Company B reminded the customer after A.
        self._run(on_date=yesterday, company=company_b)
        token = self.customer._dunning_statement_token()
        page = self.url_open(f"/d/{token}/pay?c={comm_a[0].id}&invoices={invoice_a.id}")
        self.assertIn("300.00", page.text)
        self.assertIn(f"/d/{token}/transaction/{invoice_a.id}", page.text)
        # The form's transaction names the invoice: it is paid in A, although
        # B's reminder came last (it answered "Nothing is due" before).
        tx = self._transaction(
            f"/d/{token}/transaction/{invoice_a.id}", provider, 300.0, invoice_a.name
        )
        self.assertEqual(tx.invoice_ids, invoice_a)
        self.assertEqual(tx.company_id, self.company)

    def test_the_customer_pays_everything_with_the_demo_provider(self):
        provider = self._demo_provider()
        invoices = self._invoice(self.customer, 1000.0, self._due(-5)) | self._invoice(
            self.customer, 250.0, self._due(-3)
        )
        yesterday = self._due(-1)
        comm = self._run(on_date=yesterday).communication_ids.filtered(
            lambda c: c.partner_id == self.customer
        )
        token = self.customer._dunning_statement_token()
        page = self.url_open(f"/d/{token}/pay?c={comm.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_payment_form", page.text)
        self.assertIn("1,250.00", page.text)
        # What the payment form's script does: a transaction, then the demo
        # provider's answer.
        tx = self._transaction(f"/d/{token}/transaction", provider, 1250.0, comm.payment_reference)
        self.assertEqual(tx.invoice_ids, invoices)
        self.make_jsonrpc_request(
            "/payment/demo/simulate_payment",
            {"reference": tx.reference, "payment_details": "4242", "simulated_state": "done"},
        )
        tx._post_process()
        self.assertTrue(
            all(state in ("paid", "in_payment") for state in invoices.mapped("payment_state")),
            invoices.mapped("payment_state"),
        )
        html = self.url_open(f"/d/{token}").text
        self.assertNotIn(invoices[0].name, html, "a paid invoice leaves the statement")
        # Everything paid: no claim of the last letter, nothing to pay, no
        # reference to quote.
        self.assertNotIn("o_dunning_statement_claim", html)
        self.assertNotIn("o_dunning_statement_reference", html)
        # Counted as paid after the reminder that carried the link.
        report = self.env["dunning.effectiveness.report"].search([("id", "in", comm.ids)])
        self.assertEqual(report.mapped("paid_count"), [1] * len(comm))
        # One invoice of several: the selection is what is paid.
        third = self._invoice(self.customer, 80.0, self._due(-2))
        fourth = self._invoice(self.customer, 90.0, self._due(-2))
        page = self.url_open(f"/d/{token}/pay?invoices={third.id}")
        self.assertIn("80.00", page.text)
        self.assertNotIn(fourth.name, page.text)
        tx = self._transaction(f"/d/{token}/transaction/{third.id}", provider, 80.0, third.name)
        self.assertEqual(tx.invoice_ids, third)
        # The wrong token pays nothing.
        with self.assertRaisesRegex(JsonRpcException, "ValidationError"):
            self.make_jsonrpc_request(
                "/d/not-a-valid-token-x/transaction", {"amount": 1.0, "payment_reference": "x"}
            )
