"""Text handling at the edge: normalisation, matching keys, SMS arithmetic, phone numbers,
locale formatting and uploaded CSV files."""
