"""Operations: the facts a technician watches (the outbox, SMS spend against the budgets,
inbound messages, job runs, leaders, the schema), computed in one place for the Prometheus
gauges and for `mic status`."""
