# Staff roles (Privacy officer, Support), the audit chain's head row, and on PostgreSQL
# the triggers that make the audit log append-only.

from django.db import migrations

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION privacy_audit_append_only() RETURNS trigger AS $$
BEGIN
    -- Only privacy.services.audit.prune_before() sets this, inside its own transaction.
    IF current_setting('marquee.audit_prune', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS privacy_auditentry_append_only ON privacy_auditentry;
CREATE TRIGGER privacy_auditentry_append_only
    BEFORE UPDATE OR DELETE ON privacy_auditentry
    FOR EACH ROW EXECUTE FUNCTION privacy_audit_append_only();

-- The head moves on every append (UPDATE), but is never deleted.
DROP TRIGGER IF EXISTS privacy_auditchainhead_keep ON privacy_auditchainhead;
CREATE TRIGGER privacy_auditchainhead_keep
    BEFORE DELETE ON privacy_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION privacy_audit_append_only();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS privacy_auditentry_append_only ON privacy_auditentry;
DROP TRIGGER IF EXISTS privacy_auditchainhead_keep ON privacy_auditchainhead;
DROP FUNCTION IF EXISTS privacy_audit_append_only();
"""


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


def create_chain_head(apps, schema_editor):
    AuditChainHead = apps.get_model("privacy", "AuditChainHead")
    AuditChainHead.objects.using(schema_editor.connection.alias).get_or_create(pk=1)


def create_roles(apps, schema_editor):
    from privacy import roles

    roles.sync_roles(apps, using=schema_editor.connection.alias)


def remove_roles(apps, schema_editor):
    from privacy import roles

    roles.remove_roles(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ('privacy', '0008_requests_exports_audit'),
        ('accounts', '0003_known_device'),
        ('cinema', '0002_cinema_domain'),
        ('account', '0009_emailaddress_unique_primary_email'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.RunPython(create_chain_head, migrations.RunPython.noop),
        migrations.RunPython(add_triggers, drop_triggers),
        migrations.RunPython(create_roles, remove_roles),
    ]
