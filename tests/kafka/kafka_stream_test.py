#!/usr/bin/env python3
"""`pixguard run` between Kafka topics, checked with kcat as the independent client.

Scenarios (one ctest entry each):
  end_to_end  kcat produces a generated stream (valid, invalid and duplicate messages, keyed
              by payer) to the development cluster; `run --stop-at-end` scores it into the
              scored, alerts and dead-letter topics; kcat reads them back. They must hold the
              same records as a run of the same stream from a file, every message with its
              instance/run/epoch headers, every (run, epoch) a committed one.
  crash       the same while the stream is still arriving, with kill -9 at random instants
              and a restart each time until the job is done. The messages of committed
              transactions (by the commit log, against the headers) must equal the
              uninterrupted run's records exactly, as a multiset; the others are those of
              aborted transactions, which a real broker hides from read_committed consumers
              (the mock cluster does not, so this is checked through the headers).

  instances   three members of one consumer group share a six-partition input while the
              stream arrives: they join one by one, one leaves (SIGTERM), one is killed -9
              and restarted. Their committed outputs together, and their accountings summed,
              must equal those of one member reading the same topic alone: each partition's
              state moved with it, and payee features are exact across the members
              (`state.payees: repartition`: the payee histories live with the partitions
              of a payee topic, which move with their state too).
  payees      one member reads an eight-partition input keyed by payer, payee histories
              shared by the partitions (the default): the payee rules fire (a mule's payers
              are spread over partitions) more than with histories per partition, and 1 or 3
              workers, and fetches of 4 KB instead of 1 MB per partition (another
              interleaving of the partitions on arrival), give the same records.

  large_dead_letter  a 1.5 MB message (above the producer's 1 MB message.max.bytes) among
              valid ones: its dead letter carries a bounded prefix, its length and content
              hash, fits the producer's limit, and the epoch commits (a dead letter holding
              the whole message would fail every epoch, and every restart, on that input).

  lists       a running job with a block list of payee keys (`lists:`) and a rule on it: a key
              added through POST /api/lists/{name} blocks that key's transfers from the
              next batch on, written in either case and padded (input.normalize), and
              DELETE lifts it; the journal (the audit log) names who changed what, when,
              before and after.

In end_to_end and crash the input topic has one partition, so that the order of arrival, on
which late flags and features depend, is the file's order (state is kept per partition).
"""
import collections
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402
from harness import check, fail, run  # noqa: E402

TOPICS = "pix.transactions:1,pix.scored:8,pix.alerts:4,pix.dead_letter:2"
OUTPUTS = {"scored": "pix.scored", "alerts": "pix.alerts", "dead_letter": "pix.dead_letter"}
# A member killed without leaving the group holds its partitions until the session times
# out. The mock broker answers a fetch that found nothing only after fetch.wait.max.ms (500
# by default) even if data arrives meanwhile, which would bunch the input into half-second
# lumps; a real broker answers at once.
GROUP_PROPERTIES = {"session.timeout.ms": "3000", "heartbeat.interval.ms": "500", "fetch.wait.max.ms": "10"}


def start_cluster(pg, tmp, topics=TOPICS):
    log = open(os.path.join(tmp, "cluster.log"), "wb")
    cluster = subprocess.Popen([pg, "kafka", "--port", "0", "--topics", topics], stdout=subprocess.PIPE, stderr=log)
    line = cluster.stdout.readline().decode()
    check(line.startswith("bootstrap: "), f"no bootstrap line from pixguard kafka: {line!r}")
    return cluster, line.split(" ", 1)[1].strip()


def terminate(proc, timeout=20):
    """SIGTERM, then kill if it has not exited within `timeout` seconds."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def configs(src, tmp, bootstrap, stream):
    """(kafka config, file config): the shipped default reading Kafka or `stream`, outputs apart."""
    props = "".join(f"    {k}: \"{v}\"\n" for k, v in GROUP_PROPERTIES.items())
    kafka_extra = f"\nkafka:\n  bootstrap_servers: {bootstrap}\n  consumer_properties:\n{props}"
    out = []
    for name, source, extra in (("kafka", "  type: kafka\n", kafka_extra),
                                ("file", f"  type: file\n  path: {stream}\n  format: jsonl\n", "")):
        cfg = harness.small_config(src, tmp, 1, interval="200ms", name=f"{name}.yaml", out=f"{tmp}/{name}", extra=extra)
        text = open(cfg, encoding="utf-8").read()
        start, end = text.index("\nsource:\n"), text.index("\ninput:\n")
        open(cfg, "w", encoding="utf-8").write(text[:start] + "\nsource:\n" + source + text[end:])
        out.append(cfg)
    return out


def generate(pg, tmp, count):
    stream = os.path.join(tmp, "stream.jsonl")
    run([pg, "generate", "-n", str(count), "--seed", "7", "--payers", "800", "--payees", "1500", "--days", "1",
         "--invalid-share", "0.01", "--duplicate-share", "0.01", "-o", stream, "-q"])
    with open(stream, "rb") as f:
        lines = f.read().splitlines()
    check(len(lines) == count, f"generated {len(lines)} lines")
    return stream, lines


def keyed(line):
    """kcat -K'\\t' input: the payer account as key (none for messages without one), a tab, the value."""
    m = re.search(rb'"payer":\{"account":"([0-9]+)"', line)
    return (m.group(1) if m else b"") + b"\t" + line + b"\n"


def produce(bootstrap, lines):
    p = subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", "pix.transactions", "-K\t", "-X", "linger.ms=5"],
                       input=b"".join(keyed(l) for l in lines), capture_output=True, timeout=120)
    check(p.returncode == 0, f"kcat produce: {p.stderr.decode(errors='replace')}")


def consume(bootstrap, topic):
    """Every message of `topic`: (headers dict, value bytes)."""
    p = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
                        "-f", "%h\t%s\n"], capture_output=True, timeout=120)
    check(p.returncode == 0, f"kcat consume {topic}: {p.stderr.decode(errors='replace')}")
    out = []
    for line in p.stdout.splitlines():
        headers, value = line.split(b"\t", 1)
        out.append((dict(h.split("=", 1) for h in headers.decode().split(",") if h), value))
    return out


def comparable(kind, value):
    """A record as compared across sources: a dead letter names its source and position
    (file line or Kafka offset), which differ between the runs by design."""
    if kind != "dead_letter":
        return value
    record = json.loads(value)
    record.pop("source")
    record.pop("position")
    return json.dumps(record, sort_keys=True).encode()


def reference(pg, file_cfg, count):
    acc = json.loads(run([pg, "run", "--config", file_cfg, "--json", "-q"]).stdout)
    check(acc["in"] == count and acc["balanced"], f"reference run: {acc}")
    check(acc["dead_letters"] > 0 and acc["duplicates"] > 0 and acc["decisions"]["allow"] < acc["scored"],
          f"the stream lacks dead letters, duplicates or alerts: {acc}")
    want = {kind: collections.Counter(comparable(kind, v) for v in harness.raw_lines(
        os.path.join(os.path.dirname(file_cfg), "file", kind, "part-*.jsonl"))) for kind in OUTPUTS}
    return acc, want


def commit_log(checkpoints, instance="1"):
    with open(f"{checkpoints}/instances/{instance}/kafka-commits.log", encoding="utf-8") as f:
        return {tuple(line.split()) for line in f}


def check_topics(bootstrap, tmp, want, what, checkpoints=None, instances=("1",)):
    """The committed messages of each output topic written by `instances` equal `want`;
    returns the count of their messages of uncommitted transactions seen."""
    committed = set()
    for instance in instances:
        committed |= commit_log(checkpoints or f"{tmp}/kafka/checkpoints", instance)
    producers = {f"pixguard-pixguard-default-{i}" for i in instances}
    hidden = 0
    for kind, topic in OUTPUTS.items():
        got = collections.Counter()
        for headers, value in consume(bootstrap, topic):
            check(set(headers) == {"pixguard-instance", "pixguard-run", "pixguard-epoch"},
                  f"{topic}: headers {headers}")
            if headers["pixguard-instance"] not in producers:
                continue
            if (headers["pixguard-run"], headers["pixguard-epoch"]) in committed:
                got[comparable(kind, value)] += 1
            else:
                hidden += 1
        if got != want[kind]:
            missing, extra = want[kind] - got, got - want[kind]
            fail(f"{topic} after {what}: {sum(got.values())} committed records vs {sum(want[kind].values())} "
                 f"uninterrupted ({sum(missing.values())} missing, {sum(extra.values())} unexpected)")
    return hidden


def check_files(tmp, want, what):
    for kind in OUTPUTS:
        got = collections.Counter(comparable(kind, v) for v in harness.raw_lines(f"{tmp}/kafka/{kind}/part-*.jsonl"))
        check(got == want[kind], f"file output {kind} of the Kafka run after {what} differs from the file run's")


def scenario_end_to_end(pg, src, tmp):
    count = 3000
    stream, lines = generate(pg, tmp, count)
    cluster, bootstrap = start_cluster(pg, tmp)
    try:
        kafka_cfg, file_cfg = configs(src, tmp, bootstrap, stream)
        produce(bootstrap, lines)
        started = time.monotonic()
        acc = json.loads(run([pg, "run", "--config", kafka_cfg, "--stop-at-end", "--json", "-q"]).stdout)
        seconds = time.monotonic() - started
        ref, want = reference(pg, file_cfg, count)
        for key in ("in", "scored", "dead_letters", "duplicates", "late", "decisions", "dead_letters_by_reason"):
            check(acc[key] == ref[key], f"{key}: {acc[key]} from Kafka vs {ref[key]} from the file")
        hidden = check_topics(bootstrap, tmp, want, "a clean run")
        check(hidden == 0, f"{hidden} messages of uncommitted transactions after a clean run")
        check_files(tmp, want, "a clean run")
        # The shipped privacy policy: no document or Pix key of the input in clear on any topic.
        clear = set(re.findall(rb'"(?:document|key)"\s*:\s*"([^"]{8,})"', b"".join(lines)))
        check(len(clear) > 1000, f"only {len(clear)} documents and keys in the input")
        for topic in OUTPUTS.values():
            tokens = set(re.findall(rb"[A-Za-z0-9@._+\-]+", b"\n".join(v for _, v in consume(bootstrap, topic))))
            check(not tokens & clear, f"{topic} holds clear documents or Pix keys: {sorted(tokens & clear)[:3]}")
        print(f"{count} messages Kafka -> pixguard -> Kafka in {seconds:.1f} s (group join included): "
              f"{acc['scored']} scored, {acc['dead_letters']} dead letters, {acc['duplicates']} duplicates, "
              f"same records as from the file")
    finally:
        terminate(cluster)


def scenario_crash(pg, src, tmp):
    count = 6000
    stream, lines = generate(pg, tmp, count)
    cluster, bootstrap = start_cluster(pg, tmp)
    seed = int(os.environ.get("PIXGUARD_CHAOS_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f"seed {seed} (PIXGUARD_CHAOS_SEED reproduces the kill instants)")
    try:
        kafka_cfg, file_cfg = configs(src, tmp, bootstrap, stream)
        # The stream arrives steadily over about 50 s (120 messages a second through one kcat),
        # while the job is killed and restarted: most kills land with an epoch's output in flight.
        feeder_proc = subprocess.Popen(["kcat", "-P", "-b", bootstrap, "-t", "pix.transactions", "-K\t",
                                        "-X", "linger.ms=5"], stdin=subprocess.PIPE, stderr=subprocess.PIPE)

        def feed():
            for i in range(0, count, 4):
                feeder_proc.stdin.write(b"".join(keyed(l) for l in lines[i:i + 4]))
                feeder_proc.stdin.flush()
                time.sleep(0.033)
            feeder_proc.stdin.close()
            feeder_proc.wait(timeout=60)

        feeder = threading.Thread(target=feed)
        feeder.start()
        kills, assigned, final = 0, 0, None
        for attempt in range(60):
            # Ten lives end by kill -9: two while joining the group, eight at a random instant
            # within 2 s of being given the partition (mid-epoch, mid-checkpoint, mid-commit);
            # then the job runs to the end of the input. A restarted member is given the
            # partition after about 5 s (the mock's 3 s initial rebalance delay and the killed
            # member's session.timeout.ms).
            final_life = kills >= 10
            args = [pg, "run", "--config", kafka_cfg, "--json", "-q"] + (["--stop-at-end"] if final_life else [])
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    cwd=harness.SOURCE_DIR)
            if final_life:
                out, err = proc.communicate(timeout=300)
                check(proc.returncode == 0, f"attempt {attempt}: exit {proc.returncode}\n{err}")
                acc = json.loads(out)
                check(acc["balanced"], f"attempt {attempt}: accounting does not balance: {acc}")
                if acc["in"] == count and not feeder.is_alive():
                    final = acc
                    break
                continue
            got_partition = threading.Event()
            err_lines = []

            def watch(stream=proc.stderr, event=got_partition, lines=err_lines):
                for line in stream:
                    lines.append(line)
                    if "assigned pix.transactions" in line:
                        event.set()

            watcher = threading.Thread(target=watch)
            watcher.start()
            if kills in (0, 5):
                time.sleep(rng.uniform(0.3, 3.0))
            else:
                check(got_partition.wait(timeout=60), f"attempt {attempt}: no partition within 60 s: {''.join(err_lines)}")
                time.sleep(rng.uniform(0.0, 2.0))
            check(proc.poll() is None, f"attempt {attempt}: the job ended by itself: {''.join(err_lines)}")
            proc.kill()
            proc.wait()
            watcher.join()
            kills += 1
            assigned += got_partition.is_set()
        feeder.join()
        check(feeder_proc.returncode == 0, f"kcat producer: {feeder_proc.stderr.read().decode(errors='replace')}")
        check(final is not None, f"the job did not finish: {kills} kills")
        check(kills >= 10, f"only {kills} kills landed")
        ref, want = reference(pg, file_cfg, count)
        for key in ("in", "scored", "dead_letters", "duplicates", "late", "decisions", "dead_letters_by_reason"):
            check(final[key] == ref[key], f"{key} after {kills} kills: {final[key]} vs uninterrupted {ref[key]}")
        hidden = check_topics(bootstrap, tmp, want, f"{kills} kills")
        check_files(tmp, want, f"{kills} kills")
        check(hidden > 0, f"no kill landed while an epoch's output was in flight (aborted transactions); "
                          f"{assigned} of {kills} killed lives had the partition")
        print(f"{kills} kills -9 and restarts ({assigned} after the partition was assigned): committed Kafka "
              f"output equals the uninterrupted run; "
              f"{hidden} messages of aborted transactions (hidden by a real broker) left in the topics")
    finally:
        terminate(cluster)


# A member whose heartbeats stall past the session timeout (a starved CI machine) is
# replaced while it still runs; with no broker-side fencing in the mock, its next epoch's
# file output would then duplicate its successor's. A longer session keeps that out of the
# test (docs/configuration.md states the limit).
MEMBER_PROPERTIES = dict(GROUP_PROPERTIES, **{"session.timeout.ms": "8000"})


def member_config(src, tmp, bootstrap, name, group, checkpoints, payees="per_part", workers=None, properties=None):
    """The shipped default reading Kafka in consumer group `group`, outputs in tmp/<name>,
    checkpoints in `checkpoints` (shared by the members of a group), payee histories kept
    as `payees` says."""
    props = "".join(f"    {k}: \"{v}\"\n" for k, v in dict(MEMBER_PROPERTIES, **(properties or {})).items())
    # With state.payees: repartition the payee topic is "<group>.payees" (the cluster must have it).
    extra = f"\nkafka:\n  bootstrap_servers: {bootstrap}\n  group_id: {group}\n  consumer_properties:\n{props}"
    cfg = harness.small_config(src, tmp, 1, interval="300ms", name=f"{name}.yaml", out=f"{tmp}/{name}", extra=extra)
    text = open(cfg, encoding="utf-8").read()
    start, end = text.index("\nsource:\n"), text.index("\ninput:\n")
    text = text[:start] + "\nsource:\n  type: kafka\n" + text[end:]
    text = text.replace(f"{tmp}/{name}/checkpoints", checkpoints)
    check("\nstate:\n" in text and "  workers: 0 " in text, "the shipped config's state or workers keys moved")
    text = text.replace("\nstate:\n", f"\nstate:\n  payees: {payees}\n")
    if workers is not None:
        text = text.replace("  workers: 0 ", f"  workers: {workers} ")
    open(cfg, "w", encoding="utf-8").write(text)
    return cfg


def file_records(dirs):
    """Every committed record of the file outputs under `dirs`, by kind, as comparable multisets."""
    return {kind: collections.Counter(comparable(kind, v) for d in dirs
                                      for v in harness.raw_lines(f"{d}/{kind}/part-*.jsonl")) for kind in OUTPUTS}


def scenario_instances(pg, src, tmp):
    count = 6000
    stream, lines = generate(pg, tmp, count)
    cluster, bootstrap = start_cluster(pg, tmp, "pix.transactions:6,pix.scored:6,pix.alerts:3,pix.dead_letter:2,"
                                                "multi.payees:4,ref.payees:4")
    shared = f"{tmp}/multi-checkpoints"
    members = {}  # instance -> (process, stderr lines)

    def start(instance):
        cfg = member_config(src, tmp, bootstrap, instance, "multi", shared, payees="repartition")
        proc = subprocess.Popen([pg, "run", "--config", cfg, "--instance", instance, "--json", "-q"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=harness.SOURCE_DIR)
        err = []
        threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True).start()
        members[instance] = (proc, err)
        return proc

    def wait_until(condition, what, timeout=120):
        deadline = time.monotonic() + timeout
        while not condition():
            check(time.monotonic() < deadline, f"not within {timeout} s: {what}")
            time.sleep(0.2)

    def holds(instance, after):
        """Waits until `instance` logs being assigned some partitions, past its first `after` log lines."""
        err = members[instance][1]
        wait_until(lambda: any(re.search(r": assigned (?!none)", l) for l in err[after:]),
                   f"member {instance} is assigned partitions")

    def committed_epochs(instance):
        try:
            return len(commit_log(shared, instance))
        except FileNotFoundError:
            return 0

    def stop(instance):
        proc, err = members[instance]
        proc.send_signal(signal.SIGTERM)
        out = proc.stdout.read()
        proc.wait(timeout=60)
        check(proc.returncode == 0, f"member {instance}: exit {proc.returncode}\n{''.join(err)}")
        return json.loads(out)

    try:
        feeder_proc = subprocess.Popen(["kcat", "-P", "-b", bootstrap, "-t", "pix.transactions", "-K\t",
                                        "-X", "linger.ms=5"], stdin=subprocess.PIPE, stderr=subprocess.PIPE)

        def feed():  # about 45 s
            for i in range(0, count, 10):
                feeder_proc.stdin.write(b"".join(keyed(l) for l in lines[i:i + 10]))
                feeder_proc.stdin.flush()
                time.sleep(0.075)
            feeder_proc.stdin.close()
            feeder_proc.wait(timeout=60)

        feeder = threading.Thread(target=feed)
        feeder.start()
        finals = []
        # Each change waits for the group to settle from the one before: on a loaded machine
        # a join can take much longer than its usual few seconds.
        start("a")
        holds("a", 0)
        start("b")
        holds("b", 0)
        start("c")
        holds("c", 0)
        mark = len(members["c"][1])
        finals.append(stop("b"))  # leaves the group: its partitions move with their state
        # c must have committed state for what it holds now, so that whoever takes over after
        # the kill restores it from c.
        holds("c", mark)
        commits = committed_epochs("c")
        wait_until(lambda: committed_epochs("c") >= commits + 2, "c commits two epochs after the rebalance")
        proc, err = members["c"]
        proc.kill()  # holds its partitions until the session times out, then they move
        proc.wait()
        with open(f"{tmp}/c.log", "w", encoding="utf-8") as f:  # its first life, for failures
            f.writelines(err)
        mark = len(members["a"][1])
        holds("a", mark)  # a has taken over c's partitions
        start("c")  # the same member again: settles its own sinks, rejoins
        feeder.join()
        check(feeder_proc.returncode == 0, f"kcat producer: {feeder_proc.stderr.read().decode(errors='replace')}")

        # The reference: one member alone over the whole topic, in a group of its own.
        ref_cfg = member_config(src, tmp, bootstrap, "ref", "ref", f"{tmp}/ref-checkpoints", payees="repartition")
        ref = json.loads(run([pg, "run", "--config", ref_cfg, "--instance", "ref", "--stop-at-end", "--json", "-q"]).stdout)
        check(ref["in"] == count and ref["balanced"], f"reference run: {ref}")
        # Payee rules must fire, for their inputs to be compared: a mule's payers are spread
        # over the input partitions, and so over the members.
        check(ref["rules_fired"]["mule_fan_in"] > 0, f"reference run: mule_fan_in never fired: {ref['rules_fired']}")
        want = file_records([f"{tmp}/ref"])
        # The group is done once its members' committed outputs hold as many records.
        deadline = time.monotonic() + 90
        dirs = [f"{tmp}/{m}" for m in "abc"]
        while time.monotonic() < deadline:
            got = file_records(dirs)
            if all(sum(got[k].values()) >= sum(want[k].values()) for k in OUTPUTS):
                break
            time.sleep(0.5)
        finals += [stop("a"), stop("c")]
        got = file_records(dirs)
        for kind in OUTPUTS:
            if got[kind] != want[kind]:
                missing, extra = want[kind] - got[kind], got[kind] - want[kind]
                for instance, (_, err) in members.items():
                    with open(f"{tmp}/{instance}.log", "a", encoding="utf-8") as f:
                        f.writelines(err)
                    moves = [l for l in err if re.search(r"revoked|assigned|lost|restored|resuming|rebalance", l)]
                    print(f"--- member {instance}:\n" + "".join(moves[-30:]), file=sys.stderr)
                fail(f"{kind}: {sum(got[kind].values())} records from three members vs {sum(want[kind].values())} "
                     f"from one ({sum(missing.values())} missing, {sum(extra.values())} unexpected)")
        for key in ("in", "scored", "dead_letters", "duplicates", "late"):
            total = sum(f[key] for f in finals)
            check(total == ref[key], f"{key}: {total} summed over the members' final accountings vs {ref[key]} alone")
        # Every transaction went through the payee topic once, and came back once.
        forwarded, received = sum(f["forwarded"] for f in finals), sum(f["received"] for f in finals)
        check(forwarded == received == ref["scored"], f"payee topic: {forwarded} forwarded, {received} received, "
                                                      f"{ref['scored']} scored alone")
        check_topics(bootstrap, tmp, want, "three members", checkpoints=shared, instances=("a", "b", "c"))
        logs = "".join("".join(err) for _, err in members.values())
        moved = re.findall(r"part (\S+): restored the state of epoch \d+ of instance (\w+)", logs)
        check(any(inst == "b" for _, inst in moved) and any(inst == "c" for _, inst in moved),
              f"no partition state moved from b and from c to another member: {moved}")
        print(f"three members (join, join, leave, kill -9, rejoin): {len(moved)} partition states restored across "
              f"members; outputs and summed accountings equal one member's ({ref['scored']} scored, mule_fan_in "
              f"{ref['rules_fired']['mule_fan_in']})")
    finally:
        for proc, _ in members.values():
            if proc.poll() is None:
                proc.kill()
        terminate(cluster)


def scenario_payees(pg, src, tmp):
    count = 20000
    stream, lines = generate(pg, tmp, count)
    cluster, bootstrap = start_cluster(pg, tmp, "pix.transactions:8,pix.scored:4,pix.alerts:2,pix.dead_letter:1,"
                                                "repartition.payees:5,repartition-3-workers.payees:3")
    acc_by_run, records_by_run = {}, {}
    try:
        produce(bootstrap, lines)
        small_fetches = {"max.partition.fetch.bytes": "4096"}
        for name, payees, workers, properties in (("per_part", "per_part", 1, None), ("shared", "shared", 1, None),
                                                  ("shared-3-workers", "shared", 3, None),
                                                  ("shared-small-fetches", "shared", 2, small_fetches),
                                                  ("repartition", "repartition", 1, None),
                                                  ("repartition-3-workers", "repartition", 3, small_fetches)):
            cfg = member_config(src, tmp, bootstrap, name, name, f"{tmp}/{name}/checkpoints", payees, workers, properties)
            acc = json.loads(run([pg, "run", "--config", cfg, "--stop-at-end", "--json", "-q"]).stdout)
            check(acc["in"] == count and acc["balanced"] and acc["held"] == 0, f"{name}: {acc}")
            if payees == "repartition":
                check(acc["forwarded"] == acc["received"] == acc["scored"] > 0, f"{name}: {acc}")
            acc_by_run[name] = acc
            records_by_run[name] = file_records([f"{tmp}/{name}"])
    finally:
        terminate(cluster)
    # (compromised_payee needs fraud reports, which arrive after this one-day stream ends.)
    shared, per_part = acc_by_run["shared"]["rules_fired"]["mule_fan_in"], acc_by_run["per_part"]["rules_fired"]["mule_fan_in"]
    print(f"mule_fan_in: {shared} with payee histories shared by the partitions, {per_part} per partition")
    check(shared > per_part, f"mule_fan_in fired {shared} times shared, {per_part} per partition")
    for name in ("shared-3-workers", "shared-small-fetches", "repartition", "repartition-3-workers"):
        for kind in OUTPUTS:
            want, got = records_by_run["shared"][kind], records_by_run[name][kind]
            check(sum(want.values()) > 0, f"shared: no {kind} records")
            check(got == want, f"{name}: {kind} differ from 'shared': {sum((want - got).values())} missing, "
                               f"{sum((got - want).values())} unexpected")


def scenario_lists(pg, src, tmp):
    import urllib.request
    key = "00000000-0000-4000-8000-00000000beef"
    stream = os.path.join(tmp, "stream.jsonl")
    run([pg, "generate", "-n", "90", "--seed", "3", "--invalid-share", "0", "--duplicate-share", "0", "-o", stream, "-q"])
    phases = []
    with open(stream, encoding="utf-8") as f:
        messages = [json.loads(line) for line in f]
    for i, m in enumerate(messages):
        if i % 3 == 0:
            # Half of them as another producer might write the key: input.normalize makes it one.
            m["payee"]["key"], m["payee"]["key_type"] = (key if i % 2 == 0 else f" {key.upper()} "), "EVP"
    for p in range(3):
        phases.append(messages[30 * p:30 * (p + 1)])
    cluster, bootstrap = start_cluster(pg, tmp)
    journal = os.path.join(tmp, "lists.jsonl")
    extra = (f"\nlists:\n  path: {journal}\n  names:\n    - {{name: blocked_payee_keys, field: payee.key}}\n"
             f"http:\n  listen: 127.0.0.1:0\n")
    cfg = member_config(src, tmp, bootstrap, "lists", "lists", f"{tmp}/lists/checkpoints")
    text = open(cfg, encoding="utf-8").read()
    check("\nrules:\n" in text, "the shipped config has no rules section")
    text = text.replace("\nrules:\n", "\nrules:\n  - {name: listed_payee, when: list.blocked_payee_keys, action: block, "
                                      "reason: payee key on the block list}\n") + extra
    check("\ninput:\n" in text, "the shipped config has no input section")
    text = text.replace("\ninput:\n", "\ninput:\n  normalize: {payee.key: pix_key}\n")
    open(cfg, "w", encoding="utf-8").write(text)
    proc = subprocess.Popen([pg, "run", "--config", cfg, "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=harness.SOURCE_DIR)
    err = []
    threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True).start()
    try:
        deadline = time.monotonic() + 60
        while not any("operations endpoint at" in l for l in err):
            check(time.monotonic() < deadline and proc.poll() is None, f"no operations endpoint: {''.join(err)}")
            time.sleep(0.1)
        url = re.search(r"operations endpoint at (http://\S+)", "".join(err)).group(1)

        def call(method, path, body=None):
            req = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body else None,
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())

        def scored():
            out = {}
            for line in harness.raw_lines(f"{tmp}/lists/scored/part-*.jsonl"):
                r = json.loads(line)
                out[r["end_to_end_id"]] = r
            return out

        def run_phase(msgs):
            produce(bootstrap, [json.dumps(m).encode() for m in msgs])
            ids = {m["end_to_end_id"] for m in msgs}
            deadline = time.monotonic() + 60
            while True:
                got = scored()
                if ids <= set(got):
                    break
                check(time.monotonic() < deadline, f"not scored within 60 s: {len(ids - set(got))} of {len(ids)}")
                time.sleep(0.2)
            return {m["end_to_end_id"]: (m["payee"]["key"].strip().lower() == key, got[m["end_to_end_id"]]) for m in msgs}

        def listed(record):
            return any(r.get("rule") == "listed_payee" for r in record.get("reasons", []))

        before = run_phase(phases[0])
        check(not any(listed(r) for _, r in before.values()), "the rule fired before the key was listed")
        status, _ = call("POST", "/api/lists/blocked_payee_keys",
                         {"value": key, "author": "analyst-1", "reason": "MED 42", "expires_at": None})
        check(status == 201, f"POST: {status}")
        _, entries = call("GET", "/api/lists/blocked_payee_keys")
        check([e["value"] for e in entries] == [key] and entries[0]["author"] == "analyst-1", f"GET: {entries}")
        during = run_phase(phases[1])
        for is_key, record in during.values():
            check(listed(record) == is_key and (not is_key or record["decision"] == "block"),
                  f"while listed: {record['end_to_end_id']} key={is_key} decision {record['decision']}")
        status, _ = call("DELETE", f"/api/lists/blocked_payee_keys/{key}?author=analyst-2")
        check(status == 200, f"DELETE: {status}")
        after = run_phase(phases[2])
        check(not any(listed(r) for _, r in after.values()), "the rule fired after the key was removed")
        lines = [json.loads(l) for l in open(journal, encoding="utf-8")]
        check([(l["op"], l["author"]) for l in lines] == [("add", "analyst-1"), ("remove", "analyst-2")],
              f"journal: {lines}")
        check(lines[0]["before"] is None and lines[0]["after"]["reason"] == "MED 42" and
              lines[1]["before"]["author"] == "analyst-1" and lines[1]["after"] is None, f"audit: {lines}")
        blocked = sum(1 for is_key, _ in during.values() if is_key)
        print(f"lists: {blocked} transfers to the listed key blocked while listed, none before or after; "
              f"2 changes journaled with author, before and after")
    finally:
        terminate(proc, timeout=30)
        terminate(cluster)
    check(proc.returncode == 0, f"run exited {proc.returncode}: {''.join(err)[-2000:]}")


def scenario_large_dead_letter(pg, src, tmp):
    stream, lines = generate(pg, tmp, 200)
    big = b'{"end_to_end_id":"E1","padding":"' + b"p" * 1_500_000 + b'"}'
    lines = lines[:100] + [big] + lines[100:]
    cluster, bootstrap = start_cluster(pg, tmp)
    try:
        kafka_cfg, _ = configs(src, tmp, bootstrap, stream)
        # The prefix is what this checks: keep the bytes (the default keeps only the length).
        text = open(kafka_cfg, encoding="utf-8").read()
        open(kafka_cfg, "w", encoding="utf-8").write(text.replace("dead_letters: redact", "dead_letters: clear", 1))
        p = subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", "pix.transactions", "-K\t", "-X",
                            "message.max.bytes=4000000"], input=b"".join(keyed(l) for l in lines),
                           capture_output=True, timeout=120)
        check(p.returncode == 0, f"kcat produce: {p.stderr.decode(errors='replace')}")
        p = subprocess.run([pg, "run", "--config", kafka_cfg, "--stop-at-end", "--json", "-q"], capture_output=True,
                           text=True, timeout=300, cwd=src)
        check(p.returncode == 0, f"run exited {p.returncode} with a 1.5 MB message in the input:\n{p.stderr[-3000:]}")
        acc = json.loads(p.stdout)
        check(acc["in"] == len(lines) and acc["balanced"], f"accounting {acc}")
        check(acc["dead_letters_by_reason"].get("message_too_large") == 1, f"accounting {acc}")
        found = [json.loads(v) for _, v in consume(bootstrap, "pix.dead_letter")
                 if json.loads(v)["rule"] == "message_too_large"]
        check(len(found) == 1, f"{len(found)} message_too_large dead letters in pix.dead_letter")
        d = found[0]
        check(d.get("raw_truncated") is True and d["raw_bytes"] == len(big) and
              d["raw_hash"] == harness.content_hash(big) and big.startswith(d["raw"].encode()) and
              0 < len(d["raw"]) <= 16384, f"dead letter {json.dumps(d)[:300]}")
        print(f"large_dead_letter: a {len(big)}-byte message dead-lettered as a {len(json.dumps(d))}-byte record "
              f"(prefix, length, hash); {acc['scored']} scored, the run committed")
    finally:
        terminate(cluster)


SCENARIOS = {"large_dead_letter": scenario_large_dead_letter, "end_to_end": scenario_end_to_end, "crash": scenario_crash, "instances": scenario_instances,
             "payees": scenario_payees, "lists": scenario_lists}

if __name__ == "__main__":
    harness.main(SCENARIOS)
