# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import SUPERUSER_ID, models


class ResUsers(models.Model):
    _inherit = "res.users"

    def _dunning_is_person(self):
        """Whether this is someone who can work a collection activity: an
        active internal user, not OdooBot (whom the scheduled jobs run as)."""
        return len(self) == 1 and self.id != SUPERUSER_ID and self.active and not self.share
