# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models, tools
from odoo.tools import SQL

from ..infrastructure import sql_builders
from .dunning_communication import STATEMENT_ACTIONS
from .dunning_stage import CHANNELS


class DunningEffectivenessReport(models.Model):
    """One row per issued communication and what was paid after it.

    A payment counts for a communication when it is reconciled with one of
    the invoices it claimed, dated after the contact and at most the
    company's "effect window" days later. Credit notes reconciled with the
    invoices are not payments. Graph and pivot views read this; the exact
    monthly figures (distinct customers, new debts) are computed by
    dunning.effectiveness.
    """

    _name = "dunning.effectiveness.report"
    _description = "Dunning Effectiveness Analysis"
    _auto = False
    _order = "date desc"
    _rec_name = "partner_id"
    # Create the view after the columns it reads (fresh installs).
    _depends = {
        "dunning.communication": [
            "date",
            "company_id",
            "partner_id",
            "channel",
            "stage_id",
            "policy_id",
            "user_id",
            "amount_residual",
            "state",
        ],
        "dunning.communication.line": ["communication_id", "move_id"],
        "res.partner": ["dunning_segment_id"],
        "res.company": ["currency_id", "dunning_effect_days"],
        "account.partial.reconcile": ["debit_move_id", "credit_move_id", "max_date", "amount"],
        "account.move.line": ["move_id"],
        "account.move": ["move_type"],
    }

    date = fields.Date(string="Contact Date", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    channel = fields.Selection(CHANNELS, string="Contact Method", readonly=True)
    stage_id = fields.Many2one("dunning.stage", readonly=True)
    policy_id = fields.Many2one("dunning.policy", readonly=True)
    segment_id = fields.Many2one("dunning.segment", string="Segment", readonly=True)
    user_id = fields.Many2one("res.users", string="Collector", readonly=True)
    contact_count = fields.Integer(string="Contacts", readonly=True)
    paid_count = fields.Integer(string="Contacts Followed by Payment", readonly=True)
    paid_rate = fields.Float(
        string="Paid After Contact (%)",
        readonly=True,
        aggregator="avg",
        help="Share of contacts followed by a payment within the window.",
    )
    amount_claimed = fields.Monetary(readonly=True)
    amount_recovered = fields.Monetary(readonly=True)
    days_to_payment = fields.Integer(
        string="Days to First Payment", readonly=True, aggregator="avg"
    )

    opened_count = fields.Integer(string="Statement Page Opened", readonly=True)
    acted_count = fields.Integer(string="Customer Acted on the Page", readonly=True)
    statement_action = fields.Selection(STATEMENT_ACTIONS, string="Customer Action", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE OR REPLACE VIEW %s AS (
                WITH payment AS (%s)
                SELECT comm.id AS id,
                       comm.date AS date,
                       comm.company_id AS company_id,
                       company.currency_id AS currency_id,
                       comm.partner_id AS partner_id,
                       comm.channel AS channel,
                       comm.stage_id AS stage_id,
                       comm.policy_id AS policy_id,
                       partner.dunning_segment_id AS segment_id,
                       comm.user_id AS user_id,
                       1 AS contact_count,
                       CASE WHEN effect.recovered > 0 THEN 1 ELSE 0 END AS paid_count,
                       CASE WHEN effect.recovered > 0 THEN 100.0 ELSE 0.0 END AS paid_rate,
                       comm.amount_residual AS amount_claimed,
                       COALESCE(effect.recovered, 0.0) AS amount_recovered,
                       effect.first_payment - comm.date AS days_to_payment,
                       CASE WHEN comm.statement_opened_date IS NOT NULL THEN 1 ELSE 0 END
                           AS opened_count,
                       CASE WHEN comm.statement_action IS NOT NULL THEN 1 ELSE 0 END
                           AS acted_count,
                       comm.statement_action AS statement_action
                  FROM dunning_communication comm
                  JOIN res_partner partner ON partner.id = comm.partner_id
                  JOIN res_company company ON company.id = comm.company_id
                  LEFT JOIN LATERAL (
                        SELECT SUM(payment.amount) AS recovered,
                               MIN(payment.pay_date) AS first_payment
                          FROM dunning_communication_line line
                          JOIN payment ON payment.invoice_id = line.move_id
                         WHERE line.communication_id = comm.id
                           AND payment.pay_date > comm.date
                           AND payment.pay_date <= comm.date
                               + COALESCE(company.dunning_effect_days, 30)
                  ) effect ON TRUE
                 WHERE comm.state = 'sent'
            )
            """,
                SQL.identifier(self._table),
                sql_builders.invoice_payments(credit_notes=False),
            )
        )
