# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Issuing communications: each channel by its own method, in batches."""

import logging
import os
import re
from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.addons.mail.models.mail_message import _image_dataurl as IMAGE_DATA_URL
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date, get_lang, split_every
from odoo.tools.safe_eval import check_values

from ..infrastructure import html_sanitizer, sql_builders
from ..infrastructure.batch_defaults import create_in_batch
from ..rules import formatting
from .mail_render_mixin import COMPILED_INLINE

_logger = logging.getLogger(__name__)

ACTIVITY_TYPES = {
    "call": "mail.mail_activity_data_call",
    "meeting": "mail.mail_activity_data_meeting",
    "agency": "account_dunning_es.mail_activity_data_dunning_handover",
    "legal": "account_dunning_es.mail_activity_data_dunning_handover",
}

# Field types whose values _mark_issued_each puts in the ORM's cache itself.
EACH_FIELD_TYPES = ("many2one", "char", "date", "datetime", "integer", "selection")

# A template body that does nothing but call a QWeb view, as the shipped one.
SOLE_T_CALL = re.compile(r'^(\s*<div>\s*)<t t-call="([\w.]+)"\s*(?:/>|>\s*</t>)(\s*</div>\s*)$')


def sole_t_call(body):
    """Split a template body that only calls a view: (before, view, after).

    ``<div><t t-call="module.view"/></div>`` gives
    ``("<div>", "module.view", "</div>")``, the whitespace around kept; a
    body with anything else (text, attributes, other tags) gives None.
    """
    match = SOLE_T_CALL.match(str(body or ""))
    return match.groups() if match else None


def split_common_values(values_list):
    """What a list of value dicts shares, and what differs: ``(common, each)``.

    ``common`` holds the fields every dict has with the same value, ``each``
    the other fields, {field: [value of each dict, in order]} (a dict without
    the field gives False). ``[{"a": 1, "b": 2}, {"a": 1, "b": 3}]`` gives
    ``({"a": 1}, {"b": [2, 3]})``.
    """
    fnames = {fname for values in values_list for fname in values}
    common, each = {}, {}
    for fname in sorted(fnames):
        column = [values.get(fname, False) for values in values_list]
        if all(fname in values for values in values_list) and len(set(column)) == 1:
            common[fname] = column[0]
        else:
            each[fname] = column
    return common, each


# The dates formatted so far in a transaction (the cursor's cache): a run's
# reminders claim a few hundred distinct dates, each formatted once.
DATES_MEMO = "account_dunning_es.formatted_dates"


def fast_formatters(render_context, env):
    """The date and amount formatters of a rendering context, faster.

    The same due dates recur across thousands of emails: each is formatted
    once per transaction (same function, remembered for the language, its
    date format and the time zone, everything the text depends on). Amounts
    rarely recur: they are formatted by ``formatting.amount_formatter``,
    which looks each currency and language up once (same text as Odoo's).

    :param env: the environment of the rendering (its language)
    """
    format_date = render_context["format_date"]
    lang = get_lang(env)
    dates = env.cr.cache.setdefault(DATES_MEMO, {}).setdefault(
        (lang.code, lang.date_format, env.context.get("tz") or env.user.tz), {}
    )

    def remembered_format_date(*args, **kwargs):
        key = (args, tuple(sorted(kwargs.items())))
        if key not in dates:
            dates[key] = format_date(*args, **kwargs)
        return dates[key]

    return {
        "format_date": remembered_format_date,
        "format_amount": formatting.amount_formatter(env),
    }


class DunningCommunication(models.Model):
    _inherit = "dunning.communication"

    # ------------------------------------------------------------------
    # Issuing
    # ------------------------------------------------------------------
    def _issue(self):
        """Issue draft or failed communications through their channels.

        Grouped by channel so that templates render in one batch. A problem on
        one communication marks it failed with its reason and never stops the
        others.
        """
        todo = self.filtered(lambda c: c.state in self._issuable_states())
        failed = self.browse()
        for comm in todo:
            problem = comm._issue_problem()
            if problem:
                comm.write({"state": "failed", "failure_reason": problem})
                failed |= comm
        todo -= failed
        issuers = self._issuers()
        for channel, comms in todo.grouped("channel").items():
            if channel not in issuers:
                raise UserError(
                    self.env._(
                        "No way to issue a communication of channel %(channel)s.", channel=channel
                    )
                )
            issuers[channel](comms)
        todo._hold_credit()
        return todo

    def _hold_credit(self):
        """Stages that withdraw credit put their customers on hold once issued."""
        for comm in self.filtered(lambda c: c.state == "sent" and c.stage_id.credit_hold):
            customer = comm.partner_id.commercial_partner_id
            if customer.dunning_credit_hold:
                continue
            collector = comm.user_id or customer._dunning_collector(comm.policy_id)
            customer.sudo()._dunning_hold(comm.stage_id, collector, comm.company_id)

    @api.model
    def _issuers(self):
        """{channel: function issuing communications of that channel}.

        Add-ons adding a channel add its issuer (the SMS add-on, for one).
        """
        model = type(self)
        return {
            "email": model._issue_email,
            "letter": model._issue_letter,
            "negotiation": model._issue_negotiation,
            # A logged call records what happened: issuing it is recording it.
            "phone": model._mark_issued,
            "call": model._issue_activity,
            "meeting": model._issue_activity,
            "agency": model._issue_activity,
            "legal": model._issue_activity,
        }

    @api.model
    def _issuable_states(self):
        """States from which a communication may be issued."""
        return ("draft", "failed")

    def _mark_issued(self, **extra):
        """Issued: no tracking message per communication for it.

        The issue date is ``sent_date`` and the trace is what was issued (the
        email on the customer's chatter, the activity, the letter); a
        "Draft -> Issued" message on each of thousands of reviewed drafts
        would double the cost of sending them and say nothing more.
        """
        self.with_context(tracking_disable=True).write(
            dict(
                {"state": "sent", "failure_reason": False, "sent_date": fields.Datetime.now()},
                **extra,
            )
        )

    def _mark_issued_each(self, extra_by_comm):
        """Issued, each communication with values of its own (the message or
        the activity that carries it): {communication: {field: value}}.

        What :meth:`_mark_issued` does for each, without a ``write()`` per
        communication (a twentieth of the time of issuing a run's emails):
        what they share in one write, then each one's values put in the ORM's
        cache as ``write()`` puts one value for all (``Field.write``), so that
        the flush stores everything in one UPDATE per batch of rows, as the
        writes did. Dependents (the SMS delivery status) are told of the change
        as ``write()`` tells them.
        """
        common, each = split_common_values([extra_by_comm[comm] for comm in self])
        self._mark_issued(**common)
        if not each:
            return
        direct = [
            fname
            for fname in each
            if self._fields[fname].store
            and self._fields[fname].type in EACH_FIELD_TYPES
            and not self.pool.field_inverses[self._fields[fname]]
        ]
        for fname in set(each) - set(direct):
            for comm, value in zip(self, each[fname], strict=True):
                comm.with_context(tracking_disable=True).write({fname: value})
        if not direct:
            return
        self.modified(direct, before=True)
        for fname in direct:
            field = self._fields[fname]
            self.env.cache.update(
                self,
                field,
                [field.convert_to_cache(value, self) for value in each[fname]],
                dirty=True,
            )
        self.modified(direct)

    def _default_template(self):
        return self.env.ref(
            "account_dunning_es.mail_template_dunning_reminder", raise_if_not_found=False
        )

    def _issue_email(self):
        """Queue one email per communication, logged on the customer's chatter.

        Each email is a ``mail.message`` on the customer (the chatter shows
        it) and the ``mail.mail`` that carries it; they leave with the mail
        queue after the run commits: if the run is interrupted before, nothing
        has left. Grouped by template, each group in one batch
        (:meth:`_issue_emails_of`).
        """
        by_template = defaultdict(lambda: self.browse())
        for comm in self:
            by_template[comm.stage_id.mail_template_id or self._default_template()] |= comm
        for template, comms in by_template.items():
            if template:
                comms._issue_emails_of(template)
            else:
                comms.write(
                    {
                        "state": "failed",
                        "failure_reason": self.env._("The stage has no email template."),
                    }
                )

    def _issue_emails_of(self, template):
        """Queue the emails of communications sharing a template, in bulk.

        The same email as Odoo's ``message_post_with_source`` would log
        (tested), made faster: bodies rendered by calling the template's view
        and sanitised once each, on another core while the next ones render
        (``html_sanitizer``); messages and mails created in one batch
        each; the Reply-To computed per sender, not per message.
        """
        Message = self.env["mail.message"].sudo()
        sanitizer = html_sanitizer.BodySanitizer(
            Message._fields["body"], self._sanitize_workers(), len(self)
        )
        # Subject, sender and language: each expression compiled once.
        template = template.with_context(**{COMPILED_INLINE: True})
        # The language of each email, rendered once for its body and fields.
        by_lang = template._classify_per_lang(self.ids)
        bodies = self._render_email_bodies(template, on_rendered=sanitizer.submit, by_lang=by_lang)
        rendered = {}
        for lang, (template_lang, res_ids) in by_lang.items():
            rendered.update(
                template_lang.with_context(template_preview_lang=lang)._generate_template(
                    res_ids, ("subject", "email_from", "report_template_ids")
                )
            )
        attachments = self._email_attachments(template, rendered)
        senders = {
            comm.id: rendered[comm.id].get("email_from") or comm.company_id.email_formatted
            for comm in self
        }
        reply_to = self._reply_to_by_sender(senders)
        comment = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        messages = self._create_email_messages(
            {
                comm.id: comm._chatter_message_vals(
                    "email_outgoing",
                    comment,
                    email_from=senders[comm.id],
                    reply_to=reply_to.get((senders[comm.id], comm.partner_id.id)),
                    subject=rendered[comm.id].get("subject"),
                    body=bodies.get(comm.id) or "",
                    partner_ids=[Command.link((comm.recipient_id or comm.partner_id).id)],
                    attachment_ids=[Command.set(attachments.get(comm.id, []))],
                )
                for comm in self
            },
            sanitizer,
        )
        create_in_batch(
            self.env["mail.mail"].sudo(),
            [
                {
                    "mail_message_id": message.id,
                    "is_notification": False,
                    "body_html": message.body or "",
                    "recipient_ids": [Command.link((comm.recipient_id or comm.partner_id).id)],
                    "auto_delete": False,
                    "state": "outgoing",
                }
                for comm, message in zip(self, messages, strict=True)
            ],
        )
        self._mark_issued_each(
            {comm: {"message_id": message.id} for comm, message in zip(self, messages, strict=True)}
        )

    @api.model
    def _sanitize_workers(self):
        """Helper processes sanitising email bodies: the parameter
        ``account_dunning_es.sanitize_workers``, else DEFAULT_WORKERS when the
        machine has another core."""
        value = self.env["ir.config_parameter"].sudo().get_param(html_sanitizer.WORKERS_PARAM)
        if value:
            return max(0, int(value))
        return html_sanitizer.DEFAULT_WORKERS if (os.cpu_count() or 1) > 1 else 0

    def _email_attachments(self, template, rendered):
        """The attachments of each email: {communication id: [attachment ids]}.

        As Odoo's composer does with a template: its own attachments (copied
        for each email, the template keeps its own) and its reports rendered
        for each communication; each attachment belongs to the customer, on
        whose chatter the email is logged. None (and no query) when the
        template has neither, as the shipped one.

        :param rendered: ``template._generate_template`` values, with the
            reports' ``attachments`` ([(name, base64 content)])
        """
        if not (template.attachment_ids or template.report_template_ids):
            return {}
        static = template.attachment_ids.sudo().copy_data()
        owners, vals_list = [], []
        for comm in self:
            owner = {"res_model": "res.partner", "res_id": comm.partner_id.id}
            for vals in static:
                vals_list.append(dict(vals, **owner))
                owners.append(comm.id)
            for name, content in rendered[comm.id].get("attachments", []):
                vals_list.append(dict(owner, name=name, datas=content))
                owners.append(comm.id)
        result = defaultdict(list)
        created = self.env["ir.attachment"].sudo().create(vals_list)
        for comm_id, attachment in zip(owners, created, strict=True):
            result[comm_id].append(attachment.id)
        return result

    def _create_email_messages(self, vals_by_comm, sanitizer=None):
        """Create the chatter messages of emails, in the order of ``self``,
        each body sanitised once.

        The ORM sanitises an HTML field twice when it creates a record (once
        for its cache, once for its column): half of the cost of queueing an
        email. The body is sanitised here once, with the field's own options
        (``convert_to_column``, what the ORM stores), and stored in one
        statement. A body carrying an embedded image (base64) goes through
        ``mail.message.create``, which turns the image into an attachment.

        :param vals_by_comm: {communication id: values of its message}
        :param sanitizer: a ``html_sanitizer.BodySanitizer`` the bodies
            were submitted to, keyed by communication id
        """
        Message = self.env["mail.message"].sudo()
        sanitizer = sanitizer or html_sanitizer.BodySanitizer(Message._fields["body"], 0, 0)
        # The messages are created first, their bodies stored after: the
        # helpers finish sanitising the last bodies meanwhile.
        deferred = {}
        vals_list = []
        for comm in self:
            vals = vals_by_comm[comm.id]
            if vals.get("body") and not IMAGE_DATA_URL.search(vals["body"]):
                deferred[len(vals_list)] = (comm.id, vals["body"])
                vals = dict(vals, body="")
            vals_list.append(vals)
        messages = create_in_batch(Message, vals_list)
        by_message = {
            messages[index].id: sanitizer.sanitized(comm_id, body, Message)
            for index, (comm_id, body) in deferred.items()
        }
        if by_message:
            self.env.cr.execute(
                sql_builders.set_column(
                    "mail_message",
                    "body",
                    {message_id: str(body) for message_id, body in by_message.items()},
                    "text",
                )
            )
            messages.invalidate_recordset(["body"])
        return messages

    def _reply_to_by_sender(self, senders):
        """{(sender, customer id): Reply-To}, computed once per sender for all
        its customers (``mail.message`` would look it up once per message).

        :param senders: {communication id: email_from}
        """
        partners_by_sender = defaultdict(set)
        for comm in self:
            partners_by_sender[senders[comm.id]].add(comm.partner_id.id)
        reply_to = {}
        for sender, partner_ids in partners_by_sender.items():
            replies = (
                self.env["res.partner"]
                .sudo()
                .browse(partner_ids)
                ._notify_get_reply_to(default=sender)
            )
            reply_to.update({(sender, pid): value for pid, value in replies.items()})
        return reply_to

    def _render_email_bodies(self, template, on_rendered=None, chunk_size=100, by_lang=None):
        """The template's body for each communication: {id: html}.

        Rendered per language as ``mail.template`` does. A body that only
        calls a view (the shipped template) is rendered by calling that view,
        which QWeb compiles once: as a raw template, the body would be parsed
        and compiled again for every communication. The result is the same
        (tested); a body edited into anything else goes through the template.

        :param on_rendered: called with each chunk of bodies ({id: html}) as
            soon as it is rendered (the sanitiser starts on it)
        :param by_lang: the template's ``_classify_per_lang`` of these
            communications, when the caller has it already
        """
        bodies = {}
        # Rendered in chunks: read the invoice lines of all at once first.
        self.line_ids.move_id.mapped("name")
        by_lang = template._classify_per_lang(self.ids) if by_lang is None else by_lang
        for template_lang, res_ids in by_lang.values():
            parts = sole_t_call(template_lang.body_html)
            formatters = fast_formatters(template_lang._render_eval_context(), template_lang.env)
            # A missing view would render empty: the template then says why.
            for chunk in split_every(chunk_size, res_ids, list):
                if not parts or not self.env.ref(parts[1], raise_if_not_found=False):
                    rendered = template_lang._render_field("body_html", chunk)
                else:
                    rendered = self._render_view_bodies(template_lang, parts, chunk, formatters)
                bodies.update(rendered)
                if on_rendered:
                    on_rendered(rendered)
        return bodies

    @api.model
    def _render_view_bodies(self, template_lang, parts, res_ids, formatters):
        """{id: html} of a body that only calls a view (see sole_t_call).

        :param formatters: the rendering's fast_formatters (one per language)
        """
        before, view, after = parts
        model = template_lang.render_model
        rendered = template_lang._render_template_postprocess(
            model, self._render_view(template_lang, view, model, res_ids, formatters)
        )
        return {res_id: Markup(before) + html + Markup(after) for res_id, html in rendered.items()}

    @api.model
    def _render_view(self, template_lang, view, model, res_ids, add_context):
        """{id: html} of a QWeb view rendered on records, compiled once.

        What ``mail.render.mixin._render_template_qweb_view`` returns, which
        calls ``ir.qweb._render`` for each record: each call prepares the
        environment and looks the compiled view up in the ORM's cache again
        (a fifth of the rendering in a run's profile). Here both are done once,
        then the compiled view is called for each record with its own copy of
        the values, as ``_render`` gives it (same HTML, tested).
        """
        variables = dict(template_lang._render_eval_context(), **add_context)
        ir_qweb = (
            template_lang.env["ir.qweb"]
            .with_context(minimal_qcontext=True, raise_if_not_found=False, post_process=True)
            ._prepare_environment(variables)
        )
        check_values(variables)
        results = {}
        try:
            functions, def_name = ir_qweb._compile(view)
            render = functions[def_name]
            for record in template_lang.env[model].browse(res_ids):
                results[record.id] = Markup(
                    "".join(render(ir_qweb, dict(variables, object=record)))
                )
        except Exception as e:
            _logger.info("Failed to render template: %s", view, exc_info=True)
            raise UserError(
                self.env._(
                    "The email body could not be rendered (view %(view_ref)s): check the email "
                    "template.",
                    view_ref=view,
                )
            ) from e
        return results

    def _issue_negotiation(self):
        """Open the negotiation attempt (LO 1/2025): its document is rendered
        by the letter job, then sent by a certified channel, whose delivery
        the collector records (the answer period runs from the receipt)."""
        self.env["dunning.negotiation"].create(
            [self.env["dunning.negotiation"]._vals_for(comm) for comm in self]
        )
        self._mark_issued()
        cron = self.env.ref("account_dunning_es.ir_cron_dunning_letters", raise_if_not_found=False)
        if cron:
            cron._trigger()

    def _activity_note(self):
        self.ensure_one()
        stage = self.stage_id
        objective = dict(stage._fields["call_objective"]._description_selection(self.env)).get(
            stage.call_objective
        )
        rows = Markup("").join(
            Markup("<li>%s</li>")
            % self.env._(
                "%(number)s, due %(due)s, %(amount)s (%(days)s days overdue)",
                number=line.move_id.name,
                due=format_date(self.env, line.date_due),
                amount=format_amount(self.env, line.amount_residual, line.currency_id),
                days=line.days_overdue,
            )
            for line in self.line_ids
        )
        parts = [
            Markup("<p>%s</p>")
            % self.env._("Dunning %(ref)s, %(stage)s.", ref=self.name, stage=stage.name)
        ]
        if objective:
            parts.append(Markup("<p><b>%s</b> %s</p>") % (self.env._("Objective:"), objective))
        parts.append(Markup("<ul>%s</ul>") % rows)
        if stage.note:
            parts.append(stage.note)
        return Markup("").join(parts)

    def _activity_summary(self):
        self.ensure_one()
        summaries = {
            "call": self.env._("Collection call"),
            "meeting": self.env._("Collection meeting"),
            "agency": self.env._("Hand over to external collection agency"),
            "legal": self.env._("Hand over for legal action"),
        }
        return f"{summaries[self.channel]} ({self.amount_display})"

    def _issue_activity(self):
        """Call, meeting and hand-over: an activity for the responsible
        collector, written in the collector's language."""
        vals_list = []
        for comm in self:
            activity_type = self.env.ref(ACTIVITY_TYPES[comm.channel], raise_if_not_found=False)
            user = comm.user_id or comm.partner_id._dunning_collector(comm.policy_id)
            reader = comm.with_context(lang=user.lang or comm.company_id._dunning_lang())
            vals_list.append(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": comm.partner_id.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "summary": reader._activity_summary(),
                    "note": reader._activity_note(),
                    "user_id": user.id,
                    "date_deadline": fields.Date.add(comm.date, days=comm.stage_id.call_delay_days),
                    "dunning_communication_id": comm.id,
                }
            )
        self._close_superseded_activities()
        activities = self.env["mail.activity"].create(vals_list)
        self._mark_issued_each(
            {
                comm: {"activity_id": activity.id}
                for comm, activity in zip(self, activities, strict=True)
            }
        )

    def _close_superseded_activities(self):
        """A newer call, meeting or hand-over replaces the collection
        activities still open on its customer in its company, instead of
        letting them pile up overdue: they are archived (done, and still
        linked to their communication) and the chatter says what replaced
        them."""
        open_ones = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", self.partner_id.ids),
                ("dunning_communication_id", "!=", False),
                ("dunning_communication_id", "not in", self.ids),
            ]
        )
        for comm in self:
            old = open_ones.filtered(
                lambda a, comm=comm: (
                    a.res_id == comm.partner_id.id
                    and a.dunning_communication_id.company_id == comm.company_id
                )
            )
            if old:
                reader = comm.with_context(lang=comm.company_id._dunning_lang())
                comm.partner_id.with_context(dunning_collection_message=True).message_post(
                    body=Markup("<p>%s</p>")
                    % reader.env._(
                        "%(activities)s: closed, replaced by %(ref)s (%(stage)s).",
                        activities=", ".join(old.mapped("summary")),
                        ref=comm.name,
                        stage=reader.stage_id.name,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
                old.action_archive()
                open_ones -= old
