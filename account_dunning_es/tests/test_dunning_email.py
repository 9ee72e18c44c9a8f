# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The reminders' emails are queued in bulk: the same as Odoo's own path."""

import base64
from concurrent.futures import Future
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import format_amount, mute_logger

from ..infrastructure import html_sanitizer
from ..rules.formatting import amount_formatter
from .common import DunningCommon

MESSAGE_FIELDS = ("body", "subject", "email_from", "author_id", "subtype_id", "partner_ids")


@tagged("post_install", "-at_install")
class TestDunningEmail(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._activate_spanish()
        cls.customer.lang = "es_ES"
        cls.template = cls.env.ref("account_dunning_es.mail_template_dunning_reminder")
        cls.conditions = cls.env["ir.attachment"].create(
            {
                "name": "condiciones.pdf",
                "raw": b"%PDF-1.4 condiciones de pago",
                "res_model": "mail.template",
                "res_id": cls.template.id,
            }
        )
        cls.template.attachment_ids = cls.conditions

    def _odoo_and_bulk(self):
        """The same communication emailed by Odoo's ``message_post_with_source``
        and by the run's bulk path: (Odoo's message, ours, our mail)."""
        self._invoice(self.customer, 1234.5, self._due(-3))
        self._invoice(self.customer, 80.25, self._due(-10))
        self._run(preview=True)
        comm = self._comms(self.customer)
        with self.mock_mail_gateway():
            odoo_message = comm.with_context(mail_notify_force_send=False).message_post_with_source(
                self.template, message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        with self.mock_mail_gateway():
            comm._issue()
            mail = self._new_mails
        self.assertEqual(comm.state, "sent")
        return odoo_message, comm.message_id, mail

    def _two_customers_emailed(self):
        """A run emailing two customers, one overdue invoice each: their
        two communications."""
        self._invoice(self.customer, 100.0, self._due(-3))
        self._invoice(self.customer_2, 200.0, self._due(-3))
        with self.mock_mail_gateway():
            self._run()
        comms = self._comms()
        self.assertEqual(len(comms), 2)
        return comms

    def test_bulk_email_is_the_one_odoo_posts(self):
        odoo_message, message, mail = self._odoo_and_bulk()
        self.assertTrue(odoo_message and message and mail)
        # Byte for byte: body (rendered in Spanish, sanitised as Odoo does),
        # subject, sender, author, subtype and recipients.
        for name in MESSAGE_FIELDS:
            self.assertEqual(message[name], odoo_message[name], name)
        self.assertIn("Según nuestros registros", message.body)
        self.assertIn("1.234,50", message.body)
        # The email carries exactly the logged body, to the same recipient.
        self.assertEqual(mail.body_html, str(message.body))
        self.assertEqual(mail.recipient_ids, odoo_message.partner_ids)
        self.assertEqual(mail.mail_message_id, message)
        self.assertEqual(mail.state, "outgoing")
        # Attachments: the template's, same names and contents as Odoo's.
        self.assertEqual(
            sorted((a.name, a.raw) for a in message.attachment_ids),
            sorted((a.name, a.raw) for a in odoo_message.attachment_ids),
        )
        self.assertEqual(message.attachment_ids.mapped("name"), ["condiciones.pdf"])
        self.assertEqual(mail.attachment_ids, message.attachment_ids)
        # Each email has its own copy; the template keeps its own.
        self.assertNotEqual(message.attachment_ids, self.conditions)
        self.assertEqual(self.template.attachment_ids, self.conditions)
        self.assertEqual(self.conditions.res_model, "mail.template")
        self.assertEqual(
            (message.attachment_ids.res_model, message.attachment_ids.res_id),
            ("res.partner", self.customer.id),
        )
        # No tracking either way: issuing is not a field change to log.
        self.assertFalse(message.tracking_value_ids or odoo_message.tracking_value_ids)

    def test_where_the_bulk_email_differs_on_purpose(self):
        """Logged on the customer's chatter, not on the communication; no
        notification layout (a reminder is not an invitation to our backend)."""
        odoo_message, message, mail = self._odoo_and_bulk()
        self.assertEqual((message.model, message.res_id), ("res.partner", self.customer.id))
        self.assertEqual(odoo_message.model, "dunning.communication")
        self.assertEqual(message.message_type, "email_outgoing")
        self.assertFalse(mail.is_notification)
        # Replies go to the customer's thread, where the email is logged.
        self.assertIn(self.customer.name, message.reply_to)

    def test_a_template_report_is_attached_to_each_email(self):
        self.template.report_template_ids = self.env.ref(
            "account_dunning_es.action_report_dunning_letter"
        )
        self.template.attachment_ids = False
        comms = self._two_customers_emailed()
        for comm in comms:
            # The letter of that communication (tests render reports as HTML).
            (letter,) = comm.message_id.attachment_ids
            self.assertTrue(letter.name.startswith(comm.name))
            self.assertIn(comm.line_ids.move_id.name.encode(), letter.raw)
            self.assertEqual(letter.res_id, comm.partner_id.id)

    def test_a_body_with_an_embedded_image_becomes_an_attachment(self):
        """Odoo turns a base64 image into an attachment: still so in bulk."""
        self.template.attachment_ids = False
        pixel = base64.b64encode(b"GIF89a\x01\x00\x01\x00").decode()
        self.template.body_html = f'<div><p>Pague <t t-out="object.name"/></p><img src="data:image/gif;base64,{pixel}"/></div>'
        self._invoice(self.customer, 100.0, self._due(-3))
        with self.mock_mail_gateway():
            self._run()
        message = self._comms(self.customer).message_id
        self.assertNotIn("base64", message.body)
        self.assertEqual(len(message.attachment_ids), 1)
        self.assertIn(f"/web/image/{message.attachment_ids.id}", message.body)

    def test_amounts_are_formatted_as_odoo_formats_them(self):
        """The run's fast amount formatter writes what ``format_amount`` does."""
        currencies = self.env.ref("base.EUR") + self.env.ref("base.USD") + self.env.ref("base.JPY")
        amounts = [0, 0.005, -0.004, 0.1 + 0.2, 7, -1234.565, 1234567.891, -98765432.1, 1e9]
        for lang in ("en_US", "es_ES"):
            env = self.env(context=dict(self.env.context, lang=lang))
            fast = amount_formatter(env)
            for currency in currencies:
                for amount in amounts:
                    self.assertEqual(
                        fast(amount, currency), format_amount(env, amount, currency), (lang, amount)
                    )
                    self.assertEqual(
                        fast(amount, currency, "en_US"),
                        format_amount(env, amount, currency, "en_US"),
                    )
        spanish = amount_formatter(self.env(context={"lang": "es_ES"}))
        self.assertEqual(spanish(-1234.5, self.env.ref("base.EUR")), "-\ufeff1.234,50\xa0€")

    def test_bodies_sanitised_by_a_helper_process_are_what_odoo_stores(self):
        Message = self.env["mail.message"].sudo()
        field = Message._fields["body"]
        bodies = {
            1: '<div style="margin: 0px; padding: 0px;"><p>Señor\xa0cliente</p><br/></div>',
            2: '<p onclick="steal()">Pague <script>alert(1)</script><a href="javascript:x">aquí</a></p>',
            3: "<table><tr><td>1.234,50\xa0€</td></tr></table><!--[if mso]><p>o</p><![endif]-->",
        }
        sanitizer = html_sanitizer.BodySanitizer(field, workers=1, expected=3, min_bodies=1)
        self.assertTrue(sanitizer.pool)
        sanitizer.submit(bodies)
        for key, body in bodies.items():
            self.assertEqual(
                sanitizer.sanitized(key, body, Message), field.convert_to_column(body, Message)
            )
        self.assertNotIn("script", sanitizer.results.get(2, ""))
        # Without a helper (one core, or few bodies): the same, here.
        inline = html_sanitizer.BodySanitizer(field, workers=1, expected=3)
        self.assertFalse(inline.pool)
        self.assertEqual(
            inline.sanitized(2, bodies[2], Message), field.convert_to_column(bodies[2], Message)
        )

    def test_bodies_no_helper_has_started_are_sanitised_here_the_same(self):
        """The run takes back the chunks still queued for a helper when it
        needs their bodies: the same stored values, none lost."""
        Message = self.env["mail.message"].sudo()
        field = Message._fields["body"]

        class QueuedPool:
            """A pool whose helpers never start the work (all of it queued)."""

            def submit(self, *args):
                return Future()

        sanitizer = html_sanitizer.BodySanitizer(field, workers=1, expected=3, min_bodies=1)
        sanitizer.pool = QueuedPool()
        bodies = {
            1: '<p onclick="steal()">Pague <script>alert(1)</script></p>',
            2: "<table><tr><td>1.234,50\xa0€</td></tr></table>",
        }
        sanitizer.submit({1: bodies[1]})
        sanitizer.submit({2: bodies[2]})
        futures = [future for _keys, _htmls, future in sanitizer.pending]
        for key, body in bodies.items():
            self.assertEqual(
                sanitizer.sanitized(key, body, Message), field.convert_to_column(body, Message)
            )
        self.assertTrue(all(future.cancelled() for future in futures), "taken back")
        self.assertFalse(sanitizer.pending)

    def test_a_run_sanitising_on_a_helper_sends_the_same_emails(self):
        self.template.attachment_ids = False
        for index in range(4):
            self._invoice(
                self.customer if index % 2 else self.customer_2, 100.0 + index, self._due(-3)
            )
        self._run(preview=True)
        comms = self._comms()
        inline_bodies = comms._render_email_bodies(self.template)
        pools = []
        real_helper_pool = html_sanitizer.helper_pool

        def helper_pool(workers):
            pools.append(real_helper_pool(workers))
            return pools[-1]

        with (
            patch.object(html_sanitizer, "MIN_BODIES", 1),
            patch.object(html_sanitizer, "helper_pool", helper_pool),
            self.mock_mail_gateway(),
        ):
            comms._issue()
        self.assertEqual(len(pools), 1, "the bodies went through a helper process")
        self.assertEqual(set(comms.mapped("state")), {"sent"})
        Message = self.env["mail.message"]
        for comm in comms:
            self.assertEqual(
                str(comm.message_id.body),
                Message._fields["body"].convert_to_column(inline_bodies[comm.id], Message),
            )

    def test_the_body_view_is_compiled_once_and_renders_as_odoo_renders_it(self):
        """The view is looked up and compiled once for the chunk, not once per
        email; each email is still the HTML Odoo's own qweb_view rendering gives."""
        customer_3 = self._create_customer("Cerrajería Ejemplo SL")
        for partner in (self.customer, self.customer_2, customer_3):
            self._invoice(partner, 150.0, self._due(-3))
        self._run(preview=True)
        comms = self._comms()
        self.assertEqual(len(comms), 3)
        view = "account_dunning_es.dunning_email_body"
        IrQweb = type(self.env["ir.qweb"])
        real_compile = IrQweb._compile
        compiled = []

        def counting_compile(qweb, template):
            compiled.append(template)
            return real_compile(qweb, template)

        by_lang = self.template._classify_per_lang(comms.ids)
        self.assertEqual(len(by_lang), 2, "Spanish and English customers")
        bodies = {}
        for template_lang, res_ids in by_lang.values():
            expected = template_lang._render_template(
                view, "dunning.communication", res_ids, engine="qweb_view"
            )
            compiled.clear()
            with patch.object(IrQweb, "_compile", counting_compile):
                ours = comms._render_view(template_lang, view, "dunning.communication", res_ids, {})
            self.assertEqual(compiled, [view])
            self.assertEqual(sorted(ours), sorted(res_ids))
            for res_id in res_ids:
                self.assertEqual(str(ours[res_id]), str(expected[res_id]))
            bodies.update(ours)
        for comm in comms:
            self.assertIn(comm.partner_id.name, bodies[comm.id])

    def test_a_value_set_for_one_email_does_not_reach_the_next(self):
        """Each record gets its own copy of the values, as ``ir.qweb._render`` gives it."""
        self.env["ir.ui.view"].create(
            {
                "name": "test first seen",
                "type": "qweb",
                "key": "account_dunning_es.test_first_seen",
                "arch": '<t t-name="account_dunning_es.test_first_seen">'
                '<t t-if="not first_seen"><t t-set="first_seen" t-value="object.name"/></t>'
                '<span t-out="first_seen"/></t>',
            }
        )
        self._invoice(self.customer, 100.0, self._due(-3))
        self._invoice(self.customer_2, 200.0, self._due(-3))
        self._run(preview=True)
        comms = self._comms()
        rendered = comms._render_view(
            self.template,
            "account_dunning_es.test_first_seen",
            "dunning.communication",
            comms.ids,
            {"first_seen": False},
        )
        for comm in comms:
            self.assertEqual(str(rendered[comm.id]), f"<span>{comm.name}</span>")

    def test_each_email_is_recorded_on_its_own_reminder(self):
        """The emails of a run are marked issued together: each reminder keeps
        its own message, the one logged on its customer's chatter."""
        comms = self._two_customers_emailed()
        self.assertEqual(set(comms.mapped("state")), {"sent"})
        self.assertTrue(all(comms.mapped("sent_date")))
        for comm in comms:
            self.assertEqual(
                (comm.message_id.model, comm.message_id.res_id), ("res.partner", comm.partner_id.id)
            )
            body = str(comm.message_id.body)
            self.assertIn(comm.line_ids.move_id.name, body)
            self.assertIn(f"?c={comm.id}", body, "the statement link counts for this reminder")
        self.assertEqual(len(comms.message_id), 2)
        # Read back from the database, not only from the ORM's cache.
        comms.invalidate_recordset()
        self.env.cr.execute(
            "SELECT id, message_id FROM dunning_communication WHERE id IN %s", [tuple(comms.ids)]
        )
        self.assertEqual(dict(self.env.cr.fetchall()), {c.id: c.message_id.id for c in comms})

    def test_dates_follow_the_language_format_within_one_transaction(self):
        """Due dates are formatted once per transaction, yet a language whose
        date format changes formats them anew."""
        self._invoice(self.customer, 100.0, self._due(-3))
        with self.mock_mail_gateway():
            self._run()
        due = self._due(-3)
        self.assertIn(due.strftime("%d/%m/%Y"), str(self._comms(self.customer).message_id.body))
        self.env["res.lang"]._lang_get("es_ES").date_format = "%Y-%m-%d"
        self._invoice(self.customer_2, 100.0, self._due(-3))
        self.customer_2.lang = "es_ES"
        with self.mock_mail_gateway():
            self._run(on_date=self.today)
        body = str(self._comms(self.customer_2).message_id.body)
        self.assertIn(due.isoformat(), body)
        self.assertNotIn(due.strftime("%d/%m/%Y"), body)

    def test_an_email_that_fails_to_render_says_which_view(self):
        self.env["ir.ui.view"].create(
            {
                "name": "test broken",
                "type": "qweb",
                "key": "account_dunning_es.test_broken",
                "arch": '<t t-name="account_dunning_es.test_broken">'
                '<span t-out="object.no_such_field"/></t>',
            }
        )
        self._invoice(self.customer, 100.0, self._due(-3))
        self._run(preview=True)
        comms = self._comms()
        with (
            self.assertRaises(UserError) as raised,
            mute_logger("odoo.addons.account_dunning_es.models.dunning_communication_issue"),
        ):
            comms._render_view(
                self.template,
                "account_dunning_es.test_broken",
                "dunning.communication",
                comms.ids,
                {},
            )
        self.assertIn("account_dunning_es.test_broken", str(raised.exception))
