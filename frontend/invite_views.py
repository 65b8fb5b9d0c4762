"""The first admin's one-time invitation (lender host).

The link carries Django's password-reset token for the invited user; it
stops working once the password is set, or after PASSWORD_RESET_TIMEOUT.
"""

from __future__ import annotations

from django.contrib.auth.views import PasswordResetConfirmView


class InviteAcceptView(PasswordResetConfirmView):
    template_name = "onboarding/invite_accept.html"
    success_url = "/accounts/login/"
    post_reset_login = False
