"""What a borrower may consent to. Plain Python: imports no Django.

PIPL asks for a consent per processing purpose. A credit-report consent
(征信查询授权) is what allows a bureau query: without one the bureau is
not asked (``core.risk.collect``).
"""

CREDIT_REPORT = "credit_report"
CONSENT_PURPOSES = (
    CREDIT_REPORT,
    "personal_information",
    "identity_verification",
    "bank_statement",
    "marketing",
)
