"""Producers: who they are, how to reach them (addresses), what they follow, and their consent."""
