"""Sharing workflows: applications, coordination requests, data-issue reports and their events.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _request_columns() -> list[sa.Column[Any]]:
    """What a department asks for, in an application and in a coordination request alike."""
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("resource", sa.String(128), nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("purposes", sa.JSON, nullable=False),
        sa.Column("justification", sa.Text, nullable=False),
        sa.Column("scope", sa.JSON, nullable=True),
        sa.Column("valid_until", sa.Date, nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "applications",
        *_request_columns(),
        sa.Column("state", sa.String(16), nullable=False),
        _when("submitted_at", nullable=False),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("deadline_provisional", sa.Boolean, nullable=False),
        sa.Column("deadline_basis", sa.Text, nullable=False),
        _when("answered_at"),
        sa.Column("answered_by", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("working_days_taken", sa.Integer, nullable=True),
        sa.Column("late", sa.Boolean, nullable=True),
        sa.Column("grant_id", sa.Integer, sa.ForeignKey("grants.id"), nullable=True),
        _when("withdrawn_at"),
        sa.Column("withdrawn_by", sa.String(200), nullable=True),
        sa.Column("withdraw_reason", sa.Text, nullable=True),
    )
    op.create_index("ix_applications_department", "applications", ["department"])
    op.create_index("ix_applications_resource_state", "applications", ["resource", "state"])
    op.create_index("ix_applications_state_deadline", "applications", ["state", "deadline"])
    op.create_table(
        "coordinations",
        *_request_columns(),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), nullable=True, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        _when("requested_at", nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        _when("decided_at"),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("reasoning", sa.Text, nullable=True),
        sa.Column("grant_id", sa.Integer, sa.ForeignKey("grants.id"), nullable=True),
    )
    op.create_index("ix_coordinations_state", "coordinations", ["state"])
    op.create_index("ix_coordinations_department", "coordinations", ["department"])
    op.create_table(
        "data_issues",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("resource", sa.String(128), nullable=False),
        sa.Column("record_key", sa.String(256), nullable=False),
        sa.Column("item", sa.String(128), nullable=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _when("reported_at", nullable=False),
        sa.Column("reported_by", sa.String(200), nullable=False),
        _when("answered_at"),
        sa.Column("answered_by", sa.String(200), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("working_days_taken", sa.Integer, nullable=True),
    )
    op.create_index("ix_data_issues_resource_state", "data_issues", ["resource", "state"])
    op.create_index("ix_data_issues_department", "data_issues", ["department"])
    op.create_table(
        "workflow_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _when("at", nullable=False),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("user", sa.String(128), nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("target_id", sa.Integer, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_index("ix_workflow_events_target", "workflow_events", ["target", "target_id"])


def downgrade() -> None:
    for table in ("workflow_events", "data_issues", "coordinations", "applications"):
        op.drop_table(table)
