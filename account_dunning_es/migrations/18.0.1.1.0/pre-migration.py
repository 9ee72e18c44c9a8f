# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""18.0.1.1.0: the unique index of communication lines reads a `cancelled` flag.

Up to 18.0.1.0.0 the index read a stored copy of the communication's state,
which every sending rewrote. Before the module's init() builds the new index,
the old one goes and the lines of communications cancelled until then get
their flag (else they would count against a stage issued again since).
"""

from odoo.addons.account_dunning_es.infrastructure import sql_builders
from odoo.tools import SQL
from odoo.tools.sql import column_exists, table_exists


def migrate(cr, version):
    if not version or not table_exists(cr, "dunning_communication_line"):
        return
    cr.execute(SQL("DROP INDEX IF EXISTS dunning_communication_line_once_uniq"))
    if not column_exists(cr, "dunning_communication_line", "cancelled"):
        cr.execute(SQL("ALTER TABLE dunning_communication_line ADD COLUMN cancelled boolean"))
    cr.execute(sql_builders.sync_lines_cancelled())
