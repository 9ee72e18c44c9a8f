# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import io
from datetime import date

from odoo.tests import HttpCase, tagged
from odoo.tools.pdf import PdfFileReader

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestDunningLetterPdf(DunningCommon, HttpCase):
    """Letters through wkhtmltopdf, styled by this test's own server.

    Debian's wkhtmltopdf draws text as shapes, so the PDF's text cannot be
    read back: its content is tested on the HTML (test_dunning_letter); here
    we check that real PDFs are produced, one letter per customer, attached
    and posted.
    """

    today = date(2025, 10, 15)

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param("report.url", self.base_url())
        # One warm-up request: the first hits of a fresh threaded server can fail.
        self.url_open("/web/login")

    def _pages(self, pdf):
        return PdfFileReader(io.BytesIO(pdf)).getNumPages()

    def test_letters_are_rendered_attached_and_posted_on_the_chatter(self):
        customers = self.customer + self.customer_2
        for customer in customers:
            invoice = self._invoice(customer, 1000.0, date(2025, 8, 1))
            invoice._dunning_write({"dunning_stage_id": self.stage_call.id})
        self._run()
        letters = self.env["dunning.communication"].search(
            [("channel", "=", "letter"), ("partner_id", "in", customers.ids)]
        )
        self.assertEqual(len(letters), 2)
        self.env["dunning.communication"].with_context(
            force_report_rendering=True
        )._cron_generate_letters()
        pages = 0
        for letter in letters:
            attachment = letter.letter_attachment_id
            self.assertEqual(attachment.mimetype, "application/pdf")
            self.assertTrue(attachment.raw.startswith(b"%PDF"))
            self.assertIn(self._pages(attachment.raw), (1, 2))
            pages += self._pages(attachment.raw)
            self.assertIn(attachment, letter.partner_id.message_ids.attachment_ids)
        # Printing the pending letters in one batch: one document, one letter each.
        report = self.env.ref("account_dunning_es.action_report_dunning_letter")
        self.env["ir.attachment"].search([("res_model", "=", "dunning.communication")]).unlink()
        pdf, _type = report.with_context(force_report_rendering=True)._render_qweb_pdf(
            report, res_ids=letters.ids
        )
        self.assertEqual(self._pages(pdf), pages, "the letters one after the other")

    def test_letter_of_a_customer_with_many_invoices_spans_pages(self):
        invoices = self.env["account.move"]
        for n in range(40):
            invoices |= self._invoice(self.customer, 100.0 + n, date(2025, 7, 1 + n % 28))
        invoices._dunning_write({"dunning_stage_id": self.stage_call.id})
        self._run()
        letter = self._comms(self.customer).filtered(lambda c: c.channel == "letter")
        self.assertEqual(len(letter.line_ids), 40)
        report = self.env.ref("account_dunning_es.action_report_dunning_letter")
        pdf, _type = report.with_context(force_report_rendering=True)._render_qweb_pdf(
            report, res_ids=letter.ids
        )
        self.assertGreaterEqual(self._pages(pdf), 3)

    def test_legal_dossier_prints_one_pdf_with_the_letter_and_the_history(self):
        """Item 2 of issue 20: the dossier asked wkhtmltopdf for two documents
        in one call, which Debian's build refuses: a 0-byte PDF."""
        invoice = self._invoice(self.customer, 1000.0, date(2025, 6, 1))
        invoice._dunning_write({"dunning_stage_id": self.stage_final.id})
        # The final letter it refers to, then the hand-over.
        letter_comm = self.env["dunning.communication"].create(
            {
                "partner_id": self.customer.id,
                "stage_id": self.stage_final.id,
                "channel": "letter",
                "date": date(2025, 8, 20),
                "state": "sent",
                "line_ids": [
                    (
                        0,
                        0,
                        dict(
                            invoice._dunning_snapshot(date(2025, 8, 20)),
                            stage_id=self.stage_final.id,
                            cycle=invoice.dunning_cycle,
                        ),
                    )
                ],
            }
        )
        self._run()
        handover = self._comms(self.customer).filtered(lambda c: c.channel == "agency")
        self.assertEqual(len(handover), 1)
        report = self.env.ref("account_dunning_es.action_report_dunning_dossier")
        pdf, report_type = report.with_context(force_report_rendering=True)._render_qweb_pdf(
            report, res_ids=handover.ids
        )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertGreaterEqual(self._pages(pdf), 2, "the last letter, then the history")
        html = self._report_html(report, handover)
        self.assertEqual(html.count('class="article'), 1, "one document for wkhtmltopdf")
        self.assertIn(letter_comm.name, html)
