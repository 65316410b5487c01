"""The demo world: Kaifeng's departments with generated data and their resource catalog."""

from govshare.demo.catalog import credit_source, demo_catalog
from govshare.demo.examples import Example, example_queries
from govshare.demo.world import DEFAULT_SEED, generate_world, read_marker

__all__ = [
    "DEFAULT_SEED",
    "Example",
    "credit_source",
    "demo_catalog",
    "example_queries",
    "generate_world",
    "read_marker",
]
