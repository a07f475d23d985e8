"""SMS in both directions: gateways (Kannel, Android SMS Gateway, Twilio-style, console) and
their webhooks."""
