"""The run ledger: what hubload loaded, in a SQLite file or any SQLAlchemy URL (PostgreSQL)."""

from hubload.ledger.store import Ledger

__all__ = ["Ledger"]
