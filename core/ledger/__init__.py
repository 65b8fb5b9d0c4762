"""The ledger concept of the lending domain."""
