# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The collector's day: the worklist and the calls logged."""

from datetime import date, timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from ..rules import worklist as rules
from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestPriorityRules(TransactionCase):
    def test_each_part_is_capped_and_readable(self):
        parts = rules.priority_parts(2000.0, 45, "final", "chronic", 1, True)
        self.assertEqual(parts, rules.ScoreParts(8, 15, 10, 10, 5, 10))
        self.assertEqual(rules.priority_score(parts), 58)
        big = rules.priority_parts(10**7, 900, "handover", "promise_breaker", 9, False)
        self.assertEqual(big, rules.ScoreParts(40, 30, 15, 15, 15, 0))
        self.assertEqual(rules.priority_parts(0, -5, None, None, 0, False), (0, 0, 0, 0, 0, 0, 0))

    def test_a_payment_predicted_far_off_counts(self):
        def expected(days):
            return rules.priority_parts(0, 0, None, None, 0, False, days).expected

        self.assertEqual([expected(d) for d in (None, 3, 14, 15, 30, 31)], [0, 0, 0, 5, 5, 10])

    def test_a_row_is_written_only_where_it_changed(self):
        row = {"amount": 100.0, "stage_id": 7, "expected_date": None, "score": 0, "phone": False}
        same = {"amount": 100.004, "stage_id": 7, "expected_date": False, "score": 0, "phone": None}
        self.assertEqual(rules.changed_values(row, same), {})
        new = dict(same, amount=100.01, stage_id=8, phone="+34600000000")
        self.assertEqual(
            rules.changed_values(row, new),
            {"amount": 100.01, "stage_id": 8, "phone": "+34600000000"},
        )


class WorklistCommon(DunningCommon):
    today = date.today()

    def _call_due(self, partner):
        return self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": partner.id,
                "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                "summary": "Collection call",
                "user_id": self.collector.id,
                "date_deadline": self.today,
            }
        )

    def _rows(self):
        self.env["dunning.worklist"]._rebuild(self.company)
        return self.env["dunning.worklist"].search([("company_id", "=", self.company.id)])


@tagged("post_install", "-at_install")
class TestWorklist(WorklistCommon):
    def test_the_most_urgent_first_with_the_parts_of_its_score(self):
        strategic = self.env.ref("account_dunning_es.dunning_segment_strategic")
        big = self._create_customer("Grande Estratégico SA", dunning_segment_id=strategic.id)
        small = self._create_customer("Pequeño Cliente SL")
        self._invoice(big, 2000.0, self._due(-45))
        self._invoice(small, 300.0, self._due(-6))
        big.write({"dunning_behaviour": "chronic", "dunning_broken_recent": 1})
        self._call_due(big)
        self._call_due(small)
        quiet = self._create_customer("Sin Nada Hoy SL")
        self._invoice(quiet, 5000.0, self._due(-60))
        rows = self._rows()
        self.assertEqual(rows.partner_id, big | small, "only who needs a person today")
        self.assertEqual(rows[0].partner_id, big)
        first = rows[0]
        self.assertEqual(
            (
                first.score_amount,
                first.score_days,
                first.score_behaviour,
                first.score_broken,
                first.score_strategic,
            ),
            (8, 15, 10, 5, 10),
        )
        self.assertEqual(first.score, 48 + first.score_stage)
        self.assertEqual(rows[1].score, 1 + 2 + rows[1].score_stage)
        self.assertIn("amount 8", first.score_detail)
        self.assertEqual(first.reasons, "Activity due")
        self.assertEqual(first.user_id, self.collector)

    def test_a_payment_updates_the_customers_row_without_a_refresh(self):
        invoice = self._invoice(self.customer, 600.0, self._due(-20))
        self._call_due(self.customer)
        row = self._rows().filtered(lambda r: r.partner_id == self.customer)
        self.assertEqual(row.amount, 600.0)
        self._pay(invoice, amount=200.0)
        self.assertEqual(row.amount, 400.0, "what it still owes, at once")
        self._pay(invoice)
        self.assertFalse(row.exists(), "nothing overdue: off the list")

    def test_a_refresh_writes_only_the_rows_that_changed(self):
        """A collector's Refresh rebuilt every row (one UPDATE
        each, and a search for the dunning manager per row)."""
        self._invoice(self.customer, 800.0, self._due(-20))
        self._invoice(self.customer_2, 300.0, self._due(-10))
        self._call_due(self.customer)
        self._call_due(self.customer_2)
        rows = self._rows()
        self.assertEqual(len(rows), 2)
        Worklist = type(self.env["dunning.worklist"])
        written = []
        original = Worklist.write

        def counting_write(records, vals):
            written.append((records.partner_id, set(vals)))
            return original(records, vals)

        with patch.object(Worklist, "write", counting_write):
            self._rows()
            self.assertEqual(written, [], "nothing changed: nothing written")
            self._invoice(self.customer_2, 200.0, self._due(-10))
            self.env.invalidate_all()  # as the next request of the collector
            again = self._rows()
        self.assertEqual(again, rows, "the same rows, kept")
        self.assertEqual([partner for partner, _names in written], [self.customer_2])
        self.assertIn("amount", written[0][1])
        self.assertEqual(again.filtered(lambda r: r.partner_id == self.customer_2).amount, 500.0)

    def test_a_broken_promise_and_a_failed_channel_bring_a_customer_in(self):
        invoice = self._invoice(self.customer, 800.0, self._due(-20))
        promise = self.env["dunning.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "amount": 800.0,
                "date_promised": self._due(-15),
                "instalment_ids": [Command.create({"date": self._due(-10), "amount": 800.0})],
            }
        )
        promise._evaluate(self.today)
        self.assertEqual(promise.state, "broken")
        self.customer_2.email = False
        self._invoice(self.customer_2, 100.0, self._due(-2))
        self._run()
        rows = self._rows()
        reasons = {row.partner_id: row.reason_codes for row in rows}
        self.assertIn("promise_broken", reasons[self.customer])
        self.assertIn("failed", reasons[self.customer_2])

    def test_a_new_dispute_and_a_hand_over_bring_a_customer_in(self):
        disputed = self._invoice(self.customer, 500.0, self._due(-30))
        disputed.write({"dunning_reason": "dispute", "dunning_reason_note": "Mercancía dañada"})
        self.assertEqual(disputed.dunning_reason_date, self.today)
        old = self._create_customer("Disputa Antigua SL")
        old_invoice = self._invoice(old, 300.0, self._due(-40))
        old_invoice.write({"dunning_reason": "dispute"})
        old_invoice.dunning_reason_date = self._due(-8)
        handed = self._invoice(self.customer_2, 900.0, self._due(-95))
        handed._dunning_write(
            {"dunning_stage_id": self.stage_final.id, "dunning_last_date": self._due(-35)}
        )
        self._run()
        self.assertEqual(self._comms(self.customer_2, channel="agency").state, "sent")
        rows = self._rows()
        by_partner = {row.partner_id: row for row in rows}
        self.assertIn("dispute", by_partner[self.customer].reason_codes)
        self.assertIn("New dispute", by_partner[self.customer].reasons)
        self.assertIn("handover", by_partner[self.customer_2].reason_codes)
        self.assertIn("Hand-over to prepare", by_partner[self.customer_2].reasons)
        self.assertNotIn(old, rows.partner_id, "a dispute of eight days ago is not new")


@tagged("post_install", "-at_install")
class TestLogCall(WorklistCommon):
    def _log(self, partner, **values):
        action = partner.action_dunning_log_call()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.write(values)
        return wizard, wizard.action_confirm()

    def _calls(self, partner):
        return self._comms(partner, channel="phone")

    def test_a_promise_opens_the_promise_form_prefilled_and_the_row_leaves(self):
        self._invoice(self.customer, 600.0, self._due(-12))
        self._call_due(self.customer)
        self.assertIn(self.customer, self._rows().partner_id)
        _wizard, action = self._log(self.customer, result="promise", objective="commitment")
        call = self._calls(self.customer)
        self.assertEqual(
            (call.call_result, call.call_objective, call.state), ("promise", "commitment", "sent")
        )
        self.assertEqual(call.amount_residual, 600.0, "the call claims the overdue invoices")
        promise_wizard = self.env[action["res_model"]].with_context(**action["context"]).create({})
        self.assertEqual(promise_wizard.channel, "phone")
        self.assertEqual(promise_wizard.communication_id, call)
        self.assertEqual(promise_wizard.amount, 600.0)
        self.assertNotIn(
            self.customer,
            self.env["dunning.worklist"].search([]).partner_id,
            "the call is done: the customer leaves the worklist",
        )

    def test_paid_reason_and_wrong_number(self):
        invoice = self._invoice(self.customer, 600.0, self._due(-12))
        self._log(self.customer, result="paid", pay_date=self.today, amount=600.0)
        self.assertEqual((invoice.dunning_review, invoice.dunning_claim_amount), ("paid", 600.0))
        self._log(self.customer, result="reason", reason="financial", note="Espera un cobro")
        self.assertEqual(self.customer.dunning_reason, "financial")
        self._log(self.customer, result="wrong_number")
        self.assertTrue(self.customer.dunning_phone_wrong)
        call = self.env["dunning.communication"].create(
            {
                "partner_id": self.customer.id,
                "stage_id": self.stage_call.id,
                "channel": "call",
                "line_ids": [
                    Command.create(
                        dict(invoice._dunning_snapshot(self.today), stage_id=self.stage_call.id)
                    )
                ],
            }
        )
        self.assertIn("wrong", call._issue_problem())
        self.customer.mobile = "+34 600 111 222"
        self.assertFalse(self.customer.dunning_phone_wrong, "a corrected number is called again")
        self.assertEqual(
            self._calls(self.customer).mapped("call_result"),
            ["paid", "reason", "wrong_number"],
        )

    def test_after_three_unanswered_calls_the_next_stage_goes_out_in_writing(self):
        invoice = self._invoice(self.customer, 600.0, self._due(-25))
        invoice._dunning_write({"dunning_stage_id": self.stage_call.id})
        self.policy.call_max_unanswered = 3
        for _n in range(2):
            self._log(self.customer, result="no_answer")
        self.assertFalse(self._comms(self.customer, channel="letter"))
        again = self.env["mail.activity"].search(
            [("res_id", "=", self.customer.id), ("summary", "=", "Call again (no answer)")]
        )
        self.assertEqual(again[:1].date_deadline, self.today + timedelta(days=1))
        self._log(self.customer, result="no_answer")
        letter = self._comms(self.customer, channel="letter")
        self.assertEqual(letter.stage_id, self.stage_letter1, "the next stage, in writing")
        self.assertEqual(invoice.dunning_stage_id, self.stage_letter1)


@tagged("post_install", "-at_install")
class TestCollectorsMorning(WorklistCommon, HttpCase):
    def test_the_collectors_morning_in_a_browser(self):
        """Open the worklist, log a call with a promise, see the row leave."""
        user = new_test_user(
            self.env,
            login="morning.collector",
            groups="base.group_user,account_dunning_es.group_dunning_user,"
            "account.group_account_invoice",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        self.policy.collector_id = user
        self._invoice(self.customer, 900.0, self._due(-15))
        activity = self._call_due(self.customer)
        activity.user_id = user
        self._rows()
        code = """
            (async () => {
                const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
                const until = async (find, label) => {
                    for (let i = 0; i < 200; i++) {
                        const found = find();
                        if (found) {
                            return found;
                        }
                        await wait(50);
                    }
                    throw new Error("never showed: " + label);
                };
                const env = odoo.__WOWL_DEBUG__.root.env;
                await env.services.action.doAction("account_dunning_es.dunning_worklist_action");
                const row = await until(
                    () => [...document.querySelectorAll(".o_data_row")].find(
                        (r) => r.innerText.includes("%(customer)s")
                    ),
                    "the customer's row"
                );
                row.querySelector("button.o_dunning_log_call").click();
                const confirm = await until(
                    () => document.querySelector(".modal button.o_dunning_call_confirm"),
                    "the call dialog"
                );
                confirm.click();
                const promise = await until(() => {
                    const dialog = [...document.querySelectorAll(".modal")].find(
                        (d) => d.querySelector("[name=instalment_count]")
                    );
                    return dialog && dialog.querySelector("button[name=action_confirm]");
                }, "the promise form");
                await wait(300);
                promise.click();
                // The promise registered, its form opens.
                await until(
                    () => !document.querySelector(".o_dialog")
                        && document.querySelector(".o_action_manager .o_form_view"),
                    "the promise's form"
                );
                await env.services.action.doAction("account_dunning_es.dunning_worklist_action");
                await wait(800);
                if ([...document.querySelectorAll(".o_data_row")].some(
                        (r) => r.innerText.includes("%(customer)s"))) {
                    throw new Error("the customer is still on the worklist");
                }
                console.log("test successful");
            })();
        """ % {"customer": self.customer.name}
        self.browser_js("/odoo", code, ready="odoo.isReady === true", login=user.login, timeout=120)
        promise = self.env["dunning.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual((promise.state, promise.channel), ("open", "phone"))
        self.assertEqual(promise.communication_id.call_result, "promise")
        self.assertEqual(promise.date_promised, fields.Date.today())

    def test_customer_and_phone_are_whole_on_a_1440_px_screen(self):
        """A collector's laptop: the worklist's customer and phone columns
        are not cut (a cell whose text overflows is cut by the list)."""
        user = new_test_user(
            self.env,
            login="wide.collector",
            groups="base.group_user,account_dunning_es.group_dunning_user,"
            "account.group_account_invoice",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        self.policy.collector_id = user
        self.customer.write(
            {"name": "Talleres y Suministros del Norte SL", "phone": "+34 912 345 678"}
        )
        self._invoice(self.customer, 900.0, self._due(-15))
        self._call_due(self.customer).user_id = user
        self._rows()
        self._assert_columns_whole(
            "account_dunning_es.dunning_worklist_action",
            ["partner_id", "phone", "reasons", "amount", "days_overdue", "stage_id", "user_id"],
            user.login,
        )
