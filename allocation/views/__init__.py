"""Pages of the allocation app, one module per part of the console (dashboard, batches,
courses and rosters, leave and cover, mentors), the instructor's pages and the trainer
assignment pages. ``allocation.urls`` maps them to URLs."""
