#!/usr/bin/env python3
"""Brute-force reference for pixguard's features (docs/configuration.md, "features").

Written from the documented semantics, not from the C++: for every accepted transaction it
scans every transaction that arrived before it. Python 3.9+ standard library only (zoneinfo,
json, decimal, fractions); no PyYAML: the case configs are read by the small YAML-subset
reader below, which fails loudly on anything it does not understand.

Model of a replay (what a case may rely on):
  * Messages are read in file order ("arrival order"). A line that is not a JSON object, or
    breaks a validation rule the reference knows (missing/empty required field, bad or
    non-positive amount, bad timestamp, too far from the latest accepted event time, bad
    label), is a dead letter: it touches nothing, not even the watermark.
  * Watermark W = max event time of the accepted messages so far (the current one included)
    - watermark.allowed_lateness. Duplicates are accepted messages too (they move W).
  * A message whose end_to_end_id was seen before is a duplicate: not scored, no state.
    (Duplicates must stay within dedupe.horizon of their original; checked.)
  * Identities: payer = (payer.ispb, payer.account); payee = payee.key when non-empty, else
    (payee.ispb, payee.account); device = device_id when non-empty.
  * Retention of a scope (payer/payee) = max(window + delay) over that scope's features,
    30 days when none of them has a window. History of the current transaction's key is the
    earlier-arrived, scored transactions of that key with time >= W - retention (older state
    is dropped, and a transaction older than that never enters state).
  * Windowed reads use (t - delay - window, t - delay], window = the scope's retention when
    the feature gives none; the current transaction is added when include_current (default
    true, false for fraud kinds) and delay == 0.
  * Fraud of a transaction becomes known at event_time + labels.known_after when its inline
    label is 1 (inline mode), or at reported_at of its latest report when that report says
    fraud (labels file mode: CASE/labels.jsonl, the file check_features.py passes with
    --labels). fraud_count counts window transactions known at or before t.

Usage:
  features_reference.py CASE_DIR              print the expected table (CSV) on stdout
  features_reference.py CASE_DIR --write      write CASE_DIR/expected.csv
"""

import csv
import datetime
import decimal
import io
import json
import os
import re
import sys
from fractions import Fraction

try:
    import zoneinfo
except ImportError:  # pragma: no cover
    sys.exit("features_reference.py needs Python 3.9+ (zoneinfo)")


class CaseError(Exception):
    """The case uses something this reference does not model."""


# ----------------------------------------------------------------------------------------
# A YAML subset: block mappings and sequences by indentation, flow {..} and [..], plain and
# quoted scalars, comments. Every scalar is a string (as the engine's reader treats them).

def _strip_comment(line):
    out, quote = [], None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            break
        out.append(c)
    return "".join(out).rstrip()


def _scalar(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    if text in ("", "~", "null"):
        return None
    return text


class _Flow:
    def __init__(self, text):
        self.s, self.i = text, 0

    def ws(self):
        while self.i < len(self.s) and self.s[self.i] in " \t":
            self.i += 1

    def value(self):
        self.ws()
        c = self.s[self.i] if self.i < len(self.s) else ""
        if c == "{":
            self.i += 1
            out = {}
            while True:
                self.ws()
                if self.s[self.i] == "}":
                    self.i += 1
                    return out
                key = self.token(":")
                if self.s[self.i] != ":":
                    raise CaseError("yaml: expected ':' in " + self.s)
                self.i += 1
                out[key] = self.value()
                self.separator("}")
        if c == "[":
            self.i += 1
            out = []
            while True:
                self.ws()
                if self.s[self.i] == "]":
                    self.i += 1
                    return out
                out.append(self.value())
                self.separator("]")
        return self.token(",}]")

    def separator(self, closer):
        self.ws()
        if self.s[self.i] == ",":
            self.i += 1
        elif self.s[self.i] != closer:
            raise CaseError("yaml: expected ',' or '%s' in %s" % (closer, self.s))

    def token(self, stops):
        self.ws()
        if self.i < len(self.s) and self.s[self.i] in "\"'":
            q = self.s[self.i]
            j = self.s.index(q, self.i + 1)
            text = self.s[self.i + 1:j]
            self.i = j + 1
            return text
        j = self.i
        while j < len(self.s) and self.s[j] not in stops:
            j += 1
        text = self.s[self.i:j]
        if re.search(r":(\s|$)", text):
            raise CaseError("yaml: missing ',' in " + self.s)
        self.i = j
        return _scalar(text)


def _flow(text):
    p = _Flow(text)
    try:
        v = p.value()
    except (IndexError, ValueError):
        raise CaseError("yaml: unterminated flow value " + text)
    p.ws()
    if p.i != len(p.s):
        raise CaseError("yaml: trailing text in " + text)
    return v


def _split_key(text):
    """'key: value' -> (key, value or ''); None when the text is no mapping entry."""
    m = re.match(r'^("[^"]*"|\'[^\']*\'|[^\s:{\[][^:]*?)\s*:(\s+(.*))?$', text)
    if not m:
        return None
    return _scalar(m.group(1)), (m.group(3) or "")


def parse_yaml(text):
    lines = []
    for raw in text.splitlines():
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise CaseError("yaml: tab indentation")
        line = _strip_comment(raw)
        if line.strip():
            lines.append((len(line) - len(line.lstrip(" ")), line.strip()))
    pos = [0]

    def inline(value_text, indent):
        if value_text == "":
            if pos[0] < len(lines) and (lines[pos[0]][0] > indent or
                                        (lines[pos[0]][0] == indent and lines[pos[0]][1].startswith("- "))):
                return block(lines[pos[0]][0])
            return None
        if value_text[0] in "{[":
            return _flow(value_text)
        if value_text[0] in "|>&*!":
            raise CaseError("yaml: unsupported construct " + value_text)
        return _scalar(value_text)

    def block(indent):
        first = lines[pos[0]][1]
        if first == "-" or first.startswith("- "):
            out = []
            while pos[0] < len(lines) and lines[pos[0]][0] == indent and (
                    lines[pos[0]][1] == "-" or lines[pos[0]][1].startswith("- ")):
                item = lines[pos[0]][1][1:].strip()
                pos[0] += 1
                kv = _split_key(item) if item and item[0] not in "{[\"'" else None
                if kv is not None:
                    # "- key: value" opens a mapping whose other keys are indented past "- ".
                    sub_indent = indent + 2
                    entry = {kv[0]: inline(kv[1], sub_indent)}
                    while pos[0] < len(lines) and lines[pos[0]][0] == sub_indent:
                        kv2 = _split_key(lines[pos[0]][1])
                        if kv2 is None:
                            raise CaseError("yaml: cannot read " + lines[pos[0]][1])
                        pos[0] += 1
                        entry[kv2[0]] = inline(kv2[1], sub_indent)
                    out.append(entry)
                else:
                    out.append(inline(item, indent))
            return out
        out = {}
        while pos[0] < len(lines) and lines[pos[0]][0] == indent:
            kv = _split_key(lines[pos[0]][1])
            if kv is None:
                raise CaseError("yaml: cannot read " + lines[pos[0]][1])
            pos[0] += 1
            if kv[0] in out:
                raise CaseError("yaml: duplicate key " + kv[0])
            out[kv[0]] = inline(kv[1], indent)
        return out

    if not lines:
        return {}
    result = block(lines[0][0])
    if pos[0] != len(lines):
        raise CaseError("yaml: cannot read line: " + lines[pos[0]][1])
    return result


# ----------------------------------------------------------------------------------------
# Values: durations, timestamps, amounts.

US = 1_000_000
DURATION_UNITS = {"ms": 1000, "s": US, "m": 60 * US, "h": 3600 * US, "d": 86400 * US}


def duration_us(text):
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d)", str(text))
    if not m:
        raise CaseError("bad duration " + repr(text))
    return int(m.group(1)) * DURATION_UNITS[m.group(2)]


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d:\d\d)")
_LOCAL = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?")
_EPOCH = re.compile(r"(\d+)(?:\.(\d{1,9}))?")


def _micros_of(dt, fraction):
    whole = (dt - EPOCH) // datetime.timedelta(seconds=1)
    return whole * US + (int((fraction or "").ljust(6, "0")[:6]) if fraction else 0)


def parse_time(text, fmt, zone):
    """Microseconds since the epoch, or None when the text is not a timestamp in `fmt`."""
    text = str(text)
    if fmt in ("auto", "rfc3339"):
        m = _RFC3339.fullmatch(text)
        if m:
            y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
            off = m.group(8)
            if off in ("Z", "z"):
                tz = datetime.timezone.utc
            else:
                sign = -1 if off[0] == "-" else 1
                tz = datetime.timezone(sign * datetime.timedelta(hours=int(off[1:3]), minutes=int(off[4:6])))
            try:
                return _micros_of(datetime.datetime(y, mo, d, h, mi, s, tzinfo=tz), m.group(7))
            except ValueError:
                return None
        if fmt == "rfc3339":
            return None
    if fmt in ("auto", "local"):
        m = _LOCAL.fullmatch(text)
        if m:
            y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
            try:
                # fold=0: in a gap or an overlap, the offset in effect before the transition.
                local = datetime.datetime(y, mo, d, h, mi, s, tzinfo=zone, fold=0)
            except ValueError:
                return None
            offset = local.utcoffset()
            naive = datetime.datetime(y, mo, d, h, mi, s, tzinfo=datetime.timezone.utc)
            return _micros_of(naive - offset, m.group(7))
        if fmt == "local":
            return None
    m = _EPOCH.fullmatch(text)
    if not m:
        return None
    value = Fraction(text) if "." in text else Fraction(int(text))
    if fmt == "epoch_ms" or (fmt == "auto" and value >= 10**11):
        return int(value * 1000)
    if fmt in ("epoch_s", "auto"):
        return int(value * US)
    return None


def parse_amount_cents(text):
    """Centavos, or None when invalid (syntax, below a centavo)."""
    text = str(text)
    if not re.fullmatch(r"-?\d+(\.\d+)?([eE][+-]?\d+)?", text):
        return None
    cents = decimal.Decimal(text) * 100
    if cents != cents.to_integral_value():
        return None
    return int(cents)


# ----------------------------------------------------------------------------------------
# The case: config, events, labels.

KEYED = ["count", "sum", "mean", "max", "min", "distinct_counterparties", "fraud_count", "fraud_rate",
         "seconds_since_previous", "amount_to_mean", "first_time_counterparty", "new_device"]
WINDOWED = KEYED[:8]
CONTEXT = ["amount", "hour", "night", "weekend", "weekday", "initiation", "channel", "key_type"]
INITIATIONS = ["MANU", "DICT", "QRES", "QRDN", "INIC", "APDN", "AUTO"]  # 1..7
KEY_TYPES = ["CPF", "CNPJ", "PHONE", "EMAIL", "EVP"]                    # 1..5
FIELDS = ["end_to_end_id", "event_time", "amount", "payer.account", "payer.ispb", "payer.document",
          "payee.key", "payee.key_type", "payee.account", "payee.ispb", "payee.document", "initiation",
          "channel", "device_id", "ip", "description", "label"]
OPTIONAL = {"channel", "device_id", "ip", "description", "label"}
TRUE = ("true", "yes", "on")


def _bool(v, default):
    if v is None:
        return default
    if v in TRUE:
        return True
    if v in ("false", "no", "off"):
        return False
    raise CaseError("not a boolean: " + repr(v))


def _clock(v):
    m = re.fullmatch(r"(\d\d):(\d\d)", str(v))
    if not m:
        raise CaseError("not HH:MM: " + repr(v))
    return int(m.group(1)) * 60 + int(m.group(2))


class Feature:
    def __init__(self, spec):
        self.name = spec["name"]
        self.kind = spec["kind"]
        if self.kind not in KEYED + CONTEXT:
            raise CaseError("unknown kind " + self.kind)
        self.scope = spec.get("key")
        if (self.kind in KEYED) != (self.scope in ("payer", "payee")):
            raise CaseError(self.name + ": key")
        self.window = duration_us(spec["window"]) if spec.get("window") else 0
        if self.kind in WINDOWED and not self.window:
            raise CaseError(self.name + ": window required")
        self.delay = duration_us(spec["delay"]) if spec.get("delay") else 0
        self.include_current = _bool(spec.get("include_current"), self.kind not in ("fraud_count", "fraud_rate"))
        self.categories = spec.get("categories") or []


class Case:
    def __init__(self, case_dir):
        self.dir = case_dir
        with open(os.path.join(case_dir, "config.yaml"), encoding="utf-8") as f:
            cfg = parse_yaml(f.read())
        known = {"pipeline", "input", "labels", "dedupe", "watermark", "context", "features", "decision", "rules",
                 "sinks", "source", "model"}
        if set(cfg) - known:
            raise CaseError("config sections not modelled: %s" % sorted(set(cfg) - known))
        if cfg.get("rules") or cfg.get("model"):
            raise CaseError("rules/model are not modelled (scores would differ, features would not)")
        inp = cfg.get("input") or {}
        if inp.get("pix_rules") not in ("false", "no", "off"):
            raise CaseError("the reference does not implement the Pix format rules: set input.pix_rules: false")
        self.mapping = dict((f, f) for f in FIELDS)
        if inp.get("fields") is not None:
            self.mapping = dict(inp["fields"])
            for f in self.mapping:
                if f not in FIELDS:
                    raise CaseError("input.fields: not a field " + f)
        self.required = set(f for f in self.mapping if f not in OPTIONAL)
        self.required |= {"event_time", "amount", "payer.account"}
        self.time_format = inp.get("time_format") or "auto"
        self.input_zone = zoneinfo.ZoneInfo(inp.get("time_zone") or "America/Sao_Paulo")
        self.max_future = duration_us(inp["max_future"]) if inp.get("max_future") else 86400 * US
        self.max_past = duration_us(inp["max_past"]) if inp.get("max_past") else 400 * 86400 * US

        labels = cfg.get("labels") or {}
        self.labels_file = os.path.join(case_dir, "labels.jsonl")
        if os.path.exists(self.labels_file):
            self.label_mode = "file"
        elif labels.get("known_after"):
            self.label_mode = "inline"
            self.known_after = duration_us(labels["known_after"])
        elif labels.get("path"):
            raise CaseError("labels.path: put the labels in CASE/labels.jsonl instead")
        else:
            self.label_mode = "none"

        dd = cfg.get("dedupe") or {}
        self.dedupe = _bool(dd.get("enabled"), True) and "end_to_end_id" in self.mapping
        self.dedupe_horizon = duration_us(dd["horizon"]) if dd.get("horizon") else 86400 * US
        wm = cfg.get("watermark") or {}
        self.lateness = duration_us(wm["allowed_lateness"]) if wm.get("allowed_lateness") else 300 * US
        ctx = cfg.get("context") or {}
        self.context_zone = zoneinfo.ZoneInfo(ctx.get("time_zone") or "America/Sao_Paulo")
        self.night_start = _clock(ctx["night_start"]) if ctx.get("night_start") else 20 * 60
        self.night_end = _clock(ctx["night_end"]) if ctx.get("night_end") else 6 * 60

        self.features = [Feature(s) for s in cfg.get("features") or []]
        if len(set(f.name for f in self.features)) != len(self.features):
            raise CaseError("duplicate feature names")
        self.retention = {}
        for scope in ("payer", "payee"):
            spans = [f.window + f.delay for f in self.features if f.scope == scope]
            if spans:
                self.retention[scope] = max(spans) or 30 * 86400 * US

    # -- input ------------------------------------------------------------------------------

    def _lookup(self, obj, field):
        """(present, value) of a mapped field in a decoded message; numbers come as text."""
        path = self.mapping.get(field)
        if path is None:
            return False, None
        cur = obj
        for part in path.split("."):
            if not isinstance(cur, dict) or part not in cur:
                return False, None
            cur = cur[part]
        return True, cur

    def read_events(self):
        """Arrival-ordered messages: dicts for valid ones, or ('invalid', line, why)."""
        out = []
        with open(os.path.join(self.dir, "events.jsonl"), encoding="utf-8") as f:
            text = f.read()
        for number, line in enumerate(text.split("\n"), 1):
            if line == "" and number == len(text.split("\n")):
                break  # the newline that ends the last line
            out.append((number, line))
        return out

    def decode(self, line, max_seen):
        """A transaction dict, or a string naming why the message is rejected."""
        if not line.strip():
            return "blank"
        try:
            obj = json.loads(line, parse_float=str, parse_int=str)
        except ValueError:
            return "not json"
        if not isinstance(obj, dict):
            return "not an object"
        tx = {}
        for field in FIELDS:
            present, value = self._lookup(obj, field)
            if value is None:
                present = False
            if isinstance(value, (dict, list)) or (isinstance(value, bool) and field != "label"):
                return field + ": wrong type"
            if field in self.required and (not present or value == ""):
                return field + ": missing or empty"
            tx[field] = value if present else None
        t = parse_time(tx["event_time"], self.time_format, self.input_zone)
        if t is None:
            return "event_time: invalid"
        if max_seen is not None and (t - max_seen > self.max_future or max_seen - t > self.max_past):
            return "event_time: too far from the latest event"
        tx["t"] = t
        cents = parse_amount_cents(tx["amount"])
        if cents is None or cents <= 0:
            return "amount: invalid"
        tx["cents"] = cents
        label = tx["label"]
        if label is None:
            tx["label"] = -1
        elif label is True or label in ("1", "true", "1.0"):
            tx["label"] = 1
        elif label is False or label in ("0", "false", "0.0"):
            tx["label"] = 0
        else:
            return "label: invalid"
        tx["payer_id"] = ("party", tx["payer.ispb"] or "", tx["payer.account"] or "")
        if tx["payee.key"]:
            tx["payee_id"] = ("key", tx["payee.key"])
        else:
            tx["payee_id"] = ("party", tx["payee.ispb"] or "", tx["payee.account"] or "")
        tx["device"] = tx["device_id"] or None
        return tx

    def read_labels(self):
        reports = {}
        with open(self.labels_file, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                obj = json.loads(line, parse_int=str, parse_float=str)
                when = parse_time(obj["reported_at"], "auto", self.input_zone)
                if when is None:
                    raise CaseError("labels: bad reported_at " + line)
                fraud = obj["fraud"]
                if fraud not in (True, False, "0", "1"):
                    raise CaseError("labels: bad fraud " + line)
                fraud = fraud in (True, "1")
                old = reports.get(obj["end_to_end_id"])
                if old is None or when > old[0]:  # a later report replaces an earlier one
                    reports[obj["end_to_end_id"]] = (when, fraud)
        return reports


# ----------------------------------------------------------------------------------------
# Features, by brute force.

def _local(t_us, zone):
    return datetime.datetime.fromtimestamp(t_us // US, tz=zone)


def context_value(case, f, tx):
    if f.kind == "amount":
        return Fraction(tx["cents"], 100)
    local = _local(tx["t"], case.context_zone)
    if f.kind == "hour":
        return local.hour
    if f.kind == "night":
        m = local.hour * 60 + local.minute
        a, b = case.night_start, case.night_end
        return int(a <= m < b) if a <= b else int(m >= a or m < b)
    if f.kind == "weekday":
        return (local.weekday() + 1) % 7  # Python: Monday 0; here Sunday 0
    if f.kind == "weekend":
        return int(local.weekday() >= 5)
    if f.kind == "initiation":
        v = tx["initiation"]
        return INITIATIONS.index(v) + 1 if v in INITIATIONS else None
    if f.kind == "key_type":
        v = tx["payee.key_type"]
        return KEY_TYPES.index(v) + 1 if v in KEY_TYPES else None
    if f.kind == "channel":
        v = tx["channel"]
        if not v:
            return None
        return f.categories.index(v) if v in f.categories else len(f.categories)
    raise AssertionError(f.kind)


def keyed_value(case, f, tx, earlier, watermark):
    t = tx["t"]
    key_field = f.scope + "_id"
    other_field = "payee_id" if f.scope == "payer" else "payer_id"
    retention = case.retention[f.scope]
    window = f.window or retention
    end = t - f.delay
    start = end - window
    # Everything this key did before, still in state, inside the window.
    inside = [e for e in earlier
              if e[key_field] == tx[key_field] and e["t"] >= watermark - retention and start < e["t"] <= end]
    current = f.include_current and f.delay == 0
    amounts = [e["cents"] for e in inside] + ([tx["cents"]] if current else [])
    k = f.kind
    if k == "count":
        return len(amounts)
    if k == "sum":
        return Fraction(sum(amounts), 100)
    if k == "mean":
        return Fraction(sum(amounts), 100 * len(amounts)) if amounts else None
    if k == "max":
        return Fraction(max(amounts), 100) if amounts else None
    if k == "min":
        return Fraction(min(amounts), 100) if amounts else None
    if k == "distinct_counterparties":
        return len(set([e[other_field] for e in inside] + ([tx[other_field]] if current else [])))
    if k in ("fraud_count", "fraud_rate"):
        known = [e for e in inside if e["fraud_known"] is not None and e["fraud_known"] <= t]
        if k == "fraud_count":
            return len(known)
        return Fraction(len(known), len(inside)) if inside else None
    if k == "seconds_since_previous":
        return Fraction(t - max(e["t"] for e in inside), US) if inside else None
    if k == "amount_to_mean":
        if not inside:
            return None
        return Fraction(tx["cents"]) / Fraction(sum(e["cents"] for e in inside), len(inside))
    if k == "first_time_counterparty":
        return int(all(e[other_field] != tx[other_field] for e in inside))
    if k == "new_device":
        if tx["device"] is None:
            return None
        return int(all(e["device"] != tx["device"] for e in inside))
    raise AssertionError(k)


def compute(case_dir):
    """[(end_to_end_id, [value or None per feature])] in output order, and the feature names."""
    case = Case(case_dir)
    reports = case.read_labels() if case.label_mode == "file" else {}
    rows, scored, seen = [], [], {}
    max_seen = None
    for number, line in case.read_events():
        tx = case.decode(line, max_seen)
        if isinstance(tx, str):
            continue  # dead letter: touches nothing
        max_seen = tx["t"] if max_seen is None else max(max_seen, tx["t"])
        watermark = max_seen - case.lateness
        if case.dedupe and tx["end_to_end_id"] is not None:
            first = seen.get(tx["end_to_end_id"])
            if first is not None:
                if first < watermark - case.dedupe_horizon:
                    raise CaseError("line %d: duplicate beyond dedupe.horizon is not modelled" % number)
                continue
            seen[tx["end_to_end_id"]] = tx["t"]
        tx["fraud_known"] = None
        if case.label_mode == "inline" and tx["label"] == 1:
            tx["fraud_known"] = tx["t"] + case.known_after
        elif case.label_mode == "file":
            report = reports.get(tx["end_to_end_id"])
            if report is not None and report[1]:
                tx["fraud_known"] = report[0]
        # Earlier arrivals with time <= t; the window bounds are applied per feature.
        earlier = [e for e in scored if e["t"] <= tx["t"]]
        values = []
        for f in case.features:
            if f.kind in KEYED:
                values.append(keyed_value(case, f, tx, earlier, watermark))
            else:
                values.append(context_value(case, f, tx))
        rows.append((tx["end_to_end_id"], values))
        scored.append(tx)
    return [f.name for f in case.features], rows


def format_value(v):
    """Exact value -> the shortest text of the double nearest to it; '' for missing."""
    if v is None:
        return ""
    if isinstance(v, int) or (isinstance(v, Fraction) and v.denominator == 1):
        return str(int(v))
    d = float(v)
    return repr(d)


def table(case_dir):
    names, rows = compute(case_dir)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["end_to_end_id"] + names)
    for eid, values in rows:
        w.writerow([eid] + [format_value(v) for v in values])
    return buf.getvalue()


def main(argv):
    if len(argv) not in (2, 3) or (len(argv) == 3 and argv[2] != "--write"):
        sys.exit(__doc__)
    try:
        text = table(argv[1])
    except CaseError as e:
        sys.exit("%s: %s" % (argv[1], e))
    if len(argv) == 3:
        with open(os.path.join(argv[1], "expected.csv"), "w", encoding="utf-8", newline="") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv)
