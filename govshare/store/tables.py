"""The platform database's tables (SQLAlchemy Core). Migrations in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()


def _share_columns() -> list[Column[object]]:
    """Who and what (store.shares.Share without its bounds): in grants, applications and coordinations alike."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("department", String(64), nullable=False),  # the department the items are (to be) shared with
        Column("resource", String(128), nullable=False),
        Column("items", JSON, nullable=False),
        Column("purposes", JSON, nullable=False),
    ]


def _bounds() -> list[Column[object]]:
    """A share's row scope (the GraphQL filter language as JSON) and its last day."""
    return [Column("scope", JSON, nullable=True), Column("valid_until", Date, nullable=True)]


# Every catalog a gateway has served, so that tools and replays read the catalog in force.
catalog_versions = Table(
    "catalog_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("path", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("first_loaded_at", DateTime(timezone=True), nullable=True),  # migration 0007
    # The catalog in force is the one published last (migration 0009); a text never published has none.
    Column("published_seq", Integer, nullable=True),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Column("published_by", String(200), nullable=True),
    Index("catalog_versions_published_seq", "published_seq", unique=True),
)

# A provider's draft of a new resource or of a change to its own, until the authority publishes
# it (docs/catalog.md, "Drafts"). ``text`` is the resource's entry as YAML; "" removes the resource.
catalog_drafts = Table(
    "catalog_drafts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("department", String(64), nullable=False),
    Column("resource", String(128), nullable=False),
    Column("text", Text, nullable=False),
    Column("state", String(16), nullable=False),  # draft | submitted | returned | published | withdrawn
    Column("reasons", Text, nullable=True),
    Column("base_version", Integer, nullable=True),
    Column("published_version", Integer, nullable=True),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("reviewed_by", String(200), nullable=True),
    Column("reviewed_at", DateTime(timezone=True), nullable=True),
)

# Every change of the sharing policy creates a version; its full Casbin text is kept for replay.
policy_versions = Table(
    "policy_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("actor_department", String(64), nullable=False),
    Column("actor_user", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("catalog_digest", String(64), nullable=False),
    Column("policy_digest", String(64), nullable=False),
    Column("policy_text", Text, nullable=False),
)

# One row, updated by every policy change: serialises writers on every database.
policy_lock = Table(
    "policy_lock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("changes", Integer, nullable=False),
)

grants = Table(
    "grants",
    metadata,
    *_share_columns(),
    Column("effect", String(16), nullable=False),
    *_bounds(),
    # authority (a direct grant), application or coordination, with the id of that record
    Column("origin", String(16), nullable=False),
    Column("origin_id", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("reason", Text, nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_by", String(200), nullable=True),
    Column("revoke_reason", Text, nullable=True),
    Column("policy_version", Integer, ForeignKey("policy_versions.id"), nullable=True),
    Index("ix_grants_department", "department"),
    Index("ix_grants_resource", "resource"),
)


# The audit log (migrations 0002, 0004): append-only, enforced by triggers in the database.
audit_records = Table(
    "audit_records",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("department", String(64), nullable=True),
    Column("user", String(128), nullable=True),
    Column("roles", JSON, nullable=False),
    Column("purpose", String(64), nullable=True),
    Column("client", String(64), nullable=True),
    Column("operation_name", String(256), nullable=True),
    Column("query", Text, nullable=True),
    Column("variables", JSON, nullable=True),
    Column("policy_version", Integer, nullable=True),
    Column("decisions", JSON, nullable=False),
    Column("touched", Text, nullable=False),
    Column("sources", JSON, nullable=False),
    Column("outcome", String(24), nullable=False),
    Column("error_codes", JSON, nullable=False),
    Column("result_sha256", String(64), nullable=True),
    Column("result_key_id", String(32), nullable=True),  # null: a legacy plain SHA-256
    Column("duration_ms", Float, nullable=False),
    Column("detail", JSON, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_records_recorded_at", "recorded_at"),
    Index("ix_audit_records_department", "department"),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("head_seq", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("count", Integer, nullable=False),
    Column("signature", String(64), nullable=False),
)

audit_control = Table(
    "audit_control",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("head_seq", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("anchor_seq", Integer, nullable=False),
    Column("anchor_hash", String(64), nullable=False),
    Column("purge_before", DateTime(timezone=True), nullable=True),
)


# Sharing workflows (migration 0003). Items, purposes and scopes are stored as the caller
# wrote them; grants made by an approval or a coordination decision are linked by grant_id.
applications = Table(
    "applications",
    metadata,
    *_share_columns(),  # department: the applicant
    Column("justification", Text, nullable=False),
    *_bounds(),
    # submitted | approved | rejected | withdrawn; "overdue" is derived, never stored
    Column("state", String(16), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("submitted_by", String(200), nullable=False),
    Column("deadline", Date, nullable=False),
    Column("deadline_provisional", Boolean, nullable=False),
    Column("deadline_basis", Text, nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=True),
    Column("answered_by", String(200), nullable=True),
    Column("reason", Text, nullable=True),  # the rejection's reason or the approval's note
    Column("working_days_taken", Integer, nullable=True),
    Column("late", Boolean, nullable=True),
    Column("grant_id", Integer, ForeignKey("grants.id"), nullable=True),
    Column("withdrawn_at", DateTime(timezone=True), nullable=True),
    Column("withdrawn_by", String(200), nullable=True),
    Column("withdraw_reason", Text, nullable=True),
    Index("ix_applications_department", "department"),
    Index("ix_applications_resource_state", "resource", "state"),
    Index("ix_applications_state_deadline", "state", "deadline"),
)

coordinations = Table(
    "coordinations",
    metadata,
    *_share_columns(),  # department: the requesting department
    Column("justification", Text, nullable=False),
    *_bounds(),
    Column("application_id", Integer, ForeignKey("applications.id"), nullable=True, unique=True),
    Column("state", String(16), nullable=False),  # open | granted | refused
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decided_by", String(200), nullable=True),
    Column("reasoning", Text, nullable=True),
    Column("grant_id", Integer, ForeignKey("grants.id"), nullable=True),
    Index("ix_coordinations_state", "state"),
    Index("ix_coordinations_department", "department"),
)

data_issues = Table(
    "data_issues",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("department", String(64), nullable=False),  # the reporting department
    Column("resource", String(128), nullable=False),
    Column("record_key", String(256), nullable=False),
    Column("item", String(128), nullable=True),
    Column("description", Text, nullable=False),
    Column("state", String(16), nullable=False),  # open | corrected | not_an_error
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("reported_by", String(200), nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=True),
    Column("answered_by", String(200), nullable=True),
    Column("note", Text, nullable=True),
    Column("working_days_taken", Integer, nullable=True),
    Index("ix_data_issues_resource_state", "resource", "state"),
    Index("ix_data_issues_department", "department"),
)

# Every workflow step, kept so that the steps can be carried into the audit log.
workflow_events = Table(
    "workflow_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("department", String(64), nullable=False),
    Column("user", String(128), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("action", String(48), nullable=False),  # e.g. application.approved
    Column("target", String(16), nullable=False),  # application | coordination | data_issue
    Column("target_id", Integer, nullable=False),
    Column("details", JSON, nullable=False),
    Index("ix_workflow_events_target", "target", "target_id"),
)

# Verification checks made through each verify grant per day (China Standard Time), for its quota.
verify_checks = Table(
    "verify_checks",
    metadata,
    Column("grant_id", Integer, ForeignKey("grants.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("checks", Integer, nullable=False),
)

# Sharing statistics (migration 0006), rolled up from the audit log by audit.statistics: per China
# day and per month (span), counts of operations and of the items they decided. "" stands for no
# department or purpose.
stats_operations = Table(
    "stats_operations",
    metadata,
    Column("span", String(8), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("department", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("purpose", String(64), primary_key=True),
    Column("outcome", String(24), primary_key=True),
    Column("operations", BigInteger, nullable=False),
    Column("rows", BigInteger, nullable=False),
)
stats_items = Table(
    "stats_items",
    metadata,
    Column("span", String(8), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("department", String(64), primary_key=True),
    Column("provider", String(64), primary_key=True),
    Column("resource", String(64), primary_key=True),
    Column("item", String(64), primary_key=True),
    Column("purpose", String(64), primary_key=True),
    Column("effect", String(16), primary_key=True),
    Column("basis", String(32), primary_key=True),
    Column("outcome", String(24), primary_key=True),
    Column("operations", BigInteger, nullable=False),
)
stats_progress = Table(
    "stats_progress",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("last_seq", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


# The platform authority's acknowledgements of supervision signals (migration 0007), by signal key.
supervision_notes = Table(
    "supervision_notes",
    metadata,
    Column("signal", String(256), primary_key=True),
    Column("note", Text, nullable=False),
    Column("noted_at", DateTime(timezone=True), nullable=False),
    Column("noted_by", String(200), nullable=False),
)


# Bearer tokens refused before their expiry (migration 0008), by their "jti", until a moment (UTC).
revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("jti", String(255), primary_key=True),
    Column("revoked_until", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=False),
    Column("revoked_by", String(200), nullable=False),
    Column("reason", Text, nullable=True),
)
