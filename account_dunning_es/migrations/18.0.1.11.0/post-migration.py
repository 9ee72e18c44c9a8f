# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Where each rate comes from: the legal interest of money from a budget
law; a late-payment rate whose source quotes a BOE identifier gets it as
its BOE reference (the others stay "Published in the BOE")."""


def migrate(cr, version):
    cr.execute("UPDATE dunning_interest_rate SET origin = 'law' WHERE kind = 'legal'")
    cr.execute(
        """
        UPDATE dunning_interest_rate
           SET boe_reference = substring(reference from 'BOE-A-[0-9]{4}-[0-9]+')
         WHERE kind = 'late_payment' AND boe_reference IS NULL
           AND reference ~ 'BOE-A-[0-9]{4}-[0-9]+'
        """
    )
