"""Alembic migrations of the service's schema (run by `quickassist.service.database.migrate`)."""
