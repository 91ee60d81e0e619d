#!/usr/bin/env python3
"""Exactly once across crashes, proven by breaking things on purpose (README, "Crashes and restarts").

Usage: chaos_test.py --pixguard PATH --source-dir DIR --scenario NAME [--seed N]
Scenarios:
  kill_restart        SIGKILL at random instants, restart until done; outputs equal an uninterrupted run's.
  kill_compacting     the same with state compaction running all the time (checkpoint.compact_after
                      small): kills land while the writer's thread streams an epoch's changes (checked)
                      or the compactor's writes a base, and restores read bases and changes of every age.
  corrupt_checkpoint  the newest checkpoint is damaged; recovery falls back and still writes each record once.
  memory_bound        far more keys than the state limits: state stays bounded, evictions are counted.
"""
import glob
import json
import os
import random
import subprocess
import sys
import time

import harness
from harness import check, main, run

STREAM_COUNT = 200_000


def file_config(src, tmp, stream, out, interval, name, extra=""):
    """The default pipeline reading `stream` (a file), writing outputs and checkpoints under `out`."""
    cfg = harness.small_config(src, tmp, 1, interval=interval, name=name, out=out, extra=extra)
    with open(cfg, encoding="utf-8") as f:
        text = f.read()
    start, end = text.index("\nsource:\n"), text.index("\ninput:\n")
    text = text[:start] + f"\nsource:\n  type: file\n  path: {stream}\n  format: jsonl\n" + text[end:]
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(text)
    return cfg


def generate_stream(pg, tmp, count=STREAM_COUNT, accounts=20000):
    stream = os.path.join(tmp, f"stream{count}.jsonl")
    run([pg, "generate", "-n", str(count), "--seed", "11", "--payers", str(accounts), "--payees", str(accounts),
         "-o", stream, "-q"])
    return stream


def compare_outputs(tmp, got, want, what):
    for kind in ("scored", "alerts", "dead_letter"):
        a = harness.raw_lines(f"{tmp}/{got}/{kind}/part-*.jsonl")
        b = harness.raw_lines(f"{tmp}/{want}/{kind}/part-*.jsonl")
        if a != b:
            missing, extra = len(set(b) - set(a)), len(set(a) - set(b))
            harness.fail(f"{kind} after {what}: {len(a)} records vs {len(b)} uninterrupted "
                         f"({missing} missing, {extra} unexpected, duplicates: {len(a) - len(set(a))})")
    check(not glob.glob(f"{tmp}/{got}/*/*.pending"), f"pending files left after {what}")
    # The Delta table, read by DuckDB from the files its log lists: the same rows, each once.
    a, b = harness.delta_rows(f"{tmp}/{got}/decisions"), harness.delta_rows(f"{tmp}/{want}/decisions")
    scored = len(harness.raw_lines(f"{tmp}/{want}/scored/part-*.jsonl"))
    check(len(b) == scored, f"the uninterrupted run's table holds {len(b)} rows for {scored} scored records")
    if a != b:
        harness.fail(f"Delta table after {what}: {len(a)} rows vs {len(b)} uninterrupted "
                     f"({len(set(b) - set(a))} missing, {len(set(a) - set(b))} unexpected, "
                     f"duplicate ids: {len(a) - len({r[0] for r in a})})")


def compare_accounting(final, reference, what):
    check(final["balanced"], f"accounting does not balance after {what}: {final}")
    for key in ("in", "scored", "dead_letters", "duplicates", "late", "decisions", "rules_fired", "dead_letters_by_reason"):
        check(final[key] == reference[key], f"{key} after {what}: {final[key]} vs uninterrupted {reference[key]}")


def uninterrupted(pg, src, tmp, stream, edit=lambda text: text):
    cfg = file_config(src, tmp, stream, f"{tmp}/reference", "100ms", "reference.yaml")
    text = edit(open(cfg, encoding="utf-8").read())
    open(cfg, "w", encoding="utf-8").write(text)
    started = time.monotonic()
    acc = json.loads(run([pg, "run", "--config", cfg, "--json", "-q"]).stdout)
    check(acc["in"] == STREAM_COUNT and acc["balanced"], f"reference run: {acc}")
    check(acc["dead_letters"] > 0 and acc["duplicates"] > 0, "the stream lacks invalid or duplicate messages")
    return acc, time.monotonic() - started


def scenario_kill_restart(pg, src, tmp, seed):
    kill_until_done(pg, src, tmp, seed)  # the default: incremental checkpoints, rare compactions


def scenario_kill_compacting(pg, src, tmp, seed):
    stderr, cut_changes = kill_until_done(pg, src, tmp, seed, compact_after=500, targeted=4)
    check(cut_changes >= 4, f"only {cut_changes} kills landed while the changes writer's thread was writing")
    compactions = stderr.count("state compacted into the base of epoch")
    print(f"{compactions} compactions finished across the lives")
    check(compactions >= 5, f"only {compactions} compactions finished: the scenario did not exercise them")
    check(glob.glob(f"{tmp}/chaos/checkpoints/parts-*.base"), "no base left beside the checkpoints")


def kill_until_done(pg, src, tmp, seed, compact_after=None, targeted=0):
    """Kills runs at random instants until one finishes; checks its outputs. Returns all stderr
    and how many kills left an epoch's changes file half-written (the writer's thread at work).

    With `compact_after`, the state is kept small (windows of an hour at most, dedupe over an hour),
    so that its base is small and compactions come every few thousand changes. The first
    `targeted` kills wait for the changes writer's thread to be writing an epoch's file (in
    lives with 500 ms epochs, so that it gets chunks before the epoch ends even under ASan;
    epochs do not show in the outputs)."""
    stream = generate_stream(pg, tmp)
    short = (lambda t: t.replace("window: 30d", "window: 1h").replace("window: 24h", "window: 1h").replace("delay: 3d", "delay: 10m").replace("horizon: 24h", "horizon: 1h")
             if compact_after is not None else t)
    reference, duration = uninterrupted(pg, src, tmp, stream, short)
    cfg = file_config(src, tmp, stream, f"{tmp}/chaos", "100ms", "chaos.yaml")
    text = short(open(cfg, encoding="utf-8").read())
    if compact_after is not None:
        text = text.replace("  keep: 2", f"  keep: 2\n  compact_after: {compact_after}")
        check(f"compact_after: {compact_after}" in text and "window: 30d" not in text, "could not shorten the state")
    open(cfg, "w", encoding="utf-8").write(text)
    cfg_writing = f"{tmp}/chaos-writing.yaml"
    check("  interval: 100ms" in text, "no checkpoint interval to lengthen")
    open(cfg_writing, "w", encoding="utf-8").write(text.replace("  interval: 100ms", "  interval: 500ms"))
    rng = random.Random(seed)
    # Kill instants spread from "still starting up" to "well into the run", scaled to this
    # machine and build (the sanitizer build is slower): every phase gets hit, mid-epoch,
    # mid-checkpoint and mid-commit alike. A life never outlasts duration/13, so twelve of
    # them cannot finish the job: all twelve kills land.
    longest = duration / 13
    print(f"seed {seed} (PIXGUARD_CHAOS_SEED reproduces the kill instants)")
    kills, delays, final, stderr, interrupted_bases, interrupted_changes = 0, [], None, "", 0, 0
    changes_tmp = f"{tmp}/chaos/checkpoints/changes-*.log.tmp"
    for attempt in range(200):
        if kills < targeted:
            for path in glob.glob(changes_tmp):  # a dead life's, which a start removes anyway
                os.remove(path)
        life_cfg = cfg_writing if kills < targeted else cfg
        proc = subprocess.Popen([pg, "run", "--config", life_cfg, "--json", "-q"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=harness.SOURCE_DIR)
        if kills < targeted:
            # Kill as soon as the writer's thread has an epoch's file open.
            deadline = time.monotonic() + 120
            while not glob.glob(changes_tmp) and proc.poll() is None:
                check(time.monotonic() < deadline, "the changes writer never opened an epoch's file")
                time.sleep(0.002)
            if proc.poll() is None:
                proc.kill()
                _, err = proc.communicate()
                stderr += err
                interrupted_changes += len(glob.glob(changes_tmp))
                kills += 1
                delays.append("writing")
                continue
        delay = rng.uniform(0.02, longest) if kills < 12 else None
        try:
            out, err = proc.communicate(timeout=delay if delay is not None else 600)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            stderr += err
            interrupted_bases += len(glob.glob(f"{tmp}/chaos/checkpoints/parts-*.base.tmp"))
            interrupted_changes += len(glob.glob(f"{tmp}/chaos/checkpoints/changes-*.log.tmp"))
            kills += 1
            delays.append(round(delay, 3))
            continue
        stderr += err
        check(proc.returncode == 0, f"run exited {proc.returncode} after {kills} kills:\n{err}")
        final = json.loads(out)
        break
    check(final is not None, "the job never finished")
    print(f"{kills} kills (seed {seed}) at {delays} s; uninterrupted run {duration:.2f} s; "
          f"kills cut {interrupted_bases} base and {interrupted_changes} changes writes short")
    check(kills >= 10, f"only {kills} kills landed before the run finished (seed {seed})")
    compare_accounting(final, reference, f"{kills} kills")
    compare_outputs(tmp, "chaos", "reference", f"{kills} kills")
    return stderr, interrupted_changes


def scenario_corrupt_checkpoint(pg, src, tmp, seed):
    stream = generate_stream(pg, tmp)
    reference, duration = uninterrupted(pg, src, tmp, stream)
    cfg = file_config(src, tmp, stream, f"{tmp}/damaged", "100ms", "damaged.yaml")
    text = open(cfg, encoding="utf-8").read().replace("keep: 2", "keep: 3")
    open(cfg, "w", encoding="utf-8").write(text)
    # Stop part-way (SIGTERM: a clean checkpoint), then damage the newest checkpoint.
    proc = subprocess.Popen([pg, "run", "--config", cfg, "-q"], stderr=subprocess.PIPE, text=True,
                            cwd=harness.SOURCE_DIR)
    time.sleep(max(0.5, duration / 2))
    proc.terminate()
    _, err = proc.communicate(timeout=120)
    check(proc.returncode == 0, f"exit {proc.returncode} after SIGTERM: {err}")
    checkpoints = sorted(glob.glob(f"{tmp}/damaged/checkpoints/checkpoint-*.ckpt"))
    check(len(checkpoints) >= 2, f"expected at least two checkpoints to fall back on, found {checkpoints}")
    newest = checkpoints[-1]
    with open(newest, "r+b") as f:
        f.seek(os.path.getsize(newest) // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x40]))
    p = run([pg, "run", "--config", cfg, "--json", "-q"])
    check(os.path.basename(newest) in p.stderr and "checksum" in p.stderr,
          f"the damaged checkpoint was not reported: {p.stderr}")
    compare_accounting(json.loads(p.stdout), reference, "a corrupt checkpoint")
    # Epochs committed after the fallback checkpoint were set aside (*.rolled-back) and
    # produced again: readers still see every record exactly once.
    compare_outputs(tmp, "damaged", "reference", "a corrupt checkpoint")

    # When every checkpoint is damaged, pixguard refuses to guess.
    for path in glob.glob(f"{tmp}/damaged/checkpoints/checkpoint-*.ckpt"):
        with open(path, "wb") as f:
            f.write(b"garbage")
    p = run([pg, "run", "--config", cfg, "-q"], expect_rc=2)
    check("no usable checkpoint" in p.stderr and "--overwrite" in p.stderr, f"unclear refusal: {p.stderr}")


def peak_rss_kib(args):
    """Runs `args` in a child and returns (stdout, its peak resident set in KiB)."""
    code = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "sys.stderr.write(p.stderr); print(p.returncode); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "print(p.stdout)")
    # Under AddressSanitizer freed memory sits in a quarantine (256 MiB by default) before it
    # is reused, so the resident set grows with the churn, not with the state. A small
    # quarantine keeps the measurement about the state while still catching use-after-free.
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "quarantine_size_mb=8"]))
    p = subprocess.run([sys.executable, "-c", code] + args, capture_output=True, text=True, cwd=harness.SOURCE_DIR,
                       env=env)
    rc, rss, out = p.stdout.split("\n", 2)
    check(rc == "0", f"{' '.join(args)} exited {rc}: {p.stderr}")
    return out, int(rss)


def scenario_memory_bound(pg, src, tmp, seed):
    limits = "\nstate:\n  max_keys: 5000\n  max_events_per_key: 50\n"
    results = {}
    for count in (100_000, 400_000):
        stream = generate_stream(pg, tmp, count, accounts=count)  # about one key per transaction
        cfg = file_config(src, tmp, stream, f"{tmp}/bound{count}", "1s", f"bound{count}.yaml")
        text = open(cfg, encoding="utf-8").read()
        start, end = text.index("\nstate:\n"), text.index("\nwatermark:")
        text = text[:start] + limits + text[end:]
        text = text.replace("max_entries: 10000000", "max_entries: 2000")
        open(cfg, "w", encoding="utf-8").write(text)
        out, rss = peak_rss_kib([pg, "run", "--config", cfg, "--json", "-q"])
        acc = json.loads(out)
        state = acc["state"]
        check(acc["balanced"] and acc["in"] == count, f"accounting: {acc}")
        check(state["payer_keys"] <= 5000 and state["payee_keys"] <= 5000, f"state above the key limit: {state}")
        check(state["evicted_keys"] > count // 2, f"evictions not counted: {state}")
        check(state["dedupe_ids"] <= 2000 and state["dedupe_evictions"] > 0, f"dedupe above its limit: {state}")
        results[count] = rss
    small, large = results[100_000], results[400_000]
    print(f"peak RSS: {small} KiB at 100k keys, {large} KiB at 400k keys")
    # Four times the keys must not mean noticeably more memory once the bound holds.
    check(large < small * 1.25, f"memory grew with the key count: {small} KiB -> {large} KiB")


SCENARIOS = {"kill_restart": scenario_kill_restart, "kill_compacting": scenario_kill_compacting,
             "corrupt_checkpoint": scenario_corrupt_checkpoint, "memory_bound": scenario_memory_bound}

if __name__ == "__main__":
    seed = int(os.environ.get("PIXGUARD_CHAOS_SEED", random.randrange(1 << 30)))
    main({name: (lambda pg, src, tmp, f=f: f(pg, src, tmp, seed)) for name, f in SCENARIOS.items()})
