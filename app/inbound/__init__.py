"""Messages producers send in: inbound SMS, stored as they arrive, answered by app.commands, and
the answers queued in the outbox (app.alerts). It sits above both, so that neither needs the
other: app.commands reads what alerts say, app.alerts knows nothing of commands."""
