#!/usr/bin/env python3
"""The test broker's start-up (tests/integration/kafka_broker.py) under the two races seen on a
shared machine.

1. A KRaft cluster id is 16 random bytes in URL-safe base64; one in 64 starts with '-', which
   StorageTool reads as an option (`-t -xyz`: "expected one argument") and fails within a
   second. The random source here gives such bytes first: the broker must still start.
2. The ports are picked free (bind and close) and bound by the JVM seconds later; another
   program, another test's broker among them, may take one meanwhile. Broker B is given broker
   A's port first: B's JVM cannot bind it and exits, while A answers metadata requests on it.
   B must not take A's answer for its own readiness: it starts again on new ports, and its
   own process listens on the port it reports.

Asserts: A starts although its first cluster id began with '-'; B ends on another port than A,
after more than one attempt, listening in its own process.
"""
import base64
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import taxii_common as tc  # noqa: E402
import kafka_broker  # noqa: E402

T = tc.Tally()
check = T.check


class Taken(kafka_broker.Broker):
    """A broker whose first ports are given: the broker port of another broker."""

    def __init__(self, workdir, first):
        self.first = first
        super().__init__(workdir)

    def _ports(self):
        ports, self.first = self.first, None
        return ports or kafka_broker.free_ports(2)


def main():
    real = os.urandom
    draws = []

    def dashed_first(n):
        # 0xf8 encodes to '-' as the first base64url character.
        b = b"\xf8" + real(n - 1) if not draws else real(n)
        draws.append(base64.urlsafe_b64encode(b).decode()[0])
        return b

    with tempfile.TemporaryDirectory() as tmp:
        os.urandom = dashed_first
        try:
            a = kafka_broker.Broker(os.path.join(tmp, "a"))
            a.start()
        except kafka_broker.BrokerError as e:
            check(False, f"broker A starts: {str(e)[:600]}")
            a = None
        finally:
            os.urandom = real
        check(draws[:1] == ["-"], f"the first cluster id drawn began with '-': {draws}")
        if a:
            try:
                check(kafka_broker.owns_ports(a.p.pid, (a.port, a.controller)),
                      "A's process listens on its ports")
                b = Taken(os.path.join(tmp, "b"), [a.port, kafka_broker.free_port()])
                try:
                    b.start()
                    check(b.port != a.port, f"B does not take A's port for its own: {b.port}")
                    check(b.attempts > 1, f"B started again after its port was taken: "
                          f"{b.attempts} attempt(s)")
                    check(kafka_broker.owns_ports(b.p.pid, (b.port, b.controller)),
                          "B's process listens on the ports it reports")
                except kafka_broker.BrokerError as e:
                    check(False, f"broker B starts: {str(e)[:600]}")
                finally:
                    b.stop()
            finally:
                a.stop()
    T.done()


if __name__ == "__main__":
    main()
