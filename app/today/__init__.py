"""Today: what needs a staff member now, summed up across every domain of their countries."""
