# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The customer's statement page, opened from the link of every reminder.

``/d/<token>``: no password, the customer's own token (reset from its form
to revoke every link); a wrong token gets a "link not valid" page (404),
and an address that tries too many wrong tokens gets 429 for a while
(statement_rules.GuessLimiter). Forms post with
Odoo's CSRF token; what the customer does is validated here, again in the
model, and posting the same thing twice changes nothing.
"""

import logging
import time

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.addons.account_payment.controllers.portal import PortalAccount
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

from ..rules import law as law_rules
from ..rules.statement import (
    PROOF_MAX_BYTES,
    STATEMENT_GUESSES,
    LinkNotValid,
    TooManyGuesses,
)

_logger = logging.getLogger(__name__)


class DunningStatement(PortalAccount):
    """Extends Odoo's invoice portal with the statement page, and pays the
    customer's open invoices through Odoo's payment providers."""

    def _customer(self, token):
        address = request.httprequest.remote_addr or "-"
        now = time.monotonic()
        wait = STATEMENT_GUESSES.retry_after(address, now)
        if wait:
            raise TooManyGuesses(wait)
        partner = request.env["res.partner"]._dunning_from_token(token)
        if not partner:
            if STATEMENT_GUESSES.wrong(address, now):
                _logger.warning(
                    "Statement links: %s tried %s wrong tokens in %s s; refused for a while",
                    address,
                    STATEMENT_GUESSES.limit,
                    STATEMENT_GUESSES.window,
                )
            raise LinkNotValid()
        # The page speaks the customer's language.
        request.update_context(lang=partner.lang or request.env.lang)
        return partner.with_context(lang=partner.lang or request.env.lang)

    @staticmethod
    def _statement(partner):
        """The page's backend, in the customer's language, as superuser: the
        token is the page's authentication."""
        return partner.env["dunning.statement"].sudo()

    def _communication(self, partner, comm_id):
        """The reminder whose link was followed, if it is this customer's."""
        try:
            comm = request.env["dunning.communication"].sudo().browse(int(comm_id or 0)).exists()
        except ValueError:
            return request.env["dunning.communication"]
        return comm if comm.partner_id == partner else comm.browse()

    def _render(self, partner, comm, message=None, error=None):
        statement = self._statement(partner)
        values = statement._values(partner, statement._company(partner, comm))
        values.update(
            token=partner.sudo().dunning_access_token,
            comm=comm,
            message=message,
            error=error,
        )
        return request.render("account_dunning_es.portal_dunning_statement", values)

    @http.route(
        "/d/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def statement(self, token, c=None, **kwargs):
        partner = self._customer(token)
        comm = self._communication(partner, c)
        if comm and not comm.statement_opened_date:
            comm.write({"statement_opened_date": fields.Datetime.now()})
        return self._render(partner, comm, message=kwargs.get("done"))

    @http.route(
        "/d/<string:token>/invoice/<int:move_id>",
        type="http",
        auth="public",
        methods=["GET"],
        sitemap=False,
    )
    def invoice(self, token, move_id, **kwargs):
        """An invoice of the statement as a PDF, opened with the customer's
        token (no portal token per invoice to write): the PDF Odoo kept when
        the invoice was sent; else, as Odoo's portal does, its pro forma,
        rendered once per version by a job (``dunning.invoice.pdf``) while
        the customer sees a page that reloads until it is ready."""
        partner = self._customer(token)
        move = request.env["account.move"].sudo().browse(move_id).exists()
        if (
            not move
            or move.commercial_partner_id != partner
            or move.move_type not in ("out_invoice", "out_refund")
            or move.state != "posted"
        ):
            raise NotFound()
        attachment = move.invoice_pdf_report_id
        if attachment:
            content = attachment.raw
            filename = move._get_invoice_report_filename()
        else:
            lang = move.partner_id.lang or partner.lang or "en_US"
            pdf = request.env["dunning.invoice.pdf"].sudo()._ask(move, lang)
            if pdf.state != "done":
                company = move.company_id
                return request.render(
                    "account_dunning_es.portal_dunning_invoice_wait",
                    {
                        "move": move,
                        "company": company,
                        "failed": pdf.state == "failed",
                        "wait": pdf._wait_seconds() if pdf.state == "pending" else 0,
                        "back": f"/d/{token}",
                        # The page speaks the customer's language, and says so.
                        "html_data": {"lang": (request.env.lang or "en_US").replace("_", "-")},
                        "title": move.name,
                    },
                    status=503 if pdf.state == "failed" else 202,
                )
            content = pdf._content()
            filename = move._get_invoice_proforma_pdf_report_filename()
        return request.make_response(
            content,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Disposition", f'inline; filename="{filename}"'),
            ],
        )

    @http.route(
        "/d/<string:token>/letter/<int:comm_id>",
        type="http",
        auth="public",
        methods=["GET"],
        sitemap=False,
    )
    def letter(self, token, comm_id, **kwargs):
        partner = self._customer(token)
        comm = self._communication(partner, comm_id)
        if not comm or not comm.letter_attachment_id:
            raise NotFound()
        attachment = comm.letter_attachment_id
        return request.make_response(
            attachment.raw,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Disposition", f'inline; filename="{attachment.name}"'),
            ],
        )

    def _act(self, token, c, action):
        """Run a customer's action; show the page again with its outcome."""
        partner = self._customer(token)
        comm = self._communication(partner, c)
        try:
            with request.env.cr.savepoint():
                done = action(partner, comm)
        except (UserError, ValueError, TypeError) as error:
            message = error.args[0] if error.args else str(error)
            return self._render(partner, comm, error=message)
        suffix = f"?c={comm.id}&done={done}" if comm else f"?done={done}"
        return request.redirect(f"/d/{token}{suffix}")

    @http.route(
        "/d/<string:token>/paid", type="http", auth="public", methods=["POST"], website=True
    )
    def paid(self, token, c=None, date=None, amount=None, proof=None, **kwargs):
        def action(partner, comm):
            content, name = None, None
            if proof and getattr(proof, "filename", None):
                content = proof.read(PROOF_MAX_BYTES + 1)
                name = proof.filename
            self._statement(partner)._claim_paid(
                partner,
                fields.Date.to_date(date),
                float(amount),
                content,
                name,
                communication=comm,
            )
            return "paid"

        return self._act(token, c, action)

    @http.route(
        "/d/<string:token>/dispute", type="http", auth="public", methods=["POST"], website=True
    )
    def dispute(self, token, c=None, invoice=None, reason=None, message=None, **kwargs):
        def action(partner, comm):
            move = request.env["account.move"].sudo().browse(int(invoice or 0)).exists()
            self._statement(partner)._dispute(partner, move, reason, message, communication=comm)
            return "dispute"

        return self._act(token, c, action)

    @http.route(
        "/d/<string:token>/plan", type="http", auth="public", methods=["POST"], website=True
    )
    def plan(self, token, c=None, instalments=None, first_date=None, **kwargs):
        def action(partner, comm):
            promise = self._statement(partner)._propose_plan(
                partner, int(instalments), fields.Date.to_date(first_date), communication=comm
            )
            return "plan_pending" if promise.state == "to_approve" else "plan"

        return self._act(token, c, action)

    # ------------------------------------------------------------------
    # Pay now: Odoo's payment form and providers, for the open invoices
    # ------------------------------------------------------------------
    @staticmethod
    def _selected_ids(selection):
        """The invoice ids of a selection ("12-15"), none for "all" or junk."""
        if not selection or selection == "all":
            return set()
        try:
            return {int(i) for i in selection.split("-") if i}
        except ValueError:
            return set()

    @staticmethod
    def _payable(moves, currency, selection=None):
        """The open invoices the customer pays at once: in the company's
        currency (the others are paid one by one from their page), all of
        them but those under review (a dispute, a payment the customer says
        it made), or those selected ("12-15": invoice ids, under review or
        not: the customer chose them)."""
        moves = moves.filtered(lambda m: m.move_type == "out_invoice" and m.currency_id == currency)
        if selection and selection != "all":
            ids = DunningStatement._selected_ids(selection)
            return moves.filtered(lambda m: m.id in ids)
        return moves.filtered(lambda m: not m.dunning_review and m.dunning_reason != "dispute")

    @http.route(
        "/d/<string:token>/pay",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def pay(self, token, c=None, invoices=None, **kwargs):
        partner = self._customer(token)
        comm = self._communication(partner, c)
        # One invoice, several (the boxes ticked on the statement), or all.
        selection = "-".join(request.httprequest.args.getlist("invoices")) or invoices or "all"
        statement = self._statement(partner)
        values = statement._values(partner, statement._company(partner, comm))
        moves = self._payable(values["moves"], values["currency"], selection)
        if not moves:
            return request.redirect(f"/d/{token}")
        amount = sum(moves.mapped("amount_residual"))
        # The reference of what is paid: the invoices, or the reminder's
        # reference when they are too many for a transfer's text.
        reference = law_rules.payment_reference(
            moves.mapped("name"), comm.name if comm else values["reference"]
        )
        landing = (
            f"/d/{token}?c={comm.id}&done=paid_online" if comm else f"/d/{token}?done=paid_online"
        )
        values.update(
            self._get_common_page_view_values(
                invoices_data={
                    "partner": partner.sudo(),
                    "company": values["company"],
                    "total_amount": amount,
                    "currency": values["currency"],
                    "amount_residual": amount,
                    "payment_reference": reference,
                    "landing_route": landing,
                    "transaction_route": f"/d/{token}/transaction/"
                    + "-".join(str(i) for i in moves.ids),
                },
                **kwargs,
            )
        )
        values.update(token=token, comm=comm, amount=amount, pay_moves=moves)
        return request.render("account_dunning_es.portal_dunning_pay", values)

    @http.route(
        ["/d/<string:token>/transaction", "/d/<string:token>/transaction/<string:selection>"],
        type="json",
        auth="public",
    )
    def statement_transaction(self, token, selection="all", payment_reference=None, **kwargs):
        """A draft transaction for the customer's open invoices, all or those
        selected (the token is its authentication), then Odoo's payment flow."""
        address = request.httprequest.remote_addr or "-"
        if STATEMENT_GUESSES.retry_after(address, time.monotonic()):
            raise ValidationError(request.env._("Too many attempts: try again later."))
        partner = request.env["res.partner"]._dunning_from_token(token)
        if not partner:
            STATEMENT_GUESSES.wrong(address, time.monotonic())
            raise ValidationError(request.env._("The link is not valid any more."))
        statement = self._statement(partner)
        company = statement._company(partner, move_ids=self._selected_ids(selection))
        currency = company.currency_id
        moves = self._payable(statement._moves(partner, company), currency, selection)
        if not moves:
            raise ValidationError(request.env._("Nothing is due on your statement."))
        self._validate_transaction_kwargs(kwargs)
        return self._process_transaction(
            partner.id, currency.id, moves.ids, payment_reference, **kwargs
        )
