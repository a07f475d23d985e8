from jobs.collectors.tables import TableMapping  # noqa
