# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re
from datetime import date

import lxml.html
from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..rules import law as law_rules
from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestDunningLetter(DunningCommon):
    """Letters rendered as HTML (what the PDF is made of) on known cases."""

    today = date(2025, 10, 15)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.euro = cls.env.ref("base.EUR")
        cls.policy.write({"agency_name": "Recobros Ibéricos SL", "report_to_bureau": True})
        bank = cls.env["res.bank"].create({"name": "Banco Ejemplo"})
        cls.env["res.partner.bank"].create(
            {
                "acc_number": "ES91 2100 0418 4502 0005 1332",
                "partner_id": cls.company.partner_id.id,
                "bank_id": bank.id,
            }
        )

    def _town(self, **values):
        """A customer of the public-administration segment."""
        segment = self.env.ref("account_dunning_es.dunning_segment_public")
        return self._create_customer(
            "Ayuntamiento de Prueba", dunning_segment_id=segment.id, **values
        )

    def _letter(self, partner, invoices_due, stage, on_date=None, amounts=None):
        invoices = self.env["account.move"]
        for n, due in enumerate(invoices_due):
            invoices |= self._invoice(partner, (amounts or [1000.0] * 10)[n], due)
        invoices._dunning_write(
            {
                "dunning_stage_id": self.stages.filtered(
                    lambda s: s.sequence == stage.sequence - 10
                ).id
            }
        )
        self._run(on_date or self.today)
        comm = self._comms(partner).filtered(lambda c: c.channel == "letter")
        self.assertEqual(len(comm), 1)
        html = self._report_html("account_dunning_es.action_report_dunning_letter", comm)
        return comm, invoices, html

    @staticmethod
    def _text(html):
        """The letter as a reader sees it: no tags, spaces folded."""
        return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\xa0", " ").split())

    def assertInLetter(self, text, html):
        self.assertTrue(text in self._text(html), f"{text!r} is not in the letter")

    def assertNotInLetter(self, text, html):
        self.assertFalse(text in self._text(html), f"{text!r} is in the letter")

    def test_letter_lists_every_invoice_with_amounts_interest_and_compensation(self):
        self.company.currency_id = self.euro
        comm, invoices, html = self._letter(
            self.customer,
            [date(2025, 7, 31), date(2025, 8, 15)],
            self.stage_letter1,
            amounts=[1000.0, 500.0],
        )
        for invoice in invoices:
            self.assertInLetter(invoice.name, html)
        self.assertInLetter("First demand for payment", html)
        self.assertInLetter("Late-payment interest (Ley 3/2004)", html)
        # 1000 x 10.15 % x 76 days / 365 = 21.13 ; 500 x 10.15 % x 61 / 365 = 8.48
        letter = self.env["report.account_dunning_es.report_dunning_letter"]._letters(comm)[comm.id]
        self.assertEqual([row["interest"] for row in letter["rows"]], [21.13, 8.48])
        self.assertEqual(letter["totals"][0][1]["residual"], 1500.0)
        self.assertEqual(letter["compensation_total"], 80.0)
        self.assertInLetter("Compensation for collection costs (Ley 3/2004, art. 8)", html)
        self.assertInLetter("2 × 40.00 €", html)
        self.assertInLetter("ES91 2100 0418 4502 0005 1332", html)
        self.assertInLetter("Carmen Cobros", html)
        self.assertInLetter("+34 910 000 111", html)
        self.assertEqual(comm.letter_deadline, date(2025, 10, 25))
        self.assertInLetter("10/25/2025", html)

    def test_the_letter_states_the_total_to_pay(self):
        self.company.currency_id = self.euro
        comm, _invoices, html = self._letter(
            self.customer, [date(2025, 7, 31)], self.stage_letter1, amounts=[900.0]
        )
        letter = self.env["report.account_dunning_es.report_dunning_letter"]._letters(comm)[comm.id]
        interest = letter["rows"][0]["interest"]
        self.assertGreater(interest, 0)
        self.assertEqual(letter["to_pay"], [(self.euro, round(900.0 + interest + 40.0, 2))])
        total = f"{900.0 + interest + 40.0:,.2f} €"
        self.assertInLetter(f"Total to pay {total}", html)
        # The block is one piece a page break may not cut: due, interest,
        # compensation, total and deadline.
        block = lxml.html.fromstring(html).xpath("//div[contains(@class, 'o_dunning_total_block')]")
        self.assertEqual(len(block), 1)
        self.assertIn("o_dunning_keep", block[0].get("class"))
        text = " ".join(block[0].text_content().split())
        for part in ("Amount due", "Interest", "Compensation", "Total to pay", total, "by"):
            self.assertIn(part, text)

    def test_a_consumers_total_claims_neither_interest_nor_compensation(self):
        consumer = self._create_customer("Lucía Fernández", is_company=False)
        comm, _invoices, html = self._letter(
            consumer, [date(2025, 8, 1)], self.stage_letter1, amounts=[900.0]
        )
        letter = self.env["report.account_dunning_es.report_dunning_letter"]._letters(comm)[comm.id]
        self.assertEqual([amount for _c, amount in letter["to_pay"]], [900.0])
        self.assertRegex(self._text(html), r"Total to pay \S* ?900\.00")

    def test_the_senders_country_only_for_a_customer_abroad(self):
        self.company.partner_id.country_id = self.env.ref("base.es")
        _comm, _invoices, html = self._letter(self.customer, [date(2025, 8, 1)], self.stage_letter1)
        sender = lxml.html.fromstring(html).xpath("//div[contains(@class, 'o_dunning_sender')]")[0]
        self.assertNotIn("Spain", sender.text_content(), "a Spanish customer, a domestic letter")
        abroad = self._create_customer(
            "Lisboa Tintas Lda",
            country_id=self.env.ref("base.pt").id,
            zip="1100-148",
            city="Lisboa",
        )
        _comm, _invoices, html = self._letter(abroad, [date(2025, 8, 1)], self.stage_letter1)
        sender = lxml.html.fromstring(html).xpath("//div[contains(@class, 'o_dunning_sender')]")[0]
        self.assertIn("Spain", sender.text_content())

    def test_partial_payment_shows_paid_amount_and_reduces_interest(self):
        invoice = self._invoice(self.customer, 1000.0, date(2025, 7, 31))
        self._pay(invoice, amount=600.0, on_date=date(2025, 8, 30))
        invoice._dunning_write({"dunning_stage_id": self.stage_call.id})
        self._run()
        comm = self._comms(self.customer).filtered(lambda c: c.channel == "letter")
        letter = self.env["report.account_dunning_es.report_dunning_letter"]._letters(comm)[comm.id]
        row = letter["rows"][0]
        self.assertEqual((row["line"].amount_paid, row["line"].amount_residual), (600.0, 400.0))
        self.assertEqual(
            [(p.principal, p.days) for p in row["periods"]], [(1000.0, 30), (400.0, 46)]
        )
        self.assertAlmostEqual(
            row["interest"], round(1000 * 0.1015 * 30 / 365 + 400 * 0.1015 * 46 / 365, 2)
        )

    def test_consumer_gets_no_ley_3_2004_interest_nor_compensation(self):
        consumer = self._create_customer("Lucía Fernández", is_company=False)
        comm, _invoices, html = self._letter(consumer, [date(2025, 8, 1)], self.stage_letter1)
        self.assertNotInLetter("Late-payment interest (Ley 3/2004)", html)
        self.assertNotInLetter("Compensation for collection costs", html)
        self.assertInLetter("As a consumer, no late-payment interest is claimed", html)

    def test_consumer_owes_legal_interest_from_the_first_demand_received(self):
        """Civil Code arts. 1100 and 1108: from the demand, at each year's rate."""
        self.policy.consumer_legal_interest = True
        consumer = self._create_customer("Lucía Fernández", is_company=False)
        invoice = self._invoice(consumer, 1000.0, date(2022, 10, 1))
        invoice._dunning_write({"dunning_stage_id": self.stage_call.id})
        self._run(date(2022, 11, 25))
        first = self._comms(consumer).filtered(lambda c: c.channel == "letter")
        first_values = self.env["report.account_dunning_es.report_dunning_letter"]._letters(first)[
            first.id
        ]
        self.assertEqual(first_values["rows"][0]["interest"], 0.0, "no demand before it")
        first.write(
            {
                "sending_method": "certified",
                "delivery_outcome": "delivered",
                "receipt_date": date(2022, 12, 1),
            }
        )
        self._run(date(2023, 2, 1))
        final = self._comms(consumer).filtered(lambda c: c.channel == "letter") - first
        self.assertEqual(final.tone, "final")
        letter = self.env["report.account_dunning_es.report_dunning_letter"]._letters(final)[
            final.id
        ]
        row = letter["rows"][0]
        # From the day after the receipt of the first demand, 1 December 2022:
        # 2022-12-02..12-31: 30 days at 3.00 % (2022) = 1000 x 0.03 x 30 / 365 = 2.47
        # 2023-01-01..02-01: 32 days at 3.25 % (2023) = 1000 x 0.0325 x 32 / 365 = 2.85
        self.assertEqual(
            [(p.date_start, p.days, p.rate) for p in row["periods"]],
            [(date(2022, 12, 2), 30, 3.0), (date(2023, 1, 1), 32, 3.25)],
        )
        self.assertEqual(row["interest"], 5.32)
        self.assertEqual(row["demand"], (date(2022, 12, 1), first.name))
        self.assertEqual(letter["compensation_total"], 0.0, "no 40 EUR from a consumer")
        html = self._report_html("account_dunning_es.action_report_dunning_letter", final)
        self.assertInLetter("articles 1100 and 1108 of the Civil Code", html)
        self.assertInLetter(f"first demand {first.name} of 12/01/2022", html)
        self.assertNotInLetter("Ley 3/2004", html)

    def test_period_without_published_rate_is_stated(self):
        # The 2nd semester 2026 is not shipped (its BOE text could not be checked).
        comm, _invoices, html = self._letter(
            self.customer, [date(2026, 6, 1)], self.stage_letter1, on_date=date(2026, 7, 20)
        )
        self.assertInLetter("No legal rate published for this period yet", html)

    def test_final_letter_names_agency_and_warns_of_bureau_with_date_kept(self):
        comm, _invoices, html = self._letter(self.customer, [date(2025, 7, 1)], self.stage_final)
        self.assertInLetter("Final demand for payment", html)
        self.assertInLetter("Recobros Ibéricos SL", html)
        self.assertInLetter("procedimiento monitorio", html)
        self.assertInLetter("LOPDGDD", html)
        self.assertEqual(comm.bureau_notice_date, self.today)

    def test_switching_off_interest_and_compensation_per_policy(self):
        self.policy.write({"apply_late_interest": False, "apply_compensation": False})
        _comm, _invoices, html = self._letter(self.customer, [date(2025, 8, 1)], self.stage_letter1)
        self.assertNotInLetter("Late-payment interest", html)
        self.assertNotInLetter("Compensation for collection costs", html)

    def test_spanish_customer_gets_the_letter_in_spanish(self):
        self._activate_spanish()
        self.customer.lang = "es_ES"
        _comm, _invoices, html = self._letter(self.customer, [date(2025, 8, 1)], self.stage_letter1)
        self.assertInLetter("Primer requerimiento de pago", html)
        self.assertInLetter("Intereses de demora (Ley 3/2004)", html)

    def test_customer_letter_from_the_contact_lists_its_overdue_invoices(self):
        first = self._invoice(self.customer, 300.0, date(2025, 8, 1))
        second = self._invoice(self.customer, 200.0, date(2025, 9, 1))
        future = self._invoice(self.customer, 900.0, date(2025, 12, 1))
        with freeze_time(self.today):
            html = self._report_html(
                "account_dunning_es.action_report_dunning_letter_partner", self.customer
            )
        self.assertInLetter(first.name, html)
        self.assertInLetter(second.name, html)
        self.assertNotInLetter(future.name, html)

    def test_dossier_bundles_letter_invoices_and_history(self):
        invoice = self._invoice(self.customer, 1000.0, date(2025, 7, 1))
        for day in (
            date(2025, 7, 2),
            date(2025, 7, 11),
            date(2025, 7, 21),
            date(2025, 8, 30),
            date(2025, 9, 29),
        ):
            self._run(day)
        handover = self._comms(self.customer).filtered(lambda c: c.channel == "agency")
        self.assertEqual(len(handover), 1)
        html = self._report_html("account_dunning_es.action_report_dunning_dossier", handover)
        self.assertInLetter("Final demand for payment", html)
        self.assertInLetter("Collection dossier", html)
        self.assertInLetter(invoice.name, html)
        self.assertEqual(html.count('class="o_dunning_history"'), len(self._comms(self.customer)))

    def test_recording_delivery_asks_how_it_was_sent(self):
        """No default: ordinary post would be recorded for letters that went
        otherwise, and it proves nothing."""
        comm, _invoices, _html = self._letter(self.customer, [date(2025, 8, 1)], self.stage_letter1)
        action = comm.action_mark_letter_sent()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertFalse(wizard.sending_method)
        with self.assertRaisesRegex(UserError, "how the letters were sent"):
            wizard.action_confirm()
        self.assertFalse(comm.sending_method)

    def test_recording_delivery_by_certified_post(self):
        comm, _invoices, _html = self._letter(self.customer, [date(2025, 8, 1)], self.stage_letter1)
        action = comm.action_mark_letter_sent()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.write({"sending_method": "certified", "sending_reference": "BUROFAX-123"})
        wizard.action_confirm()
        self.assertEqual(
            (comm.sending_method, comm.sending_reference), ("certified", "BUROFAX-123")
        )

    def test_letters_sent_by_email_leave_one_email_each_with_its_pdf(self):
        comms = self.env["dunning.communication"]
        for customer in (self.customer, self.customer_2):
            comm, _invoices, _html = self._letter(customer, [date(2025, 8, 1)], self.stage_letter1)
            comm.letter_attachment_id = self.env["ir.attachment"].create(
                {
                    "name": f"{comm.name}.pdf",
                    "raw": b"%PDF-1.4 letter",
                    "res_model": "dunning.communication",
                    "res_id": comm.id,
                }
            )
            comms |= comm
        action = comms.action_mark_letter_sent()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.write({"sending_method": "email"})
        wizard.action_confirm()
        for comm in comms:
            mail = self.env["mail.mail"].search(
                [("attachment_ids", "in", comm.letter_attachment_id.ids)]
            )
            self.assertEqual(len(mail), 1, "one email per letter")
            self.assertEqual(
                (mail.state, mail.model, mail.res_id, mail.recipient_ids),
                ("outgoing", "res.partner", comm.partner_id.id, comm.partner_id),
            )
            self.assertIn(comm.name, mail.subject)
            self.assertIn(f"Please find attached our letter {comm.name}.", mail.body_html)
            self.assertIn(mail.mail_message_id, comm.partner_id.message_ids, "on its chatter")
            self.assertTrue(mail.mail_message_id.date)
            self.assertEqual(comm.sending_method, "email")

    def test_customer_print_of_a_handed_over_customer_is_a_statement_of_account(self):
        """It printed 'First demand' with 'Reference: Statement'."""
        invoice = self._invoice(self.customer, 1000.0, date(2025, 6, 1))
        invoice._dunning_write({"dunning_stage_id": self.stage_final.id})
        self._run()
        self.assertEqual(self.customer.dunning_status, "agency")
        with freeze_time(self.today):
            html = self._report_html(
                "account_dunning_es.action_report_dunning_letter_partner", self.customer
            )
        self.assertInLetter("Statement of account", html)
        self.assertInLetter(invoice.name, html)
        for demand in (
            "demand for payment",
            "Reference:",
            "Please pay these amounts by",
            "hand it over",
            "credit information system",
        ):
            self.assertNotInLetter(demand, html)
        report = self.env.ref("account_dunning_es.action_report_dunning_letter_partner")
        self.assertEqual(report.name, "Statement of Account (overdue invoices)")

    def test_letter_names_its_sender_and_is_signed_by_the_collector(self):
        """No sender where wkhtmltopdf drops the header,
        and a 'YourCompany / YourCompany' signature."""
        self.company.write(
            {
                "name": "Suministros Cobro SL",
                "vat": "ESB12345674",
                "street": "Calle Alcalá 20",
                "zip": "28014",
                "city": "Madrid",
                "country_id": self.env.ref("base.es").id,
            }
        )
        _comm, _invoices, html = self._letter(self.customer, [date(2025, 8, 1)], self.stage_letter1)
        text = self._text(html)
        sender = text.index("Suministros Cobro SL")
        self.assertLess(sender, text.index("First demand for payment"), "sender before the demand")
        self.assertInLetter("Tax ID: ESB12345674", html)
        self.assertInLetter("Calle Alcalá 20", html)
        self.assertInLetter("28014 Madrid", html)
        signature = text[text.index("Yours faithfully") :]
        for expected in (
            "Carmen Cobros",
            "Phone: +34 910 000 111",
            "Email: carmen@example.com",
            "Suministros Cobro SL",
        ):
            self.assertIn(expected, signature)

    def test_letters_are_a4_and_keep_the_payment_block_on_one_page(self):
        for xmlid in (
            "action_report_dunning_letter",
            "action_report_dunning_letter_partner",
            "action_report_dunning_dossier",
        ):
            report = self.env.ref(f"account_dunning_es.{xmlid}")
            self.assertEqual(report.get_paperformat().format, "A4", xmlid)
        _comm, _invoices, html = self._letter(self.customer, [date(2025, 8, 1)], self.stage_letter1)
        self.assertIn("page-break-inside: avoid", html)
        how_to_pay = re.search(r'<div[^>]*name="how_to_pay"[^>]*>', html).group(0)
        self.assertIn("o_dunning_keep", how_to_pay)
        signature = re.search(r'<div[^>]*class="o_dunning_signature[^"]*"', html).group(0)
        self.assertIn("o_dunning_keep", signature)

    # ------------------------------------------------------------------
    # Who gets what: the late-payment regime of the customer
    # ------------------------------------------------------------------
    def test_regime_defaults_from_segment_company_flag_and_tax_id(self):
        default_regime = law_rules.default_regime
        self.assertEqual(default_regime(True, True, True), "administration")
        self.assertEqual(default_regime(False, True, False), "business")
        self.assertEqual(default_regime(False, False, True), "business", "an autónomo")
        self.assertEqual(default_regime(False, False, False), "consumer")
        autonomo = self._create_customer("Javier Ruiz", is_company=False, vat="ES12345678Z")
        self.assertEqual(autonomo.dunning_regime, "business")
        public = self._town()
        self.assertEqual(public.dunning_regime, "administration")
        self.assertEqual(
            self._create_customer("Lucía Fernández", is_company=False).dunning_regime, "consumer"
        )

    def test_autonomo_with_a_tax_id_gets_ley_3_2004_interest_and_40_eur(self):
        """Ley 3/2004 art. 2 a): a natural person acting in a professional activity."""
        self.company.currency_id = self.euro
        autonomo = self._create_customer("Javier Ruiz", is_company=False, vat="ES12345678Z")
        comm, _invoices, html = self._letter(autonomo, [date(2025, 7, 31)], self.stage_letter1)
        self.assertInLetter("Late-payment interest (Ley 3/2004)", html)
        self.assertInLetter("1 × 40.00 €", html)
        self.assertNotInLetter("As a consumer", html)
        letter = self.env["report.account_dunning_es.report_dunning_letter"]._letters(comm)[comm.id]
        self.assertEqual(letter["rows"][0]["interest"], 21.13)  # 1000 x 10.15 % x 76 / 365
        self.assertEqual(letter["compensation_total"], 40.0)

    def test_the_accountant_can_make_a_company_a_consumer(self):
        self.customer.dunning_regime = "consumer"
        _comm, _invoices, html = self._letter(self.customer, [date(2025, 8, 1)], self.stage_letter1)
        self.assertNotInLetter("Late-payment interest (Ley 3/2004)", html)
        self.assertNotInLetter("Compensation for collection costs", html)

    def test_administration_final_letter_names_the_lcsp_route_only(self):
        self.company.currency_id = self.euro
        town = self._town(vat="ESP2807900B")
        comm, invoices, html = self._letter(town, [date(2025, 7, 1)], self.stage_final)
        self.assertEqual(town.dunning_regime, "administration")
        self.assertInLetter("article 199 of Ley 9/2017 on Public Sector Contracts (LCSP)", html)
        self.assertInLetter("contentious-administrative appeal", html)
        self.assertInLetter("immediate payment of the debt", html)
        for never in (
            "monitorio",
            "collection agency",
            "Recobros Ibéricos",
            "LOPDGDD",
            "credit information system",
        ):
            self.assertNotInLetter(never, html)
        self.assertFalse(comm.bureau_notice_date, "no credit-bureau notice to an administration")
        # Ley 3/2004 interest and the 40 EUR still apply to an administration.
        self.assertInLetter("Late-payment interest (Ley 3/2004)", html)
        self.assertInLetter("1 × 40.00 €", html)

    def test_administration_interest_runs_30_days_after_conformity_and_shows_face(self):
        town = self._town()
        invoice = self._invoice(town, 1000.0, date(2025, 7, 31))
        invoice.write(
            {
                "dunning_face_number": "REGAGE25e00012345678",
                "dunning_conformity_date": date(2025, 8, 10),
            }
        )
        invoice._dunning_write({"dunning_stage_id": self.stage_call.id})
        self._run()
        comm = self._comms(town).filtered(lambda c: c.channel == "letter")
        html = self._report_html("account_dunning_es.action_report_dunning_letter", comm)
        self.assertInLetter("FACe: REGAGE25e00012345678", html)
        self.assertInLetter("Conformity: 08/10/2025", html)
        letter = self.env["report.account_dunning_es.report_dunning_letter"]._letters(comm)[comm.id]
        period = letter["rows"][0]["periods"][0]
        # LCSP 198.4: due 30 days after 10 August, interest from 10 September:
        # 1000 x 10.15 % x 36 days (to 15 October) / 365 = 10.01
        self.assertEqual((period.date_start, period.days), (date(2025, 9, 10), 36))
        self.assertEqual(letter["rows"][0]["interest"], 10.01)

    def test_spanish_administration_and_consumer_letters_read_in_spanish(self):
        self._activate_spanish()
        town = self._town(lang="es_ES")
        _comm, _invoices, html = self._letter(town, [date(2025, 7, 1)], self.stage_final)
        self.assertInLetter(
            "reclamación por escrito del cumplimiento de la obligación de pago "
            "prevista en el artículo 199 de la Ley 9/2017",
            html,
        )
        self.assertInLetter("recurso contencioso-administrativo contra la inactividad", html)
        self.assertNotInLetter("monitorio", html)
        self.policy.consumer_legal_interest = True
        consumer = self._create_customer("Lucía Fernández", is_company=False, lang="es_ES")
        _comm, _invoices, html = self._letter(consumer, [date(2025, 8, 1)], self.stage_letter1)
        self.assertInLetter("Conforme a los artículos 1100 y 1108 del Código Civil", html)
        self.assertInLetter("esta carta es nuestro primer requerimiento", html)
