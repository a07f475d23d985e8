"""Fakes of the outside world (channels, gateways) that fail loudly on anything unexpected."""
