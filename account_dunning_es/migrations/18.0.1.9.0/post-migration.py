# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Customers never classified (no payment and no broken promise in a year)
had no payment behaviour at all; they are now "new / unknown", the field's
default for new customers."""


def migrate(cr, version):
    cr.execute("UPDATE res_partner SET dunning_behaviour = 'new' WHERE dunning_behaviour IS NULL")
