# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Demand letters: what a letter says (the values its report,
report/dunning_letter.xml, prints, computed from the records), and how it is
issued: recorded by the run, its PDF rendered afterwards by the letter job,
emailed on request."""

import base64
from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date
from odoo.tools.image import image_data_uri

from ..infrastructure.batch_defaults import create_in_batch
from ..rules import law as law_rules


class DunningCommunication(models.Model):
    _inherit = "dunning.communication"  # pylint: disable=consider-merging-classes-inherited

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
        terms = self._letter_terms(rate_table, first_demands, legal_table)
        if payments is None:
            payments = self.line_ids.move_id._dunning_payments()
        compensation = self.env.ref("base.EUR")._convert(
            law_rules.COMPENSATION_EUR, company.currency_id, company, self.date
        )
        rows = [self._letter_row(line, terms, payments, compensation) for line in self.line_ids]
        totals = defaultdict(lambda: defaultdict(float))
        for row in rows:
            line, total = row["line"], totals[row["currency"]]
            total["total"] += line.amount_total
            total["paid"] += line.amount_paid
            total["residual"] += line.amount_residual
            total["interest"] += row["interest"]
        compensation_total = sum(row["compensation"] for row in rows)
        claim_compensation = terms["claim_compensation"] and compensation_total > 0
        currency_totals = [(currency, dict(values)) for currency, values in totals.items()]
        to_pay = law_rules.amounts_to_pay(
            [
                (
                    c,
                    {
                        "residual": v["residual"],
                        "interest": v["interest"] if terms["claim_interest"] else 0.0,
                    },
                )
                for c, v in currency_totals
            ],
            compensation_total if claim_compensation else 0.0,
            company.currency_id,
        )
        recipient = self.recipient_id or self.partner_id
        statement_url = self._statement_url() if self.id and self.state == "sent" else ""
        # Where each rate the letter applies comes from (the BOE's
        # resolution, the ECB rate it is computed from, the budget law), in
        # the reader's language.
        used = sorted({(p.date_start, p.rate) for row in rows for p in row["periods"]})
        sources = (
            self.env["dunning.interest.rate"]
            .with_context(lang=recipient.lang or self.env.lang)
            ._rate_sources("legal" if terms["regime"] == "consumer" else "late_payment")
        )
        rate_sources = []
        for start, rate in used:
            period = next(
                ((s, e) for s, e, _r in terms["rates"] if s <= start <= e), (start, start)
            )
            if period not in [(s, e) for s, e, _r, _t in rate_sources]:
                rate_sources.append((*period, rate, sources.get(period[0], "")))
        return {
            "consumer": terms["regime"] == "consumer",
            "regime": terms["regime"],
            "claim_interest": terms["claim_interest"],
            "claim_compensation": claim_compensation,
            "rows": rows,
            "totals": currency_totals,
            "to_pay": [(currency, currency.round(amount)) for currency, amount in to_pay],
            "compensation_total": compensation_total,
            "company_currency": company.currency_id,
            "missing_rates": any(row["missing"] for row in rows),
            "rate_sources": rate_sources,
            "deadline": self.letter_deadline,
            "banks": self._bank_accounts(),
            "contact": self._collector_contact(),
            "bureau_notice": self._warns_bureau(),
            "bureau_name": policy.bureau_name,
            "agency_name": policy.agency_name,
            "place": company.city or "",
            "sender": self._letter_sender(recipient),
            # Issued letters lead to the customer's statement page.
            "statement_url": statement_url,
            "statement_qr": self._statement_qr(statement_url),
        }

    def _statement_qr(self, url):
        """The statement link's QR code as a data URI: drawn into the letter
        without wkhtmltopdf asking the server for it (one request a letter)."""
        if not url:
            return ""
        png = self.env["ir.actions.report"].barcode("QR", url, width=96, height=96)
        return image_data_uri(base64.b64encode(png))

    def _letter_terms(self, rate_table=None, first_demands=None, legal_table=None):
        """What the law gives against this customer: {regime, claim_interest,
        claim_compensation, rates, first_demands}."""
        policy = self.stage_id.policy_id
        regime = self._regime()
        Rate = self.env["dunning.interest.rate"]
        if regime == "consumer":
            # Civil Code arts. 1100 and 1108: the legal interest of money of
            # each year, from the demand; never Ley 3/2004's (its art. 3).
            claim_interest = policy.consumer_legal_interest
            if claim_interest and legal_table is None:
                legal_table = Rate._rate_table("legal")
            if claim_interest and first_demands is None:
                first_demands = self._first_demands()
            return {
                "regime": regime,
                "claim_interest": claim_interest,
                "claim_compensation": False,
                "rates": legal_table or [],
                "first_demands": first_demands or {},
            }
        return {
            "regime": regime,
            "claim_interest": policy.apply_late_interest,
            "claim_compensation": policy.apply_compensation,
            "rates": Rate._rate_table() if rate_table is None else rate_table,
            "first_demands": {},
        }

    def _letter_row(self, line, terms, payments, compensation, until=None):
        """One invoice of the letter: its interest periods and compensation.

        :param until: last day of interest (the letter's date when None; a
            court petition counts to its own date)
        """
        move = line.move_id
        demand = terms["first_demands"].get(move.id)
        if terms["regime"] == "consumer":
            interest_from = demand[0] if demand else None
        elif terms["regime"] == "administration" and move.dunning_conformity_date:
            # LCSP art. 198.4: an administration is late 30 days after
            # approving the conformity, whatever due date the invoice shows.
            interest_from = law_rules.administration_due_date(move.dunning_conformity_date)
        else:
            interest_from = line.date_due
        periods, missing = [], []
        if terms["claim_interest"] and interest_from:
            periods, missing = law_rules.late_payment_interest(
                line.amount_total,
                interest_from,
                until or self.date,
                terms["rates"],
                payments.get(move.id, []),
            )
        currency = line.currency_id
        return {
            "line": line,
            "currency": currency,
            "periods": periods,
            "missing": missing,
            "interest": currency.round(sum(p.interest for p in periods)),
            "compensation": (
                compensation if terms["claim_compensation"] and line.days_overdue > 0 else 0.0
            ),
            "demand": demand,
        }

    def _letter_sender(self, recipient=None):
        """The creditor as a demand letter names it: legal name, tax id, address.

        :param recipient: who reads it: its country is named, in the
            recipient's language, only when it is not the recipient's own
        """
        self.ensure_one()
        partner = self.company_id.partner_id
        city = " ".join(part for part in (partner.zip, partner.city) if part)
        recipient = recipient or self.partner_id
        country = partner.country_id
        if country and country != recipient.country_id:
            country_name = country.with_context(lang=recipient.lang or self.env.lang).name
        else:
            country_name = ""
        lines = [
            partner.street,
            partner.street2,
            city,
            partner.state_id.name,
            country_name,
        ]
        return {
            "name": self.company_id.name,
            "vat": self.company_id.vat or "",
            "address": [line for line in lines if line],
        }

    def _collector_contact(self):
        """Name, phone and email of the person the customer should contact."""
        self.ensure_one()
        user = self.user_id or self.partner_id._dunning_collector(self.stage_id.policy_id)
        # sudo: the customer's statement page (the public user) shows it too.
        partner = user.sudo().partner_id or self.company_id.partner_id
        return {
            "name": partner.name,
            "phone": partner.phone or partner.mobile or self.company_id.phone or "",
            "email": partner.email or self.company_id.email or "",
        }

    def _bank_accounts(self):
        """Company bank accounts the customer can pay into."""
        self.ensure_one()
        return self.company_id.partner_id.bank_ids

    @api.model
    def _letter_preview(self, partners):
        """Unsaved communications listing each customer's overdue invoices.

        Used by the customer's demand letter printed from its form: the
        letter of its current letter stage (else the policy's first letter),
        for every overdue invoice of the current company, dated today.
        """
        company = self.env.company
        today = fields.Date.context_today(self)
        Move = self.env["account.move"]
        moves = Move.search(
            Move._dunning_open_domain(company, include_excluded=True)
            + [
                ("commercial_partner_id", "in", partners.commercial_partner_id.ids),
                ("invoice_date_due", "<", today),
            ],
            order="invoice_date_due, id",
        )
        comms = self.browse()
        for partner in partners.commercial_partner_id:
            policy = partner._dunning_policy(company)
            if not policy:
                raise UserError(
                    self.env._("No dunning policy applies to %(name)s.", name=partner.display_name)
                )
            letter_stages = policy.stage_ids.filtered("send_letter")
            stage = (
                partner.dunning_stage_id
                if partner.dunning_stage_id in letter_stages
                else (letter_stages[:1] or policy.stage_ids[-1:])
            )
            partner_moves = moves.filtered(lambda m, p=partner: m.commercial_partner_id == p)
            comms |= comms.new(
                {
                    "name": "/",
                    "date": today,
                    "company_id": company.id,
                    "partner_id": partner.id,
                    "recipient_id": partner.address_get(["invoice"])["invoice"],
                    "stage_id": stage.id,
                    "channel": "letter",
                    "state": "draft",
                    "user_id": partner._dunning_collector(policy).id,
                    "line_ids": [
                        Command.create(dict(move._dunning_snapshot(today), stage_id=stage.id))
                        for move in partner_moves
                    ],
                }
            )
        return comms

    # ------------------------------------------------------------------
    # Issuing letters: recorded by the run, rendered by the letter job
    # ------------------------------------------------------------------
    def _issue_letter(self):
        """Issue letters: the PDF is rendered after the run, in batches.

        Rendering through wkhtmltopdf takes about a second a letter, so the
        run only records the letter and wakes the letter job up, which
        renders, attaches to the communication and posts on the customer's
        chatter.
        """
        self._mark_issued_each(
            {
                comm: {"bureau_notice_date": comm.date if comm._warns_bureau() else False}
                for comm in self
            }
        )
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
        """Render the PDF of issued letters that have none yet, one batch a call.

        Odoo's scheduler commits after each call and calls again while
        letters remain (cron progress API).
        """
        letters = self.search(
            [
                ("channel", "=", "letter"),
                ("state", "=", "sent"),
                ("letter_attachment_id", "=", False),
            ],
            order="id",
        )
        batch = letters[:limit]
        batch._generate_letter_pdf()
        negotiations = self.env["dunning.negotiation"].search(
            [("document_attachment_id", "=", False)], order="id"
        )
        documents = negotiations[: max(limit - len(batch), 0)]
        documents._generate_document_pdf()
        self.env["ir.cron"]._notify_progress(
            done=len(batch) + len(documents),
            remaining=len(letters) + len(negotiations) - len(batch) - len(documents),
        )

    def _generate_letter_pdf(self):
        """Render, attach to the communication and post on the customer's chatter."""
        report = self.env.ref("account_dunning_es.action_report_dunning_letter")
        # Odoo saves one attachment per letter (the report's attachment
        # expression), which is then linked to each letter.
        report.with_context(dunning_store_each=True)._render_qweb_pdf(report, res_ids=self.ids)
        attachments = self.env["ir.attachment"].search(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", self.ids),
                ("mimetype", "=", "application/pdf"),
            ]
        )
        by_comm = {att.res_id: att for att in attachments}
        for comm in self:
            attachment = by_comm.get(comm.id)
            if not attachment:
                continue
            comm.letter_attachment_id = attachment
            # Read by everyone of the company: in its language.
            note = comm.with_context(lang=comm.company_id._dunning_lang())
            comm.partner_id.with_context(dunning_collection_message=True).message_post(
                body=Markup("<p>%s</p>")
                % note.env._(
                    "%(stage)s: demand letter %(ref)s for %(amount)s, to pay by %(deadline)s.",
                    stage=note.stage_id.name,
                    ref=comm.name,
                    amount=note.amount_display,
                    deadline=format_date(note.env, comm.letter_deadline),
                ),
                attachment_ids=attachment.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )

    def _send_letter_by_email(self):
        """Email each letter's PDF to its customer (rendered first if needed)."""
        missing = self.filtered(lambda c: not c.letter_attachment_id)
        if missing:
            missing._generate_letter_pdf()
        problems = [(c, c._issue_problem() or self._email_problem(c)) for c in self]
        problems = [(c, p) for c, p in problems if p]
        if problems:
            raise UserError("\n".join(p for _c, p in problems))
        create_in_batch(
            self.env["mail.mail"].sudo(),
            [
                {
                    "model": "res.partner",
                    "res_id": comm.partner_id.id,
                    "message_type": "email_outgoing",
                    "author_id": (comm.user_id.partner_id or comm.company_id.partner_id).id,
                    "email_from": comm.user_id.email_formatted or comm.company_id.email_formatted,
                    "subject": self.env._(
                        "%(company)s: %(ref)s", company=comm.company_id.name, ref=comm.name
                    ),
                    "body_html": Markup("<p>%s</p>")
                    % self.env._("Please find attached our letter %(ref)s.", ref=comm.name),
                    "recipient_ids": [Command.link((comm.recipient_id or comm.partner_id).id)],
                    "attachment_ids": [Command.link(comm.letter_attachment_id.id)],
                    "auto_delete": False,
                    "state": "outgoing",
                }
                for comm in self
            ],
        )

    @api.model
    def _email_problem(self, comm):
        recipient = comm.recipient_id or comm.partner_id
        if not recipient.email:
            return self.env._("%(name)s has no email address.", name=recipient.display_name)
        if not comm.letter_attachment_id:
            return self.env._("The letter %(ref)s could not be rendered.", ref=comm.name)
        return ""
