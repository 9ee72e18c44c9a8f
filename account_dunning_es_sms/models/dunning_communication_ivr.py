# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The automated call (IVR): queued for the allowed hours, dialled through the
company's PBX a few at a time, and what the customer's key does."""

import base64
import logging

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import format_amount, format_date

from ..infrastructure import sip_dialler, speech
from ..rules import ivr as ivr_rules
from ..rules import phone as phone_rules

_logger = logging.getLogger(__name__)

IVR_OUTCOMES = [
    ("paid", "Says it has paid"),
    ("promise", "Promised to pay"),
    ("callback", "Asked for a person"),
    ("no_key", "Answered, no key"),
    ("dropped", "Hung up during the message"),
    ("busy", "Busy"),
    ("no_answer", "No answer"),
    ("rejected", "Rejected"),
    ("refused", "Number refused by the PBX"),
    ("failed", "Could not call"),
]


class DunningCommunication(models.Model):
    _inherit = "dunning.communication"  # pylint: disable=consider-merging-classes-inherited

    channel = fields.Selection(
        selection_add=[("ivr", "Automated Call (IVR)")], ondelete={"ivr": "cascade"}
    )
    ivr_number = fields.Char(
        string="Number Called", readonly=True, copy=False, help="E.164, as dialled."
    )
    ivr_next_at = fields.Datetime(
        string="Next Call At",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="When the automated call is (next) placed, within the allowed hours.",
    )
    ivr_attempts = fields.Integer(string="Calls Made", readonly=True, copy=False)
    ivr_outcome = fields.Selection(
        IVR_OUTCOMES, string="Call Outcome", readonly=True, copy=False, index=True
    )
    ivr_keys = fields.Char(string="Keys Pressed", readonly=True, copy=False)
    ivr_duration = fields.Float(
        string="Call Duration (s)", readonly=True, copy=False, help="Of the last call answered."
    )

    @api.model
    def _issuers(self):
        return dict(super()._issuers(), ivr=type(self)._issue_ivr)

    # ------------------------------------------------------------------
    # Issuing: checks and the queue
    # ------------------------------------------------------------------
    def _ivr_number_check(self):
        """PhoneCheck of the recipient's number (mobile or landline)."""
        raw, regions = self._phone_as_typed()
        return phone_rules.normalize_phone(raw, regions), raw

    def _ivr_problems(self):
        """({communication: translated reason}, {communication: number})."""
        problems, numbers = {}, {}
        checks = {comm: comm._ivr_number_check() for comm in self}
        blacklisted = set(
            # sudo: the blacklist is not readable by collectors, only checked.
            self.env["phone.blacklist"]
            .sudo()
            .search([("number", "in", [c.number for c, _raw in checks.values() if c.number])])
            .mapped("number")
        )
        for comm, (check, raw) in checks.items():
            customer = comm.partner_id.commercial_partner_id
            name = (comm.recipient_id or comm.partner_id).display_name
            if not comm.company_id.dunning_ivr_host:
                problems[comm] = self.env._(
                    "No PBX is set for automated calls (Settings > Invoicing > Dunning)."
                )
            elif customer.dunning_no_ivr:
                problems[comm] = self.env._(
                    "%(name)s asked not to receive automated calls.", name=name
                )
            elif customer.dunning_phone_wrong:
                problems[comm] = self.env._(
                    "The phone number of %(name)s was logged as wrong.", name=name
                )
            elif check.problem == "missing":
                problems[comm] = self.env._("%(name)s has no phone number.", name=name)
            elif check.problem:
                problems[comm] = self.env._(
                    "%(number)s of %(name)s is not a valid phone number.", number=raw, name=name
                )
            elif check.number in blacklisted:
                problems[comm] = self.env._(
                    "%(number)s is in the phone blacklist (the customer opted out).",
                    number=check.number,
                )
            else:
                numbers[comm] = check.number
        return problems, numbers

    def _ivr_fail(self, reasons):
        """Failed with its reason, then the stage's fallback channel."""
        for comm in self:
            comm.write({"state": "failed", "failure_reason": reasons[comm], "ivr_next_at": False})
        return self._sms_fallback()

    def _issue_ivr(self):
        """Queue one automated call per communication, at the first allowed
        moment (the hours and days of SMS); the dialling job places them.

        A missing, invalid, wrong or opted-out number fails with its reason
        and, if the stage says so, falls back to email or a call.
        """
        problems, numbers = self._ivr_problems()
        self.browse([comm.id for comm in problems])._ivr_fail(problems)
        now = fields.Datetime.now()
        first = None
        for comm in self.browse([comm.id for comm in numbers]):
            at = comm.company_id._dunning_phone_allowed_time(now)
            comm.write(
                {
                    "state": "queued",
                    "ivr_number": numbers[comm],
                    "ivr_next_at": at,
                    "ivr_attempts": 0,
                    "ivr_outcome": False,
                    "failure_reason": False,
                }
            )
            first = min(first, at) if first else at
        if first:
            self.env.ref("account_dunning_es_sms.ir_cron_dunning_ivr_calls")._trigger(at=first)

    # ------------------------------------------------------------------
    # Dialling
    # ------------------------------------------------------------------
    @api.model
    def _cron_ivr_calls(self):
        """Place the automated calls that are due, at most the company's
        *Calls at Once* together; one group per call of the job, which Odoo
        calls again while some remain (each group commits on its own)."""
        now = fields.Datetime.now()
        domain = [("channel", "=", "ivr"), ("state", "=", "queued"), ("ivr_next_at", "<=", now)]
        due = self.search(domain, order="ivr_next_at, id")
        if not due:
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return self.browse()
        company = due[0].company_id
        group = due.filtered(lambda c: c.company_id == company)[
            : max(company.dunning_ivr_max_calls, 1)
        ]
        group._ivr_dial()
        self.env["ir.cron"]._notify_progress(done=len(group), remaining=self.search_count(domain))
        return group

    def _ivr_dial(self):
        """Place these communications' calls (one company) and record them."""
        now = fields.Datetime.now()
        company = self.company_id
        company.ensure_one()
        # What changed while they waited: paid, opted out, outside the hours.
        settled = self.filtered(
            lambda c: (
                not c.line_ids.move_id.filtered(
                    lambda m: m.payment_state in ("not_paid", "partial")
                )
            )
        )
        settled.write(
            {
                "state": "cancelled",
                "ivr_next_at": False,
                "failure_reason": self.env._("Paid before the automated call."),
            }
        )
        todo = self - settled
        problems, numbers = todo._ivr_problems()
        self.browse([comm.id for comm in problems])._ivr_fail(problems)
        todo = self.browse([comm.id for comm in numbers])
        allowed = company._dunning_phone_allowed_time(now)
        if allowed > now:
            todo.write({"ivr_next_at": allowed})
            return
        if not todo:
            return
        try:
            requests = [comm._ivr_request(numbers[comm]) for comm in todo]
        except speech.SpeechError as error:
            _logger.error("Automated calls: no voice: %s", error)
            todo._ivr_fail(
                dict.fromkeys(
                    todo,
                    self.env._(
                        "The call's voice could not be made (espeak-ng): %(error)s",
                        error=str(error),
                    ),
                )
            )
            return
        try:
            results = sip_dialler.place_calls(company._dunning_ivr_settings(), requests)
        except sip_dialler.DiallerError as error:
            _logger.warning("Automated calls: %s", error)
            todo._ivr_fail(
                dict.fromkeys(
                    todo,
                    self.env._(
                        "The PBX could not be used: %(error)s. Check the automated call "
                        "settings (Settings > Invoicing > Dunning).",
                        error=str(error),
                    ),
                )
            )
            return
        by_id = {comm.id: comm for comm in todo}
        for result in results:
            by_id[result.key]._ivr_record(result)

    def _ivr_request(self, number):
        """The call's request: who, and the sound files to play."""
        self.ensure_one()
        recipient = self.recipient_id or self.partner_id
        lines = self.line_ids
        script = ivr_rules.script(
            self.company_id.name,
            self.amount_residual,
            self.company_id.currency_id.name,
            min(lines.mapped("date_due")) if lines else self.date,
            len(lines) or 1,
            recipient.lang or self.partner_id.lang,
        )
        audio = []
        greeting = self.company_id.sudo().dunning_ivr_greeting
        if greeting:
            audio.append(speech.store_greeting(base64.b64decode(greeting)))
        audio.append(speech.synthesize(script.message, script.lang))
        audio.append(speech.synthesize(script.menu, script.lang))
        return sip_dialler.CallRequest(
            self.id, number, audio, speech.synthesize(script.thanks, script.lang)
        )

    def _ivr_record(self, result):
        """What the call did: its outcome on the communication, then the
        answer's consequence, a retry or the fallback."""
        self.ensure_one()
        now = fields.Datetime.now()
        outcome = (
            "failed"
            if result.reason
            else ivr_rules.call_outcome(
                result.answered, result.keys, result.sip_code, result.dropped
            )
        )
        attempts = self.ivr_attempts + 1
        vals = {
            "ivr_attempts": attempts,
            "ivr_outcome": outcome,
            "ivr_keys": result.keys or False,
            "ivr_next_at": False,
        }
        if result.answered:
            vals["ivr_duration"] = result.duration
        labels = dict(self._fields["ivr_outcome"]._description_selection(self.env))
        if outcome in ivr_rules.OUTCOME_OF_KEY.values():
            self._mark_issued(**vals)
            getattr(self, f"_ivr_answer_{outcome}")()
            return
        retry = ivr_rules.retry_at(
            outcome, attempts, self.stage_id.ivr_attempts, self.stage_id.ivr_retry_minutes, now
        )
        if retry:
            vals.update(
                ivr_next_at=self.company_id._dunning_phone_allowed_time(retry),
                failure_reason=self.env._(
                    "Call %(attempt)s of %(attempts)s: %(outcome)s. Calling again later.",
                    attempt=attempts,
                    attempts=self.stage_id.ivr_attempts,
                    outcome=labels[outcome],
                ),
            )
            self.write(vals)
            return
        self.write(vals)
        if outcome == "failed":
            reason = self.env._("The call could not be placed: %(error)s.", error=result.reason)
        elif outcome == "refused":
            reason = self.env._(
                "The PBX refused the number %(number)s (SIP %(code)s).",
                number=self.ivr_number,
                code=result.sip_code,
            )
        else:
            reason = self.env._(
                "No answer to the automated call after %(attempts)s calls (last: %(outcome)s).",
                attempts=attempts,
                outcome=labels[outcome],
            )
        self._ivr_fail({self: reason})

    # ------------------------------------------------------------------
    # What the customer's key does
    # ------------------------------------------------------------------
    def _ivr_open_moves(self):
        return self.line_ids.move_id.filtered(lambda m: m.payment_state in ("not_paid", "partial"))

    def _ivr_activity(self, summary, note, activity_xmlid="mail.mail_activity_data_todo"):
        """An activity for the communication's collector, today."""
        customer = self.partner_id.commercial_partner_id
        user = self.user_id or customer._dunning_collector(self.policy_id)
        self.env["mail.activity"].sudo().create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": customer.id,
                "activity_type_id": self.env.ref(activity_xmlid).id,
                "summary": summary,
                "note": Markup("<p>%s</p>") % note,
                "user_id": user.id,
                "date_deadline": fields.Date.context_today(self),
            }
        )

    def _ivr_answer_paid(self):
        """Key 1: the invoices rest as after "I have already paid" on the
        statement page, until the collector checks it (at most the policy's
        days); the customer gave no date nor amount."""
        moves = self._ivr_open_moves().filtered(lambda m: m.dunning_review != "reason")
        today = fields.Date.context_today(self)
        moves._dunning_write(
            {
                "dunning_review": "paid",
                "dunning_review_date": today,
                "dunning_claim_date": False,
                "dunning_claim_amount": False,
            }
        )
        self._ivr_activity(
            self.env._("Customer says it has paid"),
            self.env._(
                "On the automated call %(ref)s the customer pressed 1, "
                '"I have already paid", for %(invoices)s: check it and press Review Done on '
                "the invoices. They get no reminder until then.",
                ref=self.name,
                invoices=", ".join(moves.mapped("name")),
            ),
        )

    def _ivr_answer_promise(self):
        """Key 2: a promise to pay what the invoices owe within 7 days."""
        moves = self._ivr_open_moves()
        if not moves:
            return
        amount = sum(moves.mapped("amount_residual_signed"))
        due = fields.Date.add(fields.Date.context_today(self), days=ivr_rules.PROMISE_DAYS)
        promise = (
            self.env["dunning.promise"]
            .sudo()
            .create(
                {
                    "partner_id": self.partner_id.commercial_partner_id.id,
                    "company_id": self.company_id.id,
                    "move_ids": [Command.set(moves.ids)],
                    "amount": amount,
                    "channel": "ivr",
                    "user_id": self.user_id.id,
                    "communication_id": self.id,
                    "instalment_ids": [Command.create({"date": due, "amount": amount})],
                    "note": self.env._(
                        "Promised on the automated call %(ref)s (key 2).", ref=self.name
                    ),
                }
            )
        )
        promise.message_post(
            body=self.env._(
                "The customer promised on an automated call to pay %(amount)s by %(date)s.",
                amount=format_amount(self.env, amount, self.company_id.currency_id),
                date=format_date(self.env, due),
            ),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )

    def _ivr_answer_callback(self):
        """Key 3: a call for the collector, today."""
        self._ivr_activity(
            self.env._("Customer asks to speak to someone"),
            self.env._(
                "On the automated call %(ref)s the customer pressed 3: call them back "
                "at %(number)s.",
                ref=self.name,
                number=self.ivr_number,
            ),
            "mail.mail_activity_data_call",
        )
