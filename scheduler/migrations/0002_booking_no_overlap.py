"""One visitor never holds two overlapping active bookings: on PostgreSQL an exclusion constraint
guards it, behind the check that `scheduler.services` makes under the visitor's row lock.
SQLite (the zero-setup demo) has no such constraint and relies on its single writer."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduler_booking ADD CONSTRAINT booking_no_overlap
    EXCLUDE USING gist (visitor_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status IN ('booked', 'checked_in'));
"""
DROP = "ALTER TABLE scheduler_booking DROP CONSTRAINT IF EXISTS booking_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("scheduler", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
