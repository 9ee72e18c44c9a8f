# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount

from .dunning_stage import CHANNELS

_logger = logging.getLogger(__name__)

ACTIVITY_TYPES = {
    "call": "mail.mail_activity_data_call",
    "meeting": "mail.mail_activity_data_meeting",
    "agency": "account_dunning_es.mail_activity_data_dunning_handover",
    "legal": "account_dunning_es.mail_activity_data_dunning_handover",
}


class DunningCommunication(models.Model):
    _name = "dunning.communication"
    _description = "Dunning Communication"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", readonly=True, copy=False, default="/")
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        help="Commercial entity the communication claims from.",
    )
    recipient_id = fields.Many2one(
        "res.partner", help="Contact that receives the communication (invoice address)."
    )
    stage_id = fields.Many2one("dunning.stage", required=True, index=True, ondelete="restrict")
    policy_id = fields.Many2one(related="stage_id.policy_id", store=True)
    tone = fields.Selection(related="stage_id.tone", store=True)
    channel = fields.Selection(CHANNELS, required=True, index=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("sent", "Issued"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        index=True,
        tracking=True,
    )
    failure_reason = fields.Text(readonly=True)
    user_id = fields.Many2one("res.users", string="Collector", index=True)
    run_id = fields.Many2one("dunning.run", index=True, ondelete="set null")
    line_ids = fields.One2many("dunning.communication.line", "communication_id", string="Invoices")
    move_ids = fields.Many2many(
        "account.move", string="Invoices Claimed", compute="_compute_move_ids"
    )
    invoice_count = fields.Integer(compute="_compute_amounts", store=True)
    amount_residual = fields.Monetary(
        string="Amount Claimed",
        compute="_compute_amounts",
        store=True,
        currency_field="currency_id",
        help="Residual of the claimed invoices on the day of the communication, in "
        "company currency.",
    )
    amount_display = fields.Char(
        string="Amount Due", compute="_compute_amount_display", help="Total due per currency."
    )
    sent_date = fields.Datetime(readonly=True, copy=False)
    message_id = fields.Many2one("mail.message", readonly=True, ondelete="set null", copy=False)
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null", copy=False)
    sending_method = fields.Selection(
        [
            ("post", "Ordinary Post"),
            ("certified", "Certified Post / Burofax"),
            ("email", "Email"),
            ("hand", "Hand Delivery"),
        ],
        help="How a letter was delivered.",
    )
    sending_reference = fields.Char(help="Certified post or burofax reference.")

    @api.depends("line_ids.move_id")
    def _compute_move_ids(self):
        for comm in self:
            comm.move_ids = comm.line_ids.move_id

    @api.depends("line_ids.amount_residual_company")
    def _compute_amounts(self):
        for comm in self:
            comm.invoice_count = len(comm.line_ids)
            comm.amount_residual = sum(comm.line_ids.mapped("amount_residual_company"))

    @api.depends("line_ids.amount_residual", "line_ids.currency_id")
    def _compute_amount_display(self):
        for comm in self:
            totals = comm._totals_by_currency()
            comm.amount_display = " + ".join(
                format_amount(self.env, amount, currency) for currency, amount in totals
            )

    def _totals_by_currency(self):
        """[(currency, residual)] of the claimed invoices, in their currencies."""
        self.ensure_one()
        totals = defaultdict(float)
        for line in self.line_ids:
            totals[line.currency_id] += line.amount_residual
        return sorted(totals.items(), key=lambda item: item[0].name)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("dunning.communication") or "/"
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Checks: what would stop a communication from reaching the customer
    # ------------------------------------------------------------------
    def _issue_problem(self):
        """Translated reason why this communication cannot be issued, or ''."""
        self.ensure_one()
        partner = self.partner_id
        recipient = self.recipient_id or partner
        if not partner.active:
            return _("The customer %(name)s is archived.", name=partner.display_name)
        if self.channel == "email" and not recipient.email:
            return _(
                "%(name)s has no email address: add one, or use another channel.",
                name=recipient.display_name,
            )
        if self.channel == "letter" and not (recipient.street and recipient.city and recipient.zip):
            return _(
                "The postal address of %(name)s is incomplete (street, zip and city are needed "
                "for a letter).",
                name=recipient.display_name,
            )
        if self.channel in ("call", "meeting") and not (
            recipient.phone or recipient.mobile or partner.phone or partner.mobile
        ):
            return _(
                "No phone number is known for %(name)s: no contact person can be called.",
                name=recipient.display_name,
            )
        return ""

    # ------------------------------------------------------------------
    # Issuing
    # ------------------------------------------------------------------
    def _issue(self):
        """Issue draft or failed communications through their channels.

        Grouped by channel so that templates render in one batch. A problem on
        one communication marks it failed with its reason and never stops the
        others.
        """
        todo = self.filtered(lambda c: c.state in ("draft", "failed"))
        failed = self.browse()
        for comm in todo:
            problem = comm._issue_problem()
            if problem:
                comm.write({"state": "failed", "failure_reason": problem})
                failed |= comm
        todo -= failed
        by_channel = defaultdict(lambda: self.browse())
        for comm in todo:
            by_channel[comm.channel] |= comm
        for channel, comms in by_channel.items():
            getattr(comms, f"_issue_{channel}", comms._issue_activity)()
        return todo

    def _mark_issued(self, **extra):
        self.write(
            dict(
                {"state": "sent", "failure_reason": False, "sent_date": fields.Datetime.now()},
                **extra,
            )
        )

    def _default_template(self):
        return self.env.ref(
            "account_dunning_es.mail_template_dunning_reminder", raise_if_not_found=False
        )

    def _issue_email(self):
        """Queue one email per communication, logged on the customer's chatter.

        The emails are created as one batch of ``mail.mail`` (each carries its
        ``mail.message`` on the customer, so the chatter shows it) and leave
        with the mail queue after the run commits: if the run is interrupted
        before, nothing has left.
        """
        by_template = defaultdict(lambda: self.browse())
        for comm in self:
            by_template[comm.stage_id.mail_template_id or self._default_template()] |= comm
        comment = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        for template, comms in by_template.items():
            if not template:
                comms.write(
                    {"state": "failed", "failure_reason": _("The stage has no email template.")}
                )
                continue
            rendered = template._generate_template(comms.ids, ("subject", "body_html", "email_from"))
            mails = self.env["mail.mail"].sudo().create(
                [
                    {
                        "model": "res.partner",
                        "res_id": comm.partner_id.id,
                        "record_name": comm.partner_id.display_name,
                        "message_type": "email_outgoing",
                        "subtype_id": comment,
                        "author_id": (comm.user_id.partner_id or comm.company_id.partner_id).id,
                        "email_from": rendered[comm.id].get("email_from")
                        or comm.company_id.email_formatted,
                        "subject": rendered[comm.id].get("subject"),
                        "body_html": rendered[comm.id].get("body_html") or "",
                        "body": rendered[comm.id].get("body_html") or "",
                        "recipient_ids": [Command.link((comm.recipient_id or comm.partner_id).id)],
                        "auto_delete": False,
                        "state": "outgoing",
                    }
                    for comm in comms
                ]
            )
            for comm, mail in zip(comms, mails, strict=True):
                comm._mark_issued(message_id=mail.mail_message_id.id)

    def _issue_letter(self):
        """A letter is issued for the record: printing and posting are recorded on it."""
        for comm in self:
            comm.partner_id.message_post(
                body=Markup("<p>%s</p>")
                % _(
                    "%(stage)s: demand letter %(ref)s issued for %(amount)s.",
                    stage=comm.stage_id.name,
                    ref=comm.name,
                    amount=comm.amount_display,
                ),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
        self._mark_issued()

    def _activity_note(self):
        self.ensure_one()
        stage = self.stage_id
        objective = dict(stage._fields["call_objective"]._description_selection(self.env)).get(
            stage.call_objective
        )
        rows = Markup("").join(
            Markup("<li>%s</li>")
            % _(
                "%(number)s, due %(due)s, %(amount)s (%(days)s days overdue)",
                number=line.move_id.name,
                due=line.date_due,
                amount=format_amount(self.env, line.amount_residual, line.currency_id),
                days=line.days_overdue,
            )
            for line in self.line_ids
        )
        parts = [Markup("<p>%s</p>") % _("Dunning %(ref)s, %(stage)s.", ref=self.name, stage=stage.name)]
        if objective:
            parts.append(Markup("<p><b>%s</b> %s</p>") % (_("Objective:"), objective))
        parts.append(Markup("<ul>%s</ul>") % rows)
        if stage.note:
            parts.append(stage.note)
        return Markup("").join(parts)

    def _issue_activity(self):
        """Call, meeting and hand-over: an activity for the responsible collector."""
        summaries = {
            "call": _("Collection call"),
            "meeting": _("Collection meeting"),
            "agency": _("Hand over to external collection agency"),
            "legal": _("Hand over for legal action"),
        }
        vals_list = []
        for comm in self:
            activity_type = self.env.ref(ACTIVITY_TYPES[comm.channel], raise_if_not_found=False)
            vals_list.append(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": comm.partner_id.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "summary": f"{summaries[comm.channel]} ({comm.amount_display})",
                    "note": comm._activity_note(),
                    "user_id": (comm.user_id or self.env.user).id,
                    "date_deadline": fields.Date.add(comm.date, days=comm.stage_id.call_delay_days),
                    "dunning_communication_id": comm.id,
                }
            )
        activities = self.env["mail.activity"].create(vals_list)
        for comm, activity in zip(self, activities, strict=True):
            comm._mark_issued(activity_id=activity.id)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_send(self):
        """Send the reviewed drafts (and retry failed ones)."""
        if any(c.state in ("sent", "cancelled") for c in self):
            raise UserError(_("Only draft or failed communications can be sent."))
        self._issue()
        return True

    def action_cancel(self):
        """Cancel drafts: their invoices go back to the stage they had before."""
        if any(c.state not in ("draft", "failed") for c in self):
            raise UserError(_("Only draft or failed communications can be cancelled."))
        lines = self.line_ids
        self.write({"state": "cancelled"})
        lines._restore_previous_stage()
        return True

    def action_mark_letter_sent(self):
        for comm in self.filtered(lambda c: c.channel == "letter" and not c.sending_method):
            comm.sending_method = "post"
        return True

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["domain"] = [("id", "in", self.line_ids.move_id.ids)]
        action["context"] = {"create": False}
        return action

    def _collector_contact(self):
        """Name, phone and email of the person the customer should contact."""
        self.ensure_one()
        user = self.user_id or self.company_id.partner_id
        partner = user.partner_id if user._name == "res.users" else user
        return {
            "name": partner.name,
            "phone": partner.phone or partner.mobile or self.company_id.phone or "",
            "email": partner.email or self.company_id.email or "",
        }

    def _bank_accounts(self):
        """Company bank accounts the customer can pay into."""
        self.ensure_one()
        return self.company_id.partner_id.bank_ids
