"""The set-based statements of one close day.

Each runs once over the whole book of the current schema (unqualified
names follow search_path). Parameters: ``day`` (the date closed),
``next_day`` (the new business date, from which days past due count),
``n30`` (the 30E/360 day count of [day, day + 1): 0 on a 31st, 2 or 3 at
the end of February, else 1), ``act_act`` (366 in a leap year, else 365),
the entry ids and the account ids.

A loan accrues for ``day`` when it was disbursed on or before it and
``day`` is before maturity; ``last_accrual_date`` makes the update skip a
loan already accrued for ``day``.
"""

# Numerator and denominator of one day's year fraction per day count. The
# division happens last so a true half cent rounds as the product's rule.
_DAY_NUMERATOR = """CASE {t}.day_count WHEN 'THIRTY_360' THEN %(n30)s ELSE 1 END"""
_DAY_DENOMINATOR = """CASE {t}.day_count
    WHEN 'ACT_360' THEN 360 WHEN 'THIRTY_360' THEN 360
    WHEN 'ACT_ACT' THEN %(act_act)s ELSE 365 END"""

_BUCKET = """CASE WHEN {d} = 0 THEN '0' WHEN {d} <= 30 THEN '1-30'
    WHEN {d} <= 60 THEN '31-60' WHEN {d} <= 90 THEN '61-90' ELSE '90+' END"""
_TIER = """CASE WHEN {d} = 0 THEN 'normal' WHEN {d} <= 90 THEN 'special_mention'
    WHEN {d} <= 270 THEN 'substandard' WHEN {d} <= 360 THEN 'doubtful'
    ELSE 'loss' END"""

ENTRY_INSERT = """
INSERT INTO ledger_journalentry (entry_date, kind, idempotency_key, memo, created_at)
VALUES (%(day)s, %(kind)s, %(key)s, 'daily close', now())
RETURNING id
"""

# Penalty interest on overdue principal, per instalment, after grace days.
PENALTY = f"""
WITH due AS (
    SELECT i.id, i.loan_id, round(
        (i.principal_due - i.principal_paid) * l.penalty_rate
        * {_DAY_NUMERATOR.format(t="l")} / {_DAY_DENOMINATOR.format(t="l")}, 2
    ) AS amount
    FROM loans_instalment i JOIN loans_loan l ON l.id = i.loan_id
    WHERE i.paid_off_on IS NULL
      AND i.due_date + l.grace_days < %(day)s
      AND i.principal_due > i.principal_paid
      AND l.status IN ('active', 'overdue') AND l.penalty_rate > 0
      AND l.last_accrual_date IS DISTINCT FROM %(day)s
), charged AS (
    UPDATE loans_instalment i SET penalty_due = i.penalty_due + due.amount
    FROM due WHERE i.id = due.id AND due.amount > 0
), per_loan AS (
    SELECT loan_id, sum(amount) AS amount FROM due WHERE amount > 0 GROUP BY loan_id
), loans AS (
    UPDATE loans_loan l SET penalty_outstanding = l.penalty_outstanding + p.amount
    FROM per_loan p WHERE l.id = p.loan_id
), lines AS (
    INSERT INTO ledger_journalline (entry_id, account_id, loan_id, debit, credit)
    SELECT %(entry)s, %(receivable)s, loan_id, amount, 0 FROM per_loan
    RETURNING debit
)
SELECT count(*), coalesce(sum(debit), 0) FROM lines
"""

# Per-instalment fees become income on the instalment's due date, once.
# An instalment without a scheduled fee is never marked (the late-fee pass
# marks it when it books a late fee), so the pass reads only fee rows.
FEE_RECOGNITION = """
WITH due AS (
    SELECT i.id, i.loan_id, i.fee_due AS amount
    FROM loans_instalment i JOIN loans_loan l ON l.id = i.loan_id
    WHERE i.fee_recognised_on IS NULL AND i.fee_due > 0
      AND i.due_date <= %(day)s AND i.number > 0
      AND l.status IN ('active', 'overdue')
), marked AS (
    UPDATE loans_instalment i SET fee_recognised_on = %(day)s
    FROM due WHERE i.id = due.id
), per_loan AS (
    SELECT loan_id, sum(amount) AS amount FROM due WHERE amount > 0 GROUP BY loan_id
), loans AS (
    UPDATE loans_loan l SET fee_outstanding = l.fee_outstanding + p.amount
    FROM per_loan p WHERE l.id = p.loan_id
), lines AS (
    INSERT INTO ledger_journalline (entry_id, account_id, loan_id, debit, credit)
    SELECT %(entry)s, %(receivable)s, loan_id, amount, 0 FROM per_loan
    RETURNING debit
)
SELECT count(*), coalesce(sum(debit), 0) FROM lines
"""

# The product's late fee, once per instalment still unpaid after grace days.
LATE_FEE = """
WITH due AS (
    SELECT i.id, i.loan_id, l.late_fee AS amount
    FROM loans_loan l JOIN loans_instalment i ON i.loan_id = l.id
    WHERE l.late_fee > 0 AND l.status IN ('active', 'overdue')
      AND i.paid_off_on IS NULL AND i.late_fee_charged_on IS NULL
      AND i.number > 0 AND i.due_date + l.grace_days < %(day)s
), charged AS (
    UPDATE loans_instalment i SET fee_due = i.fee_due + due.amount,
        late_fee_charged_on = %(day)s,
        fee_recognised_on = coalesce(i.fee_recognised_on, %(day)s)
    FROM due WHERE i.id = due.id
), per_loan AS (
    SELECT loan_id, sum(amount) AS amount FROM due GROUP BY loan_id
), loans AS (
    UPDATE loans_loan l SET fee_outstanding = l.fee_outstanding + p.amount
    FROM per_loan p WHERE l.id = p.loan_id
), lines AS (
    INSERT INTO ledger_journalline (entry_id, account_id, loan_id, debit, credit)
    SELECT %(entry)s, %(receivable)s, loan_id, amount, 0 FROM per_loan
    RETURNING debit
)
SELECT count(*), coalesce(sum(debit), 0) FROM lines
"""

# One pass over the book: the day's interest, days past due, bucket, tier,
# status and the provision the tier requires, returned for the journal.
# Contract interest accrues on the principal not yet due only: principal
# of an instalment fallen due earned its interest in that instalment, and
# once overdue it bears penalty interest instead (PENALTY), as the
# settlement quote counts it.
BOOK = f"""
WITH oldest AS (
    SELECT loan_id, min(due_date) AS due_date,
        sum(principal_due - principal_paid) AS principal_fallen_due
    FROM loans_instalment
    WHERE paid_off_on IS NULL AND due_date <= %(day)s GROUP BY loan_id
), rates AS (
    SELECT DISTINCT ON (classification) classification, rate
    FROM close_provisionrate WHERE effective_from <= %(day)s
    ORDER BY classification, effective_from DESC
), aged AS (
    SELECT l.id,
        CASE WHEN l.maturity_date > %(day)s THEN round(
            (l.principal_outstanding - coalesce(o.principal_fallen_due, 0))
            * l.annual_rate
            * {_DAY_NUMERATOR.format(t="l")} / {_DAY_DENOMINATOR.format(t="l")}, 2
        ) ELSE 0 END AS interest,
        coalesce(%(next_day)s - o.due_date, 0) AS dpd,
        l.principal_outstanding, l.provision_balance
    FROM loans_loan l LEFT JOIN oldest o ON o.loan_id = l.id
    WHERE l.status IN ('active', 'overdue') AND l.disbursed_on <= %(day)s
      AND (l.last_accrual_date IS NULL OR l.last_accrual_date < %(day)s)
), target AS (
    SELECT a.*, {_TIER.format(d="a.dpd")} AS tier FROM aged a
), book AS (
    SELECT t.*, round(t.principal_outstanding * r.rate, 2) - t.provision_balance
        AS provision_change
    FROM target t JOIN rates r ON r.classification = t.tier
), updated AS (
    UPDATE loans_loan l SET
        interest_accrued_unpaid = l.interest_accrued_unpaid + b.interest,
        last_accrual_date = %(day)s,
        dpd = b.dpd,
        overdue_since = CASE WHEN b.dpd > 0
            THEN coalesce(l.overdue_since, %(next_day)s) END,
        bucket = {_BUCKET.format(d="b.dpd")},
        classification = b.tier,
        status = CASE WHEN b.dpd > 0 THEN 'overdue' ELSE 'active' END,
        provision_balance = l.provision_balance + b.provision_change
    FROM book b WHERE l.id = b.id
    RETURNING l.id, b.interest, b.provision_change
), interest_lines AS (
    INSERT INTO ledger_journalline (entry_id, account_id, loan_id, debit, credit)
    SELECT %(interest_entry)s, %(interest_receivable)s, id, interest, 0
    FROM updated WHERE interest > 0
    RETURNING debit
), provision_lines AS (
    INSERT INTO ledger_journalline (entry_id, account_id, loan_id, debit, credit)
    SELECT %(provision_entry)s, %(provision)s, id,
        greatest(-provision_change, 0), greatest(provision_change, 0)
    FROM updated WHERE provision_change <> 0
    RETURNING debit, credit
)
SELECT (SELECT count(*) FROM updated),
    (SELECT coalesce(sum(debit), 0) FROM interest_lines),
    (SELECT coalesce(sum(credit) - sum(debit), 0) FROM provision_lines)
"""

# The other side of a day's entry: one line on the income/expense account.
BALANCING_LINE = """
INSERT INTO ledger_journalline (entry_id, account_id, loan_id, debit, credit)
VALUES (%(entry)s, %(account)s, NULL, %(debit)s, %(credit)s)
"""
