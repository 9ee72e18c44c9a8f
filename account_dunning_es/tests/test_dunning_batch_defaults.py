# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Defaults looked up once for a batch of records created together."""

from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from ..infrastructure.batch_defaults import BATCH_DEFAULTS, batch_defaults
from .common import DunningCommon

# What differs between two messages created a moment apart, whatever the way.
OWN_VALUES = {"id", "date", "create_date", "write_date", "message_id", "res_id", "body"}


@tagged("post_install", "-at_install")
class TestBatchDefaults(DunningCommon):
    def _vals(self, customer):
        return {
            "model": "res.partner",
            "res_id": customer.id,
            "message_type": "email_outgoing",
            "body": f"<p>{customer.name}</p>",
            "partner_ids": [Command.link(customer.id)],
        }

    def _create(self, Message, customers):
        Model = type(self.env["mail.message"])
        with patch.object(
            Model, "default_get", autospec=True, side_effect=Model.default_get
        ) as spy:
            messages = Message.create([self._vals(customer) for customer in customers])
        return messages, spy.call_count

    def test_one_lookup_for_a_batch_and_the_same_records(self):
        customers = self.customer | self.customer_2 | self._create_customer("Hierros Muestra SL")
        Message = self.env["mail.message"].sudo()
        plain, plain_lookups = self._create(Message, customers)
        with batch_defaults(Message) as batch:
            batched, batch_lookups = self._create(batch, customers)
            token = batch.env.context[BATCH_DEFAULTS]
        # Odoo looks the defaults up for each record; the batch once.
        self.assertEqual(plain_lookups, 3)
        self.assertEqual(batch_lookups, 1)
        fields = [name for name in Message._fields if name not in OWN_VALUES]
        for one, other in zip(plain, batched, strict=True):
            self.assertEqual(
                {k: v for k, v in one.read(fields)[0].items() if k != "id"},
                {k: v for k, v in other.read(fields)[0].items() if k != "id"},
            )
            self.assertEqual(one.body, other.body)
        self.assertEqual(batched.mapped("res_id"), customers.ids)
        self.assertNotIn(token, self.env.cr.cache.get(BATCH_DEFAULTS, {}), "forgotten after")

    def test_a_default_of_the_context_still_counts(self):
        Message = self.env["mail.message"].sudo()
        with batch_defaults(Message) as batch:
            first = batch.create(self._vals(self.customer))
            second = batch.with_context(default_subject="From the context").create(
                self._vals(self.customer_2)
            )
            third = batch.create(dict(self._vals(self.customer), subject="Given"))
        self.assertFalse(first.subject)
        self.assertEqual(second.subject, "From the context")
        self.assertEqual(third.subject, "Given")

    def test_each_record_gets_its_own_copy_of_a_default(self):
        Message = self.env["mail.message"].sudo()
        # A default that is a list: the ORM keeps the very list default_get gives.
        with (
            batch_defaults(Message) as batch,
            patch.object(
                type(Message), "default_get", autospec=True, return_value={"tracking_value_ids": []}
            ),
        ):
            first = batch._add_missing_default_values({"model": "res.partner"})
            second = batch._add_missing_default_values({"model": "res.partner"})
        first["tracking_value_ids"].append(Command.create({}))
        self.assertEqual(second["tracking_value_ids"], [])
        self.assertEqual(second["model"], "res.partner")
