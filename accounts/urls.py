from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("language/", views.set_language, name="set_language"),
    path("avatar/", views.upload_avatar, name="avatar_upload"),
    path("avatar/remove/", views.remove_avatar, name="avatar_remove"),
    path("avatar/image/", views.avatar_image, name="avatar_image"),
    path("avatar/image/<int:user_id>/", views.avatar_image, name="member_avatar_image"),
    path("devices/<int:session_id>/end/", views.end_session, name="end_session"),
]
