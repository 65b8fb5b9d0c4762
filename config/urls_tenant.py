"""URLs of a lender's host ``<slug>.<BASE_DOMAIN>`` (tenant schema)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from billing import views as billing_views
from frontend import invite_views, views

urlpatterns = [
    path("", include("apiv1.urls")),  # the tenant REST API at /api/v1/
    path("", views.tenant_home, name="tenant_home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/invite/<uidb64>/<token>/",
        invite_views.InviteAcceptView.as_view(),
        name="invite_accept",
    ),
    path("billing/", billing_views.tenant_billing, name="tenant_billing"),
]
