# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import re
from collections import defaultdict

from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, split_every

from . import dunning_rules
from .dunning_stage import CHANNELS

_logger = logging.getLogger(__name__)

ACTIVITY_TYPES = {
    "call": "mail.mail_activity_data_call",
    "meeting": "mail.mail_activity_data_meeting",
    "agency": "account_dunning_es.mail_activity_data_dunning_handover",
    "legal": "account_dunning_es.mail_activity_data_dunning_handover",
}

# A template body that does nothing but call a QWeb view, as the shipped one.
SOLE_T_CALL = re.compile(r'^(\s*<div>\s*)<t t-call="([\w.]+)"\s*(?:/>|>\s*</t>)(\s*</div>\s*)$')


def sole_t_call(body):
    """Split a template body that only calls a view: (before, view, after).

    ``<div><t t-call="module.view"/></div>`` gives
    ``("<div>", "module.view", "</div>")``, the whitespace around kept; a
    body with anything else (text, attributes, other tags) gives None.
    """
    match = SOLE_T_CALL.match(str(body or ""))
    return match.groups() if match else None


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
    message_id = fields.Many2one("mail.message", readonly=True, ondelete="set null", copy=False)
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null", copy=False)
    sending_method = fields.Selection(
        dunning_rules.SENDING_METHODS,
        help="How a letter was delivered. Certified post with acknowledgement proves "
        "sending and receipt; burofax with content certification and certified email "
        "prove content, date and receipt too; ordinary post and plain email prove none.",
    )
    sending_reference = fields.Char(help="Certified post, burofax or certified email reference.")
    sending_date = fields.Date(help="Day the letter was posted or delivered.")
    delivery_outcome = fields.Selection(dunning_rules.DELIVERY_OUTCOMES, tracking=True)
    receipt_date = fields.Date(
        tracking=True,
        help="Day the customer received the letter, from the acknowledgement of receipt. "
        "The next reminder of its invoices, the hand-over included, counts from it.",
    )
    delivery_proof = fields.Binary(
        attachment=True, copy=False,
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
        "ir.attachment", readonly=True, copy=False, ondelete="set null",
        help="The PDF of the letter as issued.",
    )
    letter_deadline = fields.Date(
        compute="_compute_letter_deadline", store=True,
        help="Date by which the customer must pay after this letter.",
    )
    bureau_notice_date = fields.Date(
        readonly=True, copy=False,
        help="Day the customer was warned, in this letter, that the debt may be reported "
        "to a credit information system (LOPDGDD art. 20): kept as evidence.",
    )

    @api.depends("sending_method", "delivery_outcome", "receipt_date")
    def _compute_receipt_proven(self):
        for comm in self:
            comm.receipt_proven = bool(
                dunning_rules.proven_receipt(
                    comm.sending_method, comm.delivery_outcome, comm.receipt_date
                )
            )

    @api.depends("date", "stage_id.policy_id.letter_deadline_days", "channel")
    def _compute_letter_deadline(self):
        for comm in self:
            days = comm.stage_id.policy_id.letter_deadline_days or 10
            comm.letter_deadline = (
                dunning_rules.letter_deadline(comm.date, days) if comm.date else False
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
    def _compute_amount_display(self):
        for comm in self:
            totals = comm._totals_by_currency()
            comm.amount_display = " + ".join(
                format_amount(self.env, amount, currency) for currency, amount in totals
            )

    @api.depends("name", "line_ids.payment_reference")
    def _compute_payment_reference(self):
        # A line's reference is the invoice's, or its number
        # (account.move._dunning_snapshot): no need to read the invoices.
        for comm in self:
            comm.payment_reference = dunning_rules.payment_reference(
                comm.line_ids.mapped("payment_reference"),
                comm.name if comm.name != "/" else "",
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

    def copy(self, default=None):
        # A communication is the record of a reminder issued on a given day
        # for given invoices: a copy would claim nothing, or claim twice.
        raise UserError(
            _("A dunning communication records what was issued: it cannot be duplicated.")
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
        for comm in self.filtered(lambda c: c.channel == "letter" and c.receipt_date):
            moves = comm.line_ids.filtered(
                lambda line, c=comm: line.move_id.dunning_stage_id == c.stage_id
                and (not line.move_id.dunning_last_date
                     or line.move_id.dunning_last_date < c.receipt_date)
            ).move_id
            if moves:
                moves._dunning_write({"dunning_last_date": comm.receipt_date})

    def _sync_lines_cancelled(self):
        """Flag the lines of cancelled communications for the unique index, and
        unflag those of communications no longer cancelled."""
        self.flush_recordset(["state"])
        self.env.cr.execute(
            """
            UPDATE dunning_communication_line line
               SET cancelled = (comm.state = 'cancelled')
              FROM dunning_communication comm
             WHERE comm.id = line.communication_id AND comm.id IN %s
               AND line.cancelled IS DISTINCT FROM (comm.state = 'cancelled')
            """,
            [tuple(self.ids)],
        )
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
        sequence = self.env["ir.sequence"].sudo().search(
            [("code", "=", "dunning.communication"), ("company_id", "in", [self.env.company.id, False])],
            order="company_id",
            limit=1,
        )
        if not sequence:
            return ["/"] * count
        if sequence.implementation != "standard" or sequence.use_date_range:
            return [sequence.next_by_id() for _ in range(count)]
        self.env.cr.execute(
            "SELECT nextval(%s) FROM generate_series(1, %s)",
            ["ir_sequence_%03d" % sequence.id, count],
        )
        # The same prefix and suffix for all (as get_next_char() would
        # interpolate them, once instead of once per number).
        prefix, suffix = sequence._get_prefix_suffix()
        return [
            f"{prefix}{number:0{sequence.padding}d}{suffix}"
            for (number,) in self.env.cr.fetchall()
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
            return _("The communication %(ref)s claims no invoice.", ref=self.name)
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
        todo = self.filtered(lambda c: c.state in self._issuable_states())
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

    @api.model
    def _issuable_states(self):
        """States from which a communication may be issued."""
        return ("draft", "failed")

    def _mark_issued(self, **extra):
        """Issued: no tracking message per communication for it.

        The issue date is ``sent_date`` and the trace is what was issued (the
        email on the customer's chatter, the activity, the letter); a
        "Draft -> Issued" message on each of thousands of reviewed drafts
        would double the cost of sending them and say nothing more.
        """
        self.with_context(tracking_disable=True).write(
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

        Each email is a ``mail.message`` on the customer (the chatter shows
        it) and the ``mail.mail`` that carries it; they leave with the mail
        queue after the run commits: if the run is interrupted before, nothing
        has left. Messages and mails are created in one batch each, with the
        Reply-To computed per sender for the batch (``mail.message`` would
        look it up once per message), and the HTML body is sanitised only by
        the message's create (a mail creating its own message would sanitise
        it once more).
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
            rendered = template._generate_template(comms.ids, ("subject", "email_from"))
            bodies = comms._render_email_bodies(template)
            senders = {
                comm.id: rendered[comm.id].get("email_from") or comm.company_id.email_formatted
                for comm in comms
            }
            partners_by_sender = defaultdict(set)
            for comm in comms:
                partners_by_sender[senders[comm.id]].add(comm.partner_id.id)
            reply_to = {}
            for sender, partner_ids in partners_by_sender.items():
                replies = (
                    self.env["res.partner"].sudo().browse(partner_ids)
                    ._notify_get_reply_to(default=sender)
                )
                reply_to.update({(sender, pid): value for pid, value in replies.items()})
            messages = self.env["mail.message"].sudo().create(
                [
                    {
                        "model": "res.partner",
                        "res_id": comm.partner_id.id,
                        "record_name": comm.partner_id.display_name,
                        "message_type": "email_outgoing",
                        "subtype_id": comment,
                        "author_id": (comm.user_id.partner_id or comm.company_id.partner_id).id,
                        "email_from": senders[comm.id],
                        "reply_to": reply_to.get((senders[comm.id], comm.partner_id.id)),
                        "subject": rendered[comm.id].get("subject"),
                        "body": bodies.get(comm.id) or "",
                    }
                    for comm in comms
                ]
            )
            self.env["mail.mail"].sudo().create(
                [
                    {
                        "mail_message_id": message.id,
                        "is_notification": False,
                        "body_html": message.body or "",
                        "recipient_ids": [Command.link((comm.recipient_id or comm.partner_id).id)],
                        "auto_delete": False,
                        "state": "outgoing",
                    }
                    for comm, message in zip(comms, messages, strict=True)
                ]
            )
            for comm, message in zip(comms, messages, strict=True):
                comm._mark_issued(message_id=message.id)

    def _render_email_bodies(self, template):
        """The template's body for each communication: {id: html}.

        Rendered per language as ``mail.template`` does. A body that only
        calls a view (the shipped template) is rendered by calling that view,
        which QWeb compiles once: as a raw template, the body would be parsed
        and compiled again for every communication. The result is the same
        (tested); a body edited into anything else goes through the template.
        """
        bodies = {}
        for template_lang, res_ids in template._classify_per_lang(self.ids).values():
            parts = sole_t_call(template_lang.body_html)
            # A missing view would render empty: the template then says why.
            if not parts or not self.env.ref(parts[1], raise_if_not_found=False):
                bodies.update(template_lang._render_field("body_html", res_ids))
                continue
            before, view, after = parts
            rendered = template_lang._render_template(
                view,
                template_lang.render_model,
                res_ids,
                engine="qweb_view",
                options={"post_process": True},
            )
            bodies.update(
                (res_id, Markup(before) + html + Markup(after)) for res_id, html in rendered.items()
            )
        return bodies

    def _issue_letter(self):
        """Issue letters: the PDF is rendered after the run, in batches.

        Rendering through wkhtmltopdf takes about a second a letter, so the
        run only records the letter and wakes the letter job up, which
        renders, attaches to the communication and posts on the customer's
        chatter.
        """
        for comm in self:
            comm._mark_issued(bureau_notice_date=comm.date if comm._warns_bureau() else False)
        cron = self.env.ref("account_dunning_es.ir_cron_dunning_letters", raise_if_not_found=False)
        if cron:
            cron._trigger()

    def _warns_bureau(self):
        self.ensure_one()
        # An administration is claimed by the LCSP route, never reported to a
        # credit bureau.
        return bool(
            self.channel == "letter"
            and self.stage_id.policy_id.report_to_bureau
            and self.tone in ("firm", "final")
            and self._regime() != "administration"
        )

    @api.model
    def _cron_generate_letters(self, limit=50):
        """Render the PDF of issued letters that have none yet, in batches."""
        letters = self.search(
            [("channel", "=", "letter"), ("state", "=", "sent"), ("letter_attachment_id", "=", False)],
            order="id",
        )
        done = 0
        for batch in split_every(limit, letters.ids, self.browse):
            batch._generate_letter_pdf()
            done += len(batch)
            self.env["dunning.run"]._commit()
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)

    def _generate_letter_pdf(self):
        """Render, attach to the communication and post on the customer's chatter."""
        report = self.env.ref("account_dunning_es.action_report_dunning_letter")
        # Odoo saves one attachment per letter (the report's attachment
        # expression), which is then linked to each letter.
        report._render_qweb_pdf(report, res_ids=self.ids)
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", self._name), ("res_id", "in", self.ids), ("mimetype", "=", "application/pdf")]
        )
        by_comm = {att.res_id: att for att in attachments}
        for comm in self:
            attachment = by_comm.get(comm.id)
            if not attachment:
                continue
            comm.letter_attachment_id = attachment
            comm.partner_id.message_post(
                body=Markup("<p>%s</p>")
                % _(
                    "%(stage)s: demand letter %(ref)s for %(amount)s, to pay by %(deadline)s.",
                    stage=comm.stage_id.name,
                    ref=comm.name,
                    amount=comm.amount_display,
                    deadline=comm.letter_deadline,
                ),
                attachment_ids=attachment.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )

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
                    "user_id": (
                        comm.user_id or comm.partner_id._dunning_collector(comm.policy_id)
                    ).id,
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
        """Record how the selected letters were delivered (wizard)."""
        letters = self.filtered(lambda c: c.channel == "letter" and c.state == "sent")
        if not letters:
            raise UserError(_("Select issued letters to record their delivery."))
        return self.env["dunning.letter.send.wizard"]._action_open(letters)

    def _send_letter_by_email(self):
        """Email each letter's PDF to its customer (rendered first if needed)."""
        missing = self.filtered(lambda c: not c.letter_attachment_id)
        if missing:
            missing._generate_letter_pdf()
        problems = [(c, c._issue_problem() or self._email_problem(c)) for c in self]
        problems = [(c, p) for c, p in problems if p]
        if problems:
            raise UserError("\n".join(p for _c, p in problems))
        self.env["mail.mail"].sudo().create(
            [
                {
                    "model": "res.partner",
                    "res_id": comm.partner_id.id,
                    "message_type": "email_outgoing",
                    "author_id": (comm.user_id.partner_id or comm.company_id.partner_id).id,
                    "email_from": comm.user_id.email_formatted or comm.company_id.email_formatted,
                    "subject": _("%(company)s: %(ref)s", company=comm.company_id.name, ref=comm.name),
                    "body_html": Markup("<p>%s</p>")
                    % _("Please find attached our letter %(ref)s.", ref=comm.name),
                    "recipient_ids": [Command.link((comm.recipient_id or comm.partner_id).id)],
                    "attachment_ids": [Command.link(comm.letter_attachment_id.id)],
                    "auto_delete": False,
                    "state": "outgoing",
                }
                for comm in self
            ]
        )

    @api.model
    def _email_problem(self, comm):
        recipient = comm.recipient_id or comm.partner_id
        if not recipient.email:
            return _("%(name)s has no email address.", name=recipient.display_name)
        if not comm.letter_attachment_id:
            return _("The letter %(ref)s could not be rendered.", ref=comm.name)
        return ""

    # ------------------------------------------------------------------
    # Letter content
    # ------------------------------------------------------------------
    def _regime(self):
        """The customer's late-payment regime: business, administration or consumer."""
        self.ensure_one()
        return self.partner_id.commercial_partner_id.dunning_regime or "business"

    def _is_consumer(self):
        """Consumers are outside Ley 3/2004 (art. 3); autónomos are not consumers."""
        return self._regime() == "consumer"

    def _first_demands(self):
        """{invoice id: (date, reference)} of the first demand letter that
        claimed each invoice of these communications, dated by its receipt
        when recorded: a consumer is in default from the demand (Civil Code
        art. 1100) and owes the legal interest of money from then (art. 1108).
        One query for all the communications.
        """
        lines = self.env["dunning.communication.line"].search_fetch(
            [
                ("move_id", "in", self.line_ids.move_id.ids),
                ("channel", "=", "letter"),
                ("communication_id.state", "=", "sent"),
            ],
            ["move_id", "communication_id"],
        )
        first = {}
        for line in lines:
            comm = line.communication_id
            day = comm.receipt_date or comm.date
            if line.move_id.id not in first or day < first[line.move_id.id][0]:
                first[line.move_id.id] = (day, comm.name)
        return first

    def _letter_values(self, rate_table=None, payments=None, first_demands=None, legal_table=None):
        """Everything a demand letter shows, computed once, for the template.

        :param rate_table: late-payment rates [(start, end, rate)] (read when None)
        :param payments: {move id: [(date, amount)]} (read when None)
        :param first_demands: :meth:`_first_demands` (read when None)
        :param legal_table: legal interest of money [(start, end, rate)] (read when None)
        """
        self.ensure_one()
        policy = self.stage_id.policy_id
        company = self.company_id
        regime = self._regime()
        consumer = regime == "consumer"
        if rate_table is None:
            rate_table = self.env["dunning.interest.rate"]._rate_table()
        if payments is None:
            payments = self.line_ids.move_id._dunning_payments()
        if consumer:
            # Civil Code arts. 1100 and 1108: the legal interest of money of
            # each year, from the demand; never Ley 3/2004's (its art. 3).
            claim_interest = policy.consumer_legal_interest
            if claim_interest and legal_table is None:
                legal_table = self.env["dunning.interest.rate"]._rate_table("legal")
            if claim_interest and first_demands is None:
                first_demands = self._first_demands()
            rates = legal_table or []
            claim_compensation = False
        else:
            rates = rate_table
            claim_interest = policy.apply_late_interest
            claim_compensation = policy.apply_compensation
        eur = self.env.ref("base.EUR")
        compensation = eur._convert(
            dunning_rules.COMPENSATION_EUR, company.currency_id, company, self.date
        )
        rows = []
        totals = defaultdict(lambda: defaultdict(float))
        missing_any = False
        for line in self.line_ids:
            periods, missing = ([], [])
            conformity = line.move_id.dunning_conformity_date if regime == "administration" else False
            demand = first_demands.get(line.move_id.id) if consumer and claim_interest else None
            if consumer:
                interest_from = demand[0] if demand else None
            elif conformity:
                # LCSP art. 198.4: an administration is late 30 days after
                # approving the conformity, whatever due date the invoice shows.
                interest_from = dunning_rules.administration_due_date(conformity)
            else:
                interest_from = line.date_due
            if claim_interest and interest_from:
                periods, missing = dunning_rules.late_payment_interest(
                    line.amount_total,
                    interest_from,
                    self.date,
                    rates,
                    payments.get(line.move_id.id, []),
                )
            currency = line.currency_id
            interest = currency.round(sum(p.interest for p in periods))
            row_compensation = compensation if claim_compensation and line.days_overdue > 0 else 0.0
            missing_any = missing_any or bool(missing)
            rows.append(
                {
                    "line": line,
                    "currency": currency,
                    "periods": periods,
                    "missing": missing,
                    "interest": interest,
                    "compensation": row_compensation,
                    "demand": demand,
                }
            )
            total = totals[currency]
            total["total"] += line.amount_total
            total["paid"] += line.amount_paid
            total["residual"] += line.amount_residual
            total["interest"] += interest
        compensation_total = sum(row["compensation"] for row in rows)
        return {
            "consumer": consumer,
            "regime": regime,
            "claim_interest": claim_interest,
            "claim_compensation": claim_compensation and compensation_total > 0,
            "rows": rows,
            "totals": [(currency, dict(values)) for currency, values in totals.items()],
            "compensation_total": compensation_total,
            "company_currency": company.currency_id,
            "missing_rates": missing_any,
            "deadline": self.letter_deadline,
            "banks": self._bank_accounts(),
            "contact": self._collector_contact(),
            "bureau_notice": self._warns_bureau(),
            "bureau_name": policy.bureau_name,
            "agency_name": policy.agency_name,
            "place": company.city or "",
            "sender": self._letter_sender(),
        }

    def _letter_sender(self):
        """The creditor as a demand letter names it: legal name, tax id, address."""
        self.ensure_one()
        partner = self.company_id.partner_id
        city = " ".join(part for part in (partner.zip, partner.city) if part)
        lines = [partner.street, partner.street2, city, partner.state_id.name, partner.country_id.name]
        return {
            "name": self.company_id.name,
            "vat": self.company_id.vat or "",
            "address": [line for line in lines if line],
        }

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["domain"] = [("id", "in", self.line_ids.move_id.ids)]
        action["context"] = {"create": False}
        return action

    def _collector_contact(self):
        """Name, phone and email of the person the customer should contact."""
        self.ensure_one()
        user = self.user_id or self.partner_id._dunning_collector(self.stage_id.policy_id)
        partner = user.partner_id or self.company_id.partner_id
        return {
            "name": partner.name,
            "phone": partner.phone or partner.mobile or self.company_id.phone or "",
            "email": partner.email or self.company_id.email or "",
        }

    def _bank_accounts(self):
        """Company bank accounts the customer can pay into."""
        self.ensure_one()
        return self.company_id.partner_id.bank_ids
