from django.urls import path

from privacy.views import (
    center,
    consent,
    deletion,
    exports,
    inventory,
    marketing,
    policies,
    tracking,
    transparency,
)

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
    # The privacy center (privacy/views/center.py)
    path("center/", center.center, name="center"),
    path("requests/", center.request_list, name="request_list"),
    path("requests/<uuid:public_id>/", center.request_detail, name="request_detail"),
    path("requests/status/<str:token>/", center.request_status, name="request_status"),
    path(
        "requests/status/<str:token>/new-code/",
        center.request_status_resend,
        name="request_status_resend",
    ),
    path("contact/", center.contact, name="contact"),
    path("guardian/", center.guardian_report, name="guardian_report"),
    path("restriction/", center.restriction, name="restriction"),
    path("objection/", center.objection, name="objection"),
    path("rectification/", center.rectification, name="rectification"),
    # Download my data (privacy/views/exports.py)
    path("export/", exports.export_page, name="export"),
    path("export/<uuid:public_id>/status/", exports.export_status, name="export_status"),
    path("export/download/<str:token>/", exports.export_download, name="export_download"),
    # Public report of requests per year (privacy/views/transparency.py)
    path("transparency/", transparency.transparency, name="transparency"),
    # Account deletion (privacy/views/deletion.py)
    path("delete-account/", deletion.delete_account, name="delete_account"),
    path("delete-account/scheduled/", deletion.deletion_scheduled, name="deletion_scheduled"),
    path("delete-account/cancel/", deletion.cancel_deletion, name="cancel_deletion"),
    path(
        "delete-account/cancel/<str:token>/",
        deletion.cancel_deletion_link,
        name="cancel_deletion_link",
    ),
]
