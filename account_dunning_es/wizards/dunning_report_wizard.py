# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import io

import xlsxwriter
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

DIMENSIONS = [
    ("channel", "Contact Method"),
    ("stage", "Stage"),
    ("segment", "Segment"),
    ("collector", "Collector"),
    ("policy", "Policy"),
]


class DunningReportWizard(models.TransientModel):
    _name = "dunning.report.wizard"
    _description = "Dunning Management Report"

    date_from = fields.Date(
        required=True,
        default=lambda self: (
            fields.Date.context_today(self).replace(day=1) - relativedelta(months=5)
        ),
    )
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    company_ids = fields.Many2many(
        "res.company",
        default=lambda self: self.env.company,
        required=True,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    dimension = fields.Selection(DIMENSIONS, string="Group By", default="channel", required=True)
    window_days = fields.Integer(
        string="Effect Window (Days)",
        default=lambda self: self.env.company.dunning_effect_days or 30,
        help="A payment counts as the effect of a contact when it comes at most this many "
        "days after it.",
    )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_to < wizard.date_from:
                raise UserError(self.env._("The period must end after it starts."))

    def _figures(self):
        self.ensure_one()
        return self.env["dunning.effectiveness"]._compute(
            self.date_from, self.date_to, self.company_ids, self.window_days, self.dimension
        )

    def action_print_pdf(self):
        return self.env.ref("account_dunning_es.action_report_dunning_management").report_action(
            self
        )

    def action_open_analysis(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning_es.dunning_effectiveness_report_action"
        )
        action["domain"] = [
            ("date", ">=", self.date_from),
            ("date", "<=", self.date_to),
            ("company_id", "in", self.company_ids.ids),
        ]
        return action

    # ------------------------------------------------------------------
    # XLSX
    # ------------------------------------------------------------------
    def _xlsx_content(self):
        """The report's figures as an XLSX workbook (bytes)."""
        figures = self._figures()
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True})
        bold = workbook.add_format({"bold": True})
        money = workbook.add_format({"num_format": "#,##0.00"})
        percent = workbook.add_format({"num_format": "0.0%"})
        ratio = workbook.add_format({"num_format": "0.00"})
        date_format = workbook.add_format({"num_format": "yyyy-mm"})
        dimension_label = dict(self._fields["dimension"]._description_selection(self.env))[
            self.dimension
        ]

        sheet = workbook.add_worksheet(self.env._("Effectiveness"))
        headers = [
            self.env._("Month"),
            dimension_label,
            self.env._("Customers contacted"),
            self.env._("Amount claimed"),
            self.env._("Customers who paid"),
            self.env._("Amount recovered"),
            self.env._("Paid / contacted"),
            self.env._("Recovered / claimed"),
            self.env._("New debt customers"),
            self.env._("New debt amount"),
            self.env._("Customers paid per new debt customer"),
            self.env._("Recovered per amount newly overdue"),
            self.env._("Median days to payment"),
        ]
        sheet.write_row(0, 0, headers, bold)
        for index, row in enumerate(figures["rows"], start=1):
            sheet.write_datetime(index, 0, fields.Datetime.to_datetime(row["month"]), date_format)
            sheet.write(index, 1, str(row["label"]))
            sheet.write_number(index, 2, row["contacted"])
            sheet.write_number(index, 3, row["claimed"], money)
            sheet.write_number(index, 4, row["paid"])
            sheet.write_number(index, 5, row["recovered"], money)
            sheet.write_number(index, 6, row["paid_ratio"], percent)
            sheet.write_number(index, 7, row["recovered_ratio"], percent)
            sheet.write_number(index, 8, row["new_debt_customers"])
            sheet.write_number(index, 9, row["new_debt_amount"], money)
            # Per new debt: above 1 the backlog shrinks (not a share of it).
            sheet.write_number(index, 10, row["paid_over_new"], ratio)
            sheet.write_number(index, 11, row["recovered_over_new"], ratio)
            if row["median_days"] is not None:
                sheet.write_number(index, 12, row["median_days"])
        sheet.set_column(0, 0, 10)
        sheet.set_column(1, 1, 24)
        sheet.set_column(2, 12, 16)

        self._xlsx_dashboard(workbook, figures["dashboard"], bold, money)
        workbook.close()
        return output.getvalue()

    def _xlsx_dashboard(self, workbook, dashboard, bold, money):
        """The dashboard's sheet: aged balance, DSO, CEI, promises, hand-overs."""
        dash = workbook.add_worksheet(self.env._("Dashboard"))
        bucket_labels = self._bucket_labels()
        dash.write_row(0, 0, [self.env._("Aged balance"), self.env._("Amount")], bold)
        for index, (name, amount) in enumerate(dashboard["buckets"].items(), start=1):
            dash.write(index, 0, bucket_labels[name])
            dash.write_number(index, 1, amount, money)
        start = len(dashboard["buckets"]) + 2
        kept, broken = dashboard["promises_kept"], dashboard["promises_broken"]
        facts = [
            (self.env._("Receivables"), dashboard["receivables"]),
            (self.env._("DSO (days)"), dashboard["dso"]),
            (self.env._("CEI (%)"), dashboard["cei"]),
            (self.env._("Promises kept"), kept[0]),
            (self.env._("Promises broken"), broken[0]),
            (self.env._("Handed over to agency"), dashboard["handover"].get("agency", 0.0)),
            (self.env._("Handed over for legal action"), dashboard["handover"].get("legal", 0.0)),
        ]
        for offset, (label, value) in enumerate(facts):
            dash.write(start + offset, 0, label)
            dash.write_number(start + offset, 1, value, money)
        dash.set_column(0, 0, 30)
        dash.set_column(1, 1, 16)

    def _bucket_labels(self):
        return {
            "not_due": self.env._("Not due"),
            "1_30": self.env._("1-30 days"),
            "31_60": self.env._("31-60 days"),
            "61_90": self.env._("61-90 days"),
            "over_90": self.env._("Over 90 days"),
        }

    def action_export_xlsx(self):
        self.ensure_one()
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "dunning_effectiveness_%(start)s_%(end)s.xlsx",
                    start=self.date_from,
                    end=self.date_to,
                ),
                "datas": base64.b64encode(self._xlsx_content()),
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }
