# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

import requests
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date
from odoo.tools.misc import formatLang

from ..rules import law as law_rules
from ..rules.law import EcbAnswerError

_logger = logging.getLogger(__name__)

# Where the ECB's main refinancing rate is read (a setting, so that tests
# point it at a local server): law_rules.ECB_MRR_URL by default.
ECB_URL_PARAM = "account_dunning_es.ecb_mrr_url"
ECB_TIMEOUT = 20


class DunningInterestRate(models.Model):
    _name = "dunning.interest.rate"
    _description = "Legal Interest Rate"
    _order = "kind, date_start desc"

    name = fields.Char(compute="_compute_name", store=True)
    kind = fields.Selection(
        [
            ("late_payment", "Late payment in commercial transactions (Ley 3/2004)"),
            ("legal", "Legal interest of money (consumers)"),
        ],
        required=True,
        default="late_payment",
        help="Late payment: per semester, the ECB rate + 8 points (Ley 3/2004, art. 7), for "
        "businesses and administrations. Legal interest of money: per year, set by the "
        "budget law, due by consumers from the demand (Civil Code arts. 1100 and 1108).",
    )
    date_start = fields.Date(required=True)
    date_end = fields.Date(required=True)
    rate = fields.Float(
        string="Rate (%)",
        digits=(5, 2),
        required=True,
        # Rates of different periods are never added up, in a grouped list
        # or anywhere.
        aggregator=None,
        help="Annual legal late-payment rate: the ECB main refinancing rate of the first "
        "day of the semester plus 8 points, as published in the BOE.",
    )
    reference = fields.Char(
        string="Source",
        help="Where the rate comes from: the BOE resolution that publishes it, the budget law "
        "that sets it, or the ECB rate it is computed from.",
    )
    origin = fields.Selection(
        [("boe", "Published in the BOE"), ("ecb", "Computed from the ECB"), ("law", "Budget law")],
        default="boe",
        required=True,
        help="Computed from the ECB: the ECB's main refinancing rate of its last operation "
        "before the semester plus 8 points (Ley 3/2004 art. 7.2), read from the ECB Data "
        "Portal. Adding the BOE reference of the Tesoro's resolution makes it Published in "
        "the BOE.",
    )
    ecb_rate = fields.Float(string="ECB Rate (%)", digits=(5, 2), aggregator=None, readonly=True)
    ecb_date = fields.Date(
        string="ECB Rate Since",
        readonly=True,
        help="The date from which the ECB applied that main refinancing rate: its most "
        "recent operation before the semester had it.",
    )
    boe_reference = fields.Char(
        string="BOE Reference",
        help="Identifier of the Tesoro's resolution in the BOE that publishes the rate, such "
        "as BOE-A-2025-27201.",
    )
    boe_url = fields.Char(string="BOE Link", compute="_compute_boe_url")

    @api.depends("boe_reference")
    def _compute_boe_url(self):
        for rate in self:
            ref = (rate.boe_reference or "").strip()
            rate.boe_url = f"https://www.boe.es/diario_boe/txt.php?id={ref}" if ref else False

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("boe_reference"):
                vals.setdefault("origin", "boe")
        return super().create(vals_list)

    def write(self, vals):
        # A computed semester confirmed by the BOE's resolution.
        if vals.get("boe_reference") and "origin" not in vals:
            vals = dict(vals, origin="boe")
        return super().write(vals)

    def _source_text(self):
        """What a letter says of where the rate comes from, in the reader's
        language (``self.env.lang``)."""
        self.ensure_one()
        if self.origin == "ecb":
            return self.env._(
                "ECB main refinancing rate %(ecb)s %% from %(date)s (its last operation "
                "before the semester) + 8 points, Ley 3/2004 art. 7.2",
                ecb=formatLang(self.env, self.ecb_rate, digits=2),
                date=format_date(self.env, self.ecb_date),
            )
        if self.boe_reference and self.kind == "late_payment":
            return self.env._(
                "%(reference)s (Ley 3/2004 art. 7.2)", reference=self.boe_reference.strip()
            )
        return self.reference or self.boe_reference or ""

    @api.model
    def _rate_sources(self, kind="late_payment"):
        """{date_start: source text} of one kind, in the reader's language."""
        return {r.date_start: r._source_text() for r in self.search([("kind", "=", kind)])}

    # ------------------------------------------------------------------
    # The late-payment rate from the ECB (Ley 3/2004 art. 7.2)
    # ------------------------------------------------------------------
    def action_update_from_ecb(self):
        """Interest Rates > Update from the ECB: read the ECB's rates now and
        say what came of it."""
        result = self._update_from_ecb(fields.Date.context_today(self))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Update from the ECB"),
                "message": result["message"],
                "type": "warning" if result["error"] else "success",
                "sticky": bool(result["error"] or result["mismatches"]),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    @api.model
    def _cron_update_from_ecb(self):
        """Weekly: the semesters' rates from the ECB (Ley 3/2004 art. 7.2)."""
        self._update_from_ecb(fields.Date.context_today(self))

    @api.model
    def _fetch_ecb(self):
        """The ECB's answer, as text (no retry here: the job runs again)."""
        url = (
            self.env["ir.config_parameter"].sudo().get_param(ECB_URL_PARAM) or law_rules.ECB_MRR_URL
        )
        try:
            response = requests.get(url, timeout=ECB_TIMEOUT, headers={"Accept": "text/csv"})
        except requests.Timeout as error:
            raise EcbAnswerError("timeout", str(error)[:200]) from error
        except requests.RequestException as error:
            raise EcbAnswerError("unreachable", str(error)[:200]) from error
        if response.status_code != 200:
            raise EcbAnswerError("http", str(response.status_code))
        return response.text

    @api.model
    def _ecb_reason(self, error):
        """A translated sentence for why the ECB's answer was not used."""
        reasons = {
            "timeout": self.env._("the ECB's service did not answer in time"),
            "unreachable": self.env._("the ECB's service could not be reached"),
            "http": self.env._("the ECB's service answered with an HTTP error"),
            "not_csv": self.env._("the answer was not the ECB's data (an error page?)"),
            "empty": self.env._("the answer held no main refinancing rate"),
            "bad_value": self.env._("the answer held a date or a rate that does not read"),
            "out_of_range": self.env._("the answer held a rate below 0 % or of 40 % or more"),
            "future": self.env._("the answer held a rate dated in the future"),
        }
        return self.env._(
            "Nothing was changed: %(reason)s (%(detail)s). It is tried again next time.",
            reason=reasons.get(error.code, error.code),
            detail=error.detail or "-",
        )

    @api.model
    def _update_from_ecb(self, today):
        """Fill every semester from 2022 H2 to today's (and the next, once its
        rate is known) with the ECB rate + 8 points. Shipped or BOE-published
        semesters stay; where the computation differs from one, managers are
        told. A bad answer changes nothing; the reason is kept on the
        company and logged.

        :return: {"error", "message", "created", "updated", "mismatches"}
        """
        company = self.env.company
        try:
            changes = law_rules.parse_ecb_rates(self._fetch_ecb(), today)
        except EcbAnswerError as error:
            message = self._ecb_reason(error)
            _logger.warning(
                "ECB main refinancing rate not updated: %s %s", error.code, error.detail
            )
            company.sudo().write(
                {"dunning_ecb_checked": fields.Datetime.now(), "dunning_ecb_error": message}
            )
            return {"error": True, "message": message, "created": 0, "updated": 0, "mismatches": 0}
        semesters = law_rules.late_payment_semesters(changes, today)
        existing = {
            r.date_start: r
            for r in self.sudo().search(
                [("kind", "=", "late_payment"), ("date_start", "in", [s.start for s in semesters])]
            )
        }
        created = updated = mismatches = 0
        for semester in semesters:
            values = {"ecb_rate": semester.ecb_rate, "ecb_date": semester.ecb_date}
            record = existing.get(semester.start)
            if not record and self.sudo().search_count(
                [
                    ("kind", "=", "late_payment"),
                    ("date_start", "<=", semester.end),
                    ("date_end", ">=", semester.start),
                ]
            ):
                # A rate typed by hand for part of the semester stays.
                continue
            if not record:
                self.sudo().create(
                    dict(
                        values,
                        kind="late_payment",
                        origin="ecb",
                        date_start=semester.start,
                        date_end=semester.end,
                        rate=semester.rate,
                    )
                )
                created += 1
            elif record.origin == "ecb":
                if abs(record.rate - semester.rate) > 0.001 or record.ecb_date != semester.ecb_date:
                    record.sudo().write(dict(values, rate=semester.rate))
                    updated += 1
            elif abs(record.rate - semester.rate) > 0.001:
                # The BOE's figure wins; this must not happen, so say it.
                if record.ecb_rate != semester.ecb_rate or record.ecb_date != semester.ecb_date:
                    record.sudo().write(values)
                    self._notify_mismatch(record, semester)
                mismatches += 1
            elif not record.ecb_date:
                record.sudo().write(values)
        message = self.env._(
            "ECB rates read: %(created)s semesters added, %(updated)s updated, %(mismatches)s "
            "differing from the BOE (the BOE's figure is kept).",
            created=created,
            updated=updated,
            mismatches=mismatches,
        )
        company.sudo().write(
            {"dunning_ecb_checked": fields.Datetime.now(), "dunning_ecb_error": False}
        )
        return {
            "error": False,
            "message": message,
            "created": created,
            "updated": updated,
            "mismatches": mismatches,
        }

    @api.model
    def _notify_mismatch(self, record, semester):
        """Tell the dunning managers that a shipped or BOE-published rate is
        not what Ley 3/2004 art. 7.2 gives from the ECB's rate."""
        managers = self.env.ref("account_dunning_es.group_dunning_manager").users.filtered(
            lambda u: not u.share and u.active
        )
        partner = self.env.company.partner_id.sudo()
        for manager in managers or self.env.company._dunning_manager():
            env = self.with_context(lang=manager.lang or self.env.lang).env
            partner.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=manager.id,
                summary=env._(
                    "Late-payment rate %(start)s: the BOE and the ECB differ",
                    start=format_date(env, record.date_start),
                ),
                note=Markup("<p>%s</p>")
                % env._(
                    "The rate recorded for %(start)s - %(end)s is %(rate)s %%; the ECB's "
                    "main refinancing rate %(ecb)s %% from %(date)s + 8 points gives "
                    "%(computed)s %% (Ley 3/2004 art. 7.2). The recorded (BOE) figure is "
                    "kept: check the BOE resolution.",
                    start=format_date(env, record.date_start),
                    end=format_date(env, record.date_end),
                    rate=formatLang(env, record.rate, digits=2),
                    ecb=formatLang(env, semester.ecb_rate, digits=2),
                    date=format_date(env, semester.ecb_date),
                    computed=formatLang(env, semester.rate, digits=2),
                ),
            )

    @api.depends("date_start", "date_end", "rate")
    def _compute_name(self):
        for rate in self:
            rate.name = f"{rate.date_start} - {rate.date_end}: {rate.rate:.2f} %"

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for rate in self:
            if rate.date_end < rate.date_start:
                raise ValidationError(self.env._("The period of a rate must end after it starts."))
            overlap = self.search_count(
                [
                    ("id", "!=", rate.id),
                    ("kind", "=", rate.kind),
                    ("date_start", "<=", rate.date_end),
                    ("date_end", ">=", rate.date_start),
                ]
            )
            if overlap:
                raise ValidationError(
                    self.env._("The rate of %(name)s overlaps another period.", name=rate.name)
                )

    @api.model
    def _rate_table(self, kind="late_payment"):
        """[(date_start, date_end, rate)] of one kind, for the interest rule."""
        return [
            (r.date_start, r.date_end, r.rate)
            for r in self.search([("kind", "=", kind)], order="date_start")
        ]

    @api.model
    def _notify_missing_semester(self, company, today):
        """Tell the company's dunning manager, once, that the semester that
        has begun has no late-payment rate yet.

        Ley 3/2004, art. 7.2: the rate of each calendar semester is published
        in the BOE by resolution of the Secretaría General del Tesoro y
        Financiación Internacional. Until it is added, letters claim no
        interest for that period and say so; this notice gets it added.

        :return: the To-Do activity created on the company's contact, or an
            empty recordset (a rate applies, or the manager was told already)
        """
        start, end = law_rules.semester_of(today)
        notified = self.env["mail.activity"]
        if law_rules.rate_covers(self._rate_table(), today):
            return notified
        key = fields.Date.to_string(start)
        if company.dunning_rate_notice == key:
            return notified
        manager = company._dunning_manager()
        env = self.with_context(lang=manager.lang or self.env.lang).env
        half = env._("1st semester") if start.month == 1 else env._("2nd semester")
        note = Markup("<p>%s</p><p>%s</p>") % (
            env._(
                "No late-payment rate is recorded for %(start)s - %(end)s: letters claim no "
                "interest for that period until it is added.",
                start=start,
                end=end,
            ),
            env._(
                "Add it in Accounting > Configuration > Dunning > Interest Rates from the "
                "BOE resolution of the Secretaría General del Tesoro y Financiación "
                "Internacional that publishes the late-payment rate of the %(half)s %(year)s "
                "(Ley 3/2004, art. 7).",
                half=half,
                year=start.year,
            ),
        )
        notified = company.partner_id.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=env._(
                "Add the late-payment rate of the %(half)s %(year)s", half=half, year=start.year
            ),
            note=note,
            user_id=manager.id or self.env.user.id,
        )
        company.dunning_rate_notice = key
        return notified
