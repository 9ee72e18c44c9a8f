# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

import lxml.html

from odoo.tests import tagged
from odoo.tools import format_date

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestDunningTranslation(DunningCommon):
    """What a Spanish user reads."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._activate_spanish()

    def test_a_run_made_in_english_reads_in_spanish_for_a_spanish_user(self):
        self._invoice(self.customer, 100.0, self._due(-3))
        run = self._run()  # by a user in English, as the daily job (OdooBot) is
        spanish = run.with_context(lang="es_ES")
        self.assertIn("Ejecución iniciada: 1 clientes a revisar.", spanish.log)
        self.assertIn("Ejecución terminada en", spanish.log)
        self.assertNotIn("Run started", spanish.log)
        self.assertEqual(spanish.display_name, "Reclamación 02/03/2026")
        english = run.with_context(lang="en_US")
        self.assertIn("Run started: 1 customers to review.", english.log)
        self.assertEqual(english.display_name, "Dunning 03/02/2026")

    def test_the_run_of_a_communication_is_a_noun_in_spanish(self):
        field = self.env["ir.model.fields"]._get("dunning.communication", "run_id")
        self.assertEqual(field.with_context(lang="es_ES").field_description, "Ejecución")

    def test_my_collection_activities_is_one_menu(self):
        menus = self.env["ir.ui.menu"].search(
            [
                (
                    "action",
                    "=",
                    "ir.actions.act_window,%s"
                    % (self.env.ref("account_dunning_es.mail_activity_action_my_collection").id),
                )
            ]
        )
        self.assertEqual(len(menus), 1)
        self.assertEqual(
            menus.complete_name, "Invoicing/Customers/Dunning/My Day/My Collection Activities"
        )

    def _spanish(self, record):
        return record.with_context(lang="es_ES")

    def test_the_worklist_reads_in_the_language_of_who_opens_it(self):
        """Rebuilt by an English user (the daily job), read by a Spanish one."""
        invoice = self._invoice(self.customer, 450.0, self._due(-12))
        invoice._dunning_write({"dunning_stage_id": self.stage_reminder.id})
        self._run()  # the call stage: an activity due today
        self.env["dunning.worklist"].with_context(lang="en_US")._rebuild(self.company)
        row = self.env["dunning.worklist"].search([("partner_id", "=", self.customer.id)])
        self.assertIn("activity", row.reason_codes)
        self.assertEqual(self._spanish(row).reasons, "Actividad pendiente")
        self.assertEqual(row.with_context(lang="en_US").reasons, "Activity due")

    def test_a_collection_activity_is_written_in_its_collectors_language(self):
        self.collector.lang = "es_ES"
        invoice = self._invoice(self.customer, 450.0, self._due(-12))
        invoice._dunning_write({"dunning_stage_id": self.stage_reminder.id})
        self._run()  # by a user in English
        activity = self._comms(self.customer, channel="call").activity_id
        self.assertEqual(activity.user_id, self.collector)
        self.assertTrue(activity.summary.startswith("Llamada de cobro ("), activity.summary)
        self.assertIn("450,00", activity.summary)
        self.assertIn("Objetivo:", activity.note)
        spanish_due = format_date(self.env(context={"lang": "es_ES"}), self._due(-12))
        self.assertIn(spanish_due, activity.note)
        self.assertNotIn(str(self._due(-12)), activity.note, "no ISO date")

    def test_the_tone_of_a_communication_in_spanish(self):
        labels = dict(
            self._spanish(self.env["dunning.communication"])
            ._fields["tone"]
            ._description_selection(self._spanish(self.env["dunning.communication"]).env)
        )
        self.assertEqual(labels["friendly"], "Amistoso")

    def test_the_management_report_formats_figures_for_its_reader(self):
        wizard = self.env["dunning.report.wizard"].create(
            {"date_from": self._due(-60), "date_to": self.today + timedelta(days=1)}
        )
        html = (
            self.env["ir.actions.report"]
            .with_context(lang="es_ES")
            ._render_qweb_html("account_dunning_es.action_report_dunning_management", wizard.ids)[0]
            .decode()
        )
        indicators = lxml.html.fromstring(html).xpath("//table[@name='indicators']")[0]
        text = " ".join(indicators.text_content().replace("\xa0", " ").split())
        self.assertIn("CEI0,0 %", text)
        self.assertNotIn("0.0", text)
