# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import io
from datetime import date

import openpyxl

from odoo import Command
from odoo.tests import tagged

from .common import DunningCommon

MARCH = date(2026, 3, 1)


@tagged("post_install", "-at_install")
class TestDunningEffectiveness(DunningCommon):
    """A known month, computed by hand.

    Three customers, invoices due 2 March (overdue from the 3rd):
    - X: 1000; emailed on the 3rd, pays 400 on the 10th; called on the 12th,
      pays the remaining 600 on the 20th.
    - Y: 500; pays 100 on the due date (before any contact), emailed on the
      3rd for 400 and called on the 12th, pays nothing more.
    - Z: 300; emailed on the 3rd; a credit note settles it on the 5th (not a
      payment).
    New debts of March: X 1000, Y 400, Z 300 = 3 customers, 1700.
    Email: 3 contacted, 1700 claimed, X paid 1000 (400 + 600, both within
    30 days): 1/3 and 1000/1700; median 7 days.
    Call: X and Y contacted, 1000 claimed (600 + 400); X paid 600 after it
    (the 400 came before): 1/2 and 600/1000; median 8 days.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.dunning_effect_days = 30

    def _history(self):
        x = self._create_customer("Cliente X SL")
        y = self._create_customer("Cliente Y SL")
        z = self._create_customer("Cliente Z SL")
        due = date(2026, 3, 2)
        inv_x = self._invoice(x, 1000.0, due)
        inv_y = self._invoice(y, 500.0, due)
        inv_z = self._invoice(z, 300.0, due)
        self._pay(inv_y, amount=100.0, on_date=due)
        self._run(date(2026, 3, 3))
        # Dated 5 March (the helper dates documents 30 days before their due date).
        refund = self._invoice(z, 300.0, date(2026, 4, 4), move_type="out_refund")
        (inv_z.line_ids + refund.line_ids).filtered(
            lambda l: l.account_id.account_type == "asset_receivable"
        ).reconcile()
        self._pay(inv_x, amount=400.0, on_date=date(2026, 3, 10))
        self._run(date(2026, 3, 12))
        self._pay(inv_x, amount=600.0, on_date=date(2026, 3, 20))
        return x, y, z

    def _figures(self, companies=None, dimension="channel"):
        return self.env["dunning.effectiveness"]._compute(
            MARCH, date(2026, 3, 31), companies or self.company, 30, dimension
        )

    def test_monthly_figures_per_contact_method(self):
        self._history()
        rows = {row["key"]: row for row in self._figures()["rows"]}
        self.assertEqual(set(rows), {"email", "call"})
        email, call = rows["email"], rows["call"]
        self.assertEqual(
            (email["contacted"], email["claimed"], email["paid"], email["recovered"]),
            (3, 1700.0, 1, 1000.0),
        )
        self.assertAlmostEqual(email["paid_ratio"], 1 / 3)
        self.assertAlmostEqual(email["recovered_ratio"], 1000 / 1700)
        self.assertEqual(email["median_days"], 7.0)
        self.assertEqual(
            (call["contacted"], call["claimed"], call["paid"], call["recovered"]),
            (2, 1000.0, 1, 600.0),
        )
        self.assertAlmostEqual(call["recovered_ratio"], 0.6)
        self.assertEqual(call["median_days"], 8.0)
        for row in (email, call):
            self.assertEqual((row["new_debt_customers"], row["new_debt_amount"]), (3, 1700.0))
        self.assertAlmostEqual(email["paid_over_new"], 1 / 3)
        self.assertAlmostEqual(email["recovered_over_new"], 1000 / 1700)
        self.assertAlmostEqual(call["recovered_over_new"], 600 / 1700)

    def test_payments_after_the_window_do_not_count(self):
        x = self._create_customer("Cliente Tardío SL")
        invoice = self._invoice(x, 1000.0, date(2026, 3, 2))
        self._run(date(2026, 3, 3))
        self._pay(invoice, amount=1000.0, on_date=date(2026, 4, 3))  # 31 days later
        row = self._figures()["rows"][0]
        self.assertEqual((row["contacted"], row["paid"], row["recovered"]), (1, 0, 0.0))

    def test_two_companies_are_apart_or_together(self):
        self._history()
        company_b = self.setup_other_company(name="Empresa B")["company"]
        company_b.dunning_policy_id = self._create_policy(company_b, "Policy B")
        w = self._create_customer("Cliente W SL")
        invoice = self._invoice(w, 200.0, date(2026, 3, 2), company=company_b)
        self._run(date(2026, 3, 3), company=company_b)
        self._pay(invoice, on_date=date(2026, 3, 6))
        only_a = {r["key"]: r for r in self._figures()["rows"]}
        self.assertEqual(only_a["email"]["contacted"], 3)
        both = {r["key"]: r for r in self._figures(self.company + company_b)["rows"]}
        self.assertEqual(
            (both["email"]["contacted"], both["email"]["paid"], both["email"]["recovered"]),
            (4, 2, 1200.0),
        )
        self.assertEqual(both["email"]["new_debt_customers"], 4)

    def test_figures_by_segment_and_collector(self):
        x, y, z = self._history()
        segment = self.env.ref("account_dunning_es.dunning_segment_sme")
        (x | y | z).dunning_segment_id = segment
        by_segment = self._figures(dimension="segment")["rows"]
        self.assertEqual([(r["label"], r["contacted"]) for r in by_segment], [("SME", 3)])
        by_collector = self._figures(dimension="collector")["rows"]
        self.assertEqual([(r["label"], r["paid"]) for r in by_collector], [("Carmen Cobros", 1)])

    def test_analysis_view_matches_the_history(self):
        self._history()
        groups = self.env["dunning.effectiveness.report"]._read_group(
            [("company_id", "=", self.company.id)],
            ["channel"],
            ["contact_count:sum", "paid_count:sum", "amount_claimed:sum", "amount_recovered:sum"],
        )
        self.assertEqual(
            sorted(groups), [("call", 2, 1, 1000.0, 600.0), ("email", 3, 1, 1700.0, 1000.0)]
        )

    def test_xlsx_export_reads_back_the_same_numbers(self):
        self._history()
        wizard = self.env["dunning.report.wizard"].create(
            {
                "date_from": MARCH,
                "date_to": date(2026, 3, 31),
                "company_ids": [Command.set(self.company.ids)],
            }
        )
        action = wizard.action_export_xlsx()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[3].split("?")[0])
        )
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        sheet = book["Effectiveness"]
        header = [cell.value for cell in sheet[1]]
        rows = {
            r[1]: dict(zip(header, r, strict=True))
            for r in sheet.iter_rows(min_row=2, values_only=True)
        }
        expected = {row["label"]: row for row in wizard._figures()["rows"]}
        self.assertEqual(set(rows), set(expected))
        for label, row in expected.items():
            got = rows[label]
            self.assertEqual(got["Customers contacted"], row["contacted"])
            self.assertAlmostEqual(got["Amount claimed"], row["claimed"])
            self.assertEqual(got["Customers who paid"], row["paid"])
            self.assertAlmostEqual(got["Amount recovered"], row["recovered"])
            self.assertAlmostEqual(got["Paid / contacted"], row["paid_ratio"])
            self.assertAlmostEqual(
                got["Recovered per amount newly overdue"], row["recovered_over_new"]
            )
        dashboard = {r[0]: r[1] for r in book["Dashboard"].iter_rows(values_only=True) if r[0]}
        self.assertIn("DSO (days)", dashboard)

    def test_management_pdf_content(self):
        self._history()
        wizard = self.env["dunning.report.wizard"].create(
            {
                "date_from": MARCH,
                "date_to": date(2026, 3, 31),
                "company_ids": [Command.set(self.company.ids)],
            }
        )
        html = self._report_html("account_dunning_es.action_report_dunning_management", wizard)
        self.assertIn("Dunning effectiveness", html)
        self.assertEqual(html.count('class="o_dunning_effect_row"'), 2)
        self.assertIn("<svg", html)
        self.assertIn("33 %", html, "email: 1 of 3 paid after contact")
        self.assertIn("50 %", html, "call: 1 of 2")

    def test_dashboard_aged_balance_and_promises(self):
        x, y, _z = self._history()
        dashboard = self._figures()["dashboard"]
        # Open at 31 March: Y's 400, 29 days overdue.
        self.assertEqual(dashboard["buckets"]["1_30"], 400.0)
        self.assertEqual(dashboard["buckets"]["over_90"], 0.0)
        self.assertEqual(dashboard["receivables"], 400.0)
        self.assertGreater(dashboard["cei"], 0.0)

    def test_dashboard_figures_of_the_month_by_hand(self):
        """Receivables, sales, DSO and CEI of March, computed by hand.

        Opening (28 February): X 1000 + Y 500 + Z 300 = 1800. Sales of March:
        W's 250, invoiced on 11 March, due 10 April. Closing (31 March): X
        paid, Z settled by its credit note, Y owes 400, W 250: 650, of which
        current (not yet due) 250. DSO = 650 / 250 x 31 days = 80.6; CEI =
        (1800 + 250 - 650) / (1800 + 250 - 250) = 77.8 %.
        """
        self._history()
        w = self._create_customer("Cliente W SL")
        self._invoice(w, 250.0, date(2026, 4, 10))
        dashboard = self._figures()["dashboard"]
        self.assertAlmostEqual(dashboard["sales"], 250.0)
        self.assertAlmostEqual(dashboard["receivables"], 650.0)
        self.assertAlmostEqual(dashboard["dso"], 650.0 / 250.0 * 31)
        self.assertAlmostEqual(dashboard["cei"], 1400.0 / 1800.0 * 100)
        self.assertEqual(
            dashboard["buckets"],
            {"not_due": 250.0, "1_30": 400.0, "31_60": 0.0, "61_90": 0.0, "over_90": 0.0},
        )

    def test_figures_leave_out_other_companies_and_invoices_paid_before(self):
        """An invoice settled before the period weighs nothing; another
        company's invoices are not counted; a draft is no sale."""
        self._history()
        early = self._create_customer("Cliente Antiguo SL")
        old = self._invoice(early, 900.0, date(2026, 1, 15))
        self._pay(old, on_date=date(2026, 1, 20))
        self._invoice(early, 50.0, date(2026, 4, 10), post=False)
        company_b = self.setup_other_company(name="Empresa B")["company"]
        self._invoice(early, 700.0, date(2026, 4, 10), company=company_b)
        dashboard = self._figures()["dashboard"]
        self.assertAlmostEqual(dashboard["sales"], 0.0)
        self.assertAlmostEqual(dashboard["receivables"], 400.0)
        self.assertAlmostEqual(dashboard["cei"], 1400.0 / 1800.0 * 100)
        both = self._figures(self.company + company_b)["dashboard"]
        self.assertAlmostEqual(both["sales"], 700.0)
        self.assertAlmostEqual(both["receivables"], 1100.0)
        self.assertAlmostEqual(both["buckets"]["not_due"], 700.0)
