# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare, format_amount

from ..rules import engine as engine_rules
from ..rules import statement as statement_rules
from ..rules.court import split_instalments

PROMISE_CHANNELS = [
    ("phone", "Phone"),
    ("meeting", "Meeting"),
    ("email", "Email"),
    ("sms", "SMS"),
    ("letter", "Letter"),
    ("portal", "Statement Page"),
]


class DunningPromise(models.Model):
    _name = "dunning.promise"
    _description = "Payment Promise"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_due, id"
    _check_company_auto = True

    name = fields.Char(string="Reference", readonly=True, copy=False, default="/")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('parent_id', '=', False)]",
    )
    move_ids = fields.Many2many(
        "account.move",
        "dunning_promise_account_move_rel",
        "promise_id",
        "move_id",
        string="Invoices Covered",
        required=True,
        check_company=True,
        domain="[('commercial_partner_id', '=', partner_id), ('move_type', '=', 'out_invoice'),"
        " ('state', '=', 'posted'), ('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    amount = fields.Monetary(string="Promised Amount", required=True, tracking=True)
    date_promised = fields.Date(
        string="Made On",
        required=True,
        default=fields.Date.context_today,
        help="Payments on the covered invoices from this day on count for the promise.",
    )
    date_due = fields.Date(
        string="Last Instalment On",
        compute="_compute_date_due",
        store=True,
        index=True,
        help="Date of the last instalment: the promise is fully due then.",
    )
    next_date = fields.Date(
        string="Next Instalment",
        readonly=True,
        index=True,
        help="Date of the next instalment still to be paid.",
    )
    channel = fields.Selection(
        PROMISE_CHANNELS, string="Obtained By", default="phone", required=True
    )
    user_id = fields.Many2one(
        "res.users", string="Collector", default=lambda self: self.env.user, tracking=True
    )
    note = fields.Text()
    state = fields.Selection(
        [
            ("to_approve", "To Approve"),
            ("open", "Open"),
            ("kept", "Kept"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        default="open",
        required=True,
        tracking=True,
        index=True,
    )
    instalment_ids = fields.One2many(
        "dunning.promise.instalment", "promise_id", string="Instalments", copy=True
    )
    instalment_count = fields.Integer(compute="_compute_date_due", store=True)
    amount_paid = fields.Monetary(
        readonly=True, help="Received on the covered invoices since the promise was made."
    )
    paid_percent = fields.Float(compute="_compute_paid_percent", string="Paid (%)")
    broken_date = fields.Date(readonly=True, copy=False)
    closed_date = fields.Date(readonly=True, copy=False)
    communication_id = fields.Many2one(
        "dunning.communication",
        string="Obtained After",
        ondelete="set null",
        help="The reminder, call or letter after which the customer promised.",
    )
    grace_days = fields.Integer(
        help="Days after an instalment date before the promise is broken.",
        default=lambda self: self._default_grace_days(),
    )

    @api.model
    def _default_grace_days(self):
        return self.env.company.dunning_policy_id.promise_grace_days or 0

    @api.depends("instalment_ids.date")
    def _compute_date_due(self):
        for promise in self:
            promise.date_due = max(promise.instalment_ids.mapped("date"), default=False)
            promise.instalment_count = len(promise.instalment_ids)

    @api.depends("amount", "amount_paid")
    def _compute_paid_percent(self):
        for promise in self:
            promise.paid_percent = (
                min(promise.amount_paid / promise.amount * 100, 100) if promise.amount else 0.0
            )

    @api.constrains("amount", "instalment_ids")
    def _check_instalments(self):
        for promise in self:
            if (
                float_compare(promise.amount, 0, precision_rounding=promise.currency_id.rounding)
                <= 0
            ):
                raise ValidationError(self.env._("A promise is for a positive amount."))
            total = sum(promise.instalment_ids.mapped("amount"))
            if float_compare(
                total, promise.amount, precision_rounding=promise.currency_id.rounding
            ):
                raise ValidationError(
                    self.env._(
                        "The instalments of %(ref)s add up to %(total)s, not the promised %(amount)s.",
                        ref=promise.name,
                        total=format_amount(self.env, total, promise.currency_id),
                        amount=format_amount(self.env, promise.amount, promise.currency_id),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("dunning.promise") or "/"
        promises = super().create(vals_list)
        promises._evaluate(can_break=False)
        # A promise lifts a credit hold (the customer is collaborating).
        self.env["res.partner"]._dunning_release_settled_holds(promises.partner_id)
        return promises

    # ------------------------------------------------------------------
    # Evaluation
    # ------------------------------------------------------------------
    def _payments(self):
        """{promise: [(date, amount in company currency)]} since each was made."""
        by_move = self.move_ids._dunning_payments(company_currency=True)
        return {
            promise: [
                payment
                for move in promise.move_ids
                for payment in by_move[move.id]
                if payment[0] >= promise.date_promised
            ]
            for promise in self
        }

    def _dunning_schedule_now(self):
        """The instalments as they stand against what the promise's invoices
        still owe (a payment the daily job has not judged yet counts): what
        the customer's statement page shows, computed, not written."""
        self.ensure_one()
        owed = sum(self.move_ids.mapped("amount_residual_signed"))
        return statement_rules.plan_schedule(
            [(i.date, i.amount) for i in self.instalment_ids], owed
        )

    def _evaluate(self, today=None, can_break=True):
        """Judge the open promises against what was paid since each was made:
        kept, broken or still open. A broken one says so in its chatter and
        gives its collector an activity.

        Its invoices escalate where the caller hands them on: the daily run
        in its own first batch (``dunning.run._judge_promises``), anyone else
        through ``dunning.run._judge_now``. A promise never drives a run.

        :param can_break: False while the promise is being made: whoever
            records one that may have lapsed already judges it next with
            ``dunning.run._judge_now`` (the promise form's wizard does), else
            the daily run does
        :return: the promises broken now
        """
        today = today or fields.Date.context_today(self)
        open_promises = self.filtered(lambda p: p.state == "open")
        payments = open_promises._payments()
        broken = self.browse()
        for promise in open_promises:
            result = engine_rules.evaluate_promise(
                [(i.date, i.amount) for i in promise.instalment_ids],
                payments[promise],
                today,
                promise.grace_days,
            )
            promise.instalment_ids._allocate(result.paid)
            vals = {"amount_paid": result.paid, "next_date": result.next_due}
            if result.state == "kept":
                vals.update(state="kept", closed_date=today)
            elif result.state == "broken" and can_break:
                vals.update(state="broken", broken_date=result.broken_on, closed_date=today)
                broken |= promise
            promise.write(vals)
        broken._notify_broken()
        return broken

    def _notify_broken(self):
        """Say in each broken promise's chatter that it is broken, and give
        its collector an activity."""
        for promise in self:
            promise.message_post(
                body=self.env._(
                    "Promise broken: the instalment of %(date)s was not paid.",
                    date=promise.broken_date,
                ),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
            promise.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Broken payment promise"),
                note=self.env._(
                    "%(customer)s did not keep promise %(ref)s (%(amount)s): contact them.",
                    customer=promise.partner_id.display_name,
                    ref=promise.name,
                    amount=format_amount(self.env, promise.amount, promise.currency_id),
                ),
                user_id=(
                    promise.user_id
                    if promise.user_id._dunning_is_person()
                    else promise.partner_id._dunning_collector(
                        promise.partner_id._dunning_policy(promise.company_id)
                    )
                ).id,
            )

    def _escalation_moves(self):
        """The invoices of these promises that are still open."""
        return self.move_ids.filtered(lambda m: m.payment_state in ("not_paid", "partial"))

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_approve(self):
        """A plan the customer proposed beyond the policy's limits: accepted."""
        if any(p.state != "to_approve" for p in self):
            raise UserError(self.env._("Only a proposed plan can be approved."))
        self.write({"state": "open"})
        return True

    def action_cancel(self):
        self.write({"state": "cancelled", "closed_date": fields.Date.context_today(self)})
        return True

    def action_split_instalments(self, count=3, interval_days=30):
        """Turn the promise into ``count`` equal instalments a month apart."""
        for promise in self:
            if promise.state != "open":
                raise UserError(self.env._("Only an open promise can be split."))
            first = promise.instalment_ids[:1].date or fields.Date.context_today(self)
            instalments = split_instalments(
                promise.amount, count, first, interval_days, promise.currency_id.rounding
            )
            promise.instalment_ids = [Command.clear()] + [
                Command.create({"date": day, "amount": amount}) for day, amount in instalments
            ]
        return True

    def _send_instalment_reminders(self, today):
        """Friendly email the day before an instalment, where the policy asks."""
        template = self.env.ref(
            "account_dunning_es.mail_template_promise_reminder", raise_if_not_found=False
        )
        tomorrow = today + timedelta(days=1)
        for promise in self.filtered(lambda p: p.state == "open"):
            policy = promise.partner_id._dunning_policy(promise.company_id)
            if not (template and policy and policy.promise_reminder):
                continue
            due = promise.instalment_ids.filtered(
                lambda i: i.date == tomorrow and not i.reminder_sent and i.state != "paid"
            )
            if not due:
                continue
            promise.with_context(mail_notify_force_send=False).message_post_with_source(
                template, subtype_xmlid="mail.mt_comment"
            )
            due.reminder_sent = True
