# Copyright 2026 account_dunning_es authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Spanish Dunning: SMS and automated calls",
    "summary": "Dunning reminders by SMS through Odoo's SMS pipeline and by automated calls (IVR) through the company's PBX",
    "version": "18.0.1.1.0",
    "category": "Accounting/Accounting",
    "license": "AGPL-3",
    "author": "account_dunning_es authors",
    "maintainers": ["account-dunning-es"],
    "development_status": "Beta",
    "website": "https://github.com/account-dunning-es/account-dunning-es",
    "depends": ["account_dunning_es", "sms", "phone_validation"],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "data/sms_template_data.xml",
        "data/ir_cron_data.xml",
        "data/dunning_policy_data.xml",
        "views/dunning_stage_views.xml",
    ],
    "installable": True,
}
