#!/usr/bin/env python3
"""Writes a card-style transactions table, the shape of the public simulated card-fraud data
sets (customers paying at terminals), for bench/replay_vs_duckdb.sh:

  TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD
  0,2018-04-01 00:00:31,596,3156,57.16,0

Rows are in time order. Each customer has a mean amount and a daily rate and pays at a few
nearby terminals; fraud comes from compromised terminals (every transaction there for 28
days) and compromised customers (a third of their transactions for 14 days, larger).
Same seed, same bytes.

  card_transactions.py OUT.csv [--rows 1750000] [--customers 5000] [--terminals 10000] [--days 183]
"""
import argparse
import random
from datetime import datetime, timedelta


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("output")
    ap.add_argument("--rows", type=int, default=1_750_000)
    ap.add_argument("--customers", type=int, default=5000)
    ap.add_argument("--terminals", type=int, default=10000)
    ap.add_argument("--days", type=int, default=183)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rnd = random.Random(a.seed)

    mean_amount = [rnd.uniform(5, 100) for _ in range(a.customers)]
    rate = [rnd.uniform(0, 4) for _ in range(a.customers)]
    total_rate = sum(rate)
    near = [[rnd.randrange(a.terminals) for _ in range(rnd.randint(2, 12))] for _ in range(a.customers)]
    # Compromised terminals and customers: (start day, end day).
    bad_terminal = {}
    bad_customer = {}
    for day in range(a.days):
        for t in rnd.sample(range(a.terminals), 2):
            bad_terminal.setdefault(t, (day, day + 28))
        for c in rnd.sample(range(a.customers), 3):
            bad_customer.setdefault(c, (day, day + 14))

    # Draw each row's time uniformly over the span, then its customer by rate: rows sorted by
    # time as the data sets are.
    span = a.days * 86400
    times = sorted(rnd.randrange(span) for _ in range(a.rows))
    cumulative = []
    s = 0.0
    for r in rate:
        s += r
        cumulative.append(s)
    start = datetime(2018, 4, 1)
    with open(a.output, "w", encoding="ascii") as out:
        out.write("TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD\n")
        for i, seconds in enumerate(times):
            customer = _bisect(cumulative, rnd.random() * total_rate)
            terminal = rnd.choice(near[customer])
            amount = max(0.01, rnd.gauss(mean_amount[customer], mean_amount[customer] / 2))
            day = seconds // 86400
            fraud = 0
            b = bad_terminal.get(terminal)
            if b and b[0] <= day < b[1]:
                fraud = 1
            b = bad_customer.get(customer)
            if b and b[0] <= day < b[1] and rnd.random() < 1 / 3:
                fraud = 1
                amount *= 5
            when = start + timedelta(seconds=seconds)
            out.write(f"{i},{when:%Y-%m-%d %H:%M:%S},{customer},{terminal},{amount:.2f},{fraud}\n")


def _bisect(cumulative, x):
    lo, hi = 0, len(cumulative) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


if __name__ == "__main__":
    main()
