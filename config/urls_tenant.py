"""URLs of a lender's host ``<slug>.<BASE_DOMAIN>`` (tenant schema)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from billing import views as billing_views
from frontend import console_views as console
from frontend import invite_views, otp_views, views
from frontend import lending_views as lending
from frontend import settings_views as setup
from frontend.auth import LockoutAuthenticationForm

urlpatterns = [
    path("", include("apiv1.urls")),  # the tenant REST API at /api/v1/
    path("", views.tenant_home, name="tenant_home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LockoutAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/invite/<uidb64>/<token>/",
        invite_views.InviteAcceptView.as_view(),
        name="invite_accept",
    ),
    path("billing/", billing_views.tenant_billing, name="tenant_billing"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The lender's console (frontend/, docs/adr/0010-console.md).
    path("console/", console.dashboard, name="console_dashboard"),
    path(
        "console/security-review/",
        console.security_review_record,
        name="console_security_review",
    ),
    path("console/products/", console.product_list, name="console_products"),
    path(
        "console/products/<int:pk>/draft/",
        console.product_draft_new,
        name="console_product_draft",
    ),
    path(
        "console/products/versions/<int:pk>/",
        console.product_version,
        name="console_product_version",
    ),
    path(
        "console/products/versions/<int:pk>/<str:act>/",
        console.product_version_act,
        name="console_product_act",
    ),
    path("console/rules/", lending.ruleset_list, name="console_rules"),
    path("console/rules/<int:pk>/", lending.ruleset_version, name="console_ruleset"),
    path(
        "console/rules/<int:pk>/backtest/",
        lending.backtest_start,
        name="console_backtest_start",
    ),
    path(
        "console/rules/<int:pk>/<str:act>/",
        lending.ruleset_act,
        name="console_ruleset_act",
    ),
    path(
        "console/backtests/<int:pk>/", lending.backtest_detail, name="console_backtest"
    ),
    path(
        "console/backtests/<int:pk>/progress/",
        lending.backtest_progress,
        name="console_backtest_progress",
    ),
    path("console/review/", lending.review_list, name="console_review"),
    path(
        "console/review/<int:pk>/", lending.review_detail, name="console_review_detail"
    ),
    path(
        "console/review/<int:pk>/claim/",
        lending.review_claim,
        name="console_review_claim",
    ),
    path("console/loans/", lending.loan_list, name="console_loans"),
    path("console/loans/<int:pk>/", lending.loan_detail, name="console_loan"),
    path("console/audit/", console.audit_list, name="console_audit"),
    path("console/settings/staff/", setup.staff_list, name="console_staff"),
    path(
        "console/settings/staff/<int:pk>/",
        setup.staff_edit,
        name="console_staff_edit",
    ),
    path("console/settings/api-keys/", setup.api_keys, name="console_api_keys"),
    path(
        "console/settings/api-keys/<int:pk>/<str:act>/",
        setup.api_key_act,
        name="console_api_key_act",
    ),
    path("console/settings/webhooks/", setup.webhooks, name="console_webhooks"),
    path(
        "console/settings/webhooks/<int:pk>/delete/",
        setup.webhook_delete,
        name="console_webhook_delete",
    ),
    path("console/settings/connectors/", setup.connectors, name="console_connectors"),
    path("console/settings/spend/", setup.spend_list, name="console_spend"),
    path(
        "console/settings/two-factor/",
        otp_views.two_factor,
        name="console_two_factor",
    ),
    path(
        "console/settings/two-factor/disable/",
        otp_views.two_factor_disable,
        name="console_two_factor_disable",
    ),
    path(
        "console/settings/two-factor/staff/<int:pk>/remove/",
        otp_views.two_factor_remove,
        name="console_two_factor_remove",
    ),
]
