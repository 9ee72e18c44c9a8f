# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What the documents before court say, beside their reports: the invitation
or offer, the proof of the attempt, the monitorio petition and its pack."""

import base64
import binascii

from markupsafe import Markup

from odoo import fields, models
from odoo.tools import format_date, pdf

from ..models import dunning_court_rules as court
from ..models import dunning_law_rules


class DunningNegotiation(models.Model):
    _inherit = "dunning.negotiation"  # pylint: disable=consider-merging-classes-inherited

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
            dunning_law_rules.COMPENSATION_EUR, company.currency_id, company, until
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
