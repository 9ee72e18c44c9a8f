# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The unique index of reminders leaves out the calls collectors log."""

from odoo.addons.account_dunning_es.models import dunning_sql


def migrate(cr, version):
    cr.execute(dunning_sql.drop_line_once_index())
    cr.execute(dunning_sql.create_line_once_index())
