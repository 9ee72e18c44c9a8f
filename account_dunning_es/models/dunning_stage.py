# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from ..rules import law as law_rules

CHANNELS = [
    ("email", "Email"),
    ("letter", "Letter"),
    ("call", "Phone Call"),
    ("meeting", "Meeting"),
    ("phone", "Logged Call"),
    ("negotiation", "Negotiation Attempt (MASC)"),
    ("agency", "External Agency"),
    ("legal", "Legal Action"),
]

# What a call or a meeting is for (the seeds' five objectives).
CALL_OBJECTIVES = [
    ("remind", "Remind the debt"),
    ("barriers", "Remove payment barriers"),
    ("commitment", "Obtain a payment commitment"),
    ("press", "Press for payment"),
    ("conditions", "Change payment conditions"),
]


TONES = [("friendly", "Friendly"), ("firm", "Firm"), ("final", "Final")]


class DunningStage(models.Model):
    _name = "dunning.stage"
    _description = "Dunning Stage"
    _order = "policy_id, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10, help="Order of the stage in its policy.")
    active = fields.Boolean(default=True)
    policy_id = fields.Many2one("dunning.policy", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    offset_days = fields.Integer(
        string="Days After Due Date",
        help="Day, relative to the invoice due date, from which the stage is issued. "
        "Negative: a friendly pre-reminder before the due date.",
    )
    tone = fields.Selection(
        TONES,
        default="friendly",
        required=True,
    )
    send_email = fields.Boolean(string="Email")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain=[("model", "=", "dunning.communication")],
    )
    send_letter = fields.Boolean(
        string="Letter",
        help="A demand letter is prepared for printing and kept for the record.",
    )
    letter_number = fields.Selection(
        [("1", "First demand"), ("2", "Second demand"), ("3", "Final demand")],
        help="Which demand letter this stage issues.",
    )
    call_action = fields.Selection(
        [("call", "Phone Call"), ("meeting", "Meeting")],
        string="Personal Contact",
        help="Schedules an activity for the responsible collector.",
    )
    call_objective = fields.Selection(CALL_OBJECTIVES, string="Contact Objective")
    call_delay_days = fields.Integer(
        string="Activity Due In (Days)", help="Deadline of the call/meeting activity."
    )
    negotiation = fields.Boolean(
        string="Negotiation Attempt (MASC)",
        help="Before a hand-over for legal action: an invitation to negotiate or a binding "
        "confidential offer (LO 1/2025 arts. 5, 10 and 17), sent by a channel that proves "
        "receipt and content. The legal hand-over waits for its answer period to end "
        "without agreement. Public administrations never get it.",
    )
    handover = fields.Selection(
        [("agency", "External Collection Agency"), ("legal", "Legal Action")],
        string="Hand-over",
        help="The debt leaves ordinary collection: an activity asks the collector to "
        "hand the file over.",
    )
    credit_hold = fields.Boolean(
        help="When the stage is issued, the customer's credit is withdrawn: Odoo's blocking "
        "warning is set on it for invoices (and sales orders when Sales is installed), "
        "naming the stage and the collector. It is lifted, and the previous warning "
        "restored, when the customer has nothing overdue or registers a payment promise.",
    )
    note = fields.Html(translate=True, help="Instructions for the collector.")

    @api.depends("policy_id", "name")
    def _compute_display_name(self):
        for stage in self:
            stage.display_name = (
                f"{stage.policy_id.name} / {stage.name}" if stage.policy_id else stage.name
            )

    def _letter_deadline(self, letter_date):
        """Day by which the customer must pay after a letter of this stage
        dated ``letter_date`` (the policy's days, ten when unset)."""
        self.ensure_one()
        if not letter_date:
            return False
        return law_rules.letter_deadline(letter_date, self.policy_id.letter_deadline_days or 10)

    def _channels(self):
        """Channels the stage issues, in the order they are issued."""
        self.ensure_one()
        channels = []
        if self.send_email:
            channels.append("email")
        if self.send_letter:
            channels.append("letter")
        if self.call_action:
            channels.append(self.call_action)
        if self.negotiation:
            channels.append("negotiation")
        if self.handover:
            channels.append(self.handover)
        return channels
