# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The unique index of reminders leaves out the calls collectors log."""

from odoo.addons.account_dunning_es.infrastructure import sql_builders


def migrate(cr, version):
    cr.execute(sql_builders.drop_line_once_index())
    cr.execute(sql_builders.create_line_once_index())
