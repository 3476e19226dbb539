"""A real Apache Kafka broker for the Kafka tests: one node in KRaft mode on loopback.

No Kafka package is in Debian, so the broker's jars come from Maven Central through
tests/kafka/pom.xml (`mvn dependency:copy-dependencies`), into $YG_BUILD_DIR/kafka/libs. A stamp
holding the POM's hash beside them makes a second run skip Maven altogether (no network, no
resolution), and a changed POM fetches again.

    with Broker(tmp) as b:          # formats the storage, starts, waits for readiness
        b.bootstrap                 # "127.0.0.1:PORT"
        b.create_topics(["raw"])    # b.partitions partitions each
        b.produce("raw", [("k1", "value1"), ...])   # kcat
        b.consume("alerts", ...)    # kcat, read_committed

Readiness is a metadata request answered (kcat -L), polled, never a fixed sleep, and both ports
listening in this broker's own process: the ports are picked free but bound by the JVM seconds
later, and another program (another test's broker among them) may take one meanwhile.  (The
controller's port cannot be 0: controller.quorum.voters names it before the start.  The
broker's is picked the same way, so that one retry covers both.) Then the
broker exits (its listener cannot bind), and it is started again on new ports; a broker of
someone else answering on the port is never taken for ours.
The JVM runs with a serial collector, C1 only and a 384 MB heap: a test broker, small and quick
to start (about 300 MB of RSS).
"""
import base64
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import time

SRC = os.environ.get("YG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("YG_BUILD_DIR", os.path.join(SRC, "build"))
POM = os.path.join(SRC, "tests", "kafka", "pom.xml")
# Tuned for a fast start in tests (C1 only, a small serial heap); YG_KAFKA_JVM_OPTS replaces them
# (bench/run_kafka_bench.sh runs the broker as production does: the JVM's own defaults and a 1 GiB
# heap, since a broker that never reaches its optimising compiler is no measure of throughput).
JVM_OPTS = (os.environ["YG_KAFKA_JVM_OPTS"].split() if os.environ.get("YG_KAFKA_JVM_OPTS")
            else ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx384m", "-Xss512k"])


class BrokerError(Exception):
    pass


class BrokerExited(BrokerError):
    pass


def jars():
    """The folder of the broker's jars, resolved once per POM.  Tests that start at the same
    time take turns (a file lock), so one fetches and the others find the jars in place."""
    os.makedirs(os.path.join(BUILD, "kafka"), exist_ok=True)
    with open(os.path.join(BUILD, "kafka", "libs.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _jars()


def _jars():
    libs = os.path.join(BUILD, "kafka", "libs")
    stamp = os.path.join(BUILD, "kafka", "libs.stamp")
    with open(POM, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    try:
        with open(stamp) as f:
            if f.read().strip() == digest and os.listdir(libs):
                return libs
    except OSError:
        pass
    shutil.rmtree(libs, ignore_errors=True)
    os.makedirs(libs)
    r = subprocess.run(["mvn", "-q", "-B", "-f", POM, "dependency:copy-dependencies",
                        "-DoutputDirectory=" + libs], capture_output=True, text=True)
    if r.returncode:
        raise BrokerError("mvn dependency:copy-dependencies failed:\n" + r.stdout[-2000:] +
                          r.stderr[-2000:])
    with open(stamp, "w") as f:
        f.write(digest + "\n")
    return libs


def free_ports(n):
    """n distinct free loopback ports (all held open while picking, so none repeats)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port():
    return free_ports(1)[0]


def cluster_id():
    """A KRaft cluster id: 16 random bytes in URL-safe base64 without padding, never starting
    with '-' (one id in 64 would: StorageTool then reads `-t -xyz` as an option and fails at
    once; Kafka's own Uuid.randomUuid() draws again for the same reason)."""
    while True:
        cid = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def listening_inodes(port):
    """Inodes of the loopback TCP sockets listening on port (/proc/net/tcp and tcp6)."""
    out = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    c = line.split()
                    # local address HEX:PORT, state 0A is LISTEN
                    if c[3] == "0A" and int(c[1].rsplit(":", 1)[1], 16) == port:
                        out.add(c[9])
        except OSError:
            pass
    return out


def owns_ports(pid, ports):
    """Whether process pid has a socket listening on every port of ports."""
    mine = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                mine.add(link[8:-1])
    except OSError:
        return False
    return all(listening_inodes(p) & mine for p in ports)


class Broker:
    def __init__(self, workdir, partitions=4):
        self.dir = os.path.join(workdir, "kafka")
        self.partitions = partitions
        self.port, self.controller = self._ports()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.p = None
        self.log = None

    @staticmethod
    def _ports():
        return free_ports(2)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _java(self, cls, args):
        return [os.environ.get("JAVA", "java")] + JVM_OPTS + [
            "-Dlog4j2.configurationFile=" + os.path.join(self.dir, "log4j2.properties"),
            "-cp", os.path.join(jars(), "*"), cls] + args

    def start(self, timeout=90, attempts=5):
        # The ports are picked free but bound by the JVM only later: another process may take
        # one meanwhile. A broker that exits during start-up is tried again on new ports.
        self.attempts = 0
        for attempt in range(attempts):
            self.attempts += 1
            try:
                return self._start(timeout)
            except BrokerExited:
                if attempt == attempts - 1:
                    raise
                self.port, self.controller = self._ports()
                self.bootstrap = f"127.0.0.1:{self.port}"
                shutil.rmtree(os.path.join(self.dir, "data"), ignore_errors=True)

    def _start(self, timeout):
        os.makedirs(self.dir, exist_ok=True)
        props = os.path.join(self.dir, "server.properties")
        with open(props, "w") as f:
            # A combined broker and controller; every internal topic has one replica (the
            # defaults of 3 would leave the group and transaction coordinators unavailable).
            f.write(f"""process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{self.controller}
listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller}
advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs={self.dir}/data
num.partitions={self.partitions}
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
transaction.abort.timed.out.transaction.cleanup.interval.ms=2000
""")
        with open(os.path.join(self.dir, "log4j2.properties"), "w") as f:
            f.write("rootLogger.level=WARN\nrootLogger.appenderRef.stderr.ref=STDERR\n"
                    "appender.stderr.type=Console\nappender.stderr.name=STDERR\n"
                    "appender.stderr.target=SYSTEM_ERR\nappender.stderr.layout.type=PatternLayout\n"
                    "appender.stderr.layout.pattern=[%d] %p %m (%c)%n\n")
        r = subprocess.run(self._java("kafka.tools.StorageTool",
                                      ["format", "-t", cluster_id(), "-c", props]),
                           capture_output=True, text=True)
        if r.returncode:
            raise BrokerError("StorageTool format failed:\n" + r.stdout[-2000:] + r.stderr[-2000:])
        self.log = open(os.path.join(self.dir, "broker.log"), "a")
        self.p = subprocess.Popen(self._java("kafka.Kafka", [props]), stdout=self.log,
                                  stderr=subprocess.STDOUT)
        end = time.time() + timeout
        while True:
            if self.p.poll() is not None:
                self.log.close()
                self.log = None
                raise BrokerExited(f"the broker exited with {self.p.returncode}:\n" +
                                   self.tail())
            r = subprocess.run(["kcat", "-b", self.bootstrap, "-L", "-m", "2"],
                               capture_output=True, text=True)
            # The answer must come from this process: until it has bound both ports, a
            # broker answering on them is someone else's (this one then fails to bind and
            # exits, above).
            if r.returncode == 0 and "broker 1 at" in r.stdout and \
                    owns_ports(self.p.pid, (self.port, self.controller)):
                return
            if time.time() > end:
                self.stop()
                raise BrokerError(f"the broker did not answer within {timeout} s:\n" + self.tail())
            time.sleep(0.2)

    def tail(self, n=3000):
        try:
            with open(os.path.join(self.dir, "broker.log"), errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def stop(self):
        if self.p and self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        if self.log:
            self.log.close()
            self.log = None

    def create_topics(self, topics, timeout=60):
        """Create the topics with self.partitions partitions each (tests/kafka/CreateTopics.java,
        Kafka's admin client; the broker only auto-creates on a produce, and a consumer that
        subscribes first would wait for its next metadata refresh)."""
        r = subprocess.run(self._java(os.path.join(SRC, "tests", "kafka", "CreateTopics.java"),
                                      [self.bootstrap, str(self.partitions)] + list(topics)),
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode:
            raise BrokerError("CreateTopics failed:\n" + r.stdout[-2000:] + r.stderr[-2000:])

    def produce(self, topic, records, partition=None):
        """records: (key, value) pairs; kcat hashes keys to partitions like any client."""
        data = "".join(f"{k}\x1f{v}\x1e" for k, v in records)
        args = ["kcat", "-b", self.bootstrap, "-P", "-t", topic, "-K", "\x1f", "-D", "\x1e"]
        if partition is not None:
            args += ["-p", str(partition)]
        r = subprocess.run(args, input=data.encode(), capture_output=True)
        if r.returncode:
            raise BrokerError(f"kcat -P {topic}: {r.stderr.decode()[-500:]}")

    def consume(self, topic, committed=True):
        """Every record of topic, read to its end: a list of (partition, offset, key, value);
        committed=False also gives the records of open and aborted transactions."""
        args = ["kcat", "-b", self.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
                "-J"]
        # librdkafka reads at read_committed by default: read_uncommitted must be asked for.
        args += ["-X", "isolation.level=" + ("read_committed" if committed else
                                              "read_uncommitted")]
        r = subprocess.run(args, capture_output=True, timeout=60)
        if r.returncode:
            raise BrokerError(f"kcat -C {topic}: {r.stderr.decode()[-500:]}")
        out = []
        for line in r.stdout.decode(errors="replace").splitlines():
            if line.strip():
                m = json.loads(line)
                out.append((m["partition"], m["offset"], m["key"] or "", m["payload"] or ""))
        return out
