# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..models.dunning_promise import PROMISE_CHANNELS


class DunningPromiseWizard(models.TransientModel):
    _name = "dunning.promise.wizard"
    _description = "Register a Payment Promise"

    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices Covered",
        domain="[('commercial_partner_id', '=', partner_id), ('move_type', '=', 'out_invoice'),"
        " ('state', '=', 'posted'), ('payment_state', 'in', ('not_paid', 'partial')),"
        " ('company_id', '=', company_id)]",
    )
    amount = fields.Monetary(
        string="Promised Amount", compute="_compute_amount", store=True, readonly=False
    )
    date = fields.Date(
        string="First Payment On",
        required=True,
        help="Day of the payment, or of the first instalment of a plan.",
        default=lambda self: fields.Date.context_today(self) + timedelta(days=7),
    )
    instalment_count = fields.Integer(
        string="Instalments", default=1, help="More than one: a payment plan, equal instalments."
    )
    interval_days = fields.Integer(string="Every (Days)", default=30)
    channel = fields.Selection(
        PROMISE_CHANNELS, string="Obtained By", default="phone", required=True
    )
    note = fields.Text()
    communication_id = fields.Many2one("dunning.communication")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        model, ids = context.get("active_model"), context.get("active_ids") or []
        records = self.env[model].browse(ids) if model and ids else None
        if model == "mail.activity" and records:
            # A collection activity: the invoices of its communication, else
            # the overdue invoices of the record it is about.
            comm = records[0].dunning_communication_id
            if comm:
                model, records = comm._name, comm
            else:
                records = self.env[records[0].res_model].browse(records[0].res_id)
                model = records._name
        if model == "dunning.communication" and records:
            values["communication_id"] = records[0].id
            values["partner_id"] = records[0].partner_id.id
            values["move_ids"] = [Command.set(records[0].line_ids.move_id.ids)]
        elif model == "account.move" and records:
            values["partner_id"] = records[0].commercial_partner_id.id
            values["move_ids"] = [Command.set(records.ids)]
        elif model == "res.partner" and records:
            partner = records[0].commercial_partner_id
            values["partner_id"] = partner.id
            Move = self.env["account.move"]
            overdue = Move.search(
                Move._dunning_open_domain(self.env.company, include_excluded=True)
                + [
                    ("commercial_partner_id", "=", partner.id),
                    ("invoice_date_due", "<", fields.Date.context_today(self)),
                ]
            )
            values["move_ids"] = [Command.set(overdue.ids)]
        return values

    @api.model
    def _action_open(self, records):
        """The registration dialog for these customers, invoices or communications."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Register a Payment Promise"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": records._name, "active_ids": records.ids},
        }

    @api.depends("move_ids")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = sum(wizard.move_ids.mapped("amount_residual_signed"))

    def action_confirm(self):
        self.ensure_one()
        if not self.move_ids:
            raise UserError(self.env._("Choose the invoices the customer promises to pay."))
        if self.instalment_count < 1:
            raise UserError(self.env._("A promise has at least one instalment."))
        promise = self.env["dunning.promise"].create(
            {
                "company_id": self.company_id.id,
                "partner_id": self.partner_id.commercial_partner_id.id,
                "move_ids": [Command.set(self.move_ids.ids)],
                "amount": self.amount,
                "channel": self.channel,
                "note": self.note,
                "communication_id": self.communication_id.id,
                "instalment_ids": [Command.create({"date": self.date, "amount": self.amount})],
            }
        )
        # Recorded with its date (and grace) already past, it breaks at once
        # and its invoices escalate, as the daily job would have done.
        self.env["dunning.run"]._judge_now(promise.move_ids)
        if self.instalment_count > 1:
            promise.action_split_instalments(self.instalment_count, self.interval_days)
        return {
            "type": "ir.actions.act_window",
            "res_model": "dunning.promise",
            "res_id": promise.id,
            "view_mode": "form",
        }
