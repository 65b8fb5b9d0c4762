"""The tenant URLs plus the invitation route, until urls_tenant has it."""

from django.urls import path

from config.urls_tenant import urlpatterns as tenant_urlpatterns
from frontend.invite_views import InviteAcceptView

urlpatterns = [
    *tenant_urlpatterns,
    path(
        "accounts/invite/<uidb64>/<token>/",
        InviteAcceptView.as_view(),
        name="invite_accept",
    ),
]
