from django.urls import path

from privacy.views import consent, inventory, marketing, policies, tracking

app_name = "privacy"

urlpatterns = [
    path("what-we-collect/", inventory.what_we_collect, name="what_we_collect"),
    path("who-we-share-with/", inventory.who_we_share_with, name="who_we_share_with"),
    path("policy/", policies.current_policy, {"document": "privacy"}, name="policy"),
    path("policy/review/", policies.policy_review, name="policy_review"),
    path(
        "policy/<str:language>/<str:version>/",
        policies.policy_version,
        {"document": "privacy"},
        name="policy_version",
    ),
    path(
        "cookie-policy/",
        policies.current_policy,
        {"document": "cookies"},
        name="cookie_policy",
    ),
    path(
        "cookie-policy/<str:language>/<str:version>/",
        policies.policy_version,
        {"document": "cookies"},
        name="cookie_policy_version",
    ),
    path("cookies/", consent.cookie_settings, name="cookie_settings"),
    path("cookies/choose/", consent.consent_banner, name="consent_banner"),
    path("marketing/", marketing.marketing_preferences, name="marketing"),
    path(
        "marketing/confirm/<str:token>/",
        marketing.confirm_marketing_email,
        name="marketing_confirm",
    ),
    path("unsubscribe/<str:token>/", marketing.unsubscribe, name="unsubscribe"),
    path("sms/inbound/", marketing.sms_inbound, name="sms_inbound"),
    path("t/", tracking.track, name="track"),
]
