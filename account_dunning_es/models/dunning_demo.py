# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, api, fields, models

# name, segment, tax id, phone, due dates in days from today
DEMO_CUSTOMERS = [
    ("Ayuntamiento de Villanueva", "public", "ESP2807900B", "+34 915 550 101", [-75, -20]),
    ("Grupo Industrial Ebro SA", "large", "ESA50123454", "+34 976 550 102", [-45, -8, 10]),
    ("Talleres Martínez SL", "sme", "ESB28123453", "+34 612 345 678", [-95, -32, -4, 3]),
    ("Distribuciones Levante SL", "strategic", "ESB46123451", "+34 963 550 104", [-12, 2]),
    ("Lucía Fernández", "mass", False, "+34 622 000 105", [-18, -2]),
    # Past its negotiation attempt (LO 1/2025): ready for court.
    ("Construcciones Norte SL", "strategic", "ESB48123459", "+34 944 550 106", [-135]),
]
# street, zip, city, province (xmlid); None: everyone else's.
DEMO_ADDRESSES = {
    None: ("Calle Mayor 1", "28013", "Madrid", "base.state_es_m"),
    "Construcciones Norte SL": ("Gran Vía 12", "48001", "Bilbao", "base.state_es_bi"),
}
# Payments the customers make during the replay: (customer, invoice index,
# days after its due date, share of the amount).
DEMO_PAYMENTS = [
    ("Grupo Industrial Ebro SA", 0, 12, 1.0),
    ("Talleres Martínez SL", 1, 25, 0.5),
    ("Lucía Fernández", 0, 6, 1.0),
    ("Ayuntamiento de Villanueva", 0, 40, 1.0),
]


class DunningDemo(models.AbstractModel):
    """Demo data of the add-on: a Spanish company and its customers, whose
    invoices sit at every stage after months of replayed daily runs."""

    _name = "dunning.demo"
    _description = "Dunning Demo Data"

    @api.model
    def _company(self):
        """The demo's Spanish company: Spanish chart of accounts, EUR, an
        address in Madrid, a tax id and an IBAN, the shipped policies copied
        to it, Spanish installed. The administrator works in it."""
        spain = self.env.ref("base.es")
        company = self.env["res.company"].create(
            {
                "name": "Suministros Demo Cobros SL",
                "country_id": spain.id,
                "currency_id": self.env.ref("base.EUR").id,
                "street": "Calle de Alcalá 48",
                "zip": "28014",
                "city": "Madrid",
                "state_id": self.env.ref("base.state_es_m").id,
                "vat": "ESB12345674",
                "email": "cobros@suministros-demo.example.com",
                "phone": "+34 910 000 000",
            }
        )
        self.env["ir.model.data"]._update_xmlids(
            [{"xml_id": "account_dunning_es.demo_company_es", "record": company, "noupdate": True}]
        )
        self.env["account.chart.template"].try_loading(
            "es_pymes", company=company, install_demo=False
        )
        bank = self.env["res.bank"].create({"name": "Banco Demo", "bic": "DEMOESMMXXX"})
        self.env["res.partner.bank"].create(
            {
                "acc_number": "ES91 2100 0418 4502 0005 1332",
                "partner_id": company.partner_id.id,
                "bank_id": bank.id,
                "allow_out_payment": True,
            }
        )
        self.env["res.lang"]._activate_lang("es_ES")
        self.env["ir.module.module"]._load_module_terms(["base", "account_dunning_es"], ["es_ES"])
        company.partner_id.lang = "es_ES"
        admin = self.env.ref("base.user_admin")
        admin.write({"company_ids": [Command.link(company.id)], "company_id": company.id})
        self.env["dunning.policy"].with_company(company)._copy_to_company(
            company, self.env.ref("base.main_company")
        )
        return company

    @api.model
    def _populate(self):
        """Demo customers per segment with invoices due at various dates, in
        the demo's Spanish company (Odoo's main demo company is American)."""
        if "es_pymes" not in self.env["account.chart.template"]._get_chart_template_mapping():
            company = self.env.ref("base.main_company")  # l10n_es missing: as before
        else:
            company = self._company()
        self = self.with_company(company)  # noqa: PLW0642 (the demo works in that company)
        journal = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        if not journal:
            return
        by_customer = {
            customer[0]: self._demo_invoices(
                self._demo_customer(*customer[:4]), customer[4], journal
            )
            for customer in DEMO_CUSTOMERS
        }
        to_pay = {}
        for name, index, days, share in DEMO_PAYMENTS:
            invoice = by_customer[name][index]
            to_pay.setdefault(fields.Date.add(invoice.invoice_date_due, days=days), []).append(
                (invoice, share)
            )
        moves = self.env["account.move"].union(*by_customer.values())
        self._replay(company, min(moves.mapped("invoice_date_due")), to_pay)

    def _demo_customer(self, name, segment, vat, phone):
        street, zip_code, city, state = DEMO_ADDRESSES.get(name, DEMO_ADDRESSES[None])
        return self.env["res.partner"].create(
            {
                "name": name,
                "is_company": segment != "mass",
                "vat": vat,
                "email": f"cobros.{segment}@example.com",
                "phone": phone,
                "street": street,
                "zip": zip_code,
                "city": city,
                "state_id": self.env.ref(state).id,
                "country_id": self.env.ref("base.es").id,
                "lang": "es_ES" if self.env["res.lang"]._lang_get("es_ES") else "en_US",
                "dunning_segment_id": self.env.ref(
                    f"account_dunning_es.dunning_segment_{segment}"
                ).id,
            }
        )

    def _demo_invoices(self, partner, due_offsets, journal):
        """Posted invoices of the customer, due so many days from today."""
        today = fields.Date.context_today(self)
        invoices = self.env["account.move"]
        for index, offset in enumerate(due_offsets, start=1):
            due = fields.Date.add(today, days=offset)
            invoices |= self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "journal_id": journal.id,
                    "invoice_date": fields.Date.add(due, days=-30),
                    "invoice_date_due": due,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": f"Servicios de mantenimiento {index}",
                                "quantity": 1,
                                "price_unit": 450.0 * index,
                                "tax_ids": [],
                            }
                        )
                    ],
                }
            )
        invoices.action_post()
        return invoices

    def _replay(self, company, start, to_pay):
        """Replay the daily runs from ``start`` to yesterday, so that the demo
        customers sit at different stages with a history to look at: the
        customers pay what ``to_pay`` says on its days ({day: [(invoice,
        share)]}), and the collector sends each negotiation attempt by
        burofax, received three days later."""
        today = fields.Date.context_today(self)
        receipts = {}
        for days in range((today - start).days, 0, -1):
            day = fields.Date.add(today, days=-days)
            for invoice, share in to_pay.get(day, []):
                self.env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=invoice.ids
                ).create(
                    {"payment_date": day, "amount": invoice.amount_residual * share}
                )._create_payments()
            run = self.env["dunning.run"].create(
                {"company_id": company.id, "date": day, "origin": "cron", "preview": False}
            )
            run._execute()
            for comm in run.communication_ids.filtered(lambda c: c.channel == "negotiation"):
                receipts.setdefault(fields.Date.add(day, days=3), []).append(comm)
            received = fields.Date.add(day, days=1)
            for comm in receipts.pop(received, []):
                comm.write(
                    {
                        "sending_method": "burofax",
                        "sending_reference": f"BF-{comm.name.replace('/', '-')}",
                        "sending_date": comm.date,
                        "delivery_outcome": "delivered",
                        "receipt_date": received,
                    }
                )
