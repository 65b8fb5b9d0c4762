"""URLs of the bare domain (public schema): the platform console."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from billing import views as billing_views
from frontend import otp_views, views
from frontend import platform_views as console
from frontend.auth import LockoutAuthenticationForm
from onboarding import views as onboarding_views

urlpatterns = [
    path("", include("apiv1.urls")),  # the tenant REST API at /api/v1/
    path("", views.platform_home, name="platform_home"),
    # Platform staff sign in with the same lockout as a lender's staff.
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LockoutAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Lender sign-up (public) and Stripe's webhook.
    path("signup/", onboarding_views.signup, name="onboarding_signup"),
    path("signup/api/", onboarding_views.signup_api, name="onboarding_signup_api"),
    path(
        "signup/status/<str:token>/",
        onboarding_views.status,
        name="onboarding_status",
    ),
    path(
        "billing/stripe/webhook/",
        billing_views.stripe_webhook,
        name="billing_stripe_webhook",
    ),
    # Platform console (platform staff only).
    path("platform/", console.tenant_list, name="platform_tenants"),
    path(
        "platform/tenants/<slug:slug>/",
        console.tenant_detail,
        name="platform_tenant_detail",
    ),
    path(
        "platform/tenants/<slug:slug>/dun/",
        console.tenant_dun,
        name="platform_tenant_dun",
    ),
    path(
        "platform/tenants/<slug:slug>/provision/",
        console.tenant_provision_retry,
        name="platform_tenant_provision_retry",
    ),
    path("platform/revenue/", console.revenue, name="platform_revenue"),
    path("platform/audit/", console.audit_log, name="platform_audit"),
    path(
        "platform/two-factor/",
        otp_views.platform_two_factor,
        name="platform_two_factor",
    ),
    path(
        "platform/two-factor/disable/",
        otp_views.platform_two_factor_disable,
        name="platform_two_factor_disable",
    ),
    path(
        "platform/invoices/<int:pk>/", console.invoice_detail, name="platform_invoice"
    ),
    path(
        "platform/invoices/<int:pk>/pdf/",
        console.invoice_download,
        name="platform_invoice_pdf",
    ),
    path(
        "platform/invoices/<int:pk>/payment/",
        console.invoice_payment,
        name="platform_invoice_payment",
    ),
    path(
        "platform/applications/",
        console.application_queue,
        name="platform_applications",
    ),
    path(
        "platform/applications/<uuid:public_id>/",
        console.application_detail,
        name="platform_application",
    ),
    path(
        "platform/applications/<uuid:public_id>/<str:decision>/",
        console.application_decide,
        name="platform_application_decide",
    ),
    path(
        "platform/applications/<uuid:public_id>/documents/<int:pk>/",
        console.application_document,
        name="platform_application_document",
    ),
]
