"""Money maths of the lending core: plain Python, no Django.

Schedules, day counts, rounding, annualised rate, repayment allocation and
early settlement. Import from the submodules, e.g.
``from core.pricing.schedule import LoanTerms, build_schedule``.
"""
