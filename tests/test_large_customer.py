# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A very large customer: 5,000 open invoices give one email and one letter.

The invoices are cloned in bulk by the benchmarks' ledger generator (the ORM
would take minutes to post them), all of them past the first demand letter
of the SME policy. The run must group them into one communication per
channel, and the letter must list every one of them and still render.
"""

import html
import io
import os
import re
import sys
from datetime import timedelta

from e2e_case import CrossModuleCase

from odoo import fields
from odoo.addons.account_dunning_es.tests.common import pdf_text
from odoo.tools.pdf import PdfFileReader

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "benchmarks"))

import ledger  # noqa: E402

INVOICES = 5000


def _text(markup):
    return " ".join(re.sub(r"<[^>]+>", " ", markup).replace("\xa0", " ").split())


class TestVeryLargeCustomer(CrossModuleCase):
    def test_five_thousand_open_invoices_give_one_email_and_one_letter(self):
        env = self.env
        today = fields.Date.context_today(env.user)
        customer = ledger.create_customers(env, 1, prefix="Gran Cuenta")
        customer.dunning_segment_id = env.ref("account_dunning_es.dunning_segment_sme")
        ledger.create_invoices(env, customer, INVOICES, today, INVOICES, prefix="GRAN")
        # All of them 40 days overdue, last reminded (phone call) 30 days ago:
        # every one is due for the first demand letter (20 days) today.
        env.cr.execute(
            "UPDATE account_move SET invoice_date_due = %s, dunning_stage_id = %s, "
            "dunning_last_date = %s WHERE partner_id = %s AND name LIKE 'GRAN/%%'",
            (
                today - timedelta(days=40),
                env.ref("account_dunning_es.dunning_stage_sme_3").id,
                today - timedelta(days=30),
                customer.id,
            ),
        )
        env.invalidate_all()
        # (The generator's template invoice, due today, is not reminded.)
        invoices = env["account.move"].search(
            [("partner_id", "=", customer.id), ("name", "=like", "GRAN/%")]
        )
        self.assertEqual(len(invoices), INVOICES)

        run = env["dunning.run"].create({"date": today, "preview": False})
        run._execute()

        comms = env["dunning.communication"].search([("partner_id", "=", customer.id)])
        self.assertEqual(
            sorted(comms.mapped("channel")),
            ["email", "letter"],
            "one communication per channel, not one per invoice",
        )
        letter_stage = env.ref("account_dunning_es.dunning_stage_sme_4")
        self.assertEqual(comms.stage_id, letter_stage)
        email = comms.filtered(lambda c: c.channel == "email")
        letter = comms - email
        self.assertEqual(email.state, "sent")
        self.assertEqual(len(email.message_id), 1, "one email posted on the customer")
        for comm in comms:
            self.assertEqual(comm.invoice_count, INVOICES)
            self.assertEqual(comm.line_ids.move_id, invoices, "every invoice, once")
            self.assertAlmostEqual(
                comm.amount_residual, sum(invoices.mapped("amount_residual")), places=2
            )
        self.assertEqual(set(invoices.mapped("dunning_stage_id")), {letter_stage})

        # The email shows the 50 most overdue invoices and counts the others
        # (a 5,000-row table made a 1.2 MB message); the total covers all.
        body = html.unescape(str(email.message_id.body)).replace("\xa0", " ")
        self.assertEqual(body.count("GRAN/"), 50)
        self.assertIn(f"{INVOICES - 50} more invoices, included in the total.", body)
        self.assertIn(email.amount_display.replace("\xa0", " "), body)
        self.assertIn(
            f"stating as reference: <strong>{email.name}</strong>",
            body,
            "the reminder's own reference, not 5,000 invoice numbers",
        )
        env["res.lang"]._activate_lang("es_ES")
        env["ir.module.module"]._load_module_terms(
            ["account_dunning_es"], ["es_ES"], overwrite=True
        )
        customer.lang = "es_ES"
        body_es = env.ref("account_dunning_es.mail_template_dunning_reminder")._render_field(
            "body_html", email.ids, compute_lang=True
        )[email.id]
        self.assertIn(f"{INVOICES - 50} facturas más, incluidas en el total.", body_es)
        self.assertIn("Puede pagar por transferencia bancaria a <strong>", body_es)
        self.assertIn(f", indicando como referencia: <strong>{email.name}</strong>", body_es)
        customer.lang = "en_US"

        # Repeating the run the same day issues nothing more.
        env["dunning.run"].create({"date": today, "preview": False})._execute()
        self.assertEqual(
            env["dunning.communication"].search_count([("partner_id", "=", customer.id)]), 2
        )

        report = env.ref("account_dunning_es.action_report_dunning_letter")
        text = _text(report._render_qweb_html(report, letter.ids)[0].decode())
        self.assertEqual(
            set(re.findall(r"GRAN/\d+/\d{7}", text)),
            set(invoices.mapped("name")),
            "the letter lists every invoice",
        )
        # (assertTrue: a failure would print the whole letter)
        self.assertTrue(
            f"per overdue invoice: {INVOICES} × 40.00 € =" in text,
            "Ley 3/2004 compensation for each invoice",
        )
        self.assertTrue(
            f"stating as reference: {letter.name} ." in text
            or f"reference of your payment: {letter.name} ." in text,
            "a bank transfer cannot quote 5,000 invoice numbers: the letter's own",
        )

        pdf, _type = report.with_context(force_report_rendering=True)._render_qweb_pdf(
            report, res_ids=letter.ids
        )
        self.assertTrue(pdf.startswith(b"%PDF"))
        pages = len(PdfFileReader(io.BytesIO(pdf)).pages)
        self.assertGreater(pages, 100, "5,000 rows span many pages")
        # The PDF itself, read back as text: every invoice printed.
        printed = pdf_text(pdf)
        numbers = re.findall(r"GRAN/\d+/\d{7}", printed)
        self.assertEqual(set(numbers), set(invoices.mapped("name")))
