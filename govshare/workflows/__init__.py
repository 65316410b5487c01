"""Sharing workflows: applications and their deadlines, coordination, data-issue reports (R5, R6, R8)."""
