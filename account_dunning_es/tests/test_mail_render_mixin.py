# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Inline templates compiled once for a run's emails render as Odoo's."""

from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import safe_eval

from ..models.mail_render_mixin import COMPILED_INLINE
from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestCompiledInlineTemplate(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._activate_spanish()
        cls.customer.lang = "es_ES"
        cls.other = cls._create_customer("Suministros Ejemplo SA", lang="en_US")
        cls.third = cls._create_customer("Hierros Muestra SL", lang="es_ES")
        cls.template = cls.env.ref("account_dunning_es.mail_template_dunning_reminder")

    def _comms_of_three(self):
        for customer in self.customer | self.other | self.third:
            self._invoice(customer, 500.0, self._due(-3))
        self._run(preview=True)
        comms = self._comms(self.customer) | self._comms(self.other) | self._comms(self.third)
        self.assertEqual(len(comms), 3)
        comms[1].user_id = self.collector
        return comms

    def test_subject_sender_and_language_as_odoo_renders_them(self):
        comms = self._comms_of_three()
        template = self.template.with_context(**{COMPILED_INLINE: True})
        compiled = {}
        for field in ("subject", "email_from", "lang", "partner_to"):
            compiled[field] = template._render_field(field, comms.ids)
            self.assertEqual(compiled[field], self.template._render_field(field, comms.ids), field)
        langs = template._render_lang(comms.ids)
        self.assertEqual(langs, {comms[0].id: "es_ES", comms[1].id: "en_US", comms[2].id: "es_ES"})
        self.assertIn(self.collector.email, compiled["email_from"][comms[1].id])

    def test_each_expression_is_checked_once_not_per_record(self):
        comms = self._comms_of_three()
        template = self.template.with_context(**{COMPILED_INLINE: True})
        # The sender is one expression, which Odoo checks for each record.
        with patch.object(safe_eval, "test_expr", wraps=safe_eval.test_expr) as odoo_check:
            self.template._render_field("email_from", comms.ids)
        by_odoo = odoo_check.call_count
        # Compiled: Odoo checks it for the first record only, the add-on once
        # for the others (with the test_expr it imported, not counted here).
        with patch.object(safe_eval, "test_expr", wraps=safe_eval.test_expr) as odoo_check:
            template._render_field("email_from", comms.ids)
        self.assertGreaterEqual(by_odoo - odoo_check.call_count, len(comms) - 1)

    def test_an_expression_failing_raises_odoo_message(self):
        comms = self._comms_of_three()
        template = self.template.with_context(**{COMPILED_INLINE: True})
        # Fails on the second record only: the compiled path gives the
        # rendering back to Odoo, which says what failed.
        text = "{{ (object.user_id.login or 1 / 0) and object.name }}"
        comms[0].user_id = self.collector
        comms[1].user_id = False
        with self.assertRaisesRegex(UserError, "Failed to render inline_template"):
            template._render_template(text, "dunning.communication", comms.ids)
        # A forbidden name is refused as Odoo refuses it.
        with self.assertRaises(UserError):
            template._render_template("{{ object.__class__ }}", "dunning.communication", comms.ids)
