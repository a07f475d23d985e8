"""Text handling at the edge: normalisation, matching keys and SMS arithmetic."""
