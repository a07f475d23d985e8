"""Telling a channel that is down from a message that fails.

A gateway that is down fails every message sent to it. Were each failure the message's own,
every message would be retried on its own backoff, costing an attempt each time: a long outage
would use up attempts, and when the gateway came back the messages would trickle out whenever
their backoffs ended, an answer a producer is waiting for behind alerts due earlier. So when
messages fail one after another, the channel is held instead, as after a 429: nothing is sent
but a probe now and then, no message pays an attempt for it, and once the gateway answers,
everything is due at once and goes out in the dispatcher's order, answers first.
"""

from __future__ import annotations

from app.channels.base import ChannelError, ErrorKind


class OutageWatch:
    """One channel's failures in a row, in one dispatcher.

    `after` different messages failing transiently, with nothing sent between them, mean the
    channel is down: from then on each transient failure becomes UNAVAILABLE (hold the channel
    `probe_s`, attempt given back) until a message goes through. One message failing again and
    again never trips it, so a message the gateway cannot take still runs out of attempts.
    """

    def __init__(self, *, after: int, probe_s: float) -> None:
        self.after = after
        self.probe_s = probe_s
        # The messages failing since the last one went through, until they are enough: a
        # gateway down for days adds no more.
        self._failing: set[int] = set()
        self._failures = 0  # failures since the last message went through

    @property
    def down(self) -> bool:
        return len(self._failing) >= self.after

    def judge(self, delivery_id: int, error: ChannelError | None) -> ChannelError | None:
        """The error to record for this send (None: it went through)."""
        if error is None:
            self._failing.clear()
            self._failures = 0
            return None
        if error.kind is not ErrorKind.TRANSIENT:
            return error
        self._failures += 1
        if not self.down:
            self._failing.add(delivery_id)
        if not self.down:
            return error
        return ChannelError(
            ErrorKind.UNAVAILABLE,
            f"channel down ({self._failures} failures in a row): {error.reason}",
            retry_after=self.probe_s,
        )
