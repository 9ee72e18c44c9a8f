# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The customer's statement page behind its controller: what the page shows
and what the customer does there (claim a payment, dispute an invoice,
propose a plan). The customer's token and link are the customer's own
(``res_partner_statement.py``)."""

import base64
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date, get_lang

from ..rules import engine as engine_rules
from ..rules import law as law_rules
from ..rules.court import split_instalments
from ..rules.statement import PROOF_MAX_BYTES, PageAmounts, proof_mimetype

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


class DunningStatement(models.AbstractModel):
    """Each method takes the customer (its commercial entity) whose page it
    serves. The page is public: the controller calls these as superuser. A
    collector who logs a call where the customer says it paid records the
    claim with the same :meth:`_claim_paid`, as the collector."""

    _name = "dunning.statement"
    _description = "Customer's Statement Page"

    # ------------------------------------------------------------------
    # What the page shows
    # ------------------------------------------------------------------
    @api.model
    def _company(self, partner, communication=None, move_ids=None):
        """The company whose statement the customer sees (a public page has no
        company of its own): the one of the reminder whose link it followed;
        else the one of the invoices it chose to pay; else the one of its last
        reminder. A customer of two companies reminded by both reads, from
        each reminder, the statement of the company that sent it."""
        partner.ensure_one()
        if communication:
            return communication.sudo().company_id
        if move_ids:
            chosen = (
                self.env["account.move"]
                .sudo()
                .search(
                    [("id", "in", list(move_ids)), ("commercial_partner_id", "=", partner.id)],
                    limit=1,
                )
            )
            if chosen:
                return chosen.company_id
        last = (
            self.env["dunning.communication"]
            .sudo()
            .search([("partner_id", "=", partner.id), ("state", "=", "sent")], limit=1)
        )
        return last.company_id or partner.sudo().company_id or self.env.company

    @api.model
    def _moves(self, partner, company):
        """The customer's open invoices in the company, oldest due first (sudo:
        a public page)."""
        partner.ensure_one()
        Move = self.env["account.move"].sudo()
        return Move.search(
            Move._dunning_open_domain(company, include_excluded=True)
            + [("commercial_partner_id", "=", partner.id)],
            order="invoice_date_due, id",
        )

    @api.model
    def _values(self, partner, company=None):
        """Open invoices, totals, the last letter's claim, how to pay, letters
        sent, pending requests and the collector (sudo: a public page)."""
        partner.ensure_one()
        partner = partner.sudo()
        company = company or self._company(partner)
        moves = self._moves(partner, company)
        Move = self.env["account.move"]
        today = fields.Date.context_today(self)
        # Nothing is written here: the page links each invoice's PDF through
        # the customer's own token (/d/<token>/invoice/<id>), so opening it
        # makes no portal token per invoice.
        under_review = moves.filtered(lambda m: m.dunning_review or m.dunning_reason == "dispute")
        to_pay = moves - under_review
        comms = self.env["dunning.communication"].sudo()
        letters = self._letters(partner, company)
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
        promises = self._plans(partner, today)
        lang = self.env.lang or partner.lang or "en_US"
        return {
            "rows": self._rows(moves),
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

    @api.model
    def _rows(self, moves):
        """Each invoice's dates and amounts as the page prints them, as
        Odoo's date and monetary widgets would, the language read once."""
        amount = PageAmounts(get_lang(self.env))
        dates = {}

        def day(value):
            if value not in dates:
                dates[value] = format_date(self.env, value)
            return dates[value]

        return {
            move.id: {
                "date": day(move.invoice_date),
                "due": day(move.invoice_date_due),
                "total": amount(move.amount_total, move.currency_id),
                "paid": amount(move.amount_total - move.amount_residual, move.currency_id),
                "residual": amount(move.amount_residual, move.currency_id),
            }
            for move in moves
        }

    @api.model
    def _letters(self, partner, company):
        """The letters sent to the customer by the company whose PDF is kept,
        newest first."""
        return (
            self.env["dunning.communication"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", partner.id),
                    ("company_id", "=", company.id),
                    ("channel", "=", "letter"),
                    ("state", "=", "sent"),
                    ("letter_attachment_id", "!=", False),
                ],
                order="date desc, id desc",
            )
        )

    @api.model
    def _plans(self, partner, today):
        """Plans under way, and those kept this last month (the page says so,
        rather than dropping a plan the customer just finished paying)."""
        return (
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

    # ------------------------------------------------------------------
    # What the customer does there
    # ------------------------------------------------------------------
    @api.model
    def _log(self, partner, communication, action, body):
        """Post on the customer's chatter and record it on the communication
        that carried the link."""
        partner.ensure_one()
        partner.sudo().with_context(dunning_collection_message=True).message_post(
            body=body, subtype_xmlid="mail.mt_note"
        )
        if communication and communication.partner_id == partner:
            communication.sudo().write(
                {"statement_action": action, "statement_action_date": fields.Datetime.now()}
            )

    @api.model
    def _activity(self, partner, summary, note, attachments=None, policy=None):
        partner.ensure_one()
        partner = partner.sudo()
        policy = policy or partner._dunning_policy(self._company(partner))
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

    @api.model
    def _claim_paid(
        self,
        partner,
        pay_date,
        amount,
        proof=None,
        proof_name=None,
        communication=None,
        company=None,
    ):
        """ "I have already paid": the collector checks it; the invoices rest
        until then (at most the policy's days), and the page says so."""
        partner.ensure_one()
        today = fields.Date.context_today(self)
        if not pay_date or not amount or amount <= 0:
            raise UserError(self.env._("Give the date and the amount you paid."))
        if pay_date > today:
            raise UserError(self.env._("The payment date cannot be in the future."))
        mimetype = self._proof_type(proof) if proof else None
        company = company or self._company(partner, communication)
        moves = self._moves(partner, company)
        # The claim covers the invoices not already under a reason the
        # customer gave (a dispute stays a dispute).
        moves = moves.filtered(lambda m: m.dunning_review != "reason") or moves
        if moves:
            # The same claim posted twice at once: the second waits here.
            self.env.cr.execute(
                "SELECT id FROM account_move WHERE id IN %s ORDER BY id FOR UPDATE",
                [tuple(moves.ids)],
            )
        policy = partner.sudo()._dunning_policy(company)
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
        self._activity(
            partner,
            self.env._("Customer says it has paid"),
            Markup("<p>%s</p>") % text,
            attachments,
            policy=policy,
        )
        self._log(partner, communication, "paid", Markup("<p>%s</p>") % text)
        return True

    @api.model
    def _proof_type(self, proof):
        """The type of a proof of payment, or a clear error. What the file
        holds decides, not its name nor the type the browser declares (a
        renamed program is refused)."""
        if len(proof) > PROOF_MAX_BYTES:
            raise UserError(self.env._("The proof may not exceed 5 MB."))
        mimetype = proof_mimetype(proof)
        if not mimetype:
            raise UserError(
                self.env._(
                    "The proof must be a PDF, PNG or JPEG file that opens; this file is "
                    "not one. Nothing was recorded: send it again with another file."
                )
            )
        return mimetype

    @api.model
    def _dispute(self, partner, move, reason, message, communication=None):
        """ "I dispute this invoice": the invoice gets the reason and rests
        while the collector reviews it (every reason the page offers), and
        the collector gets one activity, on the invoice."""
        partner.ensure_one()
        Move = self.env["account.move"]
        reasons = dict(Move._fields["dunning_reason"]._description_selection(self.env))
        if reason not in PORTAL_REASONS:
            raise UserError(self.env._("Choose a reason."))
        if move.commercial_partner_id != partner or move.payment_state not in (
            "not_paid",
            "partial",
        ):
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
        policy = partner.sudo()._dunning_policy(move.company_id)
        move.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Customer disputes %(invoice)s", invoice=move.name),
            note=Markup("<p>%s</p>") % text,
            user_id=partner.sudo()._dunning_collector(policy).id,
        )
        # The customer's chatter links to the invoice that holds the activity.
        self._log(
            partner,
            communication,
            "dispute",
            Markup("<p>%s %s</p>") % (text, move._get_html_link()),
        )
        return True

    @api.model
    def _plan_moves(self, partner, company, count, first_date, today):
        """The statement's invoices a proposed plan would cover; a clear
        error when the proposal cannot be taken."""
        if not first_date or not count or count < 1 or count > 24:
            raise UserError(self.env._("Choose between 1 and 24 instalments."))
        if first_date < today:
            raise UserError(self.env._("The first instalment cannot be in the past."))
        moves = self._moves(partner, company)
        if not moves:
            raise UserError(self.env._("Nothing is due on your statement."))
        if (
            self.env["dunning.promise"]
            .sudo()
            .search_count(
                [
                    ("partner_id", "=", partner.id),
                    ("state", "in", ("to_approve", "open")),
                    ("move_ids", "in", moves.ids),
                ]
            )
        ):
            raise UserError(self.env._("A payment plan is already under way for these invoices."))
        return moves

    @api.model
    def _propose_plan(self, partner, count, first_date, communication=None):
        """ "Propose a payment plan": within the policy's limits, an open
        promise at once; beyond them, one that waits for the collector."""
        partner.ensure_one()
        partner = partner.sudo()
        today = fields.Date.context_today(self)
        company = self._company(partner, communication)
        moves = self._plan_moves(partner, company, count, first_date, today)
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
            self._activity(
                partner,
                self.env._("Approve the payment plan %(ref)s", ref=promise.name),
                Markup("<p>%s</p>") % text,
                policy=policy,
            )
        self._log(partner, communication, "plan", Markup("<p>%s</p>") % text)
        return promise
