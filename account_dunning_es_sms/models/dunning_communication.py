# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.addons.account_dunning_es.infrastructure.batch_defaults import create_in_batch
from odoo.addons.account_dunning_es.models.mail_render_mixin import COMPILED_INLINE
from odoo.tools import html2plaintext, plaintext2html

from ..rules import phone as phone_rules

SMS_STATUS = {
    "ready": "queued",
    "process": "sent",
    "pending": "sent",
    "sent": "delivered",
    "bounce": "failed",
    "exception": "failed",
    "canceled": "cancelled",
}
# Provider failures worth another try; the others (wrong number, not
# registered, no credit...) need a person.
TRANSIENT_FAILURES = ("sms_server",)


class DunningCommunication(models.Model):
    _inherit = "dunning.communication"

    channel = fields.Selection(selection_add=[("sms", "SMS")], ondelete={"sms": "cascade"})
    state = fields.Selection(
        selection_add=[("queued", "Waiting for Allowed Hours"), ("sent",)],
        ondelete={"queued": "set default"},
    )
    sms_number = fields.Char(
        string="SMS Number", readonly=True, copy=False, help="Mobile number used, E.164."
    )
    sms_scheduled_at = fields.Datetime(
        string="SMS Scheduled At",
        readonly=True,
        copy=False,
        help="Outside the allowed SMS hours the SMS waits until this moment.",
    )
    sms_status = fields.Selection(
        [
            ("queued", "In Queue"),
            ("sent", "Sent"),
            ("delivered", "Delivered"),
            ("failed", "Bounced / Failed"),
            ("cancelled", "Cancelled"),
        ],
        string="SMS Delivery",
        compute="_compute_sms_status",
    )
    fallback_of_id = fields.Many2one(
        "dunning.communication",
        string="Fallback Of",
        readonly=True,
        help="The SMS this communication replaces, which could not be sent.",
    )

    # Values for the SMS templates (short, no HTML)
    sms_date_due = fields.Date(compute="_compute_sms_values")
    sms_how_to_pay = fields.Char(compute="_compute_sms_values")
    sms_contact_phone = fields.Char(compute="_compute_sms_values")

    @api.depends("message_id.notification_ids.notification_status")
    def _compute_sms_status(self):
        for comm in self:
            notification = comm.message_id.notification_ids.filtered(
                lambda n: n.notification_type == "sms"
            )[:1]
            comm.sms_status = (
                SMS_STATUS.get(notification.notification_status) if comm.channel == "sms" else False
            )

    @api.depends("line_ids.date_due", "line_ids.payment_reference", "company_id", "user_id")
    def _compute_sms_values(self):
        for comm in self:
            comm.sms_date_due = min(comm.line_ids.mapped("date_due"), default=False)
            account = comm._bank_accounts()[:1].acc_number
            references = comm.line_ids.mapped("payment_reference")
            reference = (
                (
                    references[0]
                    if len(references) == 1
                    else f"{references[0]} +{len(references) - 1}"
                )
                if references
                else comm.name
            )
            comm.sms_how_to_pay = (
                self.env._(
                    "Pay by transfer to %(account)s, ref. %(ref)s.", account=account, ref=reference
                )
                if account
                else self.env._("Payment ref. %(ref)s.", ref=reference)
            )
            comm.sms_contact_phone = comm._collector_contact()["phone"]

    @api.model
    def _issuers(self):
        return dict(super()._issuers(), sms=type(self)._issue_sms)

    @api.model
    def _issuable_states(self):
        return (*super()._issuable_states(), "queued")

    # ------------------------------------------------------------------
    # Issuing SMS
    # ------------------------------------------------------------------
    def _phone_as_typed(self):
        """The recipient's number as typed (its mobile, else its phone; the
        customer's if the contact has none) and the regions to read it in:
        Spain first, then the contact's country."""
        self.ensure_one()
        recipient = self.recipient_id or self.partner_id
        partner = self.partner_id
        raw = recipient.mobile or partner.mobile or recipient.phone or partner.phone
        country = (recipient.country_id or partner.country_id).code
        regions = ("ES", country) if country and country != "ES" else ("ES",)
        return raw, regions

    def _sms_number_check(self):
        """MobileCheck of the recipient's mobile (else phone) number."""
        raw, regions = self._phone_as_typed()
        return phone_rules.normalize_mobile(raw, regions), raw

    def _sms_problems(self):
        """{communication: translated reason} for SMS that must not be sent."""
        checks = {comm: comm._sms_number_check() for comm in self}
        numbers = [check.number for check, _raw in checks.values() if check.number]
        blacklisted = set(
            # sudo: the blacklist is not readable by collectors, only checked.
            self.env["phone.blacklist"].sudo().search([("number", "in", numbers)]).mapped("number")
        )
        problems = {}
        for comm, (check, raw) in checks.items():
            name = (comm.recipient_id or comm.partner_id).display_name
            if comm.partner_id.commercial_partner_id.dunning_no_sms:
                problems[comm] = self.env._("%(name)s asked not to receive SMS.", name=name)
            elif comm.partner_id.commercial_partner_id.dunning_phone_wrong:
                problems[comm] = self.env._(
                    "The phone number of %(name)s was logged as wrong.", name=name
                )
            elif check.problem == "missing":
                problems[comm] = self.env._("%(name)s has no mobile number.", name=name)
            elif check.problem == "landline":
                problems[comm] = self.env._(
                    "%(number)s of %(name)s is a landline: SMS need a mobile number.",
                    number=raw,
                    name=name,
                )
            elif check.problem:
                problems[comm] = self.env._(
                    "%(number)s of %(name)s is not a valid phone number.", number=raw, name=name
                )
            elif check.number in blacklisted:
                problems[comm] = self.env._(
                    "%(number)s is in the SMS blacklist (the customer opted out).",
                    number=check.number,
                )
        return problems, checks

    def _issue_sms(self):
        """Send (or queue for the allowed hours) one SMS per communication.

        Invalid, landline, missing and blacklisted numbers fail with their
        reason and, if the stage says so, fall back to email or a call. The
        SMS are handed to Odoo's SMS queue, which sends them after the run's
        transaction commits: an interrupted run sends nothing.
        """
        problems, checks = self._sms_problems()
        failed = self.browse([comm.id for comm in problems])
        for comm in failed:
            comm.write({"state": "failed", "failure_reason": problems[comm]})
        failed._sms_fallback()
        now = fields.Datetime.now()
        to_send = self.browse()
        for company, comms in (self - failed).grouped("company_id").items():
            allowed = company._dunning_phone_allowed_time(now)
            if allowed > now:
                for comm in comms:
                    comm.write(
                        {
                            "state": "queued",
                            "sms_scheduled_at": allowed,
                            "sms_number": checks[comm][0].number,
                        }
                    )
                cron = self.env.ref("account_dunning_es_sms.ir_cron_dunning_sms_queue")
                cron._trigger(at=allowed)
            else:
                to_send |= comms
        to_send._send_sms({comm: checks[comm][0].number for comm in to_send})

    def _default_sms_template(self):
        self.ensure_one()
        xmlid = (
            "account_dunning_es_sms.sms_template_dunning_reminder"
            if self.tone == "friendly"
            else "account_dunning_es_sms.sms_template_dunning_firm"
        )
        return self.env.ref(xmlid, raise_if_not_found=False)

    def _sms_bodies(self):
        """{communication: plain text} of each SMS, rendered per template."""
        by_template = defaultdict(lambda: self.browse())
        for comm in self:
            by_template[comm.stage_id.sms_template_id or comm._default_sms_template()] |= comm
        bodies = {}
        for template, comms in by_template.items():
            # Each expression compiled once for all of them, not per SMS.
            rendered = template.with_context(**{COMPILED_INLINE: True})._render_field(
                "body", comms.ids, compute_lang=True
            )
            bodies.update({comm: html2plaintext(rendered[comm.id] or "") for comm in comms})
        return bodies

    def _send_sms(self, numbers):
        """Create the SMS, their chatter message and notification in batches.

        The same records Odoo's ``_message_sms`` creates (so delivery reports
        update the notification), without one message_post per customer.
        """
        if not self:
            return
        # A retry replaces an SMS that failed: the queue must not send that one too.
        self.env["sms.sms"].sudo().search(
            [("mail_message_id", "in", self.message_id.ids), ("state", "=", "error")]
        ).action_set_canceled()
        bodies = self._sms_bodies()
        note = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        comms = list(self)
        messages = create_in_batch(
            self.env["mail.message"].sudo(),
            [
                comm._chatter_message_vals("sms", note, body=plaintext2html(bodies[comm]))
                for comm in comms
            ],
        )
        sms = (
            self.env["sms.sms"]
            .sudo()
            .create(
                [
                    {
                        "body": bodies[comm],
                        "partner_id": (comm.recipient_id or comm.partner_id).id,
                        "number": numbers[comm],
                        "mail_message_id": message.id,
                        "state": "outgoing",
                    }
                    for comm, message in zip(comms, messages, strict=True)
                ]
            )
        )
        self.env["mail.notification"].sudo().create(
            [
                {
                    "author_id": message.author_id.id,
                    "mail_message_id": message.id,
                    "res_partner_id": one_sms.partner_id.id,
                    "sms_number": one_sms.number,
                    "notification_type": "sms",
                    "sms_id_int": one_sms.id,
                    "sms_tracker_ids": [Command.create({"sms_uuid": one_sms.uuid})],
                    "is_read": True,
                    "notification_status": "ready",
                }
                for message, one_sms in zip(messages, sms, strict=True)
            ]
        )
        self._mark_issued_each(
            {
                comm: {
                    "message_id": message.id,
                    "sms_number": numbers[comm],
                    "sms_scheduled_at": False,
                }
                for comm, message in zip(comms, messages, strict=True)
            }
        )
        self.env.ref("sms.ir_cron_sms_scheduler_action")._trigger()

    def _sms_fallback(self):
        """Issue the stage's fallback channel for SMS that could not be sent."""
        vals_list, lines_list, sources = [], [], []
        for comm in self:
            fallback = comm.stage_id.sms_fallback
            if not fallback or fallback in comm.stage_id._channels():
                continue
            sources.append(comm)
            vals_list.append(
                {
                    "date": comm.date,
                    "company_id": comm.company_id.id,
                    "partner_id": comm.partner_id.id,
                    "recipient_id": comm.recipient_id.id,
                    "stage_id": comm.stage_id.id,
                    "channel": fallback,
                    "user_id": comm.user_id.id,
                    "run_id": comm.run_id.id,
                    "fallback_of_id": comm.id,
                }
            )
            lines_list.append(comm.line_ids)
        if not vals_list:
            return self.browse()
        fallbacks = self.with_context(tracking_disable=True).create(vals_list)
        self.env["dunning.communication.line"].create(
            [
                dict(
                    line.copy_data()[0],
                    communication_id=fallback.id,
                )
                for fallback, lines in zip(fallbacks, lines_list, strict=True)
                for line in lines
            ]
        )
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for comm, fallback in zip(sources, fallbacks, strict=True):
            comm.failure_reason = "{} {}".format(
                comm.failure_reason,
                self.env._(
                    "Replaced by %(ref)s (%(channel)s).",
                    ref=fallback.name,
                    channel=channels[fallback.channel],
                ),
            )
        fallbacks._issue()
        return fallbacks

    # ------------------------------------------------------------------
    # Delivery
    # ------------------------------------------------------------------
    @api.model
    def _sms_follow_delivery(self, messages):
        """Failed when the SMS of an issued communication failed, issued again
        when that same SMS is back in the queue (a retry).

        Called by Odoo's SMS tracker whenever the delivery of SMS changes, so
        the list and the form never show a failed SMS as issued. A permanent
        failure (wrong or unreachable number) also issues the stage's fallback
        channel, as a number found wrong before sending does.
        """
        # sudo: delivery reports arrive through the SMS queue or the
        # provider's webhook, whoever runs them; only the state of the
        # communications of these messages changes.
        comms = self.sudo().search(
            [
                ("channel", "=", "sms"),
                ("message_id", "in", messages.ids),
                ("state", "in", ("sent", "failed")),
            ]
        )
        undelivered = self.browse()
        for comm in comms:
            notification = comm.message_id.notification_ids.filtered(
                lambda n: n.notification_type == "sms"
            )[:1]
            status = SMS_STATUS.get(notification.notification_status)
            if status == "failed" and comm.state == "sent":
                comm.write(
                    {"state": "failed", "failure_reason": comm._sms_delivery_problem(notification)}
                )
                if notification.failure_type not in TRANSIENT_FAILURES:
                    undelivered |= comm
            elif status in ("queued", "sent", "delivered") and comm.state == "failed":
                comm.write({"state": "sent", "failure_reason": False})
        undelivered._sms_fallback()

    def _sms_delivery_problem(self, notification):
        """Translated reason of an SMS delivery failure."""
        self.ensure_one()
        labels = dict(notification._fields["failure_type"]._description_selection(self.env))
        reason = (
            labels.get(notification.failure_type)
            or notification.failure_reason
            or self.env._("unknown error")
        )
        if notification.failure_type in TRANSIENT_FAILURES:
            return self.env._(
                "The SMS to %(number)s could not be sent (%(reason)s): it will be retried.",
                number=self.sms_number,
                reason=reason,
            )
        return self.env._(
            "The SMS to %(number)s was not delivered (%(reason)s).",
            number=self.sms_number,
            reason=reason,
        )

    # ------------------------------------------------------------------
    # Jobs
    # ------------------------------------------------------------------
    @api.model
    def _cron_send_queued_sms(self):
        """Send the SMS whose allowed hours have come; retry transient failures.

        Safe to repeat: a queued communication is sent once (its state changes
        in the same transaction), and a retried SMS is the same ``sms.sms``
        record put back in Odoo's queue, never a new one.
        """
        due = self.search(
            [
                ("channel", "=", "sms"),
                ("state", "=", "queued"),
                ("sms_scheduled_at", "<=", fields.Datetime.now()),
            ]
        )
        due._issue()
        failed_sms = (
            self.env["sms.sms"]
            .sudo()
            .search(
                [
                    ("state", "=", "error"),
                    ("failure_type", "in", TRANSIENT_FAILURES),
                    (
                        "mail_message_id",
                        "in",
                        self.search(
                            [
                                ("channel", "=", "sms"),
                                ("state", "in", ("sent", "failed")),
                                ("date", ">=", fields.Date.subtract(fields.Date.today(), days=7)),
                            ]
                        ).message_id.ids,
                    ),
                ]
            )
        )
        if failed_sms:
            failed_sms.action_set_outgoing()
            self.env.ref("sms.ir_cron_sms_scheduler_action")._trigger()
        return due
