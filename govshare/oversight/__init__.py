"""Oversight of sharing (R9, R12): evaluation of departments, supervision signals and the yearly report."""
