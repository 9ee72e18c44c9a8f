# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""From the last letter to court: LO 1/2025's negotiation attempt and the
monitorio pack."""

import base64
import io
from datetime import date, timedelta

import lxml.html
from freezegun import freeze_time
from reportlab.pdfgen import canvas

from odoo.exceptions import UserError
from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import format_date
from odoo.tools.pdf import PdfFileReader

from ..models.ir_actions_report import header_into_body
from ..rules import court
from .common import DunningCommon, pdf_text

PROOF = "account_dunning_es.action_report_dunning_masc_proof"
PETITION = "account_dunning_es.action_report_dunning_monitorio"

D = date(2026, 3, 2)


@tagged("post_install", "-at_install")
class TestCourtRules(TransactionCase):
    """The rules alone, without the database."""

    def test_the_answer_period_is_30_days_from_receipt_or_the_longer_offer_period(self):
        self.assertEqual(court.masc_window_end(D, "invitation"), D + timedelta(days=30))
        self.assertEqual(court.masc_window_end(D, "offer", 45), D + timedelta(days=45))
        self.assertEqual(court.masc_window_end(D, "offer", 10), D + timedelta(days=30))
        self.assertIsNone(court.masc_window_end(None, "invitation"))

    def test_a_hand_over_needs_a_received_attempt_whose_period_ended_without_agreement(self):
        end = D + timedelta(days=30)
        received = ("burofax", "delivered", D, end, "pending")
        self.assertEqual(court.masc_allows_handover([], end).reason, "no_attempt")
        self.assertEqual(court.masc_allows_handover([received], end).reason, "window_open")
        self.assertTrue(court.masc_allows_handover([received], end + timedelta(days=1)).allowed)
        by_email = ("email", "delivered", D, end, "pending")
        self.assertEqual(
            court.masc_allows_handover([by_email], end + timedelta(days=1)).reason,
            "not_received",
        )
        agreed = ("burofax", "delivered", D, end, "accepted")
        self.assertEqual(
            court.masc_allows_handover([agreed], end + timedelta(days=9)).reason, "agreed"
        )

    def test_only_channels_that_prove_receipt_and_content_count(self):
        for method in ("burofax", "certified_email", "certified"):
            self.assertTrue(court.masc_method_allowed(method))
        for method in ("email", "post", "hand", "sms", None):
            self.assertFalse(court.masc_method_allowed(method))

    def test_lawyer_above_2000_eur_and_instalments_that_add_up(self):
        self.assertFalse(court.needs_lawyer(2000.0))
        self.assertTrue(court.needs_lawyer(2000.01))
        plan = court.split_instalments(1000.0, 3, D)
        self.assertEqual([a for _d, a in plan], [333.33, 333.33, 333.34])
        self.assertEqual(plan[2][0], D + timedelta(days=60))
        self.assertEqual(court.competent_court("Getafe", "Madrid"), "Getafe (Madrid)")
        self.assertEqual(court.competent_court("Madrid", "Madrid"), "Madrid")
        self.assertEqual(court.competent_court("Bilbao", "Bizkaia (Vizcaya)"), "Bilbao (Bizkaia)")


@tagged("post_install", "-at_install")
class TestCourtEvidence(TransactionCase):
    def test_what_a_letter_proves_comes_from_its_recorded_sending(self):
        self.assertEqual(court.letter_evidence(False, False, False, False), "not_sent")
        self.assertEqual(court.letter_evidence("post", "delivered", D, True), "no_proof")
        self.assertEqual(court.letter_evidence("burofax", "returned", D, True), "no_proof")
        self.assertEqual(court.letter_evidence("burofax", "delivered", False, True), "no_proof")
        self.assertEqual(
            court.letter_evidence("certified", "delivered", D, False), "no_certificate"
        )
        self.assertEqual(court.letter_evidence("burofax", "delivered", D, True), "proven")

    def test_the_layouts_header_and_footer_are_printed_in_the_body(self):
        html = (
            "<html><body><main>"
            '<div class="o_dunning_court_seller">Issued by Demo</div>'
            '<div class="header o_company_1_layout"><p>Demo SL, Calle 1</p></div>'
            '<div class="article" data-oe-id="7"><p>Invoice</p><div class="x">y</div></div>'
            '<div class="footer o_company_1_layout"><p>NIF B1</p></div>'
            '<div class="header"><p>Demo SL again</p></div>'
            '<div class="article" data-oe-id="8"><p>Invoice 2</p></div>'
            '<div class="footer"><p>NIF B1 again</p></div>'
            "</main></body></html>"
        )
        moved = header_into_body(html).decode()
        self.assertNotIn('class="header', moved)
        self.assertNotIn('class="footer', moved)
        first = moved.index('data-oe-id="7"')
        second = moved.index('data-oe-id="8"')
        self.assertLess(first, moved.index("Issued by Demo"))
        self.assertLess(moved.index("Issued by Demo"), moved.index("Demo SL, Calle 1"))
        self.assertLess(moved.index("Demo SL, Calle 1"), moved.index("<p>Invoice</p>"))
        self.assertLess(moved.index("<p>Invoice</p>"), moved.index("NIF B1"))
        self.assertLess(moved.index("NIF B1"), second, "each footer in its own document")
        self.assertLess(second, moved.index("Demo SL again"))
        self.assertLess(second, moved.index("NIF B1 again"))


class CourtCommon(DunningCommon):
    """The test policy with a negotiation stage at +70 days, between the final
    letter (+60) and the hand-over to the agency (+90)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stage_masc = cls.env["dunning.stage"].create(
            {
                "policy_id": cls.policy.id,
                "name": "Negotiation attempt",
                "sequence": 55,
                "offset_days": 70,
                "tone": "final",
                "negotiation": True,
            }
        )
        cls.customer.write(
            {"vat": "ESA12345674", "street": "Calle Mayor 1", "zip": "28013", "city": "Madrid"}
        )

    def _negotiation(self, amount=1500.0, partner=None):
        """An invoice 75 days overdue at the final letter: the run issues the
        negotiation stage today."""
        partner = partner or self.customer
        invoice = self._invoice(partner, amount, self._due(-75))
        invoice._dunning_write(
            {"dunning_stage_id": self.stage_final.id, "dunning_last_date": self._due(-15)}
        )
        self._run()
        comm = self._comms(partner, channel="negotiation")
        return invoice, comm, comm.negotiation_ids

    def _deliver(self, comm, method="burofax", received=None, **values):
        action = comm.action_mark_letter_sent()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.write(
            dict(
                {
                    "sending_method": method,
                    "sending_reference": "BF-2026-0042",
                    "sending_date": self.today,
                    "delivery_outcome": "delivered",
                    "receipt_date": received or self._due(3),
                },
                **values,
            )
        )
        wizard.action_confirm()

    def _handovers(self, partner=None):
        return self._comms(partner or self.customer, channel="agency")

    def _letter(self, invoice, cycle=0, **values):
        """A demand letter of the final stage issued for the invoice (in an
        earlier dunning cycle when ``cycle`` is negative), with what is
        recorded of its sending."""
        return self.env["dunning.communication"].create(
            dict(
                {
                    "partner_id": invoice.partner_id.id,
                    "stage_id": self.stage_final.id,
                    "channel": "letter",
                    "date": self._due(-15),
                    "state": "sent",
                    "line_ids": [
                        (
                            0,
                            0,
                            dict(
                                invoice._dunning_snapshot(self._due(-15)),
                                stage_id=self.stage_final.id,
                                cycle=invoice.dunning_cycle + cycle,
                            ),
                        )
                    ],
                },
                **values,
            )
        )


@tagged("post_install", "-at_install")
class TestNegotiationAttempt(CourtCommon):
    def test_the_negotiation_stage_is_issued_before_the_hand_over(self):
        invoice, comm, negotiation = self._negotiation()
        self.assertEqual(len(comm), 1)
        self.assertEqual(comm.state, "sent")
        self.assertEqual(negotiation.form, "invitation", "the safer default")
        self.assertEqual(negotiation.move_ids, invoice)
        self.assertEqual(negotiation.status, "to_send")
        # Past the hand-over's day (+90), nothing received: no hand-over.
        self._run(on_date=self._due(20))
        self.assertFalse(self._handovers())
        self.assertEqual(invoice.dunning_stage_id, self.stage_masc)

    def test_the_collector_may_switch_to_an_offer_until_it_is_received(self):
        _invoice, comm, negotiation = self._negotiation()
        negotiation.document_attachment_id = self.env["ir.attachment"].create(
            {"name": "old.pdf", "raw": b"%PDF-1.4"}
        )
        negotiation.write({"form": "offer", "acceptance_days": 40})
        self.assertFalse(negotiation.document_attachment_id, "rendered again by the letter job")
        html = self._report_html(
            "account_dunning_es.action_report_dunning_negotiation", negotiation
        )
        self.assertIn("Binding confidential offer", html)
        self.assertIn("CONFIDENTIAL", html)
        self.assertNotIn("Final demand", html, "a document of its own, not a demand letter")
        self._deliver(comm, received=self._due(2))
        with self.assertRaisesRegex(UserError, "cannot change"):
            negotiation.form = "invitation"

    def test_email_post_or_sms_are_refused_with_a_clear_message(self):
        _invoice, comm, negotiation = self._negotiation()
        for method in ("email", "post", "hand"):
            with self.assertRaisesRegex(UserError, "LO 1/2025 art. 10"):
                self._deliver(comm, method=method)
        self.assertFalse(negotiation.window_end)
        with self.assertRaisesRegex(UserError, "SMS"):
            self._deliver(comm, method="email")

    def test_the_hand_over_waits_for_receipt_plus_30_days_and_comes_the_day_after(self):
        _invoice, comm, negotiation = self._negotiation()
        received = self._due(5)
        self._deliver(comm, received=received)
        end = received + timedelta(days=30)
        self.assertEqual(negotiation.window_end, end)
        self._run(on_date=end)
        self.assertFalse(self._handovers(), "the last day of the period is the customer's")
        self._run(on_date=end + timedelta(days=1))
        self.assertEqual(len(self._handovers()), 1)
        with freeze_time(end + timedelta(days=1)):
            negotiation.invalidate_recordset(["status"])
            self.assertEqual(negotiation.status, "ready")
            self.assertIn(
                negotiation, self.env["dunning.negotiation"].search([("status", "=", "ready")])
            )

    def test_an_offer_waits_for_its_longer_acceptance_period(self):
        self.policy.write({"masc_form": "offer", "masc_acceptance_days": 45})
        _invoice, comm, negotiation = self._negotiation()
        self._deliver(comm, received=self._due(2))
        self.assertEqual(negotiation.window_end, self._due(47))
        self._run(on_date=self._due(40))
        self.assertFalse(self._handovers())
        self._run(on_date=self._due(48))
        self.assertTrue(self._handovers())

    def test_an_accepted_offer_becomes_a_promise_with_its_plan_and_stops_the_hand_over(self):
        self.policy.write(
            {"masc_form": "offer", "masc_offer_kind": "plan", "masc_offer_instalments": 3}
        )
        invoice, comm, negotiation = self._negotiation(amount=900.0)
        self._deliver(comm, received=self._due(3))
        with freeze_time(self._due(10)):
            negotiation.action_accept()
        promise = negotiation.promise_id
        self.assertEqual(negotiation.outcome, "accepted")
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.move_ids, invoice)
        self.assertEqual(promise.instalment_ids.mapped("amount"), [300.0, 300.0, 300.0])
        self.assertEqual(promise.instalment_ids[0].date, self._due(40))
        self._run(on_date=self._due(45))
        self.assertFalse(self._handovers(), "an agreement ends the road to court")
        with self.assertRaises(UserError):
            negotiation.action_reject()

    def test_an_administration_never_gets_the_negotiation_stage(self):
        self.customer_2.dunning_regime = "administration"
        invoice, comm, negotiation = self._negotiation(partner=self.customer_2)
        self.assertFalse(comm)
        self.assertFalse(negotiation)
        self._run(on_date=self._due(16))
        self.assertEqual(invoice.dunning_stage_id, self.stage_agency)
        self.assertEqual(len(self._handovers(self.customer_2)), 1)

    def test_an_amount_over_2000_eur_is_marked_as_needing_a_lawyer(self):
        _invoice, _comm, small = self._negotiation(amount=1500.0)
        _invoice2, _comm2, large = self._negotiation(amount=2500.0, partner=self.customer_2)
        self.assertFalse(small.lawyer_required)
        self.assertTrue(large.lawyer_required)
        self.assertIn(
            large, self.env["dunning.negotiation"].search([("lawyer_required", "=", True)])
        )

    def test_without_an_answer_the_daily_job_records_no_answer(self):
        _invoice, comm, negotiation = self._negotiation()
        self._deliver(comm, received=self._due(1))
        self.env["dunning.negotiation"]._close_expired(self.company, self._due(31))
        self.assertEqual(negotiation.outcome, "pending")
        self.env["dunning.negotiation"]._close_expired(self.company, self._due(32))
        self.assertEqual(
            (negotiation.outcome, negotiation.outcome_date), ("no_answer", self._due(32))
        )

    def test_the_proof_and_the_petition_name_parties_invoices_totals_and_dates(self):
        invoice, comm, negotiation = self._negotiation(amount=1200.0)
        second = self._invoice(self.customer, 800.0, self._due(-75))
        self._deliver(comm, received=self._due(4))
        with freeze_time(self._due(40)):
            proof = self._report_html(
                "account_dunning_es.action_report_dunning_masc_proof", negotiation
            )
            petition = self._report_html(
                "account_dunning_es.action_report_dunning_monitorio", negotiation
            )
        for html in (proof, petition):
            for text in (
                self.company.name,
                "Talleres Prueba SL",
                "ESA12345674",
                invoice.name,
                "BF-2026-0042",
                format_date(self.env, self._due(4)),
                format_date(self.env, self._due(34)),
            ):
                self.assertIn(text, html)
            self.assertNotIn(second.name, html, "the attempt covered one invoice only")
        self.assertIn(format_date(self.env, self.today), proof, "the day it was sent")
        self.assertIn("1,200.00", proof)
        self.assertIn("Article 10", proof)
        self.assertIn("MADRID", petition, "the court of the debtor's domicile (LEC 813)")
        self.assertIn("814.2", petition)
        self.assertIn("40.00", petition, "the compensation of Ley 3/2004 art. 8")
        # The 1,200 of principal, the interest to the petition date, 40 EUR.
        claim = negotiation._claim_on(self._due(40), current=True)
        self.assertEqual(claim["principal"], 1200.0)
        self.assertGreater(claim["interest"], 0)
        self.assertEqual(claim["total"], claim["principal"] + claim["interest"] + 40.0)
        self.assertIn(f"{claim['total']:,.2f}", petition)
        documents = negotiation._pack_documents()
        self.assertEqual(
            [d["kind"] for d in documents],
            ["invoice", "masc", "statement"],
            "no certificate recorded: none listed",
        )

    def test_no_document_for_the_court_before_the_answer_period_has_ended(self):
        _invoice, comm, negotiation = self._negotiation()
        with self.assertRaisesRegex(UserError, "receipt by the customer is not recorded"):
            self._report_html(PROOF, negotiation)
        self._deliver(comm, received=self._due(4))  # the period ends on _due(34)
        for day in (self._due(10), self._due(34)):
            with freeze_time(day):
                negotiation.invalidate_recordset(["status"])
                self.assertEqual(negotiation.status, "waiting")
                for report in (PROOF, PETITION):
                    with self.assertRaisesRegex(UserError, "not ready for court") as caught:
                        self._report_html(report, negotiation)
                    self.assertIn(format_date(self.env, self._due(34)), str(caught.exception))
                with self.assertRaisesRegex(UserError, "not ready for court"):
                    negotiation.action_build_pack()
        with freeze_time(self._due(35)):
            negotiation.invalidate_recordset(["status"])
            proof = self._report_html(PROOF, negotiation)
        self.assertIn("without agreement", proof)
        self.assertIn("No answer", proof)
        self.assertNotIn("Waiting for an Answer", proof)

    def test_an_agreed_attempt_has_no_document_for_the_court(self):
        _invoice, comm, negotiation = self._negotiation()
        self._deliver(comm, received=self._due(4))
        with freeze_time(self._due(10)):
            negotiation.action_accept()
        with freeze_time(self._due(60)):
            negotiation.invalidate_recordset(["status"])
            with self.assertRaisesRegex(UserError, "agreement"):
                self._report_html(PROOF, negotiation)

    def test_the_petition_says_of_each_letter_only_what_is_recorded(self):
        invoice, comm, negotiation = self._negotiation(amount=1500.0)
        sent = {"sending_date": self._due(-14)}
        certificate = base64.b64encode(b"%PDF-1.4 certificate")
        unsent = self._letter(invoice)
        post = self._letter(
            invoice, cycle=-1, sending_method="post", delivery_outcome="sent", **sent
        )
        no_cert = self._letter(
            invoice,
            cycle=-2,
            sending_method="burofax",
            sending_reference="BF-7",
            delivery_outcome="delivered",
            receipt_date=self._due(-12),
            **sent,
        )
        proven = self._letter(
            invoice,
            cycle=-3,
            sending_method="burofax",
            sending_reference="BF-8",
            delivery_outcome="delivered",
            receipt_date=self._due(-12),
            delivery_proof=certificate,
            delivery_proof_name="bf8.pdf",
            **sent,
        )
        self._deliver(comm, received=self._due(2))  # its certificate not attached
        with freeze_time(self._due(40)):
            negotiation.invalidate_recordset()
            gaps = negotiation.evidence_missing
            documents = negotiation._pack_documents()
            petition = self._report_html(PETITION, negotiation)
        self.assertEqual(
            [(d["kind"], d["record"]) for d in documents],
            [
                ("invoice", invoice),
                ("letter", post),
                ("letter", no_cert),
                ("letter", proven),
                ("certificate", proven),
                ("masc", negotiation),
                ("statement", self.customer),
            ],
            "the letter never sent is left out; only attached certificates are listed",
        )
        self.assertNotIn("with their delivery certificates", petition)
        self.assertNotIn(unsent.name, petition)
        items = {
            item.get("data-evidence"): " ".join(item.text_content().split())
            for item in lxml.html.fromstring(petition).xpath("//li[@data-evidence]")
        }
        self.assertEqual(set(items), {"no_proof", "no_certificate", "proven"})
        self.assertIn(post.name, items["no_proof"])
        self.assertIn("without proof of receipt", items["no_proof"])
        self.assertIn(no_cert.name, items["no_certificate"])
        self.assertIn("certificate is not attached", items["no_certificate"])
        self.assertIn(proven.name, items["proven"])
        self.assertIn("its delivery certificate is document 5", items["proven"])
        # The collector is told, before printing, what is missing.
        self.assertIn(f"{negotiation.name} is not attached", gaps)
        self.assertIn(f"{unsent.name} has no sending recorded", gaps)
        self.assertIn(f"{post.name} was sent without proof of receipt", gaps)
        self.assertIn(f"{no_cert.name} has its receipt recorded but no certificate", gaps)
        self.assertNotIn(proven.name, gaps)
        # Once everything is proven, nothing is missing.
        unsent.unlink()
        (post | no_cert).unlink()
        comm.write({"delivery_proof": certificate, "delivery_proof_name": "masc.pdf"})
        with freeze_time(self._due(40)):
            negotiation.invalidate_recordset()
            self.assertFalse(negotiation.evidence_missing)

    def test_the_dossier_of_the_hand_over_shows_the_attempt(self):
        _invoice, comm, negotiation = self._negotiation()
        self._deliver(comm, received=self._due(1))
        self._run(on_date=self._due(32))
        handover = self._handovers()
        html = self._report_html("account_dunning_es.action_report_dunning_dossier", handover)
        self.assertIn("Ley Orgánica 1/2025", html)
        self.assertIn(negotiation.name, html)
        self.assertIn(format_date(self.env, self._due(31)), html)
        # The attempt's section is one piece a page break may not cut.
        section = lxml.html.fromstring(html).xpath("//table[@name='dossier_masc']/..")[0]
        self.assertIn("o_dunning_keep", section.get("class"))
        self.assertIn("Attempt to negotiate", section.text_content())


@tagged("post_install", "-at_install")
class TestMonitorioPack(CourtCommon, HttpCase):
    """The pack is one PDF: the petition, then every document it lists."""

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param("report.url", self.base_url())
        self.url_open("/web/login")

    def test_the_attempts_list_shows_customer_and_reference_whole_at_1440_px(self):
        self.customer.name = "Talleres y Suministros del Norte SL"
        self._negotiation()
        self.collector.password = self.collector.login
        self._assert_columns_whole(
            "account_dunning_es.dunning_negotiation_action",
            ["name", "partner_id", "date", "receipt_date", "window_end", "outcome"]
            + ["status", "amount", "evidence_missing"],
            self.collector.login,
        )

    def _pages(self, content):
        return len(PdfFileReader(io.BytesIO(content)).pages)

    def test_the_pack_holds_the_pages_of_every_document_in_order(self):
        # A first demand letter with its burofax certificate, then the attempt.
        invoice, comm, negotiation = self._negotiation(amount=2400.0)
        letter = self._letter(invoice)
        certificate = self._one_page_pdf()
        letter.write(
            {
                "sending_method": "burofax",
                "sending_reference": "BF-1",
                "delivery_outcome": "delivered",
                "receipt_date": self._due(-12),
                "delivery_proof": base64.b64encode(certificate),
                "delivery_proof_name": "burofax.pdf",
            }
        )
        self._deliver(
            comm,
            received=self._due(2),
            delivery_proof=base64.b64encode(certificate),
            delivery_proof_name="burofax_masc.pdf",
        )
        rendering = negotiation.with_context(force_report_rendering=True)
        with freeze_time(self._due(40)):
            negotiation.invalidate_recordset(["status"])
            self.assertEqual(negotiation.status, "ready")
            documents = rendering._pack_documents()
            self.assertEqual(
                [d["kind"] for d in documents],
                ["invoice", "letter", "certificate", "masc", "certificate", "statement"],
            )
            pages = [
                self._pages(
                    rendering._render_pdf(
                        "account_dunning_es.action_report_dunning_monitorio", negotiation
                    )
                )
            ]
            pages += [self._pages(rendering._document_pdf(d)) for d in documents]
            action = rendering.action_build_pack()
        pack = negotiation.pack_attachment_id
        self.assertIn(str(pack.id), action["url"])
        self.assertTrue(pack.raw.startswith(b"%PDF"))
        self.assertEqual(self._pages(pack.raw), sum(pages), pages)
        self.assertGreaterEqual(len(pages), 7)
        self.assertTrue(all(pages), "no empty document")

    def test_the_invoice_of_the_pack_names_its_seller_in_the_companys_language(self):
        self._activate_spanish()
        self.env["ir.module.module"]._load_module_terms(["account"], ["es_ES"], overwrite=True)
        self.company.write({"vat": "ESB12345674", "street": "Calle Demo 7", "city": "Madrid"})
        self.company.partner_id.lang = "es_ES"
        self.customer.lang = "en_US"
        invoice, _comm, negotiation = self._negotiation()
        rendering = negotiation.with_context(force_report_rendering=True, lang="en_US")
        text = " ".join(
            pdf_text(rendering._document_pdf({"kind": "invoice", "record": invoice})).split()
        )
        self.assertIn(self.company.name, text)
        self.assertIn("ESB12345674", text)
        self.assertIn("Calle Demo 7", text)
        self.assertIn("Factura", text, "the court's (the company's) language")
        self.assertIn(invoice.name, text)

    def _one_page_pdf(self):
        """An operator's certificate, as a one-page PDF."""
        buffer = io.BytesIO()
        page = canvas.Canvas(buffer)
        page.drawString(72, 720, "Certificado de entrega: burofax BF-1")
        page.save()
        return buffer.getvalue()
