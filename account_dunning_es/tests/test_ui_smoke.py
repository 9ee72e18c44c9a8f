# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Every screen of the dunning add-ons, opened in a real browser.

As a dunning manager, a collector and a sales user, headless Chromium opens
each menu and window action of the add-ons that the user may reach, the list
and form of a record of each model, the dialogs of the wizards, the Settings
page, and every report as HTML. Any server error (logged, which fails an Odoo
test), error dialog or JavaScript error fails the test.
"""

import json
from datetime import timedelta

from odoo import fields
from odoo.addons.web.controllers.utils import clean_action
from odoo.tests import HttpCase, new_test_user, tagged

from .common import DunningCommon

MODULES = ("account_dunning_es", "account_dunning_es_sms")

# Walks the steps in the web client: each is an action (id, xmlid or dict)
# with, for a dialog, the form it must show. Fails on any error dialog.
WALK_JS = """
(async () => {
    const steps = %(steps)s;
    const env = odoo.__WOWL_DEBUG__.root.env;
    const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const failIfError = (label) => {
        const error = document.querySelector(".o_error_dialog");
        if (error) {
            throw new Error(`${label}: ${error.innerText.slice(0, 800)}`);
        }
    };
    for (const step of steps) {
        try {
            await env.services.action.doAction(step.action, {
                clearBreadcrumbs: !step.dialog,
                additionalContext: step.context || {},
            });
        } catch (error) {
            throw new Error(`${step.label}: ${error.message || error}`);
        }
        let found = null;
        for (let i = 0; i < 200 && !found; i++) {
            await pause(50);
            failIfError(step.label);
            found = document.querySelector(step.expect);
        }
        if (!found) {
            throw new Error(`${step.label}: "${step.expect}" never showed`);
        }
        await pause(150);
        failIfError(step.label);
        if (step.absent && document.querySelector(step.absent)) {
            throw new Error(`${step.label}: "${step.absent}" should not be there`);
        }
        if (step.dialog) {
            await env.services.action.doAction({ type: "ir.actions.act_window_close" });
        }
        console.info(`smoke: opened ${step.label}`);
        if (step.press) {
            await pressAll(step);
        }
    }
    console.log("test successful");

    // Press every header button the screen shows, one after the other, on
    // the screen opened anew each time. A server error fails the test (it is
    // logged); a user's warning or a confirmation is an answer: it is read
    // and closed (a confirmation is confirmed), as is a wizard it opens.
    async function pressAll(step) {
        const pressed = [];
        const names = [...new Set(
            [...document.querySelectorAll(step.press)]
                .filter((b) => b.offsetParent && !b.disabled && b.getAttribute("name"))
                .map((b) => b.getAttribute("name"))
        )].reverse(); // the buttons that close a record (accept) last
        for (const name of names) {
            await env.services.action.doAction(step.action, {
                clearBreadcrumbs: true,
                additionalContext: step.context || {},
            });
            await pause(400);
            const button = [...document.querySelectorAll(step.press)].find(
                (b) => b.getAttribute("name") === name && b.offsetParent && !b.disabled
            );
            if (!button) {
                continue;
            }
            button.click();
            for (let i = 0; i < 30; i++) {
                await pause(150);
                const crash = document.querySelector(".o_error_dialog .btn-link");
                if (crash) {
                    throw new Error(`${step.label}, button ${name}: ${crash.closest(".modal").innerText.slice(0, 800)}`);
                }
                const confirm = document.querySelector(".modal .modal-footer .btn-primary");
                if (confirm && !document.querySelector(".modal .o_form_view")) {
                    confirm.click();
                    continue;
                }
                if (document.querySelector(".modal .o_form_view")) {
                    await env.services.action.doAction({ type: "ir.actions.act_window_close" });
                }
            }
            pressed.push(name);
            console.info(`smoke: pressed ${name} on ${step.label}`);
        }
        for (const name of step.mustPress || []) {
            if (!pressed.includes(name)) {
                throw new Error(`${step.label}: button ${name} was not there to press`);
            }
        }
    }
})();
"""


@tagged("post_install", "-at_install")
class TestUiSmoke(DunningCommon, HttpCase):
    """The screens of both add-ons open for each kind of user, without error."""

    today = fields.Date.today()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company
        common = {"company_id": company.id, "company_ids": company.ids}
        cls.manager = new_test_user(
            cls.env,
            login="smoke.manager",
            name="Marta Gerente",
            groups="base.group_user,account.group_account_manager,"
            "account_dunning_es.group_dunning_manager",
            **common,
        )
        cls.collector_user = new_test_user(
            cls.env,
            login="smoke.collector",
            name="Carlos Cobrador",
            groups="base.group_user,account_dunning_es.group_dunning_user",
            **common,
        )
        cls.sales_user = new_test_user(
            cls.env,
            login="smoke.sales",
            name="Sara Ventas",
            groups="base.group_user,sales_team.group_sale_salesman",
            **common,
        )
        cls.customer.user_id = cls.sales_user
        # Invoices placed one stage before a letter, a call and the hand-over:
        # one run issues an email, a letter, a call and a hand-over.
        placed = [
            (cls.stage_call, 25),
            (cls.stage_reminder, 12),
            (cls.stage_final, 95),
        ]
        for stage, days in placed:
            invoice = cls._invoice(cls.customer, 500.0 + days, cls._due(-days))
            invoice._dunning_write({"dunning_stage_id": stage.id})
        cls._invoice(cls.customer_2, 300.0, cls._due(-3))
        run = cls.env["dunning.run"].create(
            {"company_id": company.id, "date": cls.today, "preview": False}
        )
        run._execute()
        cls.dunning_run = run
        cls.comms = cls.env["dunning.communication"].search([("run_id", "=", run.id)])
        cls.letter = cls.comms.filtered(lambda c: c.channel == "letter")[:1]
        cls.handover = cls.comms.filtered(lambda c: c.channel == "agency")[:1]
        # A negotiation attempt (LO 1/2025) whose answer period has ended: its
        # stage archived, so that it holds no hand-over of the run above.
        masc_stage = cls.env["dunning.stage"].create(
            {
                "policy_id": cls.policy.id,
                "name": "Negotiation attempt",
                "sequence": 99,
                "offset_days": 200,
                "tone": "final",
                "negotiation": True,
                "active": False,
            }
        )
        disputed = cls._invoice(cls.customer, 2500.0, cls._due(-120))
        masc = cls.env["dunning.communication"].create(
            {
                "partner_id": cls.customer.id,
                "stage_id": masc_stage.id,
                "channel": "negotiation",
                "date": cls._due(-45),
                "line_ids": [
                    (
                        0,
                        0,
                        dict(
                            disputed._dunning_snapshot(cls._due(-45)),
                            stage_id=masc_stage.id,
                            cycle=disputed.dunning_cycle,
                        ),
                    )
                ],
            }
        )
        masc._issue()
        masc.write(
            {
                "sending_method": "burofax",
                "sending_reference": "BF-SMOKE",
                "sending_date": cls._due(-45),
                "delivery_outcome": "delivered",
                "receipt_date": cls._due(-42),
            }
        )
        cls.negotiation = masc.negotiation_ids
        for customer in (cls.customer, cls.customer_2):
            cls.env["dunning.promise.wizard"].with_context(
                active_model="res.partner", active_ids=customer.ids
            ).create({"date": cls.today + timedelta(days=7)}).action_confirm()
        # A collection activity of each collector's, opened on its page.
        call = cls.comms.filtered(lambda c: c.channel == "call")[:1] or cls.letter
        for user in (cls.manager, cls.collector_user):
            cls.env["mail.activity"].create(
                {
                    "res_model_id": cls.env["ir.model"]._get_id("res.partner"),
                    "res_id": cls.customer.id,
                    "user_id": user.id,
                    "summary": f"Collection call of {user.name}",
                    "activity_type_id": cls.env.ref("mail.mail_activity_data_call").id,
                    "dunning_communication_id": call.id,
                }
            )
        # The worklist and the forecast, as the daily job leaves them.
        cls.env["dunning.worklist"]._rebuild(company)
        cls.env["dunning.cash.forecast"]._rebuild(company)
        cls.report_wizard = cls.env["dunning.report.wizard"].create(
            {"date_from": cls.today - timedelta(days=60), "date_to": cls.today}
        )

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param("report.url", self.base_url())

    # ------------------------------------------------------------------
    # What each user can reach
    # ------------------------------------------------------------------
    def _ours(self, model):
        data = self.env["ir.model.data"].search([("module", "in", MODULES), ("model", "=", model)])
        return self.env[model].browse(data.mapped("res_id")).exists()

    def _can_read(self, user, model):
        return self.env[model].with_user(user).has_access("read")

    def _record_for(self, user, model):
        """A record of the model the user may read, preferring the test's own."""
        preferred = {
            "dunning.communication": self.letter | self.handover,
            "res.partner": self.customer,
            "dunning.run": self.dunning_run,
            "dunning.negotiation": self.negotiation,
        }.get(model)
        Model = self.env[model].with_user(user)
        if preferred:
            found = Model.search([("id", "in", preferred.ids)], limit=1)
            if found:
                return found
        return Model.search([], limit=1)

    def _absent(self, action):
        """What a screen must not offer: communications are never made by hand."""
        if getattr(action, "res_model", None) == "dunning.communication":
            return ".o_list_button_add, .o_form_button_create"
        return None

    def _steps(self, user):
        steps = []
        # The web client shows a menu whose every ancestor is visible too.
        visible = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
        menus = self._ours("ir.ui.menu").filtered(
            lambda m: m.action and all(int(i) in visible for i in m.parent_path.split("/") if i)
        )
        for menu in menus:
            steps.append(
                {
                    "label": f"menu {menu.complete_name}",
                    "action": menu.action.id,
                    "expect": ".o_action_manager .o_view_controller",
                    "absent": self._absent(menu.action),
                }
            )
        # Window actions reached from buttons, smart buttons or by their URL.
        for action in self._ours("ir.actions.act_window"):
            if action.groups_id and not (action.groups_id & user.groups_id):
                continue
            if not self._can_read(user, action.res_model):
                continue
            step = {
                "label": f"action {action.name}",
                "action": action.id,
                "absent": self._absent(action),
            }
            if action.binding_model_id:
                record = self._record_for(user, action.binding_model_id.model)
                if not record:
                    continue
                step["context"] = {
                    "active_model": record._name,
                    "active_id": record.id,
                    "active_ids": record.ids,
                }
            if action.target == "new":
                step.update(dialog=True, expect=".modal .o_form_view")
            else:
                step["expect"] = ".o_action_manager .o_view_controller"
            steps.append(step)
        models = [
            "dunning.segment",
            "dunning.policy",
            "dunning.stage",
            "dunning.communication",
            "dunning.run",
            "dunning.interest.rate",
            "dunning.promise",
            "dunning.negotiation",
            "dunning.worklist",
            "dunning.cash.forecast",
            "res.partner",
            "account.move",
            "mail.activity",
        ]
        # Every header button of the add-ons' own lists and forms is pressed.
        press = {
            "list": ".o_control_panel button[name]",
            "form": ".o_form_statusbar .o_statusbar_buttons button[name]",
        }
        collects = user.has_group("account_dunning_es.group_dunning_user")
        # The buttons the walk must find and press (the others it finds too).
        must_press = {
            ("dunning.worklist", "list"): ["action_refresh"],
            ("dunning.cash.forecast", "list"): ["action_refresh", "action_export_xlsx"],
            ("dunning.negotiation", "form"): ["action_reject", "action_accept"],
            ("dunning.communication", "form"): ["action_mark_letter_sent"],
        }
        for model in models:
            if not self._can_read(user, model):
                continue
            record = self._record_for(user, model)
            if model == "account.move":
                record = (
                    self.env[model]
                    .with_user(user)
                    .search([("partner_id", "=", self.customer.id)], limit=1)
                )
            if model == "mail.activity":
                record = (
                    self.env[model]
                    .with_user(user)
                    .search([("dunning_communication_id", "!=", False)], limit=1)
                )
            if not record:
                continue
            for view in ("list", "form"):
                if (model, view) == ("dunning.cash.forecast", "form"):
                    continue  # no form: its Refresh has just rebuilt the rows
                steps.append(
                    {
                        "label": f"{model} {view}",
                        "action": {
                            "type": "ir.actions.act_window",
                            "res_model": model,
                            "res_id": record.id if view == "form" else False,
                            "domain": [["id", "in", record.ids]],
                            "views": [[False, view]],
                        },
                        "expect": f".o_action_manager .o_{view}_view",
                        "absent": ".o_list_button_add, .o_form_button_create"
                        if model == "dunning.communication"
                        else None,
                        "press": press[view] if model.startswith("dunning.") else None,
                        "mustPress": must_press.get((model, view)) if collects else None,
                        # The monitorio pack merges real PDFs.
                        "context": {"force_report_rendering": True},
                    }
                )
        if user.has_group("account_dunning_es.group_dunning_user"):
            mine = self.env["mail.activity"].search(
                [("user_id", "=", user.id), ("dunning_communication_id", "!=", False)], limit=1
            )
            steps.append(
                {
                    "label": "collection activity form",
                    "action": {
                        "type": "ir.actions.act_window",
                        "res_model": "mail.activity",
                        "res_id": mine.id,
                        "views": [
                            [
                                self.env.ref(
                                    "account_dunning_es.mail_activity_view_form_collection"
                                ).id,
                                "form",
                            ]
                        ],
                    },
                    "expect": ".o_form_view .o_form_statusbar",
                    "press": press["form"],
                    "mustPress": ["action_open_document", "action_dunning_done"],
                }
            )
            customer = self.customer.with_user(user)
            for label, action in (
                ("exclude wizard", customer.action_dunning_exclude()),
                ("promise wizard", customer.action_dunning_register_promise()),
                ("call wizard", customer.action_dunning_log_call()),
                ("letter delivery wizard", self.letter.with_user(user).action_mark_letter_sent()),
                (
                    "negotiation delivery wizard",
                    self.negotiation.with_user(user).action_record_delivery(),
                ),
            ):
                steps.append(
                    {
                        "label": label,
                        "action": clean_action(action, self.env),
                        "dialog": True,
                        "expect": ".modal .o_form_view",
                    }
                )
        return steps

    def _walk(self, user, steps=None):
        steps = self._steps(user) if steps is None else steps
        self.assertTrue(steps, f"{user.login} reaches no screen")
        self.browser_js(
            "/odoo",
            WALK_JS % {"steps": json.dumps(steps, default=str)},
            ready="odoo.isReady === true",
            login=user.login,
            timeout=240,
        )
        return steps

    def _reports_for(self, user):
        """(report, record ids, text the HTML must contain) the user may print."""
        reports = self._ours("ir.actions.report")
        docs = {
            "account_dunning_es.report_dunning_letter": (self.letter.ids, self.letter.name),
            "account_dunning_es.report_dunning_letter_partner": (
                self.customer.ids,
                self.customer.name,
            ),
            "account_dunning_es.report_dunning_dossier": (self.handover.ids, "Collection dossier"),
            "account_dunning_es.report_dunning_management": (self.report_wizard.ids, "Dunning"),
            "account_dunning_es.report_dunning_negotiation": (
                self.negotiation.ids,
                "Invitation to negotiate",
            ),
            "account_dunning_es.report_dunning_masc_proof": (
                self.negotiation.ids,
                "BF-SMOKE",
            ),
            "account_dunning_es.report_dunning_court_invoice": (
                self.negotiation.move_ids.ids,
                "Issued by",
            ),
            "account_dunning_es.report_dunning_monitorio": (
                self.negotiation.ids,
                "procedimiento monitorio",
            ),
        }
        result = []
        for report in reports:
            if report.groups_id and not (report.groups_id & user.groups_id):
                continue
            if not self._can_read(user, report.model):
                continue
            ids, text = docs[report.report_name]
            result.append((report, ids, text))
        return result

    def _print_html(self, user):
        self.authenticate(user.login, user.login)
        printed = []
        for report, ids, text in self._reports_for(user):
            response = self.url_open(f"/report/html/{report.report_name}/{','.join(map(str, ids))}")
            self.assertEqual(response.status_code, 200, f"{report.name} as {user.login}")
            self.assertIn(text, response.text, f"{report.name} as {user.login}")
            printed.append(report.report_name)
        return printed

    # ------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------
    def test_manager_opens_every_screen_and_report(self):
        # The documents first: the walk then presses buttons that change them.
        printed = self._print_html(self.manager)
        steps = self._walk(self.manager)
        must = {step["label"]: step.get("mustPress") for step in steps if step.get("mustPress")}
        self.assertEqual(
            must,
            {
                "dunning.worklist list": ["action_refresh"],
                "dunning.cash.forecast list": ["action_refresh", "action_export_xlsx"],
                "dunning.negotiation form": ["action_reject", "action_accept"],
                "dunning.communication form": ["action_mark_letter_sent"],
                "collection activity form": ["action_open_document", "action_dunning_done"],
            },
        )
        labels = " ".join(step["label"] for step in steps)
        for expected in (
            "Policies",
            "Effectiveness Analysis",
            "Management Report",
            "Runs",
            "Interest Rates",
            "dunning.communication form",
            "Ready for Court",
            "dunning.negotiation form",
            "Worklist",
            "call wizard",
        ):
            self.assertIn(expected, labels)
        self.assertEqual(len(printed), 8)

    def test_collector_opens_every_screen_and_report(self):
        printed = self._print_html(self.collector_user)
        steps = self._walk(self.collector_user)
        self.assertIn("dunning.worklist list", [s["label"] for s in steps if s.get("mustPress")])
        labels = " ".join(step["label"] for step in steps)
        self.assertIn("Communications", labels)
        self.assertIn("promise wizard", labels)
        self.assertNotIn("menu Invoicing/Configuration", labels, "no configuration menu")
        self.assertGreaterEqual(len(printed), 3)

    def test_sales_user_opens_the_screens_of_their_customers(self):
        banner = {
            "label": "collection banner on the customer",
            "action": {
                "type": "ir.actions.act_window",
                "res_model": "res.partner",
                "res_id": self.customer.id,
                "views": [[False, "form"]],
            },
            "expect": ".o_form_view .o_dunning_banner",
        }
        # Another rep's customer, in collection too: no banner, no Collection
        # tab, no reminder in its chatter.
        other = {
            "label": "another rep's customer shows no collection",
            "action": {
                "type": "ir.actions.act_window",
                "res_model": "res.partner",
                "res_id": self.customer_2.id,
                "views": [[False, "form"]],
            },
            "expect": ".o_form_view .o_notebook a[name='internal_notes']",
            "absent": ".o_dunning_banner, .o_dunning_hold_banner, .o_notebook a[name='dunning']",
        }
        own_tab = dict(
            banner,
            label="the Collection tab of their own customer",
            expect=".o_form_view .o_notebook a[name='dunning']",
        )
        steps = self._walk(self.sales_user, self._steps(self.sales_user) + [banner, own_tab, other])
        labels = " ".join(step["label"] for step in steps)
        self.assertIn("res.partner form", labels)
        self.assertIn("dunning.communication form", labels)
        self.assertIn("dunning.promise form", labels)
        self.assertIn("menu Collection/My Customers in Collection", labels)
        self.assertNotIn("menu Invoicing", labels, "no dunning menu of the accountants")

    def test_billing_user_reads_every_customers_collection(self):
        """README: a billing user sees every customer's collection, read only,
        and works no dunning."""
        billing = new_test_user(
            self.env,
            login="smoke.billing",
            name="Berta Facturas",
            groups="base.group_user,account.group_account_invoice",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        other = {
            "label": "the Collection tab of a customer of any salesperson",
            "action": {
                "type": "ir.actions.act_window",
                "res_model": "res.partner",
                "res_id": self.customer_2.id,
                "views": [[False, "form"]],
            },
            "expect": ".o_form_view .o_notebook a[name='dunning']",
        }
        steps = self._walk(billing, self._steps(billing) + [other])
        labels = " ".join(step["label"] for step in steps)
        self.assertIn("dunning.communication form", labels)
        self.assertNotIn("call wizard", labels, "no collector's action")
        self.assertFalse(
            self.env["dunning.policy"].with_user(billing).has_access("write"), "no configuration"
        )

    def test_settings_page_opens(self):
        self._walk(
            self.env.ref("base.user_admin"),
            [
                {
                    "label": "Settings",
                    "action": "base_setup.action_general_configuration",
                    "expect": ".o_action_manager .o_setting_container",
                }
            ],
        )
