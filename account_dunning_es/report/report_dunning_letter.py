# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models


class ReportDunningLetter(models.AbstractModel):
    _name = "report.account_dunning_es.report_dunning_letter"
    _description = "Demand Letter"

    @api.model
    def _letters(self, comms):
        """{communication id: letter values}, rates and payments read once."""
        rate_table = self.env["dunning.interest.rate"]._rate_table()
        payments = comms.line_ids.move_id._dunning_payments()
        return {comm.id: comm._letter_values(rate_table, payments) for comm in comms}

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
        comms = partners._dunning_letter_preview()
        return {
            "doc_ids": docids,
            "doc_model": "res.partner",
            "docs": comms,
            "letters": self.env["report.account_dunning_es.report_dunning_letter"]._letters(comms),
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
            dossiers[comm.id] = {"history": history, "letter": last_letter}
        return {
            "doc_ids": docids,
            "doc_model": "dunning.communication",
            "docs": comms,
            "dossiers": dossiers,
            "letters": self.env["report.account_dunning_es.report_dunning_letter"]._letters(letters),
        }
