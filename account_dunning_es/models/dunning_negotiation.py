# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The compulsory attempt to negotiate before a civil claim (LO 1/2025), and
what its documents say: the invitation or offer, the proof of the attempt,
the monitorio petition and its pack."""

import base64
import binascii

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import format_date, pdf

from ..rules import court
from ..rules import law as law_rules


class DunningNegotiation(models.Model):
    _name = "dunning.negotiation"
    _description = "Negotiation Attempt (MASC)"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    communication_id = fields.Many2one(
        "dunning.communication",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
        help="The negotiation stage's communication: its delivery is the proof.",
    )
    name = fields.Char(related="communication_id.name", store=True, string="Reference")
    company_id = fields.Many2one(related="communication_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        related="communication_id.partner_id", store=True, index=True, string="Customer"
    )
    user_id = fields.Many2one(related="communication_id.user_id", string="Collector")
    date = fields.Date(related="communication_id.date", store=True, string="Document Date")
    move_ids = fields.Many2many(related="communication_id.move_ids", string="Invoices")
    line_ids = fields.One2many(related="communication_id.line_ids", string="Invoice Lines")
    amount = fields.Monetary(
        related="communication_id.amount_residual", store=True, string="Principal Claimed"
    )
    form = fields.Selection(
        court.MASC_FORMS,
        required=True,
        default="invitation",
        tracking=True,
        help="Invitation: a request to negotiate directly (LO 1/2025 arts. 5 and 10). "
        "Binding confidential offer (art. 17): a proposal that binds both parties once "
        "accepted, printed as its own confidential document.",
    )
    offer_kind = fields.Selection(court.OFFER_KINDS, default="waive_interest")
    offer_instalments = fields.Integer(string="Instalments", default=3)
    acceptance_days = fields.Integer(
        default=court.OFFER_MIN_ACCEPTANCE_DAYS,
        help="Days the customer has to accept the offer from its receipt (LO 1/2025 "
        "art. 17: one month, unless the offer gives longer).",
    )
    lawyer_required = fields.Boolean(
        compute="_compute_lawyer_required",
        store=True,
        help="Above 2,000 EUR a binding offer is made with a lawyer (LO 1/2025 art. 6), "
        "and a lawyer and court representative are needed in court if the debtor "
        "opposes (LEC arts. 23, 31 and 818).",
    )
    sending_method = fields.Selection(related="communication_id.sending_method")
    sending_reference = fields.Char(related="communication_id.sending_reference")
    sending_date = fields.Date(related="communication_id.sending_date", string="Sent On")
    delivery_outcome = fields.Selection(related="communication_id.delivery_outcome")
    receipt_date = fields.Date(
        related="communication_id.receipt_date", store=True, string="Received On"
    )
    delivery_proof = fields.Binary(related="communication_id.delivery_proof")
    delivery_proof_name = fields.Char(related="communication_id.delivery_proof_name")
    window_end = fields.Date(
        string="Answer Period Ends",
        compute="_compute_window_end",
        store=True,
        index=True,
        help="Receipt plus 30 calendar days (LO 1/2025 art. 7), or the offer's acceptance "
        "period when longer. The hand-over for legal action comes the day after, "
        "without agreement.",
    )
    outcome = fields.Selection(
        court.OUTCOMES, default="pending", required=True, tracking=True, index=True
    )
    outcome_date = fields.Date(tracking=True)
    outcome_note = fields.Text(help="What the customer answered, or proposed instead.")
    answer_document = fields.Binary(
        attachment=True, copy=False, help="The customer's written answer, kept as evidence."
    )
    answer_document_name = fields.Char()
    promise_id = fields.Many2one(
        "dunning.promise", readonly=True, ondelete="set null", string="Agreed Plan"
    )
    document_attachment_id = fields.Many2one(
        "ir.attachment",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The invitation or offer as issued (PDF).",
    )
    pack_attachment_id = fields.Many2one(
        "ir.attachment", readonly=True, copy=False, ondelete="set null", string="Monitorio Pack"
    )
    status = fields.Selection(
        [
            ("to_send", "To Send by a Certified Channel"),
            ("waiting", "Answer Period Running"),
            ("agreed", "Agreed"),
            ("ready", "Ready for Court"),
        ],
        compute="_compute_status",
        search="_search_status",
    )

    evidence_missing = fields.Text(
        compute="_compute_evidence_missing",
        help="What the court documents cannot prove yet: certificates not attached, "
        "letters never sent or sent without proof of receipt.",
    )

    @api.depends(
        "communication_id.delivery_proof",
        "move_ids.amount_residual",
        "window_end",
    )
    def _compute_evidence_missing(self):
        for negotiation in self:
            # What is recorded of the letters and invoices, whoever reads it
            # (a sales rep of the customer reads no invoice).
            gaps = negotiation.sudo()._court_gaps() if negotiation.window_end else []
            negotiation.evidence_missing = "\n".join(gaps) or False

    def _check_ready_for_court(self):
        """A document for a judge states only what has happened: refused before
        the answer period has ended without agreement."""
        today = fields.Date.context_today(self)
        for negotiation in self:
            status = negotiation._status_on(today)
            if status == "ready":
                continue
            if status == "to_send":
                message = self.env._(
                    "%(ref)s is not ready for court: its receipt by the customer is not "
                    "recorded, so its answer period has not started.",
                    ref=negotiation.name,
                )
            elif status == "agreed":
                message = self.env._(
                    "%(ref)s ended in an agreement: there is nothing to take to court.",
                    ref=negotiation.name,
                )
            else:
                message = self.env._(
                    "%(ref)s is not ready for court: its answer period ends on %(end)s.",
                    ref=negotiation.name,
                    end=format_date(self.env, negotiation.window_end),
                )
            raise UserError(message)

    @api.depends("amount", "company_id")
    def _compute_lawyer_required(self):
        eur = self.env.ref("base.EUR")
        for negotiation in self:
            company = negotiation.company_id
            amount = negotiation.amount
            if company and company.currency_id != eur:
                amount = company.currency_id._convert(
                    amount, eur, company, negotiation.date or fields.Date.today()
                )
            negotiation.lawyer_required = court.needs_lawyer(amount)

    @api.depends(
        "form",
        "acceptance_days",
        "communication_id.sending_method",
        "communication_id.delivery_outcome",
        "communication_id.receipt_date",
    )
    def _compute_window_end(self):
        for negotiation in self:
            comm = negotiation.communication_id
            received = (
                law_rules.proven_receipt(
                    comm.sending_method, comm.delivery_outcome, comm.receipt_date
                )
                if court.masc_method_allowed(comm.sending_method)
                else None
            )
            negotiation.window_end = court.masc_window_end(
                received, negotiation.form, negotiation.acceptance_days
            )

    @api.depends("outcome", "window_end")
    @api.depends_context("date")
    def _compute_status(self):
        today = fields.Date.context_today(self)
        for negotiation in self:
            negotiation.status = negotiation._status_on(today)

    def _status_on(self, today):
        self.ensure_one()
        if self.outcome == "accepted":
            return "agreed"
        if not self.window_end:
            return "to_send"
        if today <= self.window_end:
            return "waiting"
        return "ready"

    def _search_status(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, str):
            raise UserError(self.env._("Unsupported search on the negotiation status."))
        today = fields.Date.context_today(self)
        domains = {
            "agreed": [("outcome", "=", "accepted")],
            "to_send": [("outcome", "!=", "accepted"), ("window_end", "=", False)],
            "waiting": [("outcome", "!=", "accepted"), ("window_end", ">=", today)],
            "ready": [("outcome", "in", court.NO_AGREEMENT), ("window_end", "<", today)],
        }
        domain = domains.get(value, expression.FALSE_DOMAIN)
        return domain if operator == "=" else ["!", *expression.normalize_domain(domain)]

    @api.constrains("acceptance_days", "offer_instalments")
    def _check_offer_terms(self):
        for negotiation in self:
            if negotiation.acceptance_days < court.OFFER_MIN_ACCEPTANCE_DAYS:
                raise UserError(
                    self.env._(
                        "An offer gives the customer one month at least to accept it "
                        "(LO 1/2025 art. 17)."
                    )
                )
            if negotiation.offer_instalments < 1:
                raise UserError(self.env._("A payment plan has one instalment at least."))

    def write(self, vals):
        terms = {"form", "offer_kind", "offer_instalments", "acceptance_days"}
        if terms & set(vals) and any(n.window_end for n in self):
            raise UserError(
                self.env._(
                    "The terms of an attempt already received cannot change: issue a new one."
                )
            )
        result = super().write(vals)
        if terms & set(vals):
            # The document issued said something else: render it again.
            self.document_attachment_id = False
            cron = self.env.ref(
                "account_dunning_es.ir_cron_dunning_letters", raise_if_not_found=False
            )
            if cron:
                cron._trigger()
        return result

    # ------------------------------------------------------------------
    # Creation from the negotiation stage
    # ------------------------------------------------------------------
    @api.model
    def _vals_for(self, comm):
        """The attempt a negotiation communication opens: the customer's own
        form when set (per case), else its policy's."""
        policy = comm.stage_id.policy_id
        return {
            "communication_id": comm.id,
            "form": comm.partner_id.dunning_masc_form or policy.masc_form or "invitation",
            "offer_kind": policy.masc_offer_kind or "waive_interest",
            "offer_instalments": policy.masc_offer_instalments or 3,
            "acceptance_days": max(
                policy.masc_acceptance_days or 0, court.OFFER_MIN_ACCEPTANCE_DAYS
            ),
        }

    # ------------------------------------------------------------------
    # What the documents say
    # ------------------------------------------------------------------

    def _proposal_instalments(self, start=None):
        """[(date, amount)] the offer proposes, from ``start`` (the answer)."""
        self.ensure_one()
        start = start or self.outcome_date or fields.Date.context_today(self)
        count = self.offer_instalments if self.offer_kind == "plan" else 1
        first = fields.Date.add(start, days=30 if self.offer_kind == "plan" else 10)
        return court.split_instalments(
            self.amount, count, first, rounding=self.currency_id.rounding
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_print_document(self):
        return self.env.ref("account_dunning_es.action_report_dunning_negotiation").report_action(
            self
        )

    def action_print_proof(self):
        return self.env.ref("account_dunning_es.action_report_dunning_masc_proof").report_action(
            self
        )

    def action_print_petition(self):
        return self.env.ref("account_dunning_es.action_report_dunning_monitorio").report_action(
            self
        )

    def action_record_delivery(self):
        self.ensure_one()
        return self.env["dunning.letter.send.wizard"]._action_open(self.communication_id)

    def _set_outcome(self, outcome, on_date=None):
        for negotiation in self:
            if negotiation.outcome == "accepted":
                raise UserError(
                    self.env._("An accepted negotiation is closed: its plan is followed.")
                )
            if not negotiation.communication_id.receipt_date and outcome != "accepted":
                raise UserError(
                    self.env._(
                        "Record the delivery of %(ref)s first: the answer period runs from "
                        "its receipt.",
                        ref=negotiation.name,
                    )
                )
        self.write({"outcome": outcome, "outcome_date": on_date or fields.Date.context_today(self)})

    def action_reject(self):
        self._set_outcome("rejected")
        return True

    def action_counter_offer(self):
        self._set_outcome("counter_offer")
        return True

    def action_no_answer(self):
        self._set_outcome("no_answer")
        return True

    def action_accept(self, on_date=None):
        """The customer accepted: the agreement becomes a payment promise with
        its instalments, which the promise machinery follows from now on; the
        invoices are paused while it is open and no hand-over comes."""
        self._set_outcome("accepted", on_date)
        Promise = self.env["dunning.promise"]
        for negotiation in self:
            instalments = negotiation._proposal_instalments(negotiation.outcome_date)
            negotiation.promise_id = Promise.create(
                {
                    "company_id": negotiation.company_id.id,
                    "partner_id": negotiation.partner_id.id,
                    "move_ids": [Command.set(negotiation.move_ids.ids)],
                    "amount": sum(amount for _day, amount in instalments),
                    "date_promised": negotiation.outcome_date,
                    "channel": "letter",
                    "user_id": (negotiation.user_id or self.env.user).id,
                    "communication_id": negotiation.communication_id.id,
                    "note": self.env._("Agreed in the negotiation %(ref)s.", ref=negotiation.name),
                    "instalment_ids": [
                        Command.create({"date": day, "amount": amount})
                        for day, amount in instalments
                    ],
                }
            )
        if len(self) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "dunning.promise",
                "res_id": self.promise_id.id,
                "view_mode": "form",
            }
        return True

    @api.model
    def _close_expired(self, company, today):
        """Attempts whose answer period ended without any answer: no answer."""
        expired = self.search(
            [
                ("company_id", "=", company.id),
                ("outcome", "=", "pending"),
                ("window_end", "<", today),
            ]
        )
        for negotiation in expired:
            negotiation.write(
                {
                    "outcome": "no_answer",
                    "outcome_date": fields.Date.add(negotiation.window_end, days=1),
                }
            )
        return expired

    # ------------------------------------------------------------------
    # Documents before court (their reports: report/dunning_court.xml)
    # ------------------------------------------------------------------
    def _claim_on(self, until, current=False):
        """The debt claimed, computed as the demand letters compute it.

        :param until: last day of interest
        :param current: the principal due today (a petition), leaving out
            invoices paid since; else as on the document's date
        :return: {rows, currency, principal, interest, compensation, total},
            totals in company currency
        """
        self.ensure_one()
        comm = self.communication_id
        company = self.company_id
        terms = comm._letter_terms()
        payments = comm.line_ids.move_id._dunning_payments()
        compensation = self.env.ref("base.EUR")._convert(
            law_rules.COMPENSATION_EUR, company.currency_id, company, until
        )
        rows = []
        totals = {"principal": 0.0, "interest": 0.0, "compensation": 0.0}
        for line in comm.line_ids:
            row = comm._letter_row(line, terms, payments, compensation, until=until)
            move = line.move_id
            row["principal"] = move.amount_residual if current else line.amount_residual
            if row["principal"] <= 0:
                continue
            rate = (
                move.amount_residual_signed / move.amount_residual
                if current and move.amount_residual
                else (line.amount_residual_company / line.amount_residual)
            )
            totals["principal"] += row["principal"] * abs(rate)
            totals["interest"] += row["interest"] * abs(rate)
            totals["compensation"] += row["compensation"]
            rows.append(row)
        currency = company.currency_id
        totals = {key: currency.round(value) for key, value in totals.items()}
        return dict(
            totals,
            rows=rows,
            currency=currency,
            total=currency.round(sum(totals.values())),
            missing_rates=any(row["missing"] for row in rows),
        )

    def _court_values(self, petition_date=None):
        """What the invitation or offer, its proof and the petition show."""
        self.ensure_one()
        comm = self.communication_id
        values = {
            "parties": self._parties(),
            "claim": self._claim_on(self.date),
            "instalments": self._proposal_instalments(self.date),
            "answer_by": self._answer_by(),
            "contact": comm._collector_contact(),
            "place": self.company_id.city or "",
        }
        if petition_date:
            debtor = values["parties"]["debtor"]
            documents = self.with_context(
                lang=self.company_id.partner_id.lang or self.env.lang
            )._pack_documents()
            values["petition"] = {
                "court": court.competent_court(debtor["city"], debtor["province"]),
                "regime": comm._regime(),
                "date": petition_date,
                "claim": self._claim_on(petition_date, current=True),
                # Listed in the petition's language (the company's).
                "documents": documents,
                "demands": self._letter_demands(documents),
                "masc_certificate": any(
                    d["kind"] == "certificate" and d["record"] == comm for d in documents
                ),
                "place": self.company_id.city or "",
            }
        return values

    def _pack_documents(self):
        """The documents of the monitorio pack, numbered, in the order a court
        reads them: invoices, demand letters each followed by its delivery
        certificate, the proof of the negotiation attempt and its certificate,
        the statement of account. [{number, label, kind, record}]"""
        self.ensure_one()
        moves = self.move_ids.filtered(lambda m: m.amount_residual > 0).sorted(
            lambda m: (m.invoice_date or m.date, m.id)
        )
        docs = [
            (
                "invoice",
                move,
                self.env._(
                    "Invoice %(number)s of %(date)s",
                    number=move.name,
                    date=format_date(self.env, move.invoice_date),
                ),
            )
            for move in moves
        ]
        for letter in self._pack_letters(moves):
            if letter._court_evidence() == "not_sent":
                continue  # never sent: it demanded nothing of the debtor
            label = self.env._(
                "Demand letter %(ref)s of %(date)s",
                ref=letter.name,
                date=format_date(self.env, letter.date),
            )
            docs += [("letter", letter, label), *self._pack_certificate(letter)]
        label = self.env._(
            "Proof of the attempt to negotiate %(ref)s (Ley Orgánica 1/2025, art. 10), "
            "with the document sent",
            ref=self.name,
        )
        docs += [("masc", self, label), *self._pack_certificate(self.communication_id)]
        today = format_date(self.env, fields.Date.context_today(self))
        docs.append(
            (
                "statement",
                self.partner_id,
                self.env._("Statement of account on %(date)s", date=today),
            )
        )
        return [
            {"number": number, "kind": kind, "record": record, "label": label}
            for number, (kind, record, label) in enumerate(docs, start=1)
        ]

    def _pack_letters(self, moves):
        """The demand letters issued for these invoices, oldest first."""
        return self.env["dunning.communication"].search(
            [
                ("partner_id", "=", self.partner_id.id),
                ("company_id", "=", self.company_id.id),
                ("channel", "=", "letter"),
                ("state", "=", "sent"),
                ("line_ids.move_id", "in", moves.ids),
            ],
            order="date, id",
        )

    def _letter_demands(self, documents):
        """What the petition may say of each demand letter sent, from what is
        recorded of its sending: [{letter, evidence, number, certificate}],
        the numbers those of the pack's documents."""
        numbers = {}
        for document in documents:
            numbers.setdefault((document["kind"], document["record"].id), document["number"])
        return [
            {
                "letter": document["record"],
                "evidence": document["record"]._court_evidence(),
                "number": document["number"],
                "certificate": numbers.get(("certificate", document["record"].id)),
            }
            for document in documents
            if document["kind"] == "letter"
        ]

    def _court_gaps(self):
        """What the court documents cannot prove yet, one sentence each, for the
        collector to read before printing them."""
        self.ensure_one()
        gaps = []
        comm = self.communication_id
        if not comm.delivery_proof:
            gaps.append(
                self.env._(
                    "The operator's delivery certificate of the attempt %(ref)s is not "
                    "attached: attach it on the attempt before going to court.",
                    ref=self.name,
                )
            )
        # What each letter short of proof means for the petition.
        consequences = {
            "not_sent": self.env._(
                "Demand letter %(ref)s has no sending recorded (Letters to Post): "
                "it is left out of the petition and the pack."
            ),
            "no_proof": self.env._(
                "Demand letter %(ref)s was sent without proof of receipt: the "
                "petition lists it as sent without proof."
            ),
            "no_certificate": self.env._(
                "Demand letter %(ref)s has its receipt recorded but no certificate "
                "attached: the petition says the certificate is not attached."
            ),
        }
        moves = self.move_ids.filtered(lambda m: m.amount_residual > 0)
        for letter in self._pack_letters(moves):
            consequence = consequences.get(letter._court_evidence())
            if consequence:
                gaps.append(consequence % {"ref": letter.name})
        return gaps

    def _pack_certificate(self, comm):
        """[(kind, record, label)] of a communication's delivery certificate, if any."""
        if not comm.delivery_proof:
            return []
        methods = dict(comm._fields["sending_method"]._description_selection(self.env))
        label = self.env._(
            "Delivery certificate of %(ref)s (%(method)s, received on %(date)s)",
            ref=comm.name,
            method=methods.get(comm.sending_method, ""),
            date=format_date(self.env, comm.receipt_date) if comm.receipt_date else "-",
        )
        return [("certificate", comm, label)]

    def _answer_by(self):
        """The answer date printed on the document, if received the day it is dated."""
        self.ensure_one()
        return court.masc_window_end(self.date, self.form, self.acceptance_days)

    def _parties(self):
        """Creditor and debtor exactly as the claim will name them."""
        self.ensure_one()
        comm = self.communication_id
        debtor = self.partner_id.commercial_partner_id
        address = [
            debtor.street,
            debtor.street2,
            " ".join(p for p in (debtor.zip, debtor.city) if p),
            debtor.state_id.name,
            debtor.country_id.name,
        ]
        return {
            "creditor": comm._letter_sender(),
            "debtor": {
                "name": debtor.name,
                "vat": debtor.vat or "",
                "address": [line for line in address if line],
                "city": debtor.city or "",
                "province": debtor.state_id.name or "",
            },
        }

    def action_build_pack(self):
        """The monitorio pack: the petition, then every document it lists,
        numbered, in one PDF kept on the attempt."""
        self.ensure_one()
        self._check_ready_for_court()
        parts = [self._render_pdf("account_dunning_es.action_report_dunning_monitorio", self)]
        for document in self._pack_documents():
            parts.append(self._document_pdf(document))
        merged = pdf.merge_pdf([part for part in parts if part])
        self.pack_attachment_id = self.env["ir.attachment"].create(
            {
                "name": self.env._("Monitorio pack - %(name)s.pdf", name=self.partner_id.name),
                "res_model": self._name,
                "res_id": self.id,
                "raw": merged,
                "mimetype": "application/pdf",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.pack_attachment_id.id}?download=true",
            "target": "self",
        }

    def _render_pdf(self, report_xmlid, records):
        report = self.env.ref(report_xmlid)
        content, _type = self.env["ir.actions.report"]._render_qweb_pdf(report, res_ids=records.ids)
        return content

    def _document_pdf(self, document):
        """The PDF of one document of the pack (None for a certificate that is
        not a PDF: it is listed, and attached apart)."""
        record = document["record"]
        kind = document["kind"]
        if kind == "invoice":
            return self._render_pdf(
                "account_dunning_es.action_report_dunning_court_invoice", record
            )
        if kind == "letter":
            if record.letter_attachment_id:
                return record.letter_attachment_id.raw
            return self._render_pdf("account_dunning_es.action_report_dunning_letter", record)
        if kind == "certificate":
            try:
                content = base64.b64decode(record.with_context(bin_size=False).delivery_proof)
            except (TypeError, binascii.Error):
                return None
            return content if content.startswith(b"%PDF") else None
        if kind == "masc":
            return self._render_pdf("account_dunning_es.action_report_dunning_masc_proof", record)
        return self._render_pdf("account_dunning_es.action_report_dunning_letter_partner", record)

    def _generate_document_pdf(self):
        """Render the invitation or offer as issued, keep it, and post it on the
        customer's chatter (the letter job calls this)."""
        for negotiation in self:
            content = negotiation._render_pdf(
                "account_dunning_es.action_report_dunning_negotiation", negotiation
            )
            attachment = self.env["ir.attachment"].create(
                {
                    "name": f"{negotiation.name.replace('/', '_')}.pdf",
                    "res_model": self._name,
                    "res_id": negotiation.id,
                    "raw": content,
                    "mimetype": "application/pdf",
                }
            )
            negotiation.document_attachment_id = attachment
            negotiation.partner_id.with_context(dunning_collection_message=True).message_post(
                body=Markup("<p>%s</p>")
                % self.env._(
                    "%(form)s %(ref)s prepared: send it by burofax, certified email or "
                    "certified post, then record its delivery.",
                    form=dict(self._fields["form"]._description_selection(self.env))[
                        negotiation.form
                    ],
                    ref=negotiation.name,
                ),
                attachment_ids=attachment.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
