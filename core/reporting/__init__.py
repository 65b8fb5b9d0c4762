"""Figures the lender enters by hand for its reports: monthly operating
spend (staff cost, acquisition spend) that the ledger does not hold."""
