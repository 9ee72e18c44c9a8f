# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDunningDemo(TransactionCase):
    """The demo database's company is Spanish, when demo data is loaded."""

    def setUp(self):
        super().setUp()
        self.company = self.env.ref("account_dunning_es.demo_company_es", raise_if_not_found=False)
        if not self.company:
            self.skipTest("demo data not loaded")

    def test_demo_company_is_a_spanish_company(self):
        company = self.company
        self.assertEqual(company.country_id.code, "ES")
        self.assertEqual(company.currency_id.name, "EUR")
        self.assertEqual(company.chart_template, "es_pymes")
        self.assertTrue(company.vat.startswith("ES"))
        self.assertEqual(company.city, "Madrid")
        self.assertTrue(company.partner_id.bank_ids.acc_number.startswith("ES"))
        self.assertIn(company, self.env.ref("base.user_admin").company_ids)
        self.assertTrue(self.env["dunning.policy"].search_count([("company_id", "=", company.id)]))

    def test_demo_customers_read_their_letters_in_spanish_in_euros(self):
        letters = self.env["dunning.communication"].search(
            [("company_id", "=", self.company.id), ("channel", "=", "letter")]
        )
        self.assertTrue(letters, "the replay issued letters")
        letter = letters[0]
        self.assertEqual(letter.partner_id.lang, "es_ES")
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account_dunning_es.action_report_dunning_letter", letter.ids)[0]
            .decode()
        )
        body = html[html.index('class="page o_dunning_letter"') :]
        text = " ".join(re.sub(r"<[^>]+>", " ", body).replace("\xa0", " ").split())
        self.assertIn("requerimiento de pago", text)
        self.assertRegex(text, r"Madrid , \d\d/\d\d/\d{4}")
        self.assertIn("€", text)
        self.assertNotIn("$", text)
        regimes = set(
            self.env["res.partner"]
            .search(
                [
                    ("dunning_segment_id", "!=", False),
                    ("invoice_ids.company_id", "=", self.company.id),
                ]
            )
            .mapped("dunning_regime")
        )
        self.assertEqual(regimes, {"business", "administration", "consumer"})
