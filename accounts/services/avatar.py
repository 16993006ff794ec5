"""A member's optional photo: accept it, strip it, store it, remove it.

An upload is never stored as sent. It is decoded with Pillow (JPEG, PNG, WebP, or the first
frame of a GIF), turned upright from its EXIF orientation, downscaled, and re-encoded from
pixel data alone into a new image, so nothing of the original file survives: no EXIF (GPS
position, camera make and model, capture time), no ICC profile, XMP or text chunks, and no
trailing bytes. Opaque images become JPEG, images with transparency PNG.

Limits are checked before the expensive work: the byte size before decoding, and the
dimensions from the header before the pixels are loaded, so a small file that claims to be
a huge image (a decompression bomb) is refused without allocating its pixels.

Transactions: the new file is written first, then the row is updated inside a transaction
that locks it; the file it replaces is deleted only after that transaction commits, so a
rollback never leaves a member pointing at a deleted file. Stored names are random
(``avatars/<uuid4 hex>.jpg``) and are never logged.
"""

import io
import logging
from dataclasses import dataclass
from functools import partial

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from accounts.app_settings import app_settings

logger = logging.getLogger(__name__)

# Pillow plugins allowed to open an upload; everything else is refused before decoding.
# Phones often write JPEGs that Pillow reads as MPO (JPEG plus extra frames): the first
# frame is an ordinary JPEG, so it is accepted like one.
DECODERS = ["JPEG", "PNG", "WEBP", "GIF"]
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF"}
JPEG_QUALITY = 85

ERRORS = {
    "too_large": _("The photo is too large. Choose a file of at most %(limit)s."),
    "not_an_image": _(
        "This file is not a photo we can read. Choose a JPEG, PNG, WebP or GIF image."
    ),
    "too_many_pixels": _(
        "The photo has too many pixels. Choose one at most %(limit)s pixels wide and high."
    ),
    "damaged": _("The photo could not be read; the file may be damaged or incomplete."),
}


@dataclass(frozen=True)
class EncodedAvatar:
    content: bytes
    extension: str  # "jpg" or "png"
    width: int
    height: int


def _error(code: str, **params) -> ValidationError:
    return ValidationError(ERRORS[code], code=code, params=params or None)


def _read_upload(upload) -> bytes:
    limit = app_settings.AVATAR_MAX_BYTES
    # Trust the declared size only to refuse early; read at most one byte past the limit in
    # case the declared size is wrong.
    if getattr(upload, "size", None) is not None and upload.size > limit:
        raise _error("too_large", limit=filesizeformat(limit))
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _error("too_large", limit=filesizeformat(limit))
    if not data:
        raise _error("not_an_image")
    return data


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        alpha = image.convert("RGBA").getchannel("A")
        lowest, _highest = alpha.getextrema()
        return lowest < 255
    return False


def encode_avatar(upload) -> EncodedAvatar:
    """Return the upload re-encoded as a metadata-free JPEG or PNG of at most AVATAR_SIZE.

    Raise ValidationError (code ``too_large``, ``not_an_image``, ``too_many_pixels`` or
    ``damaged``) when the upload is not an acceptable image. Nothing is stored.
    """
    data = _read_upload(upload)
    limit = app_settings.AVATAR_MAX_DIMENSION
    try:
        image = Image.open(io.BytesIO(data), formats=DECODERS)
    except Image.DecompressionBombError as exc:
        raise _error("too_many_pixels", limit=limit) from exc
    except Exception as exc:
        # Pillow raises many kinds of exception on hostile input; any of them means the
        # bytes are not an image we accept (django.forms.ImageField does the same).
        raise _error("not_an_image") from exc
    with image:
        if image.format not in ACCEPTED_FORMATS:
            raise _error("not_an_image")
        # The header's size, read before any pixel is decoded.
        width, height = image.size
        if width > limit or height > limit:
            raise _error("too_many_pixels", limit=limit)
        try:
            image.load()  # the first frame only, for GIF, WebP and MPO
            upright = ImageOps.exif_transpose(image)
            transparent = _has_transparency(upright)
            upright = upright.convert("RGBA" if transparent else "RGB")
            size = app_settings.AVATAR_SIZE
            upright.thumbnail((size, size), Image.Resampling.LANCZOS)
        except Exception as exc:
            raise _error("damaged") from exc
    # A new image built from raw pixels alone: no info, EXIF, ICC profile or XMP carries over.
    clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    buffer = io.BytesIO()
    if transparent:
        clean.save(buffer, format="PNG", optimize=True)
        extension = "png"
    else:
        clean.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        extension = "jpg"
    return EncodedAvatar(
        content=buffer.getvalue(), extension=extension, width=clean.width, height=clean.height
    )


def _avatar_storage():
    return get_user_model()._meta.get_field("avatar").storage


def set_avatar(user, *, upload, actor) -> None:
    """Replace the member's photo with a cleaned copy of ``upload``.

    Only the member may set their own photo (PermissionDenied otherwise). Bad input raises
    ValidationError (see ``encode_avatar``) and leaves the current photo untouched. The
    previous file, if any, is deleted from storage after the transaction commits.
    """
    if actor is None or actor.pk != user.pk:
        raise PermissionDenied
    encoded = encode_avatar(upload)
    storage = _avatar_storage()
    User = get_user_model()
    previous_in_memory = user.avatar.name
    # Written before the transaction: storage is not transactional, so when the update
    # fails the new file is deleted below rather than left behind. (If a caller's outer
    # transaction rolls back later, the new file is orphaned; it is never referenced.)
    user.avatar.save(f"avatar.{encoded.extension}", ContentFile(encoded.content), save=False)
    new_name = user.avatar.name
    try:
        with transaction.atomic():
            # Lock the row so that two uploads at once cannot both keep the same old name.
            old_name = (
                User.objects.select_for_update().values_list("avatar", flat=True).get(pk=user.pk)
            )
            User.objects.filter(pk=user.pk).update(avatar=new_name)
            if old_name and old_name != new_name:
                transaction.on_commit(partial(storage.delete, old_name))
    except BaseException:
        storage.delete(new_name)
        user.avatar = previous_in_memory
        raise
    logger.info("accounts.avatar_set user_id=%s actor_id=%s", user.pk, actor.pk)


def remove_avatar(user, *, actor) -> bool:
    """Remove the member's photo; return whether there was one.

    Deletes: the stored image file (after the transaction commits) and the reference on
    the user row. Keeps: nothing of the image. The member may remove their own photo and
    staff may remove anyone's (moderation); anyone else gets PermissionDenied.
    """
    if actor is None or not (actor.pk == user.pk or actor.is_staff):
        raise PermissionDenied
    storage = _avatar_storage()
    User = get_user_model()
    with transaction.atomic():
        old_name = User.objects.select_for_update().values_list("avatar", flat=True).get(pk=user.pk)
        if not old_name:
            user.avatar = ""
            return False
        User.objects.filter(pk=user.pk).update(avatar="")
        transaction.on_commit(partial(storage.delete, old_name))
    user.avatar = ""
    logger.info("accounts.avatar_removed user_id=%s actor_id=%s", user.pk, actor.pk)
    return True
