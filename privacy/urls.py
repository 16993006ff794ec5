from django.urls import path

from privacy import policy_views, tracking_views, views, views_marketing

app_name = "privacy"

urlpatterns = [
    path("what-we-collect/", views.what_we_collect, name="what_we_collect"),
    path("who-we-share-with/", views.who_we_share_with, name="who_we_share_with"),
    path("policy/", policy_views.current_policy, {"document": "privacy"}, name="policy"),
    path("policy/review/", policy_views.policy_review, name="policy_review"),
    path(
        "policy/<str:language>/<str:version>/",
        policy_views.policy_version,
        {"document": "privacy"},
        name="policy_version",
    ),
    path(
        "cookie-policy/",
        policy_views.current_policy,
        {"document": "cookies"},
        name="cookie_policy",
    ),
    path(
        "cookie-policy/<str:language>/<str:version>/",
        policy_views.policy_version,
        {"document": "cookies"},
        name="cookie_policy_version",
    ),
    path("cookies/", views.cookie_settings, name="cookie_settings"),
    path("cookies/choose/", views.consent_banner, name="consent_banner"),
    path("marketing/", views_marketing.marketing_preferences, name="marketing"),
    path(
        "marketing/confirm/<str:token>/",
        views_marketing.confirm_marketing_email,
        name="marketing_confirm",
    ),
    path("unsubscribe/<str:token>/", views_marketing.unsubscribe, name="unsubscribe"),
    path("sms/inbound/", views_marketing.sms_inbound, name="sms_inbound"),
    path("t/", tracking_views.track, name="track"),
]
