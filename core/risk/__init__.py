"""Risk decisioning: features, the rule expression language, rule sets, backtests.

The modules here are plain Python and import no Django, so the rule engine
and its maths can be tested, benchmarked and reused by scripts on their own.
"""
