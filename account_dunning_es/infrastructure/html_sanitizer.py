# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Sanitising the reminders' email bodies on another core while the run
renders the next ones.

Odoo sanitises every chatter message's HTML body (``fields.Html``), about a
millisecond per reminder: a fifth of a first run over a large ledger. The
work is pure (text in, text out), so a helper process does it while the run
goes on rendering; the run collects the results before it stores them. The
result is the text the ORM would store (the same ``html_sanitize`` call with
the field's own options, tested). Without a helper (one core, the parameter
at 0, few bodies, a helper that failed) the bodies are sanitised in the run's
own process, as the ORM would.
"""

import functools
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor

from odoo.tools.mail import html_sanitize

_logger = logging.getLogger(__name__)

WORKERS_PARAM = "account_dunning_es.sanitize_workers"
# Helpers where the machine has a second core, unless the parameter says
# otherwise: two. Measured on 2 cores, the 50,000-move first run: 21.5 to
# 23.4 s with one helper, 20.3 to 20.6 s with two, no better with three. The
# run's process waits on PostgreSQL about 40 % of its time, when both can
# work; one helper alone falls behind at the end of each batch.
DEFAULT_WORKERS = 2
# Below so many bodies the round trips to a helper cost more than they save.
MIN_BODIES = 200

_helpers = {"pid": None, "pool": None}
_helpers_lock = threading.Lock()


def field_sanitize_options(field):
    """The options with which the ORM sanitises an Html field (see
    ``fields.Html._convert``), or None when it does not sanitise it that way
    (not sanitised, or overridable by some users)."""
    if not field.sanitize or field.sanitize_overridable:
        return None
    return {
        "silent": True,
        "sanitize_tags": field.sanitize_tags,
        "sanitize_attributes": field.sanitize_attributes,
        "sanitize_style": field.sanitize_style,
        "sanitize_form": field.sanitize_form,
        "sanitize_conditional_comments": field.sanitize_conditional_comments,
        "output_method": field.sanitize_output_method,
        "strip_style": field.strip_style,
        "strip_classes": field.strip_classes,
    }


def sanitize_all(options, bodies):
    """The bodies sanitised (in the helper process)."""
    return [str(html_sanitize(body, **options)) if body else body for body in bodies]


def helper_pool(workers):
    """This process's helpers (created once; again after a fork)."""
    with _helpers_lock:
        if _helpers["pid"] != os.getpid() or _helpers["pool"] is None:
            # fork: the helper inherits the loaded code; spawning would start
            # the server's main module again.
            _helpers["pool"] = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("fork")
            )
            _helpers["pid"] = os.getpid()
        return _helpers["pool"]


def _forget_pool():
    with _helpers_lock:
        _helpers["pool"] = None


class BodySanitizer:
    """Sanitise bodies as they are rendered; read each result once stored.

    :param field: the Html field the bodies are stored in
    :param workers: helper processes (0: none)
    :param expected: how many bodies will come (few: no helper)
    :param min_bodies: fewest bodies worth a helper (default MIN_BODIES)
    """

    def __init__(self, field, workers, expected, min_bodies=None):
        min_bodies = MIN_BODIES if min_bodies is None else min_bodies
        self.field = field
        self.options = field_sanitize_options(field)
        self.pool = None
        if self.options is not None and workers > 0 and expected >= min_bodies:
            self.pool = helper_pool(workers)
        self.pending = []
        self.results = {}

    def submit(self, bodies):
        """Start sanitising {key: html} on a helper (nothing without one)."""
        if not self.pool or not bodies:
            return
        keys = list(bodies)
        htmls = [str(bodies[key]) for key in keys]
        sanitize = functools.partial(sanitize_all, self.options)
        try:
            future = self.pool.submit(sanitize, htmls)
        except Exception:  # a broken pool: sanitised here instead
            _logger.warning("Email bodies sanitised in process: helper unavailable", exc_info=True)
            _forget_pool()
            self.pool = None
            return
        self.pending.append((keys, htmls, future))

    def sanitized(self, key, body, record):
        """The stored value of ``body``: the helper's, else sanitised here.

        :param record: a record of the field's model (the ORM's conversion)
        """
        self._take_back_unstarted()
        for keys, _htmls, future in self.pending:
            try:
                self.results.update(zip(keys, future.result(), strict=True))
            except Exception:
                _logger.warning("Email bodies sanitised in process: helper failed", exc_info=True)
                _forget_pool()
        self.pending = []
        if key in self.results:
            return self.results.pop(key)
        return self.field.convert_to_column(body, record)

    def _take_back_unstarted(self):
        """Sanitise here the chunks no helper has started yet.

        The bodies are needed now: rather than wait idle for the helpers to
        get through their queue, this process takes back what they have not
        started (last submitted first, the least likely to have started) and
        sanitises it with the helpers' own function, while they finish theirs.
        """
        waiting = []
        for keys, htmls, future in reversed(self.pending):
            if future.cancel():
                self.results.update(zip(keys, sanitize_all(self.options, htmls), strict=True))
            else:
                waiting.append((keys, htmls, future))
        self.pending = waiting[::-1]
