# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Default values looked up once for a batch of records created together.

``create()`` asks ``default_get`` for the defaults of every field a record's
values leave out, record after record: for the 9,000 chatter messages, mails
and communications of a first run, 27,000 look-ups of the same defaults
(ir.default, the context's ``default_*`` keys, each field's default), about
8 % of the run. Within :func:`batch_defaults` the models that honour it
(:func:`add_missing_defaults`) look them up once per set of given fields,
model, user, company and ``default_*`` context; every record gets its own
copy. A default computed at the time (a message's date) is then the time of
the batch's first record, as it would be for records created a moment apart.
"""

import copy
import uuid
from contextlib import contextmanager

BATCH_DEFAULTS = "dunning_batch_defaults"


@contextmanager
def batch_defaults(model):
    """``model`` with defaults looked up once per kind of values, inside."""
    token = uuid.uuid4().hex
    try:
        yield model.with_context(**{BATCH_DEFAULTS: token})
    finally:
        model.env.cr.cache.get(BATCH_DEFAULTS, {}).pop(token, None)


def create_in_batch(model, vals_list):
    """``model.create(vals_list)`` with the defaults looked up once per kind
    of values; the records in ``model``'s own environment."""
    with batch_defaults(model) as batch:
        return model.browse(batch.create(vals_list).ids)


def add_missing_defaults(model, values, lookup):
    """``values`` completed with the defaults of the fields they leave out,
    as ``lookup`` (the ORM's ``_add_missing_default_values``) gives them.

    Outside :func:`batch_defaults`, or for a model with a properties field
    (whose defaults depend on the values), ``lookup`` itself.
    """
    env = model.env
    token = env.context.get(BATCH_DEFAULTS)
    if not token:
        return lookup(values)
    key = (
        model._name,
        env.uid,
        env.su,
        env.company.id,
        frozenset(values),
        tuple(sorted((k, repr(v)) for k, v in env.context.items() if k.startswith("default_"))),
    )
    memo = env.cr.cache.setdefault(BATCH_DEFAULTS, {}).setdefault(token, {})
    if key not in memo:
        if any(field.type == "properties" for field in model._fields.values()):
            memo[key] = None
        else:
            # The given fields only count by name: which defaults apply
            # (_inherits parents set or not) depends on them, not on their values.
            completed = lookup(dict.fromkeys(values))
            memo[key] = {name: value for name, value in completed.items() if name not in values}
    if memo[key] is None:
        return lookup(values)
    defaults = {
        name: copy.deepcopy(value) if isinstance(value, (list, dict, set)) else value
        for name, value in memo[key].items()
    }
    defaults.update(values)
    return defaults
