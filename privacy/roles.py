"""Staff roles: the permission groups the privacy work needs, defined in code.

- **Privacy officer** works the request queue (verify, approve, reject, complete, extend),
  sees the audit log and can verify it, keeps the breach register, the consent ledger,
  exports, disclosures and the rest of the privacy app; may view members, their email
  addresses and bookings (not change them: changing accounts is an administrator's job).
- **Support** sees a member's account, contact addresses and bookings, and nothing of the
  privacy app: no requests, exports, consent ledger or audit log.

Migration ``privacy.0009`` creates the groups, and every ``migrate`` (``post_migrate``)
gives them any permission of their definition they lack, so a model added later is covered
without a new data migration. Permissions an operator added to a group by hand are kept
(nothing is ever taken away automatically); to give a role less, make another group.
"""

from __future__ import annotations

from django.db.models import Q

PRIVACY_OFFICER = "Privacy officer"
SUPPORT = "Support"

# Each role: every permission of these apps, plus these (app_label, codename) pairs.
ROLES: dict[str, dict] = {
    PRIVACY_OFFICER: {
        "apps": ["privacy"],
        "permissions": [
            ("accounts", "view_user"),
            ("account", "view_emailaddress"),
            ("cinema", "view_booking"),
        ],
    },
    SUPPORT: {
        "apps": [],
        "permissions": [
            ("accounts", "view_user"),
            ("account", "view_emailaddress"),
            ("cinema", "view_booking"),
        ],
    },
}
APPS = {"privacy", "accounts", "account", "cinema"}


def sync_roles(apps, *, using: str = "default") -> None:
    """Create the roles and give each one every permission of its definition (idempotent).

    Only adds: permissions given to a role by hand stay.

    ``apps`` is an app registry: the historical one in a migration, ``django.apps.apps``
    otherwise. Permissions are created first, since on a fresh database they are usually
    made only after all migrations ran.
    """
    from django.contrib.auth.management import create_permissions

    for label in sorted(APPS):
        try:
            app_config = apps.get_app_config(label)
        except LookupError:
            continue
        # Historical app configs have no models module; create_permissions skips those.
        had_module = getattr(app_config, "models_module", None)
        app_config.models_module = had_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0, using=using)
        finally:
            app_config.models_module = had_module

    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.add(*role_permissions(apps, name, using=using))


def role_permissions(apps, name: str, *, using: str = "default"):
    """The permissions role ``name`` is defined to have (a queryset), and no others."""
    spec = ROLES[name]
    wanted = Q(content_type__app_label__in=spec["apps"])
    for app_label, codename in spec["permissions"]:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    return apps.get_model("auth", "Permission").objects.using(using).filter(wanted)


def remove_roles(apps, *, using: str = "default") -> None:
    """Delete the two groups (the reverse of migration ``privacy.0009``)."""
    Group = apps.get_model("auth", "Group")
    Group.objects.using(using).filter(name__in=list(ROLES)).delete()


def sync_roles_after_migrate(sender, *, using: str = "default", apps=None, **kwargs) -> None:
    """``post_migrate`` receiver: bring the roles up to date with this definition.

    Does nothing while migration ``privacy.0009`` (which introduces the roles) is not
    applied, so that migrating back before it really removes them.
    """
    from django.apps import apps as global_apps
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    applied = MigrationRecorder(connections[using]).applied_migrations()
    if ("privacy", "0009_staff_roles") not in applied:
        return
    sync_roles(apps or global_apps, using=using)
