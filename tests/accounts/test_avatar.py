"""A member's optional photo is stored without metadata, under a random name, for them alone."""

import io
import zlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageFile

from accounts.services import avatar
from tests.factories import make_member

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
MAKE, MODEL, ORIENTATION = 0x010F, 0x0110, 0x0112


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def image_bytes(fmt="JPEG", size=(1200, 800), mode="RGB", color=(200, 30, 40), **save_kwargs):
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format=fmt, **save_kwargs)
    return buffer.getvalue()


def camera_jpeg(size=(1200, 800)):
    """A JPEG as a phone writes it: camera make and model, GPS position, ICC profile."""
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif[MODEL] = "Pocket Camera 12"
    exif[GPS_IFD] = {1: "N", 2: (43.0, 14.0, 18.6), 3: "E", 4: (76.0, 53.0, 45.2)}
    return image_bytes(size=size, exif=exif.tobytes(), icc_profile=b"fake-icc-profile" * 8)


def noisy_jpeg():
    buffer = io.BytesIO()
    Image.effect_noise((300, 300), 50).convert("RGB").save(buffer, format="JPEG")
    return buffer.getvalue()


def png_claiming(width, height):
    """A one-pixel PNG whose header (with a valid checksum) claims width x height."""
    data = bytearray(image_bytes("PNG", size=(1, 1), mode="L", color=0))
    data[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored(user):
    user.refresh_from_db()
    with user.avatar.storage.open(user.avatar.name, "rb") as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
    return image


def test_camera_metadata_is_stripped_and_the_photo_downscaled(media_root):
    me = make_member()
    original = Image.open(io.BytesIO(camera_jpeg()))
    assert original.getexif()[MODEL] == "Pocket Camera 12"  # the fixture really carries it

    avatar.set_avatar(me, upload=upload(camera_jpeg()), actor=me)

    image = stored(me)
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(GPS_IFD) == {}
    assert "exif" not in image.info
    assert "icc_profile" not in image.info
    assert image.size == (512, 341)
    raw = (media_root / me.avatar.name).read_bytes()
    assert b"Pocket Camera" not in raw
    assert b"PhoneMaker" not in raw


def test_exif_orientation_is_applied_before_stripping():
    me = make_member()
    # Landscape pixels, red on the left and blue on the right, tagged orientation 6: the
    # camera was turned, so the upright picture is portrait with red on top.
    picture = Image.new("RGB", (400, 200), (0, 0, 255))
    picture.paste((255, 0, 0), (0, 0, 200, 200))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", exif=exif.tobytes())

    avatar.set_avatar(me, upload=upload(buffer.getvalue()), actor=me)

    image = stored(me).convert("RGB")
    assert image.size == (200, 400)
    top, bottom = image.getpixel((100, 50)), image.getpixel((100, 350))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60
    assert dict(image.getexif()) == {}


def test_png_with_transparency_stays_png_with_its_alpha():
    me = make_member()
    data = image_bytes("PNG", size=(64, 64), mode="RGBA", color=(10, 20, 30, 0))

    avatar.set_avatar(me, upload=upload(data, "pic.png", "image/png"), actor=me)

    image = stored(me)
    assert me.avatar.name.endswith(".png")
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0


def test_first_frame_of_a_gif_and_a_webp_are_accepted_as_jpeg():
    me = make_member()
    avatar.set_avatar(me, upload=upload(image_bytes("GIF", size=(40, 40)), "a.gif"), actor=me)
    assert stored(me).format == "JPEG"
    avatar.set_avatar(me, upload=upload(image_bytes("WEBP", size=(40, 40)), "a.webp"), actor=me)
    assert stored(me).format == "JPEG"


def test_stored_name_is_random_and_does_not_identify_the_member():
    me = make_member(email="aigerim.nurlanova@example.com", first_name="Aigerim")

    avatar.set_avatar(me, upload=upload(camera_jpeg(), "aigerim-nurlanova.jpg"), actor=me)

    me.refresh_from_db()
    name = me.avatar.name.lower()
    assert name.startswith("avatars/")
    for identifying in ("aigerim", "nurlanova", "example.com", "@", str(me.pk) + "."):
        assert identifying not in name


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"this is not a picture at all" * 10, "not_an_image"),
        (b"", "not_an_image"),
        (b"%PDF-1.7\n" + b"0" * 100, "not_an_image"),
        (noisy_jpeg()[:20_000], "damaged"),
        (image_bytes("BMP", size=(10, 10)), "not_an_image"),
    ],
    ids=["text", "empty", "pdf", "truncated-jpeg", "bmp"],
)
def test_bad_input_is_refused_and_the_old_photo_kept(data, code):
    me = make_member()
    avatar.set_avatar(me, upload=upload(image_bytes(size=(50, 50))), actor=me)
    me.refresh_from_db()
    before = me.avatar.name

    with pytest.raises(ValidationError) as refused:
        avatar.set_avatar(me, upload=upload(data, "photo.jpg"), actor=me)

    assert refused.value.code == code
    me.refresh_from_db()
    assert me.avatar.name == before
    assert me.avatar.storage.exists(before)


def test_files_over_the_size_limit_are_refused_before_decoding(settings):
    settings.ACCOUNTS_AVATAR_MAX_BYTES = 1000
    me = make_member()

    with pytest.raises(ValidationError) as refused:
        avatar.set_avatar(me, upload=upload(camera_jpeg()), actor=me)

    assert refused.value.code == "too_large"
    me.refresh_from_db()
    assert not me.avatar


@pytest.mark.parametrize("size", [(4097, 10), (10, 4097)])
def test_images_over_the_dimension_limit_are_refused(size):
    me = make_member()
    data = image_bytes("PNG", size=size, mode="L", color=0)

    with pytest.raises(ValidationError) as refused:
        avatar.set_avatar(me, upload=upload(data, "big.png"), actor=me)

    assert refused.value.code == "too_many_pixels"


@pytest.mark.parametrize("claimed", [(5000, 5000), (30000, 30000)])
def test_a_decompression_bomb_is_refused_without_loading_its_pixels(monkeypatch, claimed):
    me = make_member()
    bomb = upload(png_claiming(*claimed), "bomb.png")
    loads = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: loads.append(1))

    with pytest.raises(ValidationError) as refused:
        avatar.set_avatar(me, upload=bomb, actor=me)

    assert refused.value.code == "too_many_pixels"
    assert loads == []


def test_replacing_deletes_the_old_file_after_commit(django_capture_on_commit_callbacks):
    me = make_member()
    avatar.set_avatar(me, upload=upload(image_bytes(size=(50, 50))), actor=me)
    me.refresh_from_db()
    old_name = me.avatar.name
    storage = me.avatar.storage

    with django_capture_on_commit_callbacks() as callbacks:
        avatar.set_avatar(me, upload=upload(camera_jpeg()), actor=me)
    assert storage.exists(old_name)  # not before the transaction commits
    for callback in callbacks:
        callback()

    me.refresh_from_db()
    assert me.avatar.name != old_name
    assert not storage.exists(old_name)
    assert storage.exists(me.avatar.name)


def test_remove_deletes_the_file(django_capture_on_commit_callbacks):
    me = make_member()
    avatar.set_avatar(me, upload=upload(camera_jpeg()), actor=me)
    me.refresh_from_db()
    name = me.avatar.name

    with django_capture_on_commit_callbacks(execute=True):
        assert avatar.remove_avatar(me, actor=me) is True

    me.refresh_from_db()
    assert not me.avatar
    assert not me.avatar.storage.exists(name)
    assert avatar.remove_avatar(me, actor=me) is False  # twice is harmless


def test_only_the_member_may_set_their_photo():
    me, other = make_member(), make_member()

    with pytest.raises(PermissionDenied):
        avatar.set_avatar(me, upload=upload(camera_jpeg()), actor=other)
    with pytest.raises(PermissionDenied):
        avatar.remove_avatar(me, actor=other)


# --- Through the browser ----------------------------------------------------------------


def test_profile_shows_the_photo_card_with_an_upload_form(client):
    me = make_member()
    client.force_login(me)

    body = client.get(reverse("accounts:profile")).content.decode()

    assert "Photo" in body
    assert 'enctype="multipart/form-data"' in body
    assert 'accept="image/*"' in body
    assert "2.0\xa0MB" in body
    assert "Remove photo" not in body


def test_member_uploads_views_and_removes_their_photo(client, django_capture_on_commit_callbacks):
    me = make_member()
    client.force_login(me)

    response = client.post(reverse("accounts:avatar_upload"), {"photo": upload(camera_jpeg())})
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.avatar

    body = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("accounts:avatar_image") in body
    assert "Remove photo" in body
    assert me.avatar.name not in body  # the storage name is never shown

    image = client.get(reverse("accounts:avatar_image"))
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"
    assert "private" in image["Cache-Control"]
    assert Image.open(io.BytesIO(b"".join(image.streaming_content))).size == (512, 341)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:avatar_remove"))
    assert response.status_code == 302
    me.refresh_from_db()
    assert not me.avatar
    assert client.get(reverse("accounts:avatar_image")).status_code == 404


def test_a_refused_upload_shows_the_reason_beside_the_field(client):
    me = make_member()
    client.force_login(me)

    response = client.post(
        reverse("accounts:avatar_upload"), {"photo": upload(b"not an image" * 20, "x.jpg")}
    )

    assert response.status_code == 200
    assert "not a photo we can read" in response.content.decode()
    me.refresh_from_db()
    assert not me.avatar


def test_avatar_endpoints_accept_only_post(client):
    client.force_login(make_member())

    assert client.get(reverse("accounts:avatar_upload")).status_code == 405
    assert client.get(reverse("accounts:avatar_remove")).status_code == 405


def test_another_member_cannot_fetch_someone_elses_photo(client):
    owner, other = make_member(), make_member()
    avatar.set_avatar(owner, upload=upload(camera_jpeg()), actor=owner)
    client.force_login(other)

    response = client.get(reverse("accounts:member_avatar_image", args=[owner.pk]))

    assert response.status_code == 404


def test_staff_who_may_view_accounts_can_fetch_a_members_photo(client):
    owner = make_member()
    avatar.set_avatar(owner, upload=upload(camera_jpeg()), actor=owner)
    client.force_login(make_member(is_staff=True, is_superuser=True))

    response = client.get(reverse("accounts:member_avatar_image", args=[owner.pk]))

    assert response.status_code == 200
    assert "private" in response["Cache-Control"]


def test_visitors_are_sent_to_sign_in(client):
    owner = make_member()
    avatar.set_avatar(owner, upload=upload(camera_jpeg()), actor=owner)

    for url in (
        reverse("accounts:avatar_image"),
        reverse("accounts:member_avatar_image", args=[owner.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    response = client.post(reverse("accounts:avatar_upload"), {"photo": upload(camera_jpeg())})
    assert response["Location"].startswith(reverse("account_login"))
