# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestDunningTranslation(DunningCommon):
    """What a Spanish user reads (item 10 of issue 20)."""

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
