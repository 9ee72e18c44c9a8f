# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import os
import subprocess
import tempfile
from datetime import date

from freezegun import freeze_time

from odoo import Command, fields
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.mail.tests.common import MailCase

from ..rules.statement import STATEMENT_GUESSES


def trigger_daily_job(env, max_calls=100):
    """Call the daily job as Odoo's scheduler does: one batch a call, again
    while it reports customers remaining (cron progress API)."""
    cron = env.ref("account_dunning_es.ir_cron_dunning_run")
    Progress = env["ir.cron.progress"]
    for _call in range(max_calls):
        cron.method_direct_trigger()
        progress = Progress.search([("cron_id", "=", cron.id)], order="id desc", limit=1)
        if not progress.remaining:
            return
    raise AssertionError("the daily job never finished")


def poppler(pdf, *command):
    """Run a poppler tool (pdftotext, pdffonts, pdftoppm) on a PDF's bytes.

    :param command: the command line, with ``{pdf}`` where the PDF's path
        goes and, for a tool that writes files, ``{out}`` for their prefix
    :return: its standard output, or the files it wrote (bytes, in the order
        of their names) when the command has ``{out}``
    """
    with tempfile.TemporaryDirectory() as folder:
        paths = {"pdf": os.path.join(folder, "doc.pdf"), "out": os.path.join(folder, "out")}
        with open(paths["pdf"], "wb") as handle:
            handle.write(pdf)
        args = [part.format(**paths) for part in command]
        process = subprocess.run(args, check=True, capture_output=True, text="{out}" not in command)
        if "{out}" not in command:
            return process.stdout
        written = []
        for name in sorted(n for n in os.listdir(folder) if n.startswith("out")):
            with open(os.path.join(folder, name), "rb") as handle:
                written.append(handle.read())
        return written


def pdf_text(pdf):
    """The text of a PDF as pdftotext reads it, page after page."""
    return poppler(pdf, "pdftotext", "-layout", "{pdf}", "-")


def pdf_fonts(pdf):
    """The fonts embedded in a PDF (pdffonts), by name."""
    listing = poppler(pdf, "pdffonts", "{pdf}")
    return {line.split()[0] for line in listing.splitlines()[2:] if line.strip()}


class DunningCommon(AccountTestInvoicingCommon, MailCase):
    """A company with a known policy and customers with complete data.

    Stages (days after due date): pre-reminder -5 (email), reminder +1
    (email), call +10, first letter +20 (email + letter), final letter +60
    (email + letter), agency +90.
    """

    today = date(2026, 3, 2)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._init_mail_gateway()
        cls._init_mail_servers()
        cls.env["ir.config_parameter"].set_param("mail.restrict.template.rendering", False)
        # No test reads the real ECB service: a closed local port (the ECB
        # tests start a server of their own).
        cls.env["ir.config_parameter"].set_param(
            "account_dunning_es.ecb_mrr_url", "http://127.0.0.1:9/ecb-closed"
        )
        cls.company = cls.company_data["company"]
        cls.company.write({"email": "cobros@example.com", "phone": "+34 910 000 000"})
        cls.collector = cls.env["res.users"].create(
            {
                "name": "Carmen Cobros",
                "login": "carmen.cobros",
                "email": "carmen@example.com",
                "phone": "+34 910 000 111",
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
                "groups_id": [
                    Command.set(
                        [
                            cls.env.ref("base.group_user").id,
                            cls.env.ref("account_dunning_es.group_dunning_user").id,
                        ]
                    )
                ],
            }
        )
        cls.policy = cls._create_policy(cls.company, "Test policy")
        cls.stages = cls.policy.stage_ids.sorted("sequence")
        cls.stage_pre, cls.stage_reminder, cls.stage_call = cls.stages[:3]
        cls.stage_letter1, cls.stage_final, cls.stage_agency = cls.stages[3:]
        cls.company.dunning_policy_id = cls.policy
        cls.customer = cls._create_customer("Talleres Prueba SL")
        cls.customer_2 = cls._create_customer("Ferretería Ejemplo SL")

    def setUp(self):
        super().setUp()
        # Wrong statement links counted by earlier tests do not carry over.
        STATEMENT_GUESSES.reset()

    @classmethod
    def _create_policy(cls, company, name, **values):
        template = cls.env.ref("account_dunning_es.mail_template_dunning_reminder")
        email = {"send_email": True, "mail_template_id": template.id}
        return cls.env["dunning.policy"].create(
            dict(
                {
                    "name": name,
                    "company_id": company.id,
                    "min_days_between": 2,
                    "collector_id": cls.collector.id,
                    "stage_ids": [
                        Command.create(
                            dict(name="Pre-reminder", sequence=10, offset_days=-5, **email)
                        ),
                        Command.create(dict(name="Reminder", sequence=20, offset_days=1, **email)),
                        Command.create(
                            dict(
                                name="Call",
                                sequence=30,
                                offset_days=10,
                                call_action="call",
                                call_objective="commitment",
                            )
                        ),
                        Command.create(
                            dict(
                                name="First letter",
                                sequence=40,
                                offset_days=20,
                                tone="firm",
                                send_letter=True,
                                letter_number="1",
                                **email,
                            )
                        ),
                        Command.create(
                            dict(
                                name="Final letter",
                                sequence=50,
                                offset_days=60,
                                tone="final",
                                send_letter=True,
                                letter_number="3",
                                **email,
                            )
                        ),
                        Command.create(
                            dict(name="Agency", sequence=60, offset_days=90, handover="agency")
                        ),
                    ],
                },
                **values,
            )
        )

    @classmethod
    def _create_customer(cls, name, **values):
        return cls.env["res.partner"].create(
            dict(
                {
                    "name": name,
                    "is_company": True,
                    "email": f"{name.split()[0].lower()}@example.com",
                    "phone": "+34 612 345 678",
                    "street": "Calle Mayor 1",
                    "zip": "28013",
                    "city": "Madrid",
                    "country_id": cls.env.ref("base.es").id,
                },
                **values,
            )
        )

    @classmethod
    def _invoice(
        cls, partner, amount, due, move_type="out_invoice", currency=None, company=None, post=True
    ):
        company = company or cls.company
        journal = cls.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "journal_id": journal.id,
                    "invoice_date": fields.Date.subtract(due, days=30),
                    "invoice_date_due": due,
                    "currency_id": (currency or company.currency_id).id,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Servicio", "quantity": 1, "price_unit": amount, "tax_ids": []}
                        )
                    ],
                }
            )
        )
        if post:
            move.action_post()
        return move

    @classmethod
    def _activate_spanish(cls):
        """Spanish installed, with the add-on's Spanish translations."""
        cls.env["res.lang"]._activate_lang("es_ES")
        cls.env["ir.module.module"]._load_module_terms(
            ["account_dunning_es"], ["es_ES"], overwrite=True
        )

    @classmethod
    def _due(cls, days_from_today):
        return fields.Date.add(cls.today, days=days_from_today)

    def _run(self, on_date=None, preview=False, company=None, at=None, **execute_kwargs):
        """A run on a given day (at midnight, or at the moment ``at``)."""
        company = company or self.company
        on_date = on_date or self.today
        with freeze_time(at or on_date):
            run = (
                self.env["dunning.run"]
                .with_company(company)
                .create({"company_id": company.id, "date": on_date, "preview": preview})
            )
            run._execute(**execute_kwargs)
        return run

    def _trigger_daily_job(self):
        trigger_daily_job(self.env)

    def _pay(self, invoice, amount=None, on_date=None):
        """Register a payment as the accountant would, on that day."""
        on_date = on_date or self.today
        with freeze_time(on_date):
            wizard = (
                self.env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"payment_date": on_date, **({"amount": amount} if amount else {})})
            )
            return wizard._create_payments()

    def _report_html(self, report, records):
        """A report's HTML, as text: what a document says is tested on it."""
        return self.env["ir.actions.report"]._render_qweb_html(report, records.ids)[0].decode()

    def _comms(self, partner=None, **domain_values):
        domain = [(key, "=", value) for key, value in domain_values.items()]
        if partner:
            domain.append(("partner_id", "=", partner.id))
        return self.env["dunning.communication"].search(domain, order="id")

    def _assert_columns_whole(self, action, columns, login, size="1440x900"):
        """In the browser, as ``login`` at ``size``: the list of ``action``
        shows the ``columns`` of its first row whole (a cell whose text
        overflows is cut by the list). Needs an HttpCase."""
        code = """
            (async () => {
                const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
                const env = odoo.__WOWL_DEBUG__.root.env;
                await env.services.action.doAction("%(action)s");
                let row;
                for (let i = 0; i < 200 && !row; i++) {
                    await wait(50);
                    row = document.querySelector(".o_data_row");
                }
                if (!row) {
                    throw new Error("no row in %(action)s");
                }
                await wait(300);
                const cut = [];
                for (const name of %(columns)s) {
                    const cell = row.querySelector(`td[name=${name}]`);
                    if (!cell) {
                        cut.push(name + ": no column");
                    } else if (cell.scrollWidth > cell.clientWidth + 1) {
                        cut.push(`${name}: ${cell.innerText} (${cell.scrollWidth} > ${cell.clientWidth})`);
                    }
                }
                // Nor does the list run off the screen (its row buttons hidden).
                const list = document.querySelector(".o_list_renderer");
                if (list.scrollWidth > list.clientWidth + 1) {
                    cut.push(`the list scrolls sideways (${list.scrollWidth} > ${list.clientWidth})`);
                }
                if (cut.length) {
                    throw new Error("cut at " + window.innerWidth + " px: " + cut.join("; "));
                }
                console.log("test successful");
            })();
        """ % {"action": action, "columns": json.dumps(list(columns))}
        self.browser_size = size
        self.browser_js("/odoo", code, ready="odoo.isReady === true", login=login, timeout=60)
