"""Refuse, at commit, any journal entry whose debits differ from its credits.

The function names no schema: it reads the table of the schema that fired
it (TG_TABLE_SCHEMA), so it keeps working in schemas cloned from the
template and renamed. Deferred firing lets a service insert an entry's
lines one by one; the check sees the final state at commit.

Checking once per entry, not once per line: lines of one entry queue
together, and the last entry checked in the current statement is kept in a
transaction-local setting, so a close posting a million lines to one entry
sums them once rather than a million times.
"""

from django.db import migrations

CREATE = r"""
CREATE FUNCTION ledger_journal_balance_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_entry bigint;
    v_marker text;
    v_difference numeric;
BEGIN
    IF TG_OP = 'DELETE' THEN
        v_entry := OLD.entry_id;
    ELSE
        v_entry := NEW.entry_id;
    END IF;
    v_marker := statement_timestamp()::text || '/' || v_entry::text;
    IF current_setting('jinqiao.ledger_checked', true) = v_marker THEN
        RETURN NULL;
    END IF;
    EXECUTE format(
        'SELECT COALESCE(SUM(debit) - SUM(credit), 0) FROM %I.ledger_journalline'
        ' WHERE entry_id = $1', TG_TABLE_SCHEMA
    ) INTO v_difference USING v_entry;
    IF v_difference <> 0 THEN
        RAISE EXCEPTION 'journal entry % is unbalanced: debits - credits = %',
            v_entry, v_difference
            USING ERRCODE = 'check_violation';
    END IF;
    PERFORM set_config('jinqiao.ledger_checked', v_marker, true);
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER ledger_journal_balanced
    AFTER INSERT OR UPDATE OR DELETE ON ledger_journalline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_journal_balance_check();
"""

DROP = r"""
DROP TRIGGER IF EXISTS ledger_journal_balanced ON ledger_journalline;
DROP FUNCTION IF EXISTS ledger_journal_balance_check();
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
