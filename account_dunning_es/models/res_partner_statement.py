# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The customer's statement page: its token, its link, and what the
customer does there (claim a payment, dispute an invoice, propose a plan)."""

import base64
import secrets
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date

from ..infrastructure import sql_builders
from ..rules import engine as engine_rules
from ..rules import law as law_rules
from ..rules.court import split_instalments
from ..rules.statement import PROOF_MAX_BYTES, proof_mimetype

# The non-payment reasons a customer may give itself.
PORTAL_REASONS = ("missing_document", "dispute", "other")


def statement_plan_problem(count, first_date, amount, today, max_instalments, max_days, minimum):
    """Why a plan the customer proposes needs the collector's approval, or ''.

    Within the policy's limits (instalments, days until the last one, the
    smallest instalment) it becomes an open promise at once.
    """
    if count > max_instalments:
        return "instalments"
    last = first_date + timedelta(days=30 * (count - 1))
    if (last - today).days > max_days:
        return "days"
    if amount / count < minimum:
        return "minimum"
    return ""


def statement_paid_claims(moves):
    """The "I have already paid" claims still under review on these invoices:
    [(said on, paid on, amount, invoices)], one per claim."""
    claims = {}
    for move in moves.filtered(lambda m: m.dunning_review == "paid"):
        key = (move.dunning_review_date, move.dunning_claim_date, move.dunning_claim_amount)
        claims[key] = claims.get(key, moves.browse()) | move
    return [(*key, invoices) for key, invoices in sorted(claims.items(), key=lambda i: i[0])]


def statement_page_url(base_url, token):
    """The address of the statement page a customer's token opens."""
    return f"{base_url}/d/{token}"


def statement_link_of(url, communication=None):
    """A customer's statement link, counted for the communication that
    carries it (``?c=``), when there is one."""
    return f"{url}?c={communication.id}" if communication else url


class ResPartner(models.Model):
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    dunning_phone_wrong = fields.Boolean(
        string="Phone Number Wrong",
        copy=False,
        help="A collector logged a call to a wrong number: calls and SMS reminders are not "
        "used until the number is corrected.",
    )
    dunning_access_token = fields.Char(
        copy=False,
        index="btree_not_null",
        groups="account_dunning_es.group_dunning_user",
        help="Opens the customer's statement page without a password; resetting it "
        "revokes every link sent so far.",
    )

    def write(self, vals):
        # A corrected number is worth calling again.
        if ({"phone", "mobile"} & set(vals)) and "dunning_phone_wrong" not in vals:
            vals = dict(vals, dunning_phone_wrong=False)
        # The worklist shows a new dispute for a week.
        if vals.get("dunning_reason"):
            vals = dict(vals, dunning_reason_date=fields.Date.context_today(self))
        return super().write(vals)

    def action_dunning_log_call(self):
        return self.env["dunning.call.wizard"]._action_open(self.commercial_partner_id)

    def _dunning_ensure_tokens(self):
        """Make the tokens these customers lack, in one query (a run links
        thousands of reminders to their statement pages)."""
        partners = self.commercial_partner_id.sudo()
        missing = partners.filtered(lambda p: not p.dunning_access_token)
        if missing:
            self.env.cr.execute(
                sql_builders.set_partner_tokens(
                    {partner.id: secrets.token_urlsafe(12) for partner in missing}
                )
            )
            missing.invalidate_recordset(["dunning_access_token"])
        return partners

    def _dunning_statement_token(self):
        """The customer's token, made on first use (commercial entity)."""
        return self._dunning_ensure_tokens()[:1].dunning_access_token

    def _dunning_statement_url(self, communication=None):
        """Short link to the statement page; with the communication that
        carries it, so that what the customer does there is counted for it."""
        self.ensure_one()
        base = self.get_base_url()
        url = statement_page_url(base, self._dunning_statement_token())
        return statement_link_of(url, communication)

    def _dunning_statement_link(self):
        """:meth:`_dunning_statement_url` of a customer (commercial entity)
        whose token is made: a run's thousands of links, no look-up each."""
        self.ensure_one()
        return statement_page_url(self.get_base_url(), self.sudo().dunning_access_token)

    def action_dunning_reset_token(self):
        """Revoke the statement links sent so far: a new token."""
        for partner in self.commercial_partner_id.sudo():
            partner.dunning_access_token = secrets.token_urlsafe(12)
            partner.with_context(dunning_collection_message=True).message_post(
                body=self.env._("The links to the statement page were revoked."),
                subtype_xmlid="mail.mt_note",
            )
        return True

    @api.model
    def _dunning_from_token(self, token):
        """The customer a token opens, or an empty recordset."""
        if not token or len(token) < 12:
            return self.browse()
        return (
            self.sudo()
            .with_context(active_test=False)
            .search([("dunning_access_token", "=", token)], limit=1)
            .filtered("active")
        )

    # ------------------------------------------------------------------
    # What the page shows
    # ------------------------------------------------------------------
    def _dunning_statement_company(self):
        """The company whose statement the customer sees: the one of its last
        reminder (a public page has no company of its own)."""
        self.ensure_one()
        last = (
            self.env["dunning.communication"]
            .sudo()
            .search([("partner_id", "=", self.id), ("state", "=", "sent")], limit=1)
        )
        return last.company_id or self.sudo().company_id or self.env.company

    def _dunning_statement_moves(self, company):
        """The customer's open invoices in the company, oldest due first (sudo:
        a public page)."""
        self.ensure_one()
        Move = self.env["account.move"].sudo()
        return Move.search(
            Move._dunning_open_domain(company, include_excluded=True)
            + [("commercial_partner_id", "=", self.id)],
            order="invoice_date_due, id",
        )

    def _dunning_statement_values(self, company=None):
        """Open invoices, totals, the last letter's claim, how to pay, letters
        sent, pending requests and the collector (sudo: a public page)."""
        self.ensure_one()
        partner = self.sudo()
        company = company or self._dunning_statement_company()
        moves = self._dunning_statement_moves(company)
        Move = self.env["account.move"]
        today = fields.Date.context_today(self)
        # Nothing is written here: the page links each invoice's PDF through
        # the customer's own token (/d/<token>/invoice/<id>), so opening it
        # makes no portal token per invoice.
        under_review = moves.filtered(lambda m: m.dunning_review or m.dunning_reason == "dispute")
        to_pay = moves - under_review
        comms = self.env["dunning.communication"].sudo()
        letters = comms.search(
            [
                ("partner_id", "=", partner.id),
                ("company_id", "=", company.id),
                ("channel", "=", "letter"),
                ("state", "=", "sent"),
                ("letter_attachment_id", "!=", False),
            ],
            order="date desc, id desc",
        )
        last_letter = letters[:1]
        # What the last letter claimed stands only while one of its invoices
        # is still owed: a customer who paid them all is told nothing more.
        claim = (
            last_letter._letter_values()
            if last_letter and last_letter.line_ids.move_id & moves
            else None
        )
        policy = partner._dunning_policy(company)
        contact = last_letter or comms.search(
            [("partner_id", "=", partner.id), ("company_id", "=", company.id)], limit=1
        )
        # Plans under way, and those kept this last month (the page says so,
        # rather than dropping a plan the customer just finished paying).
        promises = (
            self.env["dunning.promise"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", partner.id),
                    "|",
                    ("state", "in", ("to_approve", "open")),
                    "&",
                    ("state", "=", "kept"),
                    ("closed_date", ">=", fields.Date.subtract(today, days=30)),
                ]
            )
        )
        lang = self.env.lang or partner.lang or "en_US"
        return {
            "partner": partner,
            "company": company,
            "moves": moves,
            "under_review": under_review,
            "to_pay": to_pay,
            "to_pay_total": sum(to_pay.mapped("amount_residual_signed")),
            "paid_claims": [
                self.env._(
                    "On %(said)s you told us you paid %(amount)s on %(date)s for %(invoices)s. "
                    "We are checking it: meanwhile these invoices get no reminder.",
                    said=format_date(self.env, said),
                    amount=format_amount(self.env, amount, company.currency_id),
                    date=format_date(self.env, paid_on),
                    invoices=", ".join(invoices.mapped("name")),
                )
                for said, paid_on, amount, invoices in statement_paid_claims(moves)
            ],
            "plans": [(promise, *promise._dunning_schedule_now()) for promise in promises],
            "title": self.env._("%(company)s · Statement of account", company=company.name),
            "html_data": {"lang": lang.replace("_", "-")},
            "today": today,
            "days_overdue": {
                m.id: engine_rules.days_overdue(m.invoice_date_due, today) for m in moves
            },
            "total": sum(moves.mapped("amount_residual_signed")),
            "currency": company.currency_id,
            "claim": claim,
            "last_letter": last_letter,
            "letters": letters,
            "banks": company.partner_id.bank_ids,
            # What a transfer of everything due should quote (but what is
            # under review, as "Pay all" does).
            "reference": law_rules.payment_reference(
                (to_pay or moves).mapped("name"), last_letter.name if last_letter else ""
            ),
            "contact": contact._collector_contact()
            if contact
            else {"name": company.name, "phone": company.phone or "", "email": company.email or ""},
            "promises": promises,
            "policy": policy,
            "reasons": [
                (key, label)
                for key, label in Move._fields["dunning_reason"]._description_selection(self.env)
                if key in PORTAL_REASONS
            ],
        }

    # ------------------------------------------------------------------
    # What the customer does there
    # ------------------------------------------------------------------
    def _dunning_statement_log(self, communication, action, body):
        """Post on the customer's chatter and record it on the communication
        that carried the link."""
        self.ensure_one()
        self.sudo().with_context(dunning_collection_message=True).message_post(
            body=body, subtype_xmlid="mail.mt_note"
        )
        if communication and communication.partner_id == self:
            communication.sudo().write(
                {"statement_action": action, "statement_action_date": fields.Datetime.now()}
            )

    def _dunning_statement_activity(self, summary, note, attachments=None, policy=None):
        self.ensure_one()
        partner = self.sudo()
        policy = policy or partner._dunning_policy(self._dunning_statement_company())
        user = partner._dunning_collector(policy)
        activity = (
            self.env["mail.activity"]
            .sudo()
            .create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": partner.id,
                    "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                    "summary": summary,
                    "note": note,
                    "user_id": user.id,
                }
            )
        )
        if attachments:
            attachments.write({"res_model": "mail.activity", "res_id": activity.id})
        return activity

    def _dunning_claim_paid(
        self, pay_date, amount, proof=None, proof_name=None, communication=None
    ):
        """ "I have already paid": the collector checks it; the invoices rest
        until then (at most the policy's days), and the page says so."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        if not pay_date or not amount or amount <= 0:
            raise UserError(self.env._("Give the date and the amount you paid."))
        if pay_date > today:
            raise UserError(self.env._("The payment date cannot be in the future."))
        mimetype = None
        if proof:
            if len(proof) > PROOF_MAX_BYTES:
                raise UserError(self.env._("The proof may not exceed 5 MB."))
            # What the file holds decides, not its name nor the type the
            # browser declares (a renamed program is refused).
            mimetype = proof_mimetype(proof)
            if not mimetype:
                raise UserError(
                    self.env._(
                        "The proof must be a PDF, PNG or JPEG file that opens; this file is "
                        "not one. Nothing was recorded: send it again with another file."
                    )
                )
        company = self._dunning_statement_company()
        moves = self._dunning_statement_moves(company)
        # The claim covers the invoices not already under a reason the
        # customer gave (a dispute stays a dispute).
        moves = moves.filtered(lambda m: m.dunning_review != "reason") or moves
        if moves:
            # The same claim posted twice at once: the second waits here.
            self.env.cr.execute(
                "SELECT id FROM account_move WHERE id IN %s ORDER BY id FOR UPDATE",
                [tuple(moves.ids)],
            )
        policy = self.sudo()._dunning_policy(company)
        # Posting the same claim twice changes nothing.
        same = moves.filtered(
            lambda m: (
                m.dunning_review == "paid"
                and m.dunning_claim_date == pay_date
                and abs(m.dunning_claim_amount - amount) < 0.005
            )
        )
        if moves and same == moves and not proof:
            return False
        moves._dunning_write(
            {
                "dunning_review": "paid",
                "dunning_review_date": today,
                "dunning_claim_date": pay_date,
                "dunning_claim_amount": amount,
            }
        )
        currency = company.currency_id
        until = fields.Date.add(today, days=policy.portal_paid_pause_days)
        text = self.env._(
            "The customer says it paid %(amount)s on %(date)s for %(invoices)s: check it and "
            "press Review Done on the invoices. They get no reminder until then, at most "
            "until %(until)s.",
            amount=format_amount(self.env, amount, currency),
            date=format_date(self.env, pay_date),
            invoices=", ".join(moves.mapped("name")),
            until=format_date(self.env, until),
        )
        attachments = self.env["ir.attachment"]
        if proof:
            attachments = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": proof_name or "proof",
                        "datas": base64.b64encode(proof),
                        "mimetype": mimetype,
                    }
                )
            )
        self._dunning_statement_activity(
            self.env._("Customer says it has paid"),
            Markup("<p>%s</p>") % text,
            attachments,
            policy=policy,
        )
        self._dunning_statement_log(communication, "paid", Markup("<p>%s</p>") % text)
        return True

    def _dunning_dispute(self, move, reason, message, communication=None):
        """ "I dispute this invoice": the invoice gets the reason and rests
        while the collector reviews it (every reason the page offers), and
        the collector gets one activity, on the invoice."""
        self.ensure_one()
        Move = self.env["account.move"]
        reasons = dict(Move._fields["dunning_reason"]._description_selection(self.env))
        if reason not in PORTAL_REASONS:
            raise UserError(self.env._("Choose a reason."))
        if move.commercial_partner_id != self or move.payment_state not in ("not_paid", "partial"):
            raise UserError(self.env._("This invoice is not open on your statement."))
        # The same form posted twice at once: the second waits here for the
        # first, then is retried by Odoo and finds it done.
        self.env.cr.execute("SELECT id FROM account_move WHERE id = %s FOR UPDATE", [move.id])
        if move.dunning_reason == reason and move.dunning_review == "reason":
            return False
        move = move.sudo()
        move.with_context(dunning_statement=True).write(
            {"dunning_reason": reason, "dunning_reason_note": (message or "")[:500]}
        )
        move._dunning_write(
            {
                "dunning_review": "reason",
                "dunning_review_date": fields.Date.context_today(self),
                "dunning_claim_date": False,
                "dunning_claim_amount": False,
            }
        )
        text = self.env._(
            "The customer disputes invoice %(invoice)s (%(reason)s): %(message)s",
            invoice=move.name,
            reason=reasons[reason],
            message=message or "-",
        )
        policy = self.sudo()._dunning_policy(move.company_id)
        move.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Customer disputes %(invoice)s", invoice=move.name),
            note=Markup("<p>%s</p>") % text,
            user_id=self.sudo()._dunning_collector(policy).id,
        )
        # The customer's chatter links to the invoice that holds the activity.
        self._dunning_statement_log(
            communication, "dispute", Markup("<p>%s %s</p>") % (text, move._get_html_link())
        )
        return True

    def _dunning_plan_moves(self, company, count, first_date, today):
        """The statement's invoices a proposed plan would cover; a clear
        error when the proposal cannot be taken."""
        if not first_date or not count or count < 1 or count > 24:
            raise UserError(self.env._("Choose between 1 and 24 instalments."))
        if first_date < today:
            raise UserError(self.env._("The first instalment cannot be in the past."))
        moves = self._dunning_statement_moves(company)
        if not moves:
            raise UserError(self.env._("Nothing is due on your statement."))
        if (
            self.env["dunning.promise"]
            .sudo()
            .search_count(
                [
                    ("partner_id", "=", self.id),
                    ("state", "in", ("to_approve", "open")),
                    ("move_ids", "in", moves.ids),
                ]
            )
        ):
            raise UserError(self.env._("A payment plan is already under way for these invoices."))
        return moves

    def _dunning_propose_plan(self, count, first_date, communication=None):
        """ "Propose a payment plan": within the policy's limits, an open
        promise at once; beyond them, one that waits for the collector."""
        self.ensure_one()
        partner = self.sudo()
        today = fields.Date.context_today(self)
        company = self._dunning_statement_company()
        moves = self._dunning_plan_moves(company, count, first_date, today)
        Promise = self.env["dunning.promise"].sudo()
        policy = partner._dunning_policy(company)
        amount = sum(moves.mapped("amount_residual_signed"))
        problem = statement_plan_problem(
            count,
            first_date,
            amount,
            today,
            policy.portal_plan_max_instalments,
            policy.portal_plan_max_days,
            policy.portal_plan_min_instalment,
        )
        currency = company.currency_id
        instalments = split_instalments(amount, count, first_date, rounding=currency.rounding)
        promise = Promise.create(
            {
                "company_id": company.id,
                "partner_id": partner.id,
                "move_ids": [Command.set(moves.ids)],
                "amount": amount,
                "date_promised": today,
                "channel": "portal",
                "state": "to_approve" if problem else "open",
                "user_id": partner._dunning_collector(policy).id,
                "communication_id": communication.id if communication else False,
                "instalment_ids": [
                    Command.create({"date": day, "amount": value}) for day, value in instalments
                ],
            }
        )
        text = self.env._(
            "The customer proposes to pay %(amount)s in %(count)s instalments from %(date)s.",
            amount=format_amount(self.env, amount, currency),
            count=count,
            date=format_date(self.env, first_date),
        )
        if problem:
            self._dunning_statement_activity(
                self.env._("Approve the payment plan %(ref)s", ref=promise.name),
                Markup("<p>%s</p>") % text,
                policy=policy,
            )
        self._dunning_statement_log(communication, "plan", Markup("<p>%s</p>") % text)
        return promise
