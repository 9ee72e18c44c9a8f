# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import io
import os
from datetime import date

import lxml.html
from PIL import Image, ImageChops

from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import format_date
from odoo.tools.pdf import PdfFileReader

from ..infrastructure import report_fonts
from ..models.ir_actions_report import join_documents, prepare_document, split_runs
from .common import DunningCommon, pdf_fonts, pdf_text, poppler


@tagged("post_install", "-at_install")
class TestBatchPieces(TransactionCase):
    def test_runs_of_documents_to_render_cut_for_the_workers(self):
        self.assertEqual(split_runs([True] * 5, 2), [(0, 3), (3, 5)])
        # A stored document (False) is never inside a piece.
        self.assertEqual(split_runs([True, True, False, True], 2), [(0, 2), (3, 4)])
        self.assertEqual(split_runs([False, False], 2), [])
        self.assertEqual(split_runs([True] * 3, 8), [(0, 1), (1, 2), (2, 3)])

    def test_documents_joined_one_page_after_the_other(self):
        def doc(text):
            return f"<html><head><style>p{{}}</style></head><body><p>{text}</p></body></html>"

        joined = join_documents([doc("uno"), doc("dos"), doc("tres")])
        self.assertEqual(joined.count("<style>"), 1, "the styles once")
        self.assertEqual(joined.count("page-break-before: always"), 2)
        self.assertLess(joined.index("uno"), joined.index("dos"))
        self.assertLess(joined.index("dos"), joined.index("tres"))


@tagged("post_install", "-at_install")
class TestReportFonts(TransactionCase):
    """Odoo's report fonts asked for as installed fonts, so that an
    unpatched wkhtmltopdf embeds them rather than drawing shapes."""

    fonts = {"Lato": ("Lato", "/f/lato"), "Open_Sans": ("Open Sans", "/f/open")}

    def test_each_css_family_asks_for_the_family_of_its_font_files(self):
        css = report_fonts.local_fonts_css(self.fonts)
        self.assertIn(
            "@font-face{font-family:'Open_Sans';src:local('Open Sans');"
            "font-weight:700;font-style:italic}",
            css,
        )
        self.assertIn("font-family:'Lato';src:local('Lato');font-weight:100;font-style:normal", css)
        self.assertEqual(css.count("@font-face"), 2 * 5 * 2, "5 weights, upright and italic")
        self.assertNotIn("url(", css, "never the web font")

    def test_the_rules_come_after_the_documents_own_styles(self):
        html = '<html><head><link href="/report.css"/></head><body><p>x</p></body></html>'
        prepared = report_fonts.with_local_fonts(html, self.fonts)
        self.assertLess(prepared.index("/report.css"), prepared.index("local('Lato')"))
        self.assertLess(prepared.index("local('Lato')"), prepared.index("</head>"))
        self.assertEqual(report_fonts.with_local_fonts(html, {}), html, "no font: as it was")
        self.assertEqual(report_fonts.with_local_fonts("<p>x</p>", self.fonts), "<p>x</p>")

    def test_fontconfig_keeps_the_system_fonts_and_adds_odoos(self):
        document = report_fonts.fontconfig_document(["/f/lato", "/f/open"], "/c", "/etc/x")
        self.assertLess(document.index("<include"), document.index("<dir>/f/lato</dir>"))
        self.assertIn('<include ignore_missing="yes">/etc/x</include>', document)
        self.assertIn("<cachedir>/c</cachedir>", document)

    def test_odoos_fonts_are_found_on_disk(self):
        found = report_fonts.font_folders()
        self.assertEqual(found["Lato"][0], "Lato")
        self.assertTrue(os.path.isfile(os.path.join(found["Lato"][1], "Lato-Reg-webfont.ttf")))
        self.assertIn("Open_Sans", found)

    def test_a_very_large_table_is_cut_as_odoo_cuts_it(self):
        rows = "".join(f"<tr><td>{'x' * 9000} {i}</td></tr>" for i in range(600))
        html = f"<html><head></head><body><table>{rows}</table></body></html>"
        prepared = prepare_document(html)
        self.assertEqual(prepared.count("<table"), 2, "600 rows: tables of 500 and 100")
        self.assertIn("x 599</td>", prepared)


@tagged("post_install", "-at_install")
class TestDunningLetterPdf(DunningCommon, HttpCase):
    """Letters through wkhtmltopdf, styled by this test's own server: real
    PDFs, one letter per customer, attached and posted, their text read
    back (Odoo's fonts embedded as fonts, even by Debian's wkhtmltopdf);
    the letters' full content is tested on the HTML (test_dunning_letter).
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
        text = pdf_text(pdf)
        self.assertLess(text.index(self.customer.name), text.index(self.customer_2.name))

    def test_a_letter_is_printed_as_text_in_the_companys_font(self):
        """The text of a printed letter is text (searchable, read
        back here), set in Odoo's own Lato, not shapes drawn glyph by glyph."""
        invoice = self._invoice(self.customer, 1234.56, date(2025, 8, 1))
        invoice._dunning_write({"dunning_stage_id": self.stage_call.id})
        self._run()
        letter = self._comms(self.customer).filtered(lambda c: c.channel == "letter")
        report = self.env.ref("account_dunning_es.action_report_dunning_letter")
        pdf, _type = report.with_context(force_report_rendering=True)._render_qweb_pdf(
            report, res_ids=letter.ids
        )
        text = pdf_text(pdf)
        self.assertIn(self.customer.name, text)
        self.assertIn(invoice.name, text)
        self.assertIn("1,234.56", text)
        self.assertIn(letter.name, text)
        fonts = pdf_fonts(pdf)
        self.assertTrue(any("Lato" in font for font in fonts), fonts)

    def _page_images(self, pdf):
        """Each page as a small grey picture (pdftoppm), to compare pages as
        they look, not only by their text."""
        pages = poppler(pdf, "pdftoppm", "-r", "20", "-gray", "-png", "{pdf}", "{out}")
        return [Image.open(io.BytesIO(page)).convert("L") for page in pages]

    def test_a_batch_keeps_each_letter_its_pages_and_its_place(self):
        """A printed batch is rendered once and converted in pieces
        in parallel; stored letters are reused; same pages, same order."""
        customers = self.customer + self.customer_2
        for name in ("Ceramicas Sur SL", "Dulces Norte SL"):
            customers |= self._create_customer(name)
        for n, customer in enumerate(customers):
            count = 40 if n == 1 else 1 + n
            invoices = self.env["account.move"]
            for i in range(count):
                invoices |= self._invoice(customer, 100.0 * (n + 1) + i, date(2025, 7, 1 + i % 28))
            invoices._dunning_write({"dunning_stage_id": self.stage_call.id})
        self._run()
        letters = self.env["dunning.communication"].search(
            [("channel", "=", "letter"), ("partner_id", "in", customers.ids)], order="id"
        )
        self.assertEqual(len(letters), 4)
        report = self.env.ref("account_dunning_es.action_report_dunning_letter").with_context(
            force_report_rendering=True
        )
        alone = [report._render_qweb_pdf(report, res_ids=letter.ids)[0] for letter in letters]
        # The third letter's PDF stays stored (reused); the others are rendered.
        self.env["ir.attachment"].search(
            [("res_model", "=", "dunning.communication"), ("res_id", "!=", letters[2].id)]
        ).unlink()
        self.env["ir.config_parameter"].sudo().set_param("account_dunning_es.pdf_workers", "2")
        order = letters[3] | letters[0] | letters[2] | letters[1]
        batch, _type = report._render_qweb_pdf(report, res_ids=order.ids)
        by_id = dict(zip(letters.ids, alone, strict=True))
        expected = [page for letter in order for page in self._page_images(by_id[letter.id])]
        pages = self._page_images(batch)
        self.assertEqual(len(pages), len(expected), "every page of every letter, once")
        self.assertGreater(len(pages), len(letters), "the 40-invoice letter spans pages")
        for index, page in enumerate(pages):
            differences = [
                sum(ImageChops.difference(page.resize(other.size), other).getdata())
                for other in expected
            ]
            self.assertEqual(
                differences.index(min(differences)), index, f"page {index + 1} in its place"
            )
        # Read back as text: the customers in the order asked, each once first.
        text = pdf_text(batch)
        starts = [text.index(letter.partner_id.name) for letter in order]
        self.assertEqual(starts, sorted(starts), "the letters in the order asked")

    def test_the_total_block_is_never_cut_by_a_page_break(self):
        """Letters of 1 to 18 invoices move the total block down more than a
        page: on every one it stays whole on one page, with the total."""
        customers = self.env["res.partner"]
        for count in range(1, 19):
            customer = self._create_customer(f"Cliente{count} Pruebas SL")
            customers |= customer
            invoices = self.env["account.move"]
            for n in range(count):
                invoices |= self._invoice(customer, 900.0 + n, date(2025, 7, 1 + n))
            invoices._dunning_write({"dunning_stage_id": self.stage_call.id})
        self._run()
        letters = self.env["dunning.communication"].search(
            [("channel", "=", "letter"), ("partner_id", "in", customers.ids)]
        )
        self.assertEqual(len(letters), 18)
        values = self.env["report.account_dunning_es.report_dunning_letter"]._letters(letters)
        report = self.env.ref("account_dunning_es.action_report_dunning_letter").with_context(
            force_report_rendering=True
        )
        later_pages = 0
        for letter in letters:
            pdf = report._render_qweb_pdf(report, res_ids=letter.ids)[0]
            pages = [" ".join(page.split()) for page in pdf_text(pdf).split("\f")]
            holding = [n for n, page in enumerate(pages) if "Total claimed" in page]
            self.assertEqual(len(holding), 1, letter.partner_id.name)
            page = pages[holding[0]]
            ((currency, amount),) = values[letter.id]["to_pay"]
            where = f"{letter.partner_id.name}, page {holding[0] + 1}"
            for part in (
                "Amount due",
                "Interest",
                "Compensation for collection costs",
                "Total to pay",
                "Please pay these amounts by",
            ):
                self.assertIn(part, page, where)
            self.assertIn(f"{amount:,.2f}", page.split("Total to pay", 1)[1][:20], where)
            later_pages += holding[0] > 0
        self.assertTrue(later_pages, "some letters have the block past their first page")

    def test_the_letters_note_on_the_chatter_is_in_the_companys_language(self):
        """Read by everyone of a Spanish company: in Spanish, its date and
        amount as Spanish readers write them, whoever ran the job."""
        self._activate_spanish()
        self.company.partner_id.lang = "es_ES"
        invoice = self._invoice(self.customer, 900.0, date(2025, 8, 1))
        invoice._dunning_write({"dunning_stage_id": self.stage_call.id})
        self._run()
        letter = self._comms(self.customer).filtered(lambda c: c.channel == "letter")
        letter.with_context(force_report_rendering=True, lang="en_US")._generate_letter_pdf()
        note = self.customer.message_ids.filtered(lambda m: letter.name in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("carta de requerimiento", note.body)
        spanish = self.env(context={"lang": "es_ES"})
        self.assertIn(format_date(spanish, letter.letter_deadline), note.body)
        self.assertIn("900,00", note.body)
        self.assertEqual(note.dunning_partner_id, self.customer)

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
        """The dossier asked wkhtmltopdf for two documents
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
        # The letter as it was sent: the recipient in the window envelope's
        # place, on the right, as web.address_layout puts it.
        address = lxml.html.fromstring(html).xpath(
            "//div[contains(@class, 'o_dunning_dossier_letter')]"
            "/div[contains(@class, 'address')]/div[contains(@class, 'ms-auto')]"
        )
        self.assertEqual(len(address), 1)
        self.assertIn(self.customer.name, address[0].text_content())
