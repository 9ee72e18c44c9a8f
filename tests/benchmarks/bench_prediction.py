#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Backtest of the predicted payment dates against two naive predictors.

    python3 tests/benchmarks/bench_prediction.py [--customers 2000] [--seed 1]

A seeded paid history like the benchmark ledger's customers (same segments
and weights): two years of invoices, each customer with a habit of its own
(its segment's typical delay, its own offset, noise, a drift over the years,
now and then a very late payment). Each invoice of the second year is
predicted as the product does (``prediction_rules``, the same
functions), knowing only the payments made before the day of the
prediction:

- on its due date (what the forecast needs for invoices not yet due),
- 30 days after it, for the invoices still unpaid then (what the worklist
  and the forecast need for overdue invoices).

Printed: mean absolute error in days of the product's prediction, of "pays
on the due date" and of "the average days late of all customers" (the same
conditional rule for the overdue ones: the average of the payments later
than 30 days; "pays on the due date" becomes "pays today"). The history is synthetic: the figures show the rules work
as meant on habits that exist, not how a given company's customers behave.
"""

import argparse
import importlib.util
import os
import random
import time
from collections import defaultdict
from datetime import date, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = os.path.join(HERE, "..", "..", "account_dunning_es", "rules", "prediction.py")

SEGMENTS = ("strategic", "public", "large", "sme", "mass")
SEGMENT_WEIGHTS = (1, 2, 7, 40, 50)
# Typical days late of a segment (public administrations pay late).
SEGMENT_DELAY = {"strategic": 5, "public": 45, "large": 20, "sme": 12, "mass": 8}


def load_rules():
    spec = importlib.util.spec_from_file_location("prediction_rules", RULES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def history(customers, start, seed):
    """[(customer, segment, due, paid)]: about one invoice a month each."""
    rng = random.Random(seed)
    rows = []
    for customer in range(customers):
        segment = rng.choices(SEGMENTS, SEGMENT_WEIGHTS)[0]
        offset = rng.gauss(0, 10)
        drift = rng.gauss(0, 8)  # days more (or less) late after two years
        noise = rng.uniform(2, 12)
        day = start + timedelta(days=rng.randint(0, 30))
        while day < start + timedelta(days=730):
            progress = (day - start).days / 730
            late = SEGMENT_DELAY[segment] + offset + drift * progress + rng.gauss(0, noise)
            if rng.random() < 0.05:
                late += rng.uniform(30, 120)  # now and then, very late
            late = max(round(late), -10)
            rows.append((customer, segment, day, day + timedelta(days=late)))
            day += timedelta(days=rng.randint(15, 45))
    return rows


def backtest(rules, rows, start, already_late):
    """(ours, due date, all customers) mean absolute errors and the count."""
    by_customer = defaultdict(list)
    for customer, segment, due, paid in rows:
        by_customer[customer].append((segment, due, paid))
    segment_of = {c: items[0][0] for c, items in by_customer.items()}
    cut = start + timedelta(days=365)
    tests = [
        (c, due, paid)
        for c, items in by_customer.items()
        for _s, due, paid in items
        if due >= cut and (paid - due).days > already_late
    ]
    # Predictions are grouped by week: made on the Monday before the day,
    # knowing the payments made before that Monday (a little less than the
    # product knows on the day), so that the pools are built once a week.
    by_day = defaultdict(list)
    for c, due, paid in tests:
        by_day[rules.week_start(due + timedelta(days=already_late))].append((c, due, paid))
    payments = sorted((paid, c, due) for c, items in by_customer.items() for _s, due, paid in items)
    errors = {"ours": 0.0, "due": 0.0, "all": 0.0}
    count = 0
    for day in sorted(by_day):
        known = [(c, due, paid) for paid, c, due in payments if paid < day]
        own_hist = defaultdict(list)
        for c, due, paid in known:
            own_hist[c].append((due, paid))
        pooled = defaultdict(list)
        for c, hist in own_hist.items():
            pooled[segment_of[c]].extend(rules.lateness_samples(hist, day))
        pools = {s: rules.Lateness(samples) for s, samples in pooled.items()}
        everyone = rules.Lateness([s for samples in pooled.values() for s in samples])
        everyone_mean, _w = everyone.mean_after(already_late)
        for c, due, paid in by_day[day]:
            own = rules.Lateness(rules.lateness_samples(own_hist[c], day))
            pool = pools.get(segment_of[c], rules.NO_HISTORY)
            late_then = max((day - due).days, already_late)
            ours = rules.predict_days_late(own, pool, late_then).days_late
            actual = (paid - due).days
            naive = already_late  # on the due date, or today when already late
            errors["ours"] += abs(actual - ours)
            errors["due"] += abs(actual - naive)
            errors["all"] += abs(actual - (everyone_mean or 0))
            count += 1
    return {key: value / count for key, value in errors.items()}, count


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rules = load_rules()
    start = date(2024, 6, 15)
    began = time.perf_counter()
    rows = history(args.customers, start, args.seed)
    print(
        f"date: {date.today()}; paid history: {len(rows)} invoices of {args.customers} "
        f"customers over two years (seed {args.seed}); second year predicted"
    )
    for already_late, label in ((0, "on the due date"), (30, "30 days after it, if unpaid")):
        mae, count = backtest(rules, rows, start, already_late)
        print(
            f"predicted {label}: {count} invoices, mean absolute error in days: "
            f"product {mae['ours']:.1f}, 'pays on the due date' {mae['due']:.1f}, "
            f"'average of all customers' {mae['all']:.1f}"
        )
    print(f"time: {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
