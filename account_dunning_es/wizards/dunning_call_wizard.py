# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Log a call in two clicks: its objective and what it produced."""

from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..models.account_move import REASONS
from ..models.dunning_communication import CALL_RESULTS
from ..models.dunning_stage import CALL_OBJECTIVES


class DunningCallWizard(models.TransientModel):
    _name = "dunning.call.wizard"
    _description = "Log a Collection Call"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    phone = fields.Char(compute="_compute_phone")
    objective = fields.Selection(CALL_OBJECTIVES, required=True, default="commitment")
    result = fields.Selection(CALL_RESULTS, required=True, default="promise")
    pay_date = fields.Date(string="Paid On", default=fields.Date.context_today)
    amount = fields.Monetary(string="Amount Paid")
    reason = fields.Selection(REASONS, string="Non-payment Reason")
    note = fields.Text()

    @api.depends("partner_id")
    def _compute_phone(self):
        for wizard in self:
            wizard.phone = wizard.partner_id.mobile or wizard.partner_id.phone

    @api.model
    def _action_open(self, partner):
        partner = partner.commercial_partner_id
        wizard = self.create({"partner_id": partner.id, "amount": partner.dunning_overdue_amount})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Call: %(name)s", name=partner.display_name),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def _communication(self):
        """The logged call, a communication of channel 'phone' with its
        result, claiming the customer's overdue invoices (so that the
        effectiveness analysis measures calls by what they produced)."""
        self.ensure_one()
        partner = self.partner_id
        today = fields.Date.context_today(self)
        Move = self.env["account.move"]
        moves = Move.search(
            Move._dunning_open_domain(self.company_id, include_excluded=True)
            + [("commercial_partner_id", "=", partner.id), ("invoice_date_due", "<", today)]
        )
        policy = partner._dunning_policy(self.company_id)
        stage = partner.dunning_stage_id or policy.stage_ids.filtered("call_action")[:1]
        stage = stage or policy.stage_ids[:1]
        if not stage:
            raise UserError(
                self.env._("No dunning policy applies to %(name)s.", name=partner.display_name)
            )
        return self.env["dunning.communication"].create(
            {
                "date": today,
                "company_id": self.company_id.id,
                "partner_id": partner.id,
                "stage_id": stage.id,
                "channel": "phone",
                "state": "sent",
                "sent_date": fields.Datetime.now(),
                "user_id": self.env.user.id,
                "call_objective": self.objective,
                "call_result": self.result,
                "call_note": self.note,
                "line_ids": [
                    Command.create(
                        dict(
                            move._dunning_snapshot(today),
                            stage_id=stage.id,
                            cycle=move.dunning_cycle,
                        )
                    )
                    for move in moves
                ],
            }
        )

    def action_confirm(self):
        self.ensure_one()
        partner = self.partner_id
        if self.result == "reason" and not self.reason:
            raise UserError(self.env._("Choose the reason the customer gave."))
        comm = self._communication()
        action = True
        if self.result == "promise":
            # The promise form, pre-filled from the call: its invoices, by phone.
            action = self.env["dunning.promise.wizard"]._action_open(comm)
            action["context"] = dict(action["context"], default_channel="phone")
        elif self.result == "paid":
            self.env["dunning.statement"]._claim_paid(
                partner, self.pay_date, self.amount, company=self.company_id
            )
        elif self.result == "reason":
            partner._dunning_collector_write(
                {"dunning_reason": self.reason, "dunning_reason_note": self.note}
            )
        elif self.result == "no_answer":
            self._after_no_answer(comm)
        elif self.result == "wrong_number":
            partner._dunning_collector_write({"dunning_phone_wrong": True})
        self._close_call_activities()
        self.env["dunning.worklist"]._rebuild(self.company_id, partner)
        partner.with_context(dunning_collection_message=True).message_post(
            body=self.env._(
                "Call logged (%(objective)s): %(result)s. %(note)s",
                objective=dict(self._fields["objective"]._description_selection(self.env))[
                    self.objective
                ],
                result=dict(self._fields["result"]._description_selection(self.env))[self.result],
                note=self.note or "",
            ),
            subtype_xmlid="mail.mt_note",
        )
        return action

    def _close_call_activities(self):
        """The call was made: its due call activities on the customer are done."""
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.partner_id.id),
                ("activity_type_id", "=", self.env.ref("mail.mail_activity_data_call").id),
                ("date_deadline", "<=", fields.Date.context_today(self)),
            ]
        )
        if activities and self.result != "no_answer":
            activities.action_feedback(feedback=self.note or "")

    def _after_no_answer(self, comm):
        """Call again tomorrow; after the policy's number of unanswered calls
        in a row, write: the invoices' next stage goes out at once (as *Send
        next reminder now* does), in writing where that stage writes."""
        partner = self.partner_id
        policy = partner._dunning_policy(self.company_id)
        limit = max(policy.call_max_unanswered, 0)
        calls = self.env["dunning.communication"].search(
            [
                ("partner_id", "=", partner.id),
                ("company_id", "=", self.company_id.id),
                ("channel", "=", "phone"),
            ],
            order="date desc, id desc",
            limit=max(limit, 1),
        )
        unanswered = 0
        for call in calls:
            if call.call_result != "no_answer":
                break
            unanswered += 1
        if limit and unanswered >= limit and comm.line_ids:
            return self.env["dunning.run"]._send_now(comm.line_ids.move_id, "forced")
        # A collector may not write contacts (README's groups), which Odoo
        # asks of whoever schedules an activity on one: the call again is
        # scheduled for the collector, with the add-on's rights.
        self.env["mail.activity"].sudo().create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": partner.id,
                "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                "summary": self.env._("Call again (no answer)"),
                "user_id": self.env.user.id,
                "date_deadline": fields.Date.context_today(self) + timedelta(days=1),
            }
        )
        return False
