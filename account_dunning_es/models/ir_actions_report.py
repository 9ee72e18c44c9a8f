# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models
from odoo.tools.pdf import merge_pdf

DUNNING_REPORTS = {
    "account_dunning_es.report_dunning_letter",
    "account_dunning_es.report_dunning_letter_partner",
    "account_dunning_es.report_dunning_dossier",
}


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        """Render dunning letters one document at a time, then merge them.

        wkhtmltopdf built against an unpatched Qt (Debian's, for one) refuses
        more than one input document, so printing a batch of letters in one
        call fails there. One call per letter works with every build, and
        Odoo still stores each letter's own attachment.
        """
        report = self._get_report(report_ref)
        if report.report_name not in DUNNING_REPORTS or not res_ids or len(res_ids) < 2:
            return super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
        documents = []
        for res_id in res_ids:
            content, report_type = super()._render_qweb_pdf(report_ref, res_ids=[res_id], data=data)
            if report_type != "pdf":
                # Test mode renders HTML: keep Odoo's behaviour.
                return super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
            documents.append(content)
        return merge_pdf(documents), "pdf"
