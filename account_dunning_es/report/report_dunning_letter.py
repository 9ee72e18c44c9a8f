# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class ReportDunningLetter(models.AbstractModel):
    _name = "report.account_dunning_es.report_dunning_letter"
    _description = "Demand Letter"

    @api.model
    def _letters(self, comms):
        """{communication id: letter values}, rates and payments read once."""
        Rate = self.env["dunning.interest.rate"]
        rate_table, legal_table = Rate._rate_table(), Rate._rate_table("legal")
        payments = comms.line_ids.move_id._dunning_payments()
        first_demands = comms._first_demands()
        return {
            comm.id: comm._letter_values(rate_table, payments, first_demands, legal_table)
            for comm in comms
        }

    @api.model
    def _get_report_values(self, docids, data=None):
        comms = self.env["dunning.communication"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "dunning.communication",
            "docs": comms,
            "letters": self._letters(comms),
        }


class ReportDunningLetterPartner(models.AbstractModel):
    _name = "report.account_dunning_es.report_dunning_letter_partner"
    _description = "Demand Letter of a Customer"

    @api.model
    def _get_report_values(self, docids, data=None):
        partners = self.env["res.partner"].browse(docids)
        comms = self.env["dunning.communication"]._letter_preview(partners)
        letters = self.env["report.account_dunning_es.report_dunning_letter"]._letters(comms)
        # Printed from the customer, it is a statement of account: no
        # reference, deadline or consequences, which only a demand that was
        # issued and recorded (a communication) may carry.
        for letter in letters.values():
            letter["statement"] = True
        return {
            "doc_ids": docids,
            "doc_model": "res.partner",
            "docs": comms,
            "letters": letters,
        }


class ReportDunningDossier(models.AbstractModel):
    _name = "report.account_dunning_es.report_dunning_dossier"
    _description = "Legal Dossier of a Hand-over"

    @api.model
    def _get_report_values(self, docids, data=None):
        comms = self.env["dunning.communication"].browse(docids)
        dossiers = {}
        letters = self.env["dunning.communication"]
        for comm in comms:
            history = self.env["dunning.communication"].search(
                [
                    ("partner_id", "=", comm.partner_id.id),
                    ("company_id", "=", comm.company_id.id),
                    ("state", "in", ("sent", "failed")),
                ],
                order="date, id",
            )
            last_letter = history.filtered(lambda c: c.channel == "letter")[-1:]
            letters |= last_letter
            # The attempt to negotiate, which a court asks for (LO 1/2025 art. 10).
            negotiations = self.env["dunning.negotiation"].search(
                [("partner_id", "=", comm.partner_id.id), ("company_id", "=", comm.company_id.id)],
                order="date, id",
            )
            dossiers[comm.id] = {
                "history": history,
                "letter": last_letter,
                "negotiations": negotiations,
            }
        return {
            "doc_ids": docids,
            "doc_model": "dunning.communication",
            "docs": comms,
            "dossiers": dossiers,
            "letters": self.env["report.account_dunning_es.report_dunning_letter"]._letters(
                letters
            ),
        }


class ReportDunningManagement(models.AbstractModel):
    _name = "report.account_dunning_es.report_dunning_management"
    _description = "Dunning Management Report"

    @api.model
    def _chart(self, rows):
        """Bars of "paid after contact" per group over the period, as SVG data."""
        totals = {}
        for row in rows:
            total = totals.setdefault(row["label"], [0, 0])
            total[0] += row["paid"]
            total[1] += row["contacted"]
        bars = [
            {"label": str(label), "ratio": paid / contacted if contacted else 0.0}
            for label, (paid, contacted) in sorted(totals.items(), key=lambda item: str(item[0]))
        ]
        for index, bar in enumerate(bars):
            bar["y"] = 10 + index * 28
            bar["width"] = round(bar["ratio"] * 400, 1)
        return {"bars": bars, "height": 20 + len(bars) * 28}

    @api.model
    def _get_report_values(self, docids, data=None):
        wizards = self.env["dunning.report.wizard"].browse(docids)
        figures = {wizard.id: wizard._figures() for wizard in wizards}
        return {
            "doc_ids": docids,
            "doc_model": "dunning.report.wizard",
            "docs": wizards,
            "figures": figures,
            "charts": {wid: self._chart(fig["rows"]) for wid, fig in figures.items()},
            "bucket_labels": wizards[:1]._bucket_labels() if wizards else {},
        }


class ReportDunningNegotiation(models.AbstractModel):
    _name = "report.account_dunning_es.report_dunning_negotiation"
    _description = "Negotiation Attempt (MASC)"

    @api.model
    def _get_report_values(self, docids, data=None):
        negotiations = self.env["dunning.negotiation"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "dunning.negotiation",
            "docs": negotiations,
            "negotiations": {n.id: n._court_values() for n in negotiations},
        }


class ReportDunningMascProof(models.AbstractModel):
    _name = "report.account_dunning_es.report_dunning_masc_proof"
    _inherit = "report.account_dunning_es.report_dunning_negotiation"
    _description = "Proof of the Negotiation Attempt"

    @api.model
    def _get_report_values(self, docids, data=None):
        # It states that the period ended without agreement: only once it has.
        self.env["dunning.negotiation"].browse(docids)._check_ready_for_court()
        return super()._get_report_values(docids, data=data)


class ReportDunningMonitorio(models.AbstractModel):
    _name = "report.account_dunning_es.report_dunning_monitorio"
    _description = "Monitorio Petition"

    @api.model
    def _get_report_values(self, docids, data=None):
        negotiations = self.env["dunning.negotiation"].browse(docids)
        negotiations._check_ready_for_court()
        today = fields.Date.context_today(self)
        return {
            "doc_ids": docids,
            "doc_model": "dunning.negotiation",
            "docs": negotiations,
            "negotiations": {n.id: n._court_values(petition_date=today) for n in negotiations},
        }


class ReportDunningCourtInvoice(models.AbstractModel):
    """The invoice of a monitorio pack: Odoo's own invoice document, with its
    values (QR codes, payments)."""

    _name = "report.account_dunning_es.report_dunning_court_invoice"
    _inherit = "report.account.report_invoice_with_payments"
    _description = "Invoice for the Court"
