"""Versioned policies: which version is current, how it reads, what changed, who accepted.

A document (privacy policy, cookie policy) has versions per language. Only published
versions are public; the *current* one is the latest published version whose
``effective_from`` has come, in the reader's language, falling back to English when that
language has none yet (G8, S11).

Texts are plain text typed by staff. :func:`render_text` and :func:`diff_html` escape
every character and build the few tags they need themselves, so nothing staff type is
ever interpreted as HTML. That is simpler and safer than storing sanitized HTML: no
sanitizer to configure or keep up to date, and the diff works on the same words people
read.

A *material* change asks signed-in members to review it once it is in effect, if they
joined before it was published and have not accepted it (or a later version) yet
(K9, M15). Members acknowledge it on the review page; until then every page sends them
there, except the policies, the privacy center and signing out.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from privacy.models import PolicyAcceptance, PolicyNotification, PolicyVersion

PRIVACY = PolicyVersion.Document.PRIVACY
COOKIES = PolicyVersion.Document.COOKIES
DOCUMENTS = (PRIVACY, COOKIES)
FALLBACK_LANGUAGE = "en"
MATERIAL_CHANGE_CACHE_KEY = "privacy:policies:latest-material-change"
MATERIAL_CHANGE_CACHE_SECONDS = 300

logger = logging.getLogger(__name__)


# --- Reading ------------------------------------------------------------------------------


def normalize_language(language: str | None) -> str:
    """Return one of ``settings.LANGUAGES``' codes for ``language`` (default: English)."""
    codes = [code for code, _name in settings.LANGUAGES]
    value = (language or "").lower()
    if value in codes:
        return value
    base = value.split("-")[0]
    if base in codes:
        return base
    return FALLBACK_LANGUAGE


def local_today() -> date:
    return timezone.localdate()


def published_versions(document: str, language: str) -> list[PolicyVersion]:
    """Return the published versions of ``document`` in ``language``, newest first."""
    return list(
        PolicyVersion.objects.filter(
            document=document, language=language, published_at__isnull=False
        ).order_by("-effective_from", "-published_at", "-pk")
    )


def _current_in(document: str, language: str, today: date) -> PolicyVersion | None:
    return (
        PolicyVersion.objects.filter(
            document=document,
            language=language,
            published_at__isnull=False,
            effective_from__lte=today,
        )
        .order_by("-effective_from", "-published_at", "-pk")
        .first()
    )


def current_version(
    document: str = PRIVACY, language: str | None = None, *, today: date | None = None
) -> PolicyVersion | None:
    """Return the version of ``document`` in force today in ``language``, else in English.

    ``language`` defaults to the active language.
    """
    today = today or local_today()
    language = normalize_language(language or translation.get_language())
    version = _current_in(document, language, today)
    if version is None and language != FALLBACK_LANGUAGE:
        version = _current_in(document, FALLBACK_LANGUAGE, today)
    return version


def current_version_label(document: str = PRIVACY, language: str | None = None) -> str:
    """Return the label of the current version (``""`` when none is published).

    For the consent ledger: pass it as ``policy_version`` to ``consent.record_choices``.
    """
    version = current_version(document, language)
    return version.version if version is not None else ""


def get_published(document: str, language: str, label: str) -> PolicyVersion | None:
    """Return one published version by its label, or None (drafts are never public)."""
    return PolicyVersion.objects.filter(
        document=document, language=language, version=label, published_at__isnull=False
    ).first()


def previous_version(version: PolicyVersion) -> PolicyVersion | None:
    """Return the published version of the same document and language before ``version``."""
    versions = published_versions(version.document, version.language)
    for index, candidate in enumerate(versions):
        if candidate.pk == version.pk:
            return versions[index + 1] if index + 1 < len(versions) else None
    return None


def document_path(document: str) -> str:
    """Return the public URL path of a document's current version."""
    return reverse("privacy:policy" if document == PRIVACY else "privacy:cookie_policy")


def version_path(version: PolicyVersion) -> str:
    """Return the public URL path of one version (it stays readable there for good)."""
    name = (
        "privacy:policy_version" if version.document == PRIVACY else "privacy:cookie_policy_version"
    )
    return reverse(name, kwargs={"language": version.language, "version": version.version})


def last_updated(version: PolicyVersion) -> date:
    """Return the date a version was last changed: the day it was published."""
    return timezone.localdate(version.published_at or version.created_at)


# --- Rendering ----------------------------------------------------------------------------

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_LIST_ITEM = re.compile(r"^\s*[-*]\s+")


def _blocks(text: str) -> list[str]:
    """Split plain text into blocks (paragraphs, headings, lists) at blank lines."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return [block.strip() for block in _BLANK_LINE.split(text) if block.strip()]


def _render_block(block: str) -> str:
    lines = block.split("\n")
    first = lines[0]
    for marker, tag in (("### ", "h3"), ("## ", "h2")):
        if first.startswith(marker):
            heading = format_html("<{}>{}</{}>", tag, first[len(marker) :].strip(), tag)
            rest = "\n".join(lines[1:]).strip()
            return heading + (_render_block(rest) if rest else "")
    if _LIST_ITEM.match(first):
        items: list[str] = []
        for line in lines:
            if _LIST_ITEM.match(line):
                items.append(_LIST_ITEM.sub("", line).strip())
            else:
                items[-1] = f"{items[-1]} {line.strip()}"
        return "<ul>" + "".join(format_html("<li>{}</li>", item) for item in items) + "</ul>"
    return format_html("<p>{}</p>", " ".join(line.strip() for line in lines))


def render_text(text: str) -> SafeString:
    """Return staff-typed plain text as HTML; every character of the text is escaped."""
    # Each part is built by format_html, which escapes its arguments.
    return mark_safe("".join(_render_block(block) for block in _blocks(text)))  # noqa: S308


_TOKENS = re.compile(r"\w+|\s+|[^\w\s]")


def _removed(text: str) -> str:
    return format_html('<del><span class="visually-hidden">[removed: </span>{}', text) + (
        '<span class="visually-hidden">]</span></del>'
    )


def _added(text: str) -> str:
    return format_html('<ins><span class="visually-hidden">[added: </span>{}', text) + (
        '<span class="visually-hidden">]</span></ins>'
    )


def _word_diff(old: str, new: str) -> str:
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    parts = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(escape("".join(b[j1:j2])))
            continue
        if i2 > i1:
            parts.append(_removed("".join(a[i1:i2])))
        if j2 > j1:
            parts.append(_added("".join(b[j1:j2])))
    return "".join(parts)


def _diff_row(kind: str, content: str) -> str:
    return format_html('<p class="diff-row diff-{}">{}</p>', kind, mark_safe(content))  # noqa: S308


@dataclass(frozen=True)
class Diff:
    html: SafeString
    added: int  # blocks added or changed
    removed: int  # blocks removed or changed

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def diff_html(old_text: str, new_text: str) -> Diff:
    """Compare two texts block by block, and word by word within changed blocks.

    The result shows the new text with removed words in ``<del>`` and added words in
    ``<ins>``, each also labelled in words for screen readers, so the change does not
    rely on colour. Every character of both texts is escaped.
    """
    a, b = _blocks(old_text), _blocks(new_text)
    rows: list[str] = []
    added = removed = 0
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(_diff_row("same", escape(block)) for block in b[j1:j2])
            continue
        old_blocks, new_blocks = a[i1:i2], b[j1:j2]
        for index in range(max(len(old_blocks), len(new_blocks))):
            old = old_blocks[index] if index < len(old_blocks) else None
            new = new_blocks[index] if index < len(new_blocks) else None
            if old is not None and new is not None:
                rows.append(_diff_row("changed", _word_diff(old, new)))
                added += 1
                removed += 1
            elif new is not None:
                rows.append(_diff_row("added", _added(new)))
                added += 1
            elif old is not None:
                rows.append(_diff_row("removed", _removed(old)))
                removed += 1
    return Diff(html=mark_safe("".join(rows)), added=added, removed=removed)  # noqa: S308


# --- Material changes and acceptance --------------------------------------------------------


@dataclass(frozen=True)
class Review:
    """A policy a member is asked to review: the version in force and the material change."""

    current: PolicyVersion
    change: PolicyVersion


def language_of(user) -> str:
    return normalize_language(getattr(user, "preferred_language", "") or translation.get_language())


def latest_material_change_at(*, today: date | None = None) -> datetime | None:
    """Return when the newest material change now in force was published (cached).

    The middleware asks this on every page view of a signed-in member; the answer
    changes only when a version is published or an effective date arrives.
    """
    today = today or local_today()
    key = f"{MATERIAL_CHANGE_CACHE_KEY}:{today.isoformat()}"
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    latest = (
        PolicyVersion.objects.filter(
            is_material=True, published_at__isnull=False, effective_from__lte=today
        )
        .order_by("-published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    cache.set(key, latest or "", MATERIAL_CHANGE_CACHE_SECONDS)
    return latest


def _forget_material_change_cache() -> None:
    cache.delete(f"{MATERIAL_CHANGE_CACHE_KEY}:{local_today().isoformat()}")


def pending_reviews(user, *, language: str | None = None) -> list[Review]:
    """Return the policies ``user`` must review: material changes in force since joining.

    A change counts when it was published after the member joined (who joined later
    accepted it at sign-up) and the member has not accepted that version or a later one
    of the same document.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    today = local_today()
    language = normalize_language(language) if language else language_of(user)
    reviews = []
    for document in DOCUMENTS:
        current = current_version(document, language, today=today)
        if current is None:
            continue
        change = (
            PolicyVersion.objects.filter(
                document=document,
                language=current.language,
                is_material=True,
                published_at__gt=user.date_joined,
                effective_from__lte=today,
            )
            .order_by("-effective_from", "-published_at", "-pk")
            .first()
        )
        if change is None:
            continue
        accepted = PolicyAcceptance.objects.filter(
            user=user,
            policy_version__document=document,
            policy_version__published_at__gte=change.published_at,
        ).exists()
        if not accepted:
            reviews.append(Review(current=current, change=change))
    return reviews


def accept_versions(user, versions: Iterable[PolicyVersion], *, source: str) -> list:
    """Record that ``user`` accepted each published version (once per version)."""
    created = []
    with transaction.atomic():
        for version in versions:
            if not version.is_published:
                raise ValueError("Only a published policy version can be accepted.")
            exists = PolicyAcceptance.objects.filter(user=user, policy_version=version).exists()
            if not exists:
                created.append(
                    PolicyAcceptance.objects.create(
                        user=user, policy_version=version, source=source
                    )
                )
    return created


def record_signup_acceptance(user, *, language: str | None = None) -> PolicyVersion | None:
    """Record the privacy policy version the new member accepted by signing up (G4)."""
    version = current_version(PRIVACY, language or language_of(user))
    if version is not None:
        accept_versions(user, [version], source=PolicyAcceptance.Source.SIGNUP)
    return version


# --- Publishing -----------------------------------------------------------------------------


def languages_behind(version: PolicyVersion, *, include_drafts: bool = False) -> list[str]:
    """Return the target languages whose readers would not get ``version``'s change.

    Members are told about a material change in the language they read
    (:func:`privacy.services.policy_notifications.recipients`): readers of a language that
    has its own versions read the latest of those; the others read the English one. A
    language is behind when what its readers have of the same document takes effect
    before ``version`` (or there is nothing at all). Only published versions count, or
    drafts too with ``include_drafts`` (while staff are still preparing translations).
    Codes come in ``settings.LANGUAGES`` order, ``version``'s own language left out.
    """
    from django.db.models import Max

    versions = PolicyVersion.objects.filter(document=version.document)
    if not include_drafts:
        versions = versions.filter(published_at__isnull=False)
    latest = dict(
        versions.values("language")
        .annotate(latest=Max("effective_from"))
        .values_list("language", "latest")
    )
    behind = []
    for code, _name in settings.LANGUAGES:
        if code == version.language:
            continue
        reading = latest.get(code) or latest.get(FALLBACK_LANGUAGE)
        if reading is None or reading < version.effective_from:
            behind.append(code)
    return behind


def publish_version(version: PolicyVersion, *, actor, now: datetime | None = None) -> bool:
    """Publish ``version``: make it public and, if material, email every member.

    Returns False when it was already published (nothing changes: publishing twice
    neither moves the date nor emails anyone again). The emails are queued by a worker
    after the transaction commits; progress is kept in a ``PolicyNotification`` row.
    """
    from privacy.tasks import notify_policy_change

    now = now or timezone.now()
    with transaction.atomic():
        updated = PolicyVersion.objects.filter(pk=version.pk, published_at__isnull=True).update(
            published_at=now
        )
        if not updated:
            return False
        version.published_at = now
        if version.is_material:
            PolicyNotification.objects.get_or_create(policy_version=version)
            transaction.on_commit(lambda: notify_policy_change.delay(version.pk))
        transaction.on_commit(_forget_material_change_cache)
    logger.info(
        "privacy.policy_published version_id=%s material=%s actor_id=%s",
        version.pk,
        version.is_material,
        getattr(actor, "pk", None),
    )
    return True
