"""Configured collectors (sources), the history of their runs, and what they could not map."""
