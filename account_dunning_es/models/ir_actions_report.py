# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Printing the dunning documents as PDF, fast, with any build of
wkhtmltopdf.

Every PDF of this add-on's reports goes through run_wkhtmltopdf, which
offers Odoo's own report fonts to wkhtmltopdf as installed fonts
(report_fonts): an unpatched build then embeds them instead of drawing
each glyph as a shape, about twenty times faster, with text that can be read.

wkhtmltopdf built against an unpatched Qt (Debian's, for one) also refuses
more than one input document, so Odoo's one call for a batch fails there,
and one call per letter costs a process start each. A printed batch is
therefore rendered to HTML once, its letters joined into one document per
chunk (each letter starting on a new page, as it would alone), and the
chunks converted in parallel, one wkhtmltopdf process per core; letters
whose PDF is already stored are reused; the pieces are merged in the order
asked. Storing each letter's own PDF (the letter job) still renders one
letter per call, through Odoo.
"""

import logging
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

import lxml.html

from odoo import models, tools

# Odoo's own lookup of the binary (its configured path, else the PATH), and
# its cut of very large tables, which wkhtmltopdf lays out in a time that
# grows faster than their rows.
from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin, _split_table
from odoo.exceptions import UserError
from odoo.tools.pdf import merge_pdf
from odoo.tools.safe_eval import safe_eval
from odoo.tools.safe_eval import time as safe_time

from ..infrastructure import report_fonts

_logger = logging.getLogger(__name__)

DUNNING_REPORTS = {
    "account_dunning_es.report_dunning_letter",
    "account_dunning_es.report_dunning_letter_partner",
    "account_dunning_es.report_dunning_dossier",
}
# Processes converting a batch at once; a system parameter overrides it.
WORKERS_PARAM = "account_dunning_es.pdf_workers"
PAGE_BREAK = '<div style="page-break-before: always;"></div>'
# Odoo's threshold and table size for cutting large tables (_run_wkhtmltopdf).
LARGE_BODY = 4 * 1024 * 1024
TABLE_ROWS = 500


# Documents of other add-ons printed for a court (the invoices of a monitorio
# pack): Odoo's layouts print the company's name and address in the header
# and its tax id in the footer, which an unpatched wkhtmltopdf does not print.
# For these reports the header (and our seller line) go to the start of each
# document's body and the footer to its end: a court reads who issued it.
HEADER_IN_BODY = {"account_dunning_es.report_dunning_court_invoice"}
BEFORE_BODY = {"header", "o_dunning_court_seller"}


def _moved(node, into, position=None):
    node.getparent().remove(node)
    # Odoo takes every div.header and div.footer out of the body: no more one.
    kept = [c for c in (node.get("class") or "").split() if c not in ("header", "footer")]
    node.set("class", " ".join(kept + ["o_dunning_in_body"]))
    if position is None:
        into.append(node)
    else:
        into.insert(position, node)


def header_into_body(html):
    """The HTML of a report with each document's header (Odoo's layouts put a
    ``div.header`` before each ``div.article``, a ``div.footer`` after it)
    moved to the start of that document's article, and its footer to the
    end."""
    root = lxml.html.document_fromstring(html)
    pending, article = [], None
    for node in list(root.iter("div")):
        classes = set((node.get("class") or "").split())
        if classes & BEFORE_BODY:
            pending.append(node)
        elif "article" in classes:
            for position, before in enumerate(pending):
                _moved(before, node, position)
            pending, article = [], node
        elif "footer" in classes and article is not None:
            _moved(node, article)
            article = None
    return b"<!DOCTYPE html>\n" + lxml.html.tostring(root, encoding="utf-8")


def is_dunning_report(report_name):
    """This add-on's reports (letters, court documents, management report)."""
    return (report_name or "").startswith("account_dunning_es.")


def join_documents(bodies):
    """One HTML document with the bodies' content one after the other, each
    starting on a new page: the head (styles) of the first, then the content
    of each body."""
    first = lxml.html.document_fromstring(bodies[0])
    target = first.body
    for body in bodies[1:]:
        target.append(lxml.html.fragment_fromstring(PAGE_BREAK))
        for node in lxml.html.document_fromstring(body).body:
            target.append(node)
    return "<!DOCTYPE html>\n" + lxml.html.tostring(first, encoding="unicode")


def split_runs(flags, pieces):
    """Index ranges to convert: the runs of consecutive True ``flags``
    (documents to render), cut so that there are about ``pieces`` of them,
    in order."""
    runs = []
    start = None
    for index, flag in enumerate(list(flags) + [False]):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            runs.append((start, index))
            start = None
    total = sum(end - start for start, end in runs)
    if not total:
        return []
    size = max(1, -(-total // max(pieces, 1)))  # ceiling
    return [
        (begin, min(begin + size, end)) for start, end in runs for begin in range(start, end, size)
    ]


def prepare_document(html):
    """The document as wkhtmltopdf gets it: Odoo's fonts asked for as
    installed fonts, large tables cut as Odoo cuts them."""
    html = report_fonts.with_local_fonts(html)
    if len(html) >= LARGE_BODY:
        tree = lxml.html.document_fromstring(html)
        _split_table(tree, TABLE_ROWS)
        html = "<!DOCTYPE html>\n" + lxml.html.tostring(tree, encoding="unicode")
    return html


def run_wkhtmltopdf(command_args, html, header=None, footer=None):
    """Convert one HTML document with the given wkhtmltopdf arguments, the
    fonts of Odoo's reports embedded as fonts."""
    html = prepare_document(html)
    paths = []
    try:
        files = []
        for kind, content in (("header", header), ("footer", footer), ("body", html)):
            if not content:
                continue
            fd, path = tempfile.mkstemp(suffix=".html", prefix=f"dunning.{kind}.")
            with os.fdopen(fd, "wb") as handle:
                handle.write(content.encode())
            paths.append(path)
            files += [f"--{kind}-html", path] if kind != "body" else [path]
        fd, output = tempfile.mkstemp(suffix=".pdf", prefix="dunning.batch.")
        os.close(fd)
        paths.append(output)
        process = subprocess.run(
            [_get_wkhtmltopdf_bin(), *command_args, *files, output],
            capture_output=True,
            text=True,
            check=False,
            env=report_fonts.wkhtmltopdf_environment(),
        )
        if process.returncode not in (0, 1):
            raise UserError(process.stderr[-1000:])
        with open(output, "rb") as handle:
            return handle.read()
    finally:
        for path in paths:
            try:
                os.unlink(path)
            except OSError:
                _logger.warning("could not remove %s", path)


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        report = self._get_report(report_ref)
        if (
            report.report_name not in DUNNING_REPORTS
            or not res_ids
            or len(res_ids) < 2
            or len(set(res_ids)) != len(res_ids)
        ):
            return super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
        if (tools.config["test_enable"] or tools.config["test_file"]) and not self.env.context.get(
            "force_report_rendering"
        ):
            # Test mode renders HTML: keep Odoo's behaviour.
            return super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
        if self.env.context.get("dunning_store_each") or self.get_wkhtmltopdf_state() == "install":
            # The letter job: each letter's own PDF, stored by Odoo. (Without
            # wkhtmltopdf, Odoo's own message.)
            documents = [
                super(IrActionsReport, self)._render_qweb_pdf(
                    report_ref, res_ids=[res_id], data=data
                )[0]
                for res_id in res_ids
            ]
            return merge_pdf(documents), "pdf"
        return self._dunning_batch_pdf(report, res_ids, data), "pdf"

    def _run_wkhtmltopdf(
        self,
        bodies,
        report_ref=False,
        header=None,
        footer=None,
        landscape=False,
        specific_paperformat_args=None,
        set_viewport_size=False,
    ):
        """This add-on's reports: one document for wkhtmltopdf (an unpatched
        build refuses several), with Odoo's fonts embedded as fonts. Our
        documents need no session to be drawn (their images are data URIs,
        the stylesheet is public), so no session cookie is passed."""
        report = self._get_report(report_ref) if report_ref else self
        if len(report) != 1 or not is_dunning_report(report.report_name):
            return super()._run_wkhtmltopdf(
                bodies,
                report_ref=report_ref,
                header=header,
                footer=footer,
                landscape=landscape,
                specific_paperformat_args=specific_paperformat_args,
                set_viewport_size=set_viewport_size,
            )
        command_args = self._build_wkhtmltopdf_args(
            report.get_paperformat(),
            landscape,
            specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size,
        )
        html = bodies[0] if len(bodies) == 1 else join_documents(bodies)
        return run_wkhtmltopdf(command_args, html, header, footer)

    def _prepare_html(self, html, report_model=False):
        if self.report_name in HEADER_IN_BODY:
            html = header_into_body(html)
        return super()._prepare_html(html, report_model=report_model)

    def _dunning_workers(self):
        value = self.env["ir.config_parameter"].sudo().get_param(WORKERS_PARAM)
        return max(1, int(value) if value else (os.cpu_count() or 1))

    def _dunning_batch_pdf(self, report, res_ids, data=None):
        """One PDF of the documents of ``res_ids``, in that order."""
        stored = self._dunning_stored_pdfs(report, res_ids)
        ranges = split_runs([res_id not in stored for res_id in res_ids], self._dunning_workers())
        groups = [res_ids[begin:end] for begin, end in ranges]
        converted = self._dunning_convert(report, groups, data) if groups else {}
        documents = []
        for res_id in res_ids:
            if res_id in stored:
                documents.append(stored[res_id])
            elif res_id in converted:  # the first record of a converted group
                documents.append(converted[res_id])
        return merge_pdf(documents)

    def _dunning_stored_pdfs(self, report, res_ids):
        """{record id: its stored PDF} when the report reuses its attachments
        (Odoo's naming expression, evaluated per record; one query)."""
        if not (report.attachment and report.attachment_use):
            return {}
        names = {}
        for record in self.env[report.model].browse(res_ids):
            name = safe_eval(report.attachment, {"object": record, "time": safe_time})
            if name:
                names[record.id] = name
        attachments = self.env["ir.attachment"].search(
            [
                ("res_model", "=", report.model),
                ("res_id", "in", list(names)),
                ("name", "in", list(set(names.values()))),
                ("mimetype", "=", "application/pdf"),
            ],
            order="id desc",
        )
        stored = {}
        for attachment in attachments:
            if names.get(attachment.res_id) == attachment.name:
                stored.setdefault(attachment.res_id, attachment.raw)
        return stored

    def _dunning_convert(self, report, groups, data=None):
        """{first record id of a group: the group's PDF}: the HTML of every
        record rendered once, each group converted by its own process."""
        res_ids = [res_id for group in groups for res_id in group]
        html = report._render_qweb_html(report, res_ids, data=data)[0]
        bodies, html_ids, header, footer, specific_args = report._prepare_html(
            html, report_model=report.model
        )
        by_record = {}
        current = None
        for body, res_id in zip(bodies, html_ids, strict=True):
            current = res_id or current  # a body of no record follows its record
            by_record.setdefault(current, []).append(body)
        if set(by_record) != set(res_ids):
            raise UserError(
                self.env._(
                    "The report %(report)s cannot be printed as one batch: its documents do "
                    "not say which record they belong to.",
                    report=report.name,
                )
            )
        command_args = self._build_wkhtmltopdf_args(
            report.get_paperformat(),
            self.env.context.get("landscape"),
            specific_paperformat_args=specific_args,
            set_viewport_size=self.env.context.get("set_viewport_size"),
        )
        jobs = [
            (group[0], join_documents([body for res_id in group for body in by_record[res_id]]))
            for group in groups
        ]
        with ThreadPoolExecutor(max_workers=self._dunning_workers()) as pool:
            return dict(
                pool.map(
                    lambda job: (job[0], run_wkhtmltopdf(command_args, job[1], header, footer)),
                    jobs,
                )
            )
