# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..infrastructure import sql_builders
from ..infrastructure.batch_defaults import add_missing_defaults
from ..rules import court as court_rules
from ..rules import formatting
from ..rules import law as law_rules
from .dunning_stage import CALL_OBJECTIVES, CHANNELS, TONES
from .res_partner_statement import statement_link_of

# What a customer did on its statement page after a reminder.
STATEMENT_ACTIONS = [
    ("paid", "Said it has paid"),
    ("dispute", "Disputed an invoice"),
    ("plan", "Proposed a payment plan"),
]
CALL_RESULTS = [
    ("promise", "Promise to pay"),
    ("paid", "Says it has paid"),
    ("reason", "Gave a non-payment reason"),
    ("no_answer", "No answer"),
    ("wrong_number", "Wrong number"),
]


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
    # Precomputed: stored with the row that create() inserts, not by an
    # UPDATE of every new communication at the next flush (a run creates
    # thousands, each UPDATE rewriting a row of eleven indexes). A run gives
    # their values itself (dunning.run._communication_values): precomputing
    # them would make a new record of each in memory first. Not readonly for
    # the ORM (the views show them read only): Odoo drops the given values of
    # readonly precomputed fields and computes them anyway. Computed rather
    # than related: a writable related field would write through to the stage.
    policy_id = fields.Many2one(
        "dunning.policy",
        compute="_compute_policy_tone",
        store=True,
        precompute=True,
        readonly=False,
    )
    tone = fields.Selection(
        TONES, compute="_compute_policy_tone", store=True, precompute=True, readonly=False
    )
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
    # Precomputed and not readonly (for the ORM; the views show them read
    # only): a run gives both values to create(), as it inserts the lines in
    # bulk afterwards, and Odoo keeps given values of such fields.
    invoice_count = fields.Integer(
        compute="_compute_amounts", store=True, precompute=True, readonly=False
    )
    amount_residual = fields.Monetary(
        string="Amount Claimed",
        compute="_compute_amounts",
        store=True,
        precompute=True,
        readonly=False,
        currency_field="currency_id",
        help="Residual of the claimed invoices on the day of the communication, in "
        "company currency.",
    )
    amount_display = fields.Char(
        string="Amount Due", compute="_compute_amount_display", help="Total due per currency."
    )
    payment_reference = fields.Char(
        compute="_compute_payment_reference",
        help="What the customer should quote on the transfer: the invoice numbers, or "
        "this communication's reference when it claims more than ten invoices.",
    )
    sent_date = fields.Datetime(readonly=True, copy=False)
    # The links to records of large tables that are deleted are indexed:
    # each message, activity (marked done) or attachment deleted makes
    # PostgreSQL look for the communications pointing to it (ondelete), which
    # without an index reads the whole table (deleting the benchmark's
    # 183,000 messages, beside as many communications, had not ended after
    # 13 minutes).
    message_id = fields.Many2one(
        "mail.message", readonly=True, ondelete="set null", copy=False, index="btree_not_null"
    )
    activity_id = fields.Many2one(
        "mail.activity", readonly=True, ondelete="set null", copy=False, index="btree_not_null"
    )
    sending_method = fields.Selection(
        law_rules.SENDING_METHODS,
        help="How a letter was delivered. Certified post with acknowledgement proves "
        "sending and receipt; burofax with content certification and certified email "
        "prove content, date and receipt too; ordinary post and plain email prove none.",
    )
    sending_reference = fields.Char(help="Certified post, burofax or certified email reference.")
    sending_date = fields.Date(help="Day the letter was posted or delivered.")
    delivery_outcome = fields.Selection(law_rules.DELIVERY_OUTCOMES, tracking=True)
    receipt_date = fields.Date(
        tracking=True,
        help="Day the customer received the letter, from the acknowledgement of receipt. "
        "The next reminder of its invoices, the hand-over included, counts from it.",
    )
    delivery_proof = fields.Binary(
        attachment=True,
        copy=False,
        help="The operator's certificate (acknowledgement of receipt, burofax or certified "
        "email certificate), as a PDF.",
    )
    delivery_proof_name = fields.Char(copy=False)
    receipt_proven = fields.Boolean(
        compute="_compute_receipt_proven",
        help="The way of sending proves receipt, and the letter was delivered on a known day.",
    )
    letter_number = fields.Selection(related="stage_id.letter_number")
    letter_attachment_id = fields.Many2one(
        "ir.attachment",
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
        help="The PDF of the letter as issued.",
    )
    letter_deadline = fields.Date(
        compute="_compute_letter_deadline",
        store=True,
        precompute=True,
        readonly=False,
        help="Date by which the customer must pay after this letter.",
    )
    bureau_notice_date = fields.Date(
        readonly=True,
        copy=False,
        help="Day the customer was warned, in this letter, that the debt may be reported "
        "to a credit information system (LOPDGDD art. 20): kept as evidence.",
    )

    negotiation_ids = fields.One2many("dunning.negotiation", "communication_id")
    statement_opened_date = fields.Datetime(
        string="Statement Opened",
        readonly=True,
        copy=False,
        help="When the customer first opened its statement page from this reminder's link.",
    )
    statement_action = fields.Selection(
        STATEMENT_ACTIONS,
        string="Customer Action",
        readonly=True,
        copy=False,
        index=True,
        help="What the customer did on its statement page after this reminder.",
    )
    statement_action_date = fields.Datetime(readonly=True, copy=False)
    call_objective = fields.Selection(CALL_OBJECTIVES, readonly=True, copy=False)
    call_result = fields.Selection(
        CALL_RESULTS,
        readonly=True,
        copy=False,
        index=True,
        help="What a call the collector logged produced.",
    )
    call_note = fields.Text(readonly=True, copy=False)
    statement_url = fields.Char(
        compute="_compute_statement_url",
        help="The link to the customer's statement page this reminder carries.",
    )

    def _compute_statement_url(self):
        # Computed for a whole batch of reminders (the emails of a run): the
        # tokens their customers lack are made at once.
        # Each customer's link once (a customer may have several reminders).
        self.partner_id._dunning_ensure_tokens()
        links = {}
        for comm in self:
            if not comm.id:
                comm.statement_url = False
                continue
            customer = comm.partner_id.commercial_partner_id
            if customer not in links:
                links[customer] = customer._dunning_statement_link()
            comm.statement_url = statement_link_of(links[customer], comm)

    def _statement_url(self):
        """The link to the customer's statement page this reminder carries."""
        self.ensure_one()
        return self.partner_id.commercial_partner_id._dunning_statement_url(self)

    @api.depends("sending_method", "delivery_outcome", "receipt_date")
    def _compute_receipt_proven(self):
        for comm in self:
            comm.receipt_proven = bool(
                law_rules.proven_receipt(
                    comm.sending_method, comm.delivery_outcome, comm.receipt_date
                )
            )

    def _court_evidence(self):
        """What this letter's recorded sending proves before a court
        (court_rules.letter_evidence)."""
        self.ensure_one()
        return court_rules.letter_evidence(
            self.sending_method,
            self.delivery_outcome,
            self.receipt_date,
            bool(self.delivery_proof),
        )

    @api.depends("stage_id.policy_id", "stage_id.tone")
    def _compute_policy_tone(self):
        for comm in self:
            comm.policy_id = comm.stage_id.policy_id
            comm.tone = comm.stage_id.tone

    @api.depends("date", "stage_id.policy_id.letter_deadline_days", "channel")
    def _compute_letter_deadline(self):
        for comm in self:
            comm.letter_deadline = (
                comm.stage_id._letter_deadline(comm.date) if comm.stage_id else False
            )

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
    @api.depends_context("lang")
    def _compute_amount_display(self):
        format_amount = formatting.amount_formatter(self.env)
        for comm in self:
            totals = comm._totals_by_currency()
            comm.amount_display = " + ".join(
                format_amount(amount, currency) for currency, amount in totals
            )

    @api.depends("name", "line_ids.payment_reference")
    def _compute_payment_reference(self):
        # A line's reference is the invoice's, or its number
        # (account.move._dunning_snapshot): no need to read the invoices.
        for comm in self:
            comm.payment_reference = law_rules.payment_reference(
                comm.line_ids.mapped("payment_reference"),
                comm.name if comm.name != "/" else "",
            )

    def _chatter_message_vals(self, message_type, subtype_id, **values):
        """Values of the message a communication leaves on its customer's
        chatter, written by the collector (else the company)."""
        self.ensure_one()
        return dict(
            {
                "model": "res.partner",
                "res_id": self.partner_id.id,
                "record_name": self.partner_id.display_name,
                "message_type": message_type,
                "subtype_id": subtype_id,
                "author_id": (self.user_id.partner_id or self.company_id.partner_id).id,
                "dunning_partner_id": self.partner_id.id,
            },
            **values,
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
        unnamed = [vals for vals in vals_list if vals.get("name", "/") == "/"]
        for vals, reference in zip(unnamed, self._next_references(len(unnamed)), strict=True):
            vals["name"] = reference
        return super().create(vals_list)

    def _add_missing_default_values(self, values):
        # The communications of a run's batch: defaults looked up once.
        return add_missing_defaults(self, values, super()._add_missing_default_values)

    def copy(self, default=None):  # pylint: disable=method-required-super
        # A communication is the record of a reminder issued on a given day
        # for given invoices: a copy would claim nothing, or claim twice.
        raise UserError(
            self.env._("A dunning communication records what was issued: it cannot be duplicated.")
        )

    def write(self, vals):
        was_cancelled = self.filtered(lambda c: c.state == "cancelled") if "state" in vals else None
        result = super().write(vals)
        if "state" in vals and (vals["state"] == "cancelled" or was_cancelled):
            self._sync_lines_cancelled()
        if vals.get("receipt_date"):
            self._count_from_receipt()
        return result

    def _count_from_receipt(self):
        """The next reminder of a received letter's invoices counts from its receipt.

        The run measures the gap to the next stage (the hand-over included)
        from an invoice's last reminder: for invoices still at this letter's
        stage, that becomes the day the customer received it when later.
        """
        for comm in self.filtered(
            lambda c: c.channel in ("letter", "negotiation") and c.receipt_date
        ):
            moves = comm.line_ids.filtered(
                lambda line, c=comm: (
                    line.move_id.dunning_stage_id == c.stage_id
                    and (
                        not line.move_id.dunning_last_date
                        or line.move_id.dunning_last_date < c.receipt_date
                    )
                )
            ).move_id
            if moves:
                moves._dunning_write({"dunning_last_date": comm.receipt_date})

    def _sync_lines_cancelled(self):
        """Flag the lines of cancelled communications for the unique index, and
        unflag those of communications no longer cancelled."""
        self.flush_recordset(["state"])
        self.env.cr.execute(sql_builders.sync_lines_cancelled(self.ids))
        self.env["dunning.communication.line"].invalidate_model(["cancelled"])

    @api.model
    def _next_references(self, count):
        """``count`` references from the communication sequence.

        A run creates thousands of communications: with Odoo's standard
        (PostgreSQL) implementation the numbers are drawn in one query
        instead of one query each; other implementations go one by one.
        """
        if not count:
            return []
        # sudo: references come from a technical sequence, whoever runs.
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [
                    ("code", "=", "dunning.communication"),
                    ("company_id", "in", [self.env.company.id, False]),
                ],
                order="company_id",
                limit=1,
            )
        )
        if not sequence:
            return ["/"] * count
        if sequence.implementation != "standard" or sequence.use_date_range:
            return [sequence.next_by_id() for _ in range(count)]
        self.env.cr.execute(sql_builders.sequence_next_values(sequence.id, count))
        # The same prefix and suffix for all (as get_next_char() would
        # interpolate them, once instead of once per number).
        prefix, suffix = sequence._get_prefix_suffix()
        return [
            f"{prefix}{number:0{sequence.padding}d}{suffix}" for (number,) in self.env.cr.fetchall()
        ]

    # ------------------------------------------------------------------
    # Checks: what would stop a communication from reaching the customer
    # ------------------------------------------------------------------
    def _issue_problem(self):
        """Translated reason why this communication cannot be issued, or ''."""
        self.ensure_one()
        partner = self.partner_id
        recipient = self.recipient_id or partner
        if not self.line_ids:
            return self.env._("The communication %(ref)s claims no invoice.", ref=self.name)
        if not partner.active:
            return self.env._("The customer %(name)s is archived.", name=partner.display_name)
        if self.channel == "email" and not recipient.email:
            return self.env._(
                "%(name)s has no email address: add one, or use another channel.",
                name=recipient.display_name,
            )
        if self.channel == "letter" and not (recipient.street and recipient.city and recipient.zip):
            return self.env._(
                "The postal address of %(name)s is incomplete (street, zip and city are needed "
                "for a letter).",
                name=recipient.display_name,
            )
        if self.channel == "negotiation":
            # LO 1/2025 excludes disputes with public-sector entities: an
            # administration is claimed by the LCSP route.
            if partner.commercial_partner_id.dunning_regime == "administration":
                return self.env._(
                    "%(name)s is a public administration: no negotiation attempt "
                    "(LO 1/2025) applies to it.",
                    name=partner.display_name,
                )
            if not (recipient.email or (recipient.street and recipient.city and recipient.zip)):
                return self.env._(
                    "%(name)s has neither a postal address nor an email address: the "
                    "negotiation attempt cannot be sent by burofax or certified email.",
                    name=recipient.display_name,
                )
        if (
            self.channel in ("call", "meeting")
            and partner.commercial_partner_id.dunning_phone_wrong
        ):
            return self.env._(
                "The phone number of %(name)s was logged as wrong: correct it to call.",
                name=partner.display_name,
            )
        if self.channel in ("call", "meeting") and not (
            recipient.phone or recipient.mobile or partner.phone or partner.mobile
        ):
            return self.env._(
                "No phone number is known for %(name)s: no contact person can be called.",
                name=recipient.display_name,
            )
        return ""

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_send(self):
        """Send the reviewed drafts (and retry failed ones)."""
        if any(c.state in ("sent", "cancelled") for c in self):
            raise UserError(self.env._("Only draft or failed communications can be sent."))
        self._issue()
        return True

    def action_cancel(self):
        """Cancel drafts: their invoices go back to the stage they had before."""
        if any(c.state not in ("draft", "failed") for c in self):
            raise UserError(self.env._("Only draft or failed communications can be cancelled."))
        lines = self.line_ids
        self.write({"state": "cancelled"})
        lines._restore_previous_stage()
        return True

    def action_mark_letter_sent(self):
        """Record how the selected letters were delivered (wizard)."""
        letters = self.filtered(
            lambda c: c.channel in ("letter", "negotiation") and c.state == "sent"
        )
        if not letters:
            raise UserError(
                self.env._(
                    "Select issued letters or negotiation attempts to record their delivery."
                )
            )
        return self.env["dunning.letter.send.wizard"]._action_open(letters)

    def action_view_negotiation(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "dunning.negotiation",
            "res_id": self.negotiation_ids[:1].id,
            "view_mode": "form",
        }

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.line_ids.move_id.ids)]
        action["context"] = {"create": False}
        return action
