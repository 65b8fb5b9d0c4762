"""The tenant URLs plus the routes this issue adds, until urls_tenant has them."""

from django.urls import path

from billing.views import tenant_billing
from config.urls_tenant import urlpatterns as tenant_urlpatterns
from frontend.invite_views import InviteAcceptView

urlpatterns = [
    *tenant_urlpatterns,
    path(
        "accounts/invite/<uidb64>/<token>/",
        InviteAcceptView.as_view(),
        name="invite_accept",
    ),
    path("billing/", tenant_billing, name="tenant_billing"),
]
