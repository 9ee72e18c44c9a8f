# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.tests import TransactionCase, tagged

from ..models.dunning_communication_issue import sole_t_call, split_common_values
from ..rules import engine as rules
from ..rules import law as law_rules
from ..rules.engine import StageInfo

STAGES = [
    StageInfo(1, 10, -5),
    StageInfo(2, 20, 1),
    StageInfo(3, 30, 10),
    StageInfo(4, 40, 20),
]


@tagged("post_install", "-at_install")
class TestDunningRules(TransactionCase):
    def test_days_overdue_counts_from_due_date(self):
        self.assertEqual(rules.days_overdue(date(2026, 3, 1), date(2026, 3, 11)), 10)
        self.assertEqual(rules.days_overdue(date(2026, 3, 11), date(2026, 3, 6)), -5)
        self.assertEqual(rules.days_overdue(False, date(2026, 3, 6)), 0)

    def test_pre_reminder_from_five_days_before_due_date(self):
        self.assertIsNone(rules.next_stage(STAGES, None, -6, None, 2))
        self.assertEqual(rules.next_stage(STAGES, None, -5, None, 2).id, 1)
        self.assertEqual(rules.next_stage(STAGES, None, 0, None, 2).id, 1)

    def test_pre_reminder_passed_over_once_overdue(self):
        self.assertEqual(rules.next_stage(STAGES, None, 3, None, 2).id, 2)

    def test_late_first_run_climbs_one_stage_at_a_time(self):
        # 45 days overdue and never reminded: the reminder first, not the letter.
        self.assertEqual(rules.next_stage(STAGES, None, 45, None, 2).id, 2)
        # The next stage waits for the minimum gap...
        self.assertIsNone(rules.next_stage(STAGES, 20, 46, 1, 2))
        # ...then follows in order.
        self.assertEqual(rules.next_stage(STAGES, 20, 47, 2, 2).id, 3)
        self.assertEqual(rules.next_stage(STAGES, 30, 49, 2, 2).id, 4)
        self.assertIsNone(rules.next_stage(STAGES, 40, 200, 50, 2))

    def test_grace_days_delay_only_stages_after_due_date(self):
        self.assertIsNone(rules.next_stage(STAGES, 10, 3, 8, 2, grace_days=3))
        self.assertEqual(rules.next_stage(STAGES, 10, 4, 9, 2, grace_days=3).id, 2)
        self.assertEqual(rules.next_stage(STAGES, None, -5, None, 2, grace_days=3).id, 1)

    def test_forced_stage_ignores_dates_not_order(self):
        self.assertEqual(rules.forced_next_stage(STAGES, 20, 2).id, 3)
        self.assertEqual(rules.forced_next_stage(STAGES, None, -20).id, 1)
        self.assertIsNone(rules.forced_next_stage(STAGES, 10, -20))
        self.assertIsNone(rules.forced_next_stage(STAGES, 40, 100))

    def test_handed_over_customer_skips_the_friendly_stages(self):
        after = rules.stages_after_handover(STAGES, friendly_ids={1, 2})
        self.assertEqual([s.id for s in after], [3, 4])
        # A new invoice: no pre-reminder, no courtesy reminder; the first
        # firm stage at its own day.
        self.assertIsNone(rules.next_stage(after, None, -5, None, 2))
        self.assertIsNone(rules.next_stage(after, None, 9, None, 2))
        self.assertEqual(rules.next_stage(after, None, 10, None, 2).id, 3)
        self.assertIsNone(rules.forced_next_stage(after, None, -3), "no pre-reminder forced")

    def test_next_action_day(self):
        self.assertEqual(rules.next_action_day(STAGES, 20, 4, 3, 2), 6)
        self.assertEqual(rules.next_action_day(STAGES, 20, 12, 0, 2), 2)
        self.assertIsNone(rules.next_action_day(STAGES, 40, 30, 1, 2))

    def test_claim_bounds_per_current_stage(self):
        other = [StageInfo(5, 15, 3), StageInfo(6, 25, 30)]
        bounds = rules.claim_bounds(STAGES + other, {10, 15, 20, 25, 30, 40}, [3, 2], [0, 4])
        self.assertEqual(bounds.min_gap, 2, "the smallest gap of the policies")
        self.assertEqual(bounds.offsets[None], -5, "from the earliest pre-reminder")
        self.assertEqual(bounds.offsets[10], 1, "the next stages of every policy count")
        self.assertEqual(bounds.offsets[20], 10)
        self.assertNotIn(40, bounds.offsets, "nothing after the last stage")
        # Invoices reminded yesterday, or whose next stage is not due yet,
        # cannot reach one today; the others may.
        self.assertFalse(rules.may_reach_stage(bounds, 20, 45, 1))
        self.assertFalse(rules.may_reach_stage(bounds, 20, 9, 5))
        self.assertTrue(rules.may_reach_stage(bounds, 20, 10, 5))
        self.assertFalse(rules.may_reach_stage(bounds, 40, 400, 100))
        self.assertFalse(rules.may_reach_stage(bounds, None, -6, None))
        self.assertTrue(rules.may_reach_stage(bounds, None, -5, None))
        # An unwilling customer goes to the final stage whatever its offset.
        self.assertTrue(rules.may_reach_stage(bounds, 20, 3, 5, unwilling=True))
        self.assertFalse(rules.may_reach_stage(bounds, 20, 3, 1, unwilling=True))

    def test_claim_bounds_never_leave_out_an_invoice_the_rules_would_remind(self):
        """Every invoice a policy would remind today passes the bounds.

        Checked over every combination of the stage reached, days overdue,
        days since the last reminder and reason, for several policies with
        their own gaps and grace days (negative grace included).
        """
        policies = [
            # (stages, min gap, grace days, final stage ids)
            (STAGES, 2, 0, {4}),
            ([StageInfo(7, 10, 3), StageInfo(8, 20, 15), StageInfo(9, 30, 45)], 5, 3, {9}),
            ([StageInfo(11, 20, -2), StageInfo(12, 35, 7)], 1, -2, set()),
        ]
        bounds = rules.claim_bounds(
            [stage for stages, _gap, _grace, _final in policies for stage in stages],
            {stage.sequence for stages, _gap, _grace, _final in policies for stage in stages},
            [gap for _stages, gap, _grace, _final in policies],
            [grace for _stages, _gap, grace, _final in policies],
        )
        sequences = [None, 10, 20, 30, 35, 40]
        checked = reminded = 0
        for stages, gap, grace, final_ids in policies:
            for current in sequences:
                for overdue in range(-10, 80):
                    for since in [None, *range(0, 8)]:
                        for unwilling in (False, True):
                            if unwilling:
                                stage = rules.shortcut_to_final(
                                    stages, final_ids, current, overdue, since, gap
                                )
                            else:
                                stage = rules.next_stage(
                                    stages, current, overdue, since, gap, grace
                                )
                            checked += 1
                            if stage:
                                reminded += 1
                                self.assertTrue(
                                    rules.may_reach_stage(
                                        bounds, current, overdue, since, unwilling
                                    ),
                                    f"left out: stage {current}, {overdue} days overdue, "
                                    f"{since} since last, unwilling {unwilling}",
                                )
        self.assertGreater(reminded, 1000, f"of {checked} combinations")

    def test_partner_status_most_serious_wins(self):
        self.assertEqual(rules.partner_status(), "ok")
        self.assertEqual(rules.partner_status(has_due_soon=True), "due_soon")
        self.assertEqual(rules.partner_status(has_overdue=True, has_due_soon=True), "overdue")
        self.assertEqual(
            rules.partner_status(has_staged_overdue=True, has_overdue=True), "collection"
        )
        self.assertEqual(rules.partner_status(has_agency=True, has_staged_overdue=True), "agency")
        self.assertEqual(rules.partner_status(excluded=True, has_legal=True), "excluded")

    def test_threshold_on_net_balance(self):
        self.assertFalse(rules.above_threshold(5.0, 10.0))
        self.assertTrue(rules.above_threshold(10.0, 10.0))
        self.assertFalse(rules.above_threshold(-50.0, 0.0))


RATES = [
    (date(2024, 7, 1), date(2024, 12, 31), 12.25),
    (date(2025, 1, 1), date(2025, 6, 30), 11.15),
    (date(2025, 7, 1), date(2025, 12, 31), 10.15),
]


@tagged("post_install", "-at_install")
class TestLatePaymentInterest(TransactionCase):
    def test_interest_runs_from_the_day_after_due_date(self):
        periods, missing = law_rules.late_payment_interest(
            1000.0, date(2025, 3, 10), date(2025, 4, 9), RATES
        )
        self.assertEqual(missing, [])
        self.assertEqual(
            [(p.date_start, p.date_end, p.days) for p in periods],
            [(date(2025, 3, 11), date(2025, 4, 9), 30)],
        )
        # 1000 x 11.15 % x 30 / 365
        self.assertAlmostEqual(periods[0].interest, 9.1644, places=4)

    def test_interest_across_a_semester_boundary_uses_each_rate(self):
        periods, _missing = law_rules.late_payment_interest(
            2000.0, date(2024, 12, 16), date(2025, 1, 14), RATES
        )
        self.assertEqual([(p.days, p.rate) for p in periods], [(15, 12.25), (14, 11.15)])
        expected = 2000 * 0.1225 * 15 / 365 + 2000 * 0.1115 * 14 / 365
        self.assertAlmostEqual(sum(p.interest for p in periods), expected, places=6)

    def test_partial_payment_reduces_the_principal_after_it(self):
        periods, _missing = law_rules.late_payment_interest(
            1000.0,
            date(2025, 7, 31),
            date(2025, 9, 29),
            RATES,
            payments=[(date(2025, 8, 30), 600.0), (date(2025, 7, 1), 100.0)],
        )
        # 100 paid before the due date: 900 owed from 1 Aug; 300 after 30 Aug.
        self.assertEqual([(p.principal, p.days) for p in periods], [(900.0, 30), (300.0, 30)])
        self.assertAlmostEqual(
            sum(p.interest for p in periods), 900 * 0.1015 * 30 / 365 + 300 * 0.1015 * 30 / 365
        )

    def test_period_without_published_rate_is_reported_not_invented(self):
        periods, missing = law_rules.late_payment_interest(
            500.0, date(2025, 12, 21), date(2026, 2, 9), RATES
        )
        self.assertEqual(
            [(p.date_start, p.date_end) for p in periods],
            [(date(2025, 12, 22), date(2025, 12, 31))],
        )
        self.assertEqual(
            [(m.date_start, m.date_end, m.days) for m in missing],
            [(date(2026, 1, 1), date(2026, 2, 9), 40)],
        )

    def test_no_interest_before_or_on_due_date_nor_once_paid(self):
        self.assertEqual(
            law_rules.late_payment_interest(500.0, date(2025, 5, 1), date(2025, 5, 1), RATES),
            ([], []),
        )
        periods, _missing = law_rules.late_payment_interest(
            500.0, date(2025, 5, 1), date(2025, 6, 1), RATES, payments=[(date(2025, 5, 1), 500.0)]
        )
        self.assertEqual(periods, [])

    def test_letter_deadline(self):
        self.assertEqual(law_rules.letter_deadline(date(2025, 10, 1), 10), date(2025, 10, 11))

    def test_payment_reference_lists_a_few_invoices_else_quotes_the_letter(self):
        refs = [f"INV/2025/{n:05d}" for n in range(1, 11)]
        self.assertEqual(
            law_rules.payment_reference(refs[:2], "DUN/2025/00001"),
            "INV/2025/00001, INV/2025/00002",
        )
        self.assertEqual(law_rules.payment_reference(refs, "DUN/2025/00001"), ", ".join(refs))
        self.assertEqual(
            law_rules.payment_reference(refs + ["INV/2025/00011"], "DUN/2025/00001"),
            "DUN/2025/00001",
        )
        # A letter without its number yet still names its invoices.
        self.assertEqual(
            law_rules.payment_reference(refs + ["INV/2025/00011"], ""),
            ", ".join(refs + ["INV/2025/00011"]),
        )

    def test_split_common_values_keeps_apart_what_differs(self):
        self.assertEqual(
            split_common_values([{"a": 1, "b": 2}, {"a": 1, "b": 3}]), ({"a": 1}, {"b": [2, 3]})
        )
        # A field one dict lacks is not shared: the others' values, False for it.
        self.assertEqual(
            split_common_values([{"a": 1, "b": 2}, {"a": 1}]), ({"a": 1}, {"b": [2, False]})
        )
        self.assertEqual(split_common_values([{"a": False}, {"a": False}]), ({"a": False}, {}))
        self.assertEqual(split_common_values([]), ({}, {}))

    def test_sole_t_call_recognises_a_body_that_only_calls_a_view(self):
        self.assertEqual(
            sole_t_call('<div><t t-call="mod.view"/></div>'), ("<div>", "mod.view", "</div>")
        )
        self.assertEqual(
            sole_t_call('\n<div>\n  <t t-call="mod.view"></t>\n</div>\n '),
            ("\n<div>\n  ", "mod.view", "\n</div>\n "),
        )
        self.assertIsNone(sole_t_call('<div><p>Hola</p><t t-call="mod.view"/></div>'))
        self.assertIsNone(sole_t_call('<div><t t-call="mod.view" t-lang="es_ES"/></div>'))
        self.assertIsNone(sole_t_call('<div><t t-call="mod.view"/><t t-call="mod.other"/></div>'))
        self.assertIsNone(sole_t_call(False))
