# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The invoice PDFs the statement page hands out, rendered off the request.

A customer who opens an invoice from its statement gets the PDF Odoo kept
when the invoice was sent. An invoice never sent through Odoo has none: as
Odoo's own portal does, the customer then gets Odoo's pro forma of it. That
one is rendered by a scheduled action, not by the request (wkhtmltopdf takes
about a second and fetches the report's styles from the server, whose
workers are busy answering the customers who opened their statement after
the run), once per version of the invoice and language, and kept: whoever
asks for it again gets the stored file.
"""

import base64
import logging
from datetime import timedelta

from odoo import api, fields, models

from ..infrastructure import sql_builders
from ..rules.statement import pdf_wait_seconds

_logger = logging.getLogger(__name__)

# A request still waiting after this long wakes the job again (a job that
# was down, or a trigger lost with its transaction).
RETRIGGER_AFTER = timedelta(minutes=2)

# Whether this server's wkhtmltopdf can render several invoices in one call:
# Odoo splits such a PDF by its outlines, which Debian's build (unpatched Qt)
# does not write, and hands back one undivided document. Learnt from the
# first batch, per server process: None until then.
_BATCH_SPLITS = {"ok": None}


def invoice_version(write_date):
    """The version of an invoice a PDF shows: its last change (a payment, a
    correction) makes a new one."""
    return fields.Datetime.to_string(write_date)


class DunningInvoicePdf(models.Model):
    _name = "dunning.invoice.pdf"
    _description = "Invoice PDF of the Statement Page"
    _order = "id"

    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="move_id.company_id", store=True)
    lang = fields.Char(string="Language", required=True)
    version = fields.Char(
        required=True, help="The invoice's last change when its PDF was asked for."
    )
    state = fields.Selection(
        [("pending", "To Render"), ("done", "Rendered"), ("failed", "Failed")],
        default="pending",
        required=True,
    )
    pdf = fields.Binary(string="PDF", attachment=True)
    error = fields.Char()

    _sql_constraints = [
        (
            "move_lang_version_uniq",
            "unique(move_id, lang, version)",
            "An invoice's PDF is kept once per version and language.",
        )
    ]

    @api.model
    def _ask(self, move, lang):
        """The PDF of this version of the invoice in ``lang``: asked for now
        if nobody asked yet (the job is woken up), else as it stands.

        Concurrent requests for the same PDF insert one row: the others find
        it (or, not seeing it in their snapshot yet, are retried by Odoo).
        """
        version = invoice_version(move.write_date)
        self.env.cr.execute(
            sql_builders.ask_invoice_pdf(move.id, move.company_id.id, lang, version, self.env.uid)
        )
        asked = bool(self.env.cr.rowcount)
        pdf = self.search(
            [("move_id", "=", move.id), ("lang", "=", lang), ("version", "=", version)], limit=1
        )
        if asked or (
            pdf.state == "pending" and fields.Datetime.now() - pdf.create_date > RETRIGGER_AFTER
        ):
            self.env.ref("account_dunning_es.ir_cron_dunning_invoice_pdfs")._trigger()
        return pdf

    def _content(self):
        self.ensure_one()
        return base64.b64decode(self.with_context(bin_size=False).pdf or b"")

    @api.model
    def _cron_render(self, limit=20):
        """Render the PDFs asked for, a batch a call: Odoo's scheduler commits
        after each call and calls again while some remain (progress API)."""
        pending = self.search([("state", "=", "pending")])
        batch = pending[:limit]
        batch._render()
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=len(pending) - len(batch))

    @api.model
    def _proforma_pdfs(self, moves):
        """{invoice id: PDF} of Odoo's pro forma of these invoices, in the
        context's language, with one wkhtmltopdf call (as Odoo's own
        ``account.move._get_invoice_pdf_proforma`` does for one invoice)."""
        Report = self.env["ir.actions.report"]
        content, report_type = Report._pre_render_qweb_pdf(
            "account.account_invoices", moves.ids, data={"proforma": True}
        )
        return Report._get_splitted_report("account.account_invoices", content, report_type)

    def _render(self):
        """Odoo's pro forma of each invoice, in the language asked, one call
        per language; a version the invoice has left behind since is
        dropped (its next request asks for the new one). An invoice that
        cannot be rendered fails alone: the customer is told."""
        stale = self.filtered(lambda pdf: invoice_version(pdf.move_id.write_date) != pdf.version)
        stale.unlink()
        kept = self - stale
        for lang, pdfs in kept.grouped("lang").items():
            by_move = pdfs._render_batch(lang) if len(pdfs) > 1 else None
            for pdf in pdfs:
                content = by_move and by_move.get(pdf.move_id.id)
                if content is None:
                    try:
                        with self.env.cr.savepoint():
                            content = pdf.with_context(lang=lang)._proforma_pdfs(pdf.move_id)[
                                pdf.move_id.id
                            ]
                    except Exception as error:  # noqa: BLE001 - the customer is told
                        _logger.exception(
                            "Statement page: the PDF of invoice %s failed", pdf.move_id.name
                        )
                        pdf.write({"state": "failed", "error": str(error)[:200]})
                        continue
                pdf.write({"state": "done", "pdf": base64.b64encode(content), "error": False})
        # The invoices' earlier versions are of no use any more (one query).
        done = kept.filtered(lambda pdf: pdf.state == "done")
        self.search([("move_id", "in", done.move_id.ids)]).filtered(
            lambda old: any(
                old.move_id == pdf.move_id and old.lang == pdf.lang and old.version < pdf.version
                for pdf in done
            )
        ).unlink()

    def _render_batch(self, lang):
        """{invoice id: PDF} of these in one wkhtmltopdf call, or None: the
        call failed (one by one then finds the culprit), or this server's
        wkhtmltopdf cannot split a batch (measured on Debian's build: the
        batch came back undivided and every invoice was rendered again, one
        by one, 1.15 s each; the batch is not tried again)."""
        if _BATCH_SPLITS["ok"] is False:
            return None
        try:
            with self.env.cr.savepoint():
                by_move = self.with_context(lang=lang)._proforma_pdfs(self.move_id)
        except Exception:  # noqa: BLE001 - rendered one by one to find the culprit
            return None
        if _BATCH_SPLITS["ok"] is None:
            _BATCH_SPLITS["ok"] = all(move_id in by_move for move_id in self.move_id.ids)
            if not _BATCH_SPLITS["ok"]:
                _logger.info(
                    "Statement page: wkhtmltopdf cannot split a batch of invoices "
                    "(no PDF outlines); this server renders them one by one"
                )
        return by_move

    def _wait_seconds(self):
        """How long the customer's page waits before asking again: this PDF's
        place in the queue times a PDF's rendering time."""
        self.ensure_one()
        ahead = self.search_count([("state", "=", "pending"), ("id", "<=", self.id)])
        return pdf_wait_seconds(ahead)

    @api.autovacuum
    def _gc_failed(self):
        """A PDF that failed a day ago is asked for afresh by its next request."""
        self.search(
            [
                ("state", "=", "failed"),
                ("write_date", "<", fields.Datetime.now() - timedelta(days=1)),
            ]
        ).unlink()
