"""Dated platform policy (public schema): LPR history and pricing ceilings."""
