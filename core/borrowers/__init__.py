"""Borrowers: individuals and small businesses a tenant lends to."""
