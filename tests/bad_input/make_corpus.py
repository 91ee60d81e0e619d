#!/usr/bin/env python3
"""Writes the bad-input corpus (tests/bad_input/README.md): one file per theme and, beside each,
`<file>.expect.json` with the expected outcome of every line.

Usage: make_corpus.py [--check] [--dir DIR]
  (no flag)  write the corpus files and expectations into DIR (default: this script's directory)
  --check    write nothing; exit 1 when a committed file differs from what this script writes

Every bad line is a valid Pix message (taken from `pixguard generate` output) with exactly one
thing wrong, so that the dead letter's field and rule can be checked. Valid lines are mixed in
so that every file has scored records. The corpus is committed (raw bytes included: invalid
UTF-8, CRLF, BOM); the huge inputs (a 10 MB line and such) are made at run time by
bad_input_test.py and are not part of it.

Python 3.9+, standard library only.
"""
import argparse
import copy
import datetime as dt
import json
import os
import sys
from decimal import Decimal

# ---- Valid messages, as `pixguard generate --seed 42` writes them (one per payee key type).
TEMPLATES = [json.loads(t) for t in (
    '{"end_to_end_id":"E607469482025112404188cztMC2PTpA","event_time":"2025-11-24T01:18:01-03:00","amount":"140.54",'
    '"payer":{"account":"74770557","ispb":"60746948","document":"84944837810"},"payee":{"key":"+5586968873380",'
    '"key_type":"PHONE","account":"86198146","ispb":"18236120","document":"84386622772"},"initiation":"DICT",'
    '"channel":"APP","device_id":"dev-3","description":"Feliz Natal!!! \U0001f384\U0001f385","label":0}',
    '{"end_to_end_id":"E004169682025112410129BUVu2HYCH7","event_time":"2025-11-24T07:12:17.157-03:00",'
    '"amount":"180.23","payer":{"account":"26461741","ispb":"00416968","document":"52788763280"},'
    '"payee":{"key":"5083d712-4559-4ec9-867b-4ca01c8c97b9","key_type":"EVP","account":"89927665","ispb":"00416968",'
    '"document":"30205754511"},"initiation":"AUTO","channel":"API","device_id":"dev-1651","label":0}',
    '{"end_to_end_id":"E607469482025112411278df5e8SJRoN","event_time":"2025-11-24T08:27:06-03:00","amount":"54.00",'
    '"payer":{"account":"25721352","ispb":"60746948","document":"81090994087"},'
    '"payee":{"key":"aline.oliveira1169@bol.com.br","key_type":"EMAIL","account":"18388768","ispb":"00416968",'
    '"document":"76412749357"},"initiation":"DICT","channel":"APP","device_id":"dev-48618","label":0}',
    '{"end_to_end_id":"E60746948202511241530UC32VA92lpX","event_time":"2025-11-24T12:30:49-03:00","amount":"6.91",'
    '"payer":{"account":"71380056","ispb":"60746948","document":"62273916892"},"payee":{"key":"38152589870",'
    '"key_type":"CPF","account":"75055355","ispb":"60746948","document":"38152589870"},"initiation":"DICT",'
    '"channel":"APP","device_id":"dev-3706","label":0}',
    '{"end_to_end_id":"E90400888202511241341LaLTmeSULcE","event_time":"2025-11-24T10:41:46-03:00","amount":"159.53",'
    '"payer":{"account":"15141308","ispb":"90400888","document":"53664909526"},"payee":{"key":"44425476000140",'
    '"key_type":"CNPJ","account":"40873038","ispb":"00000000","document":"44425476000140"},"initiation":"INIC",'
    '"channel":"APP","device_id":"dev-5550","label":0}',
    '{"end_to_end_id":"E60701190202511241236LFXticKBatB","event_time":"2025-11-24T09:36:47-03:00","amount":"74.00",'
    '"payer":{"account":"68081087","ispb":"60701190","document":"41637394403"},'
    '"payee":{"key":"8fa1d7af-c8dc-429c-9bc3-5012865e114b","key_type":"EVP","account":"56152141","ispb":"60701190",'
    '"document":"9FB4ZNPH000156"},"initiation":"QRDN","channel":"APP","device_id":"dev-2413","label":0}',
)]
PHONE, EVP, EMAIL, CPF_KEY, CNPJ_KEY, ALNUM_CNPJ = range(6)

BRT = dt.timezone(dt.timedelta(hours=-3))
T0 = dt.datetime(2025, 11, 24, 10, 0, 0, tzinfo=BRT)  # first event of every file
STEP = dt.timedelta(seconds=97)                       # between consecutive valid messages

DEL = object()  # edit(): remove the field


# ---- Pix helpers (the same rules as src/validate/pix_rules.cpp, written independently).

def mod11(total):
    r = total % 11
    return "0" if r < 2 else str(11 - r)


def cpf(first9):
    d1 = mod11(sum(int(c) * (10 - i) for i, c in enumerate(first9)))
    d2 = mod11(sum(int(c) * (11 - i) for i, c in enumerate(first9 + d1)))
    return first9 + d1 + d2


def cnpj(first12):
    """Check digits of a CNPJ, numeric or alphanumeric (character value = ASCII code - 48)."""
    w1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    w2 = [6] + w1
    d1 = mod11(sum((ord(c) - 48) * w for c, w in zip(first12, w1)))
    d2 = mod11(sum((ord(c) - 48) * w for c, w in zip(first12 + d1, w2)))
    return first12 + d1 + d2


def bump(s, i):
    """`s` with its digit at `i` changed (+1 mod 10): a check digit that no longer matches."""
    return s[:i] + str((int(s[i]) + 1) % 10) + s[i + 1:]


assert cpf("849448378") == "84944837810" and cnpj("444254760001") == "44425476000140"
assert cnpj("9FB4ZNPH0001") == "9FB4ZNPH000156"


def rfc3339(t):
    return t.isoformat(timespec="seconds")


def utc_ms(t):
    """The scored record's event_time: UTC, milliseconds."""
    u = t.astimezone(dt.timezone.utc)
    return u.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (u.microsecond // 1000)


def e2e_id(ispb, t, seq):
    """E + ISPB + the UTC minute + an 11-character sequence."""
    assert len(seq) == 11
    return "E" + ispb + t.astimezone(dt.timezone.utc).strftime("%Y%m%d%H%M") + seq


def dumps(m):
    return json.dumps(m, ensure_ascii=False, separators=(",", ":"))


def edit(m, path, value):
    """A copy of message `m` with the dotted `path` set to `value` (or removed: DEL)."""
    m = copy.deepcopy(m)
    *parents, last = path.split(".")
    node = m
    for p in parents:
        node = node[p]
    if value is DEL:
        del node[last]
    else:
        node[last] = value
    return m


def replace_once(text, old, new):
    assert text.count(old) == 1, (old, text)
    return text.replace(old, new)


def cents_text(amount_text):
    return str(Decimal(amount_text).quantize(Decimal("0.01")))


# ---- A corpus file and its expectations.

class Corpus:
    def __init__(self, name, code, description, config=None):
        assert len(code) == 4
        self.name, self.code, self.description, self.config = name, code, description, config
        self.lines = []   # bytes, without the line end
        self.ends = []    # the line end after each line (b"\n", b"\r\n", or b"" for the last)
        self.expect = []
        self.n = 0
        self.t = T0 - STEP
        self.header = None

    # A new valid message: the next id and (unless `at` is given) the next event time.
    def msg(self, template=None, at=None):
        self.n += 1
        if at is None:
            self.t += STEP
            at = self.t
        m = copy.deepcopy(TEMPLATES[(self.n - 1) % 5 if template is None else template])
        m["event_time"] = rfc3339(at)
        m["end_to_end_id"] = e2e_id(m["payer"]["ispb"], at, "%s%07d" % (self.code, self.n))
        return m

    def _add(self, line, end, entry):
        if isinstance(line, dict):
            line = dumps(line)
        if isinstance(line, str):
            line = line.encode("utf-8")
        assert b"\n" not in line, line
        self.lines.append(line)
        self.ends.append(end)
        entry = {"line": len(self.lines) + (1 if self.header is not None else 0), **entry}
        self.expect.append(entry)

    def scored(self, m, note, line=None, amount=None, end=b"\n", **extra):
        """A line that must be scored; `m` is the message it carries (the line is `m` unless given)."""
        e = {"outcome": "scored", "id": m["end_to_end_id"],
             "amount": amount if amount is not None else cents_text(m["amount"])}
        e.update(extra)
        e["note"] = note
        self._add(m if line is None else line, end, e)

    def dead(self, line, field, rule, note, end=b"\n"):
        self._add(line, end, {"outcome": "dead_letter", "field": field, "rule": rule, "note": note})

    def duplicate(self, line, m, note, end=b"\n"):
        self._add(line, end, {"outcome": "duplicate", "id": m["end_to_end_id"], "note": note})

    def content(self):
        body = b"".join(line + end for line, end in zip(self.lines, self.ends))
        return (self.header or b"") + body

    def expectations(self):
        head = {"corpus": self.name, "description": self.description}
        if self.config:
            head["config"] = self.config
        out = json.dumps(head, ensure_ascii=False, indent=2)[:-2] + ',\n  "lines": [\n'
        out += ",\n".join("    " + json.dumps(e, ensure_ascii=False) for e in self.expect)
        return out + "\n  ]\n}\n"


# ---- The themes.

def truncated_json():
    c = Corpus("truncated_json.jsonl", "TRNC", "JSON that is cut short, not JSON, or not an object.")
    m = c.msg()
    c.scored(m, "valid")
    text = dumps(c.msg())
    c.dead(text[:len(text) // 2], None, "malformed_json", "cut in the middle (inside a string)")
    text = dumps(c.msg())
    c.dead(text[:text.index('"payee"')], None, "malformed_json", "cut after a comma, before a key")
    text = dumps(c.msg())
    c.dead(text[:text.index('"payee"') + 9], None, "malformed_json", "cut inside the nested payee object")
    text = dumps(c.msg())
    c.dead(text[:-1], None, "malformed_json", "only the final brace missing")
    text = dumps(c.msg())
    c.dead(text[:text.index('"amount":') + len('"amount":')], None, "malformed_json", "cut after a key's colon")
    c.dead("{", None, "malformed_json", "a lone opening brace")
    c.dead("}", None, "not_an_object", "a lone closing brace")
    c.dead("{}", "end_to_end_id", "missing", "an empty object: the first required field is missing")
    c.scored(c.msg(), "valid")
    text = dumps(c.msg())
    c.dead(text + "}", None, "malformed_json", "one closing brace too many")
    text = dumps(c.msg())
    c.dead(text + text, None, "malformed_json", "two objects on one line")
    text = dumps(c.msg())
    c.dead(text[:-1] + ",}", None, "malformed_json", "trailing comma before the closing brace")
    text = dumps(c.msg())
    c.dead(text.replace('"', "'"), None, "malformed_json", "single quotes instead of double quotes")
    text = dumps(c.msg())
    c.dead(replace_once(text, '"initiation":', "initiation:"), None, "malformed_json", "an unquoted key")
    text = dumps(c.msg())
    c.dead(replace_once(text, '"label":0', '"label":0 // test'), None, "malformed_json", "a // comment")
    m = c.msg()
    c.dead("[" + dumps(m) + "]", None, "not_an_object", "the message wrapped in an array")
    c.dead('"' + dumps(c.msg()).replace('"', '\\"') + '"', None, "not_an_object", "the message as a JSON string")
    c.dead("null", None, "not_an_object", "null")
    c.dead("42", None, "not_an_object", "a number")
    text = dumps(c.msg())
    c.dead(replace_once(text, '"label":0', '"label":0,"extra":tru'), None, "malformed_json",
           "a broken atom in an unmapped field")
    text = dumps(c.msg())
    c.dead(replace_once(text, '"label":0', '"label":0,"extra":[1,2,]'), None, "malformed_json",
           "a trailing comma in an unmapped array")
    text = dumps(c.msg())
    c.dead(replace_once(text, '"label":0', '"label":nul'), "label", "malformed_json", "a broken null in a mapped field")
    text = dumps(c.msg())
    c.dead(replace_once(text, '"device_id":"dev-', '"device_id":"\\qdev-'), "device_id", "malformed_json",
           "an invalid escape (\\q) in a mapped string")
    text = dumps(c.msg())
    c.dead(replace_once(text, '"channel":"APP"', '"channel":"A\tPP"'), None, "malformed_json",
           "a raw tab (unescaped control character) inside a string")
    text = dumps(c.msg())
    c.dead(replace_once(text, '"amount":"', '"amount":""'), None, "malformed_json",
           "an extra quote left behind (unbalanced quotes)")
    m = c.msg()
    c.dead(replace_once(dumps(m), '"amount":"%s"' % m["amount"], '"amount":"%s","amount":"1.00"' % m["amount"]),
           "amount", "duplicate_field", "the amount given twice")
    m = c.msg()
    c.scored(m, "an unmapped key given twice is not our business", line=replace_once(
        dumps(m), '"label":0', '"label":0,"x":1,"x":2'))
    m = c.msg()
    c.scored(m, "a key written with an escape (amou\\u006et) is the same key",
             line=replace_once(dumps(m), '"amount"', '"amou\\u006et"'))
    m = c.msg()
    c.scored(m, "50 levels of nesting in an unmapped field",
             line=replace_once(dumps(m), '"label":0', '"label":0,"deep":' + "[" * 50 + "]" * 50))
    text = dumps(c.msg())
    c.dead(replace_once(text, '"label":0', '"label":0,"deep":' + "[" * 3000 + "]" * 3000), None, "malformed_json",
           "3000 levels of nesting (beyond simdjson's depth limit)")
    m = c.msg()
    c.dead(replace_once(dumps(m), '"payer":{', '"payer":{"account":"1",'), "payer.account", "duplicate_field",
           "payer.account given twice inside the nested object")
    text = dumps(c.msg())
    c.dead(replace_once(text, '"channel":"APP"', '"channel":"APP":"IB"'), None, "malformed_json",
           "a string value followed by a colon (a key-value pair where a value belongs)")
    text = dumps(c.msg())
    c.dead(replace_once(text, '"payer":{', '"payer":tru,"x":{'), None, "malformed_json",
           "a broken atom where the payer object belongs")
    c.scored(c.msg(), "valid, last line of the file")
    return c


def wrong_types():
    c = Corpus("wrong_types.jsonl", "TYPE", "Fields of the wrong JSON type, null or absent.")
    c.scored(c.msg(), "valid")
    c.dead(edit(c.msg(), "amount", True), "amount", "wrong_type", "amount: true")
    c.dead(edit(c.msg(), "amount", {"value": "10.00", "currency": "BRL"}), "amount", "wrong_type", "amount: an object")
    c.dead(edit(c.msg(), "amount", ["10.00"]), "amount", "wrong_type", "amount: an array")
    c.dead(edit(c.msg(), "amount", None), "amount", "missing", "amount: null")
    c.dead(edit(c.msg(), "amount", DEL), "amount", "missing", "amount absent")
    c.dead(edit(c.msg(), "amount", ""), "amount", "invalid_amount", "amount: empty string")
    c.dead(edit(c.msg(), "event_time", True), "event_time", "wrong_type", "event_time: true")
    c.dead(edit(c.msg(), "event_time", {}), "event_time", "wrong_type", "event_time: an object")
    c.dead(edit(c.msg(), "event_time", None), "event_time", "missing", "event_time: null")
    c.dead(edit(c.msg(), "event_time", DEL), "event_time", "missing", "event_time absent")
    c.dead(edit(c.msg(), "end_to_end_id", 12345678901234567890123456789012), "end_to_end_id", "invalid_end_to_end_id",
           "end_to_end_id: a 32-digit number (numbers are read as text, then fail the format)")
    c.dead(edit(c.msg(), "end_to_end_id", True), "end_to_end_id", "wrong_type", "end_to_end_id: true")
    c.dead(edit(c.msg(), "end_to_end_id", None), "end_to_end_id", "missing", "end_to_end_id: null")
    c.dead(edit(c.msg(), "end_to_end_id", ""), "end_to_end_id", "empty", "end_to_end_id: empty string")
    c.dead(edit(c.msg(), "payer", "74770557"), "payer.account", "missing",
           "payer: a string instead of an object (its fields are absent)")
    c.dead(edit(c.msg(), "payer", []), "payer.account", "missing", "payer: an array")
    c.dead(edit(c.msg(), "payer.account", {"id": "1"}), "payer.account", "wrong_type", "payer.account: an object")
    c.dead(edit(c.msg(), "payer.ispb", False), "payer.ispb", "wrong_type", "payer.ispb: false")
    c.dead(edit(c.msg(), "payee", None), "payee.account", "missing", "payee: null")
    c.dead(edit(c.msg(), "payee.key_type", 1), "payee.key_type", "unknown_key_type", "payee.key_type: 1")
    c.dead(edit(c.msg(), "payee.key", ["+5586968873380"]), "payee.key", "wrong_type", "payee.key: an array")
    c.dead(edit(c.msg(), "initiation", 5), "initiation", "unknown_initiation", "initiation: 5 (an index, not a name)")
    c.dead(edit(c.msg(), "label", "yes"), "label", "invalid_label", "label: \"yes\"")
    c.dead(edit(c.msg(), "label", 2), "label", "invalid_label", "label: 2")
    c.dead(edit(c.msg(), "label", [1]), "label", "invalid_label", "label: an array")
    c.dead(edit(c.msg(), "channel", False), "channel", "wrong_type", "channel (optional): false")
    c.dead(edit(c.msg(), "device_id", {"id": 3}), "device_id", "wrong_type", "device_id (optional): an object")
    c.dead(edit(c.msg(), "ip", []), "ip", "wrong_type", "ip (optional): an array")
    c.dead(edit(c.msg(), "description", {}), "description", "wrong_type", "description (optional): an object")
    m = c.msg()
    c.scored(edit(m, "payer.account", 74770557), "payer.account as a JSON number: accepted as text (numeric ids)")
    m = c.msg(template=PHONE)
    c.scored(edit(m, "payer.document", int(m["payer"]["document"])),
             "payer.document as a JSON number (a valid CPF without a leading zero)")
    c.scored(edit(c.msg(), "label", True), "label: true is 1")
    c.scored(edit(c.msg(), "label", None), "label: null is unknown")
    c.scored(edit(c.msg(), "device_id", None), "device_id (optional): null")
    c.scored(edit(c.msg(), "description", 42), "description (optional): a number, read as text")
    c.scored(edit(c.msg(), "amount", 99.5), "amount as a JSON number", amount="99.50")
    c.scored(edit(c.msg(), "label", "1"), "label: \"1\"")
    c.scored(c.msg(), "valid, last line")
    return c


def numbers():
    c = Corpus("numbers.jsonl", "NUMB", "Amounts (and other numbers) that overflow, are not finite, or are not money.")

    def amount_line(token, note, rule=None, field="amount", amount=None, t=None, own_payer=False):
        m = c.msg(template=t)
        if own_payer:
            # Amounts near int64 max centavos on payers of their own: a second large amount in the
            # same window overflows the feature engine's int64 sums (a known bug; see
            # bad_input_test.py --scenario amount_sum_overflow).
            m["payer"]["account"] = "9900%04d" % c.n
        line = replace_once(dumps(m), '"amount":"%s"' % m["amount"], '"amount":' + token)
        if rule is None:
            c.scored(m, note, line=line, amount=amount)
        else:
            c.dead(line, field, rule, note)

    c.scored(c.msg(), "valid")
    amount_line("9223372036854775807", "int64 max as a number of reais: overflows int64 centavos", "amount_overflow")
    amount_line('"92233720368547758.07"', "exactly int64 max centavos: fits", amount="92233720368547758.07",
                own_payer=True)
    amount_line('"92233720368547758.08"', "one centavo above int64 max", "amount_overflow")
    amount_line("-9223372036854775808", "int64 min: overflows centavos", "amount_overflow")
    amount_line("123456789012345678901234567890", "a 30-digit integer", "amount_overflow")
    amount_line("1e400", "1e400 (beyond double range)", "amount_overflow")
    amount_line('"1e400"', "1e400 as a string", "amount_overflow")
    amount_line("-1e400", "-1e400: overflow is reported before the sign", "amount_overflow")
    amount_line("1e-400", "1e-400 (below double range): far below a centavo", "too_many_decimals")
    amount_line("NaN", "bare NaN is not JSON", "malformed_json", field=None)
    amount_line('"NaN"', "NaN as a string", "invalid_amount")
    amount_line("Infinity", "bare Infinity is not JSON", "malformed_json", field=None)
    amount_line("-Infinity", "bare -Infinity is not JSON", "malformed_json", field="amount")
    amount_line('"Infinity"', "Infinity as a string", "invalid_amount")
    amount_line('"inf"', "inf as a string", "invalid_amount")
    amount_line("-0", "-0", "not_positive")
    amount_line('"-0.00"', "-0.00 as a string", "not_positive")
    amount_line("0", "zero", "not_positive")
    amount_line("0e999999999999", "zero with a huge exponent", "not_positive")
    amount_line('"-5.00"', "negative", "not_positive")
    amount_line('"0.001"', "a tenth of a centavo", "too_many_decimals")
    amount_line("12.345", "three decimals", "too_many_decimals")
    amount_line("01", "a leading zero is not a JSON number", "malformed_json")
    amount_line("1.", "a dot without decimals is not a JSON number", "malformed_json")
    amount_line("+5", "a plus sign is not JSON", "malformed_json", field=None)
    amount_line("0x10", "hexadecimal is not JSON (read as a bad number token)", "malformed_json")
    amount_line('".5"', "a string without the integer part", "invalid_amount")
    amount_line('"5."', "a string ending in a dot", "invalid_amount")
    amount_line('"+5.00"', "a string with a plus sign", "invalid_amount")
    amount_line('" 5.00"', "a string with a leading space", "invalid_amount")
    amount_line('"5,00"', "a decimal comma", "invalid_amount")
    amount_line('"1.234,56"', "Brazilian thousands and decimal separators", "invalid_amount")
    amount_line('"R$ 5,00"', "a currency symbol", "invalid_amount")
    amount_line('"1_000"', "an underscore separator", "invalid_amount")
    amount_line('"1e"', "an exponent without digits", "invalid_amount")
    amount_line('"1e-9223372036854775809"', "an exponent below int64 min", "too_many_decimals")
    amount_line('"1e9223372036854775808"', "an exponent above int64 max", "amount_overflow")
    amount_line("12.340", "trailing zero decimals are exact", amount="12.34")
    amount_line("1.5e2", "an exponent", amount="150.00")
    amount_line("1E+2", "an upper-case exponent with a sign", amount="100.00")
    amount_line("0.1e1", "a fraction scaled up", amount="1.00")
    amount_line('"1e-2"', "one centavo written with a negative exponent", amount="0.01")
    amount_line('"007.50"', "leading zeros in a string (fixed-width exports)", amount="7.50")
    amount_line('"1.000000000000000000000000000000000000000"', "a huge number of zero decimals", amount="1.00")
    amount_line('"0.0000000000000000000000000000000000000001e40"', "tiny digits, huge exponent", amount="1.00")
    amount_line("92233720368547758.07", "int64 max centavos as a JSON number (not rounded through a double)",
                amount="92233720368547758.07", own_payer=True)
    m = c.msg()
    c.dead(edit(m, "label", 1e300), "label", "invalid_label", "label: 1e300")
    m = c.msg()
    c.dead(replace_once(dumps(m), '"label":0', '"label":1e400'), "label", "invalid_label", "label: 1e400")
    m = c.msg()
    c.scored(m, "label: 1.0 is 1", line=replace_once(dumps(m), '"label":0', '"label":1.0'))
    m = c.msg()
    c.dead(replace_once(dumps(m), '"label":0', '"label":-0'), "label", "invalid_label", "label: -0")
    m = c.msg()
    c.dead(edit(m, "payer.ispb", -0), "payer.ispb", "invalid_ispb", "payer.ispb: 0 as a number (not 8 digits)")
    m = c.msg()
    c.scored(m, "an unmapped huge number", line=replace_once(dumps(m), '"label":0', '"label":0,"big":1e99999'))
    m = c.msg()
    c.scored(m, "an unmapped 400-digit integer",
             line=replace_once(dumps(m), '"label":0', '"label":0,"big":' + "9" * 400))
    c.scored(c.msg(), "valid, last line")
    return c


def invalid_utf8():
    c = Corpus("invalid_utf8.jsonl", "UTF8",
               "Invalid UTF-8 anywhere in a message (raw bytes), bad escapes, and the 140-character description limit "
               "counted in characters. Dead letters of non-UTF-8 lines carry raw_base64.")

    def bytes_in(path_text, bad, note, rule="invalid_utf8", field=None, m=None):
        m = m or c.msg()
        text = dumps(m).encode("utf-8")
        anchor = path_text.encode("utf-8")
        assert text.count(anchor) == 1, path_text
        c.dead(text.replace(anchor, anchor + bad), field, rule, note)

    c.scored(c.msg(template=PHONE), "valid, with an emoji description")
    bytes_in('"description":"Feliz', b"\xff", "0xFF in a mapped string", m=c.msg(template=PHONE))
    bytes_in('"description":"Feliz', b"\xc0\xaf", "overlong encoding of '/'", m=c.msg(template=PHONE))
    bytes_in('"description":"Feliz', b"\xed\xa0\x80", "a UTF-16 surrogate encoded as UTF-8", m=c.msg(template=PHONE))
    bytes_in('"description":"Feliz', b"\xe2\x82", "a 3-byte sequence cut after 2 bytes", m=c.msg(template=PHONE))
    bytes_in('"payer":{"account":"', b"\x80", "a lone continuation byte in payer.account")
    bytes_in('"device_id":"', b"\xf4\x90\x80\x80", "a code point above U+10FFFF")
    bytes_in('"device_id":"', b"\xf8\x88\x80\x80\x80", "a 5-byte sequence")
    bytes_in('"device_id":"', b"\xc0\x80", "modified UTF-8 NUL (overlong)")
    m = c.msg()
    c.dead(replace_once(dumps(m), '"label":0', '"label":0,"cidade":"S\u00e3o Paulo"').encode("utf-8").replace(
        b"S\xc3\xa3o", b"S\xe3o"), None, "invalid_utf8", "Latin-1 text (S\\xe3o Paulo) in an unmapped field")
    m = c.msg()
    c.dead(dumps(m).encode("utf-8").replace(b'"initiation"', b'"initia\xfftion"'), None, "invalid_utf8",
           "an invalid byte inside a key")
    m = c.msg()
    c.dead(dumps(m).encode("utf-8") + b"\xfe", None, "invalid_utf8", "an invalid byte after the object")
    m = c.msg()
    c.scored(edit(m, "description", "S\u00e3o Paulo, a\u00e7\u00e3o, \u00e9 \u00fa"), "Portuguese accents (valid UTF-8)")
    m = c.msg()
    c.scored(edit(m, "description", "\U0001d11e \u4e2d\u6587 \u0627\u0644\u0639\u0631\u0628\u064a\u0629"),
             "4-byte, CJK and right-to-left text")
    m = c.msg(template=PHONE)
    c.dead(replace_once(dumps(m), '"description":"Feliz', '"description":"\\ud800Feliz'), "description",
           "malformed_json", "a lone surrogate escape \\ud800")
    m = c.msg(template=PHONE)
    c.scored(m, "an escaped surrogate pair (a valid emoji)",
             line=replace_once(dumps(m), '"description":"Feliz', '"description":"\\ud83c\\udf84Feliz'))
    m = c.msg(template=PHONE)
    c.scored(m, "an escaped NUL (\\u0000) in the description: valid JSON, re-escaped on output",
             line=replace_once(dumps(m), '"description":"Feliz', '"description":"\\u0000Feliz'))
    c.dead(replace_once(dumps(c.msg(template=PHONE)), '"description":"Feliz', '"description":"\x00Feliz'), None,
           "malformed_json", "a raw NUL byte inside a string (control characters must be escaped)")
    c.scored(edit(c.msg(), "description", "\u00e9" * 140), "140 characters of 2 bytes each: at the limit")
    c.dead(edit(c.msg(), "description", "\u00e9" * 141), "description", "too_long", "141 characters of 2 bytes each")
    c.scored(edit(c.msg(), "description", "\U0001f384" * 140), "140 emoji (560 bytes): the limit counts characters")
    c.dead(edit(c.msg(), "description", "a" * 141), "description", "too_long", "141 ASCII characters")
    c.scored(c.msg(), "valid, last line")
    return c


def pix_ids():
    c = Corpus("pix_ids.jsonl", "PIXI", "Pix identifiers with one thing wrong: CPF/CNPJ check digits, keys of each type, "
               "end-to-end ids, ISPBs, initiation, description length.")
    c.scored(c.msg(), "valid")
    m = c.msg()
    c.dead(edit(m, "payer.document", bump(m["payer"]["document"], 10)), "payer.document", "invalid_cpf",
           "payer CPF: second check digit wrong")
    m = c.msg()
    c.dead(edit(m, "payer.document", bump(m["payer"]["document"], 9)), "payer.document", "invalid_cpf",
           "payer CPF: first check digit wrong")
    c.dead(edit(c.msg(), "payer.document", "11111111111"), "payer.document", "invalid_cpf",
           "payer CPF: all digits equal (check digits match, still invalid)")
    c.dead(edit(c.msg(), "payer.document", "8494483781A"), "payer.document", "invalid_cpf", "payer CPF: a letter")
    c.dead(edit(c.msg(), "payer.document", "8494483781"), "payer.document", "invalid_document_length",
           "payer document: 10 digits")
    c.dead(edit(c.msg(), "payer.document", "849448378100"), "payer.document", "invalid_document_length",
           "payer document: 12 digits")
    c.dead(edit(c.msg(), "payer.document", "849.448.378-10"), "payer.document", "invalid_cnpj",
           "payer CPF with punctuation: 14 characters, so judged as a CNPJ")
    m = c.msg(template=CNPJ_KEY)
    c.dead(edit(m, "payee.document", bump(m["payee"]["document"], 13)), "payee.document", "invalid_cnpj",
           "payee CNPJ: second check digit wrong")
    c.dead(edit(c.msg(template=CNPJ_KEY), "payee.document", "00000000000000"), "payee.document", "invalid_cnpj",
           "payee CNPJ: all zeros")
    c.dead(edit(c.msg(template=ALNUM_CNPJ), "payee.document", "9fb4znph000156"), "payee.document", "invalid_cnpj",
           "alphanumeric CNPJ in lower case")
    c.dead(edit(c.msg(template=ALNUM_CNPJ), "payee.document", "9FB4ZNPH0001AB"), "payee.document", "invalid_cnpj",
           "alphanumeric CNPJ with letters as check digits")
    c.scored(edit(c.msg(template=ALNUM_CNPJ), "payee.document", cnpj("12ABC34501DE")),
             "a valid alphanumeric CNPJ (the July 2026 format)")
    m = c.msg(template=CPF_KEY)
    c.dead(edit(m, "payee.key", bump(m["payee"]["key"], 10)), "payee.key", "invalid_pix_key", "CPF key: check digit")
    m = c.msg(template=CNPJ_KEY)
    c.dead(edit(m, "payee.key", bump(m["payee"]["key"], 12)), "payee.key", "invalid_pix_key", "CNPJ key: check digit")
    c.dead(edit(c.msg(template=PHONE), "payee.key", "5586968873380"), "payee.key", "invalid_pix_key",
           "PHONE key without '+'")
    c.dead(edit(c.msg(template=PHONE), "payee.key", "+5586968873"), "payee.key", "invalid_pix_key",
           "PHONE key too short")
    c.dead(edit(c.msg(template=PHONE), "payee.key", "+5506968873380"), "payee.key", "invalid_pix_key",
           "PHONE key with area code 06")
    c.dead(edit(c.msg(template=PHONE), "payee.key", "+1 555 0100"), "payee.key", "invalid_pix_key",
           "PHONE key from another country")
    c.dead(edit(c.msg(template=EMAIL), "payee.key", "Aline.Oliveira1169@bol.com.br"), "payee.key", "invalid_pix_key",
           "EMAIL key in upper case")
    c.dead(edit(c.msg(template=EMAIL), "payee.key", "a" * 66 + "@example.com"), "payee.key", "invalid_pix_key",
           "EMAIL key of 78 characters (limit 77)")
    c.scored(edit(c.msg(template=EMAIL), "payee.key", "a" * 65 + "@example.com"), "EMAIL key of 77 characters")
    c.dead(edit(c.msg(template=EMAIL), "payee.key", "aline@localhost"), "payee.key", "invalid_pix_key",
           "EMAIL key with a one-label domain")
    c.dead(edit(c.msg(template=EMAIL), "payee.key", "aline@@bol.com.br"), "payee.key", "invalid_pix_key",
           "EMAIL key with two @")
    c.dead(edit(c.msg(template=EVP), "payee.key", "5083D712-4559-4EC9-867B-4CA01C8C97B9"), "payee.key",
           "invalid_pix_key", "EVP key in upper case")
    c.dead(edit(c.msg(template=EVP), "payee.key", "5083d71245594ec9867b4ca01c8c97b9"), "payee.key",
           "invalid_pix_key", "EVP key without dashes")
    c.dead(edit(c.msg(template=EVP), "payee.key", "5083d712-4559-4ec9-867b-4ca01c8c97bg"), "payee.key",
           "invalid_pix_key", "EVP key with a non-hex digit")
    c.dead(edit(c.msg(template=EMAIL), "payee.key", "+5586968873380"), "payee.key", "invalid_pix_key",
           "a phone number under key_type EMAIL")
    c.dead(edit(c.msg(), "payee.key_type", "RANDOM"), "payee.key_type", "unknown_key_type", "key_type RANDOM")
    c.dead(edit(c.msg(template=EMAIL), "payee.key_type", "email"), "payee.key_type", "unknown_key_type",
           "key_type in lower case")
    c.dead(edit(c.msg(), "payee.key_type", ""), "payee.key_type", "empty", "key_type empty")
    m = c.msg()
    e2e = m["end_to_end_id"]
    c.dead(edit(m, "end_to_end_id", e2e[:-1]), "end_to_end_id", "invalid_end_to_end_id", "end-to-end id of 31 chars")
    m = c.msg()
    c.dead(edit(m, "end_to_end_id", m["end_to_end_id"] + "X"), "end_to_end_id", "invalid_end_to_end_id",
           "end-to-end id of 33 chars")
    m = c.msg()
    c.dead(edit(m, "end_to_end_id", "e" + m["end_to_end_id"][1:]), "end_to_end_id", "invalid_end_to_end_id",
           "end-to-end id starting with a lower-case e")
    m = c.msg()
    c.dead(edit(m, "end_to_end_id", m["end_to_end_id"][:13] + "13" + m["end_to_end_id"][15:]), "end_to_end_id",
           "invalid_end_to_end_id", "end-to-end id with month 13")
    m = c.msg()
    c.dead(edit(m, "end_to_end_id", m["end_to_end_id"][:9] + "20250229" + m["end_to_end_id"][17:]), "end_to_end_id",
           "invalid_end_to_end_id", "end-to-end id dated 2025-02-29 (not a leap year)")
    m = c.msg()
    c.scored(edit(m, "end_to_end_id", m["end_to_end_id"][:9] + "20280229" + m["end_to_end_id"][17:]),
             "end-to-end id dated 2028-02-29 (a leap year)")
    m = c.msg()
    c.dead(edit(m, "end_to_end_id", m["end_to_end_id"][:17] + "24" + m["end_to_end_id"][19:]), "end_to_end_id",
           "invalid_end_to_end_id", "end-to-end id at hour 24")
    m = c.msg()
    c.dead(edit(m, "end_to_end_id", m["end_to_end_id"][:19] + "60" + m["end_to_end_id"][21:]), "end_to_end_id",
           "invalid_end_to_end_id", "end-to-end id at minute 60")
    m = c.msg()
    c.dead(edit(m, "end_to_end_id", m["end_to_end_id"][:25] + "-" + m["end_to_end_id"][26:]), "end_to_end_id",
           "invalid_end_to_end_id", "end-to-end id with '-' in the sequence part")
    m = c.msg()
    c.dead(edit(m, "end_to_end_id", m["end_to_end_id"][:4] + "A" + m["end_to_end_id"][5:]), "end_to_end_id",
           "invalid_end_to_end_id", "end-to-end id with a letter in the ISPB")
    m = c.msg()
    c.dead(edit(m, "end_to_end_id", m["end_to_end_id"][:25] + "\u00e7" + m["end_to_end_id"][26:]), "end_to_end_id",
           "invalid_end_to_end_id", "end-to-end id with a non-ASCII letter (32 characters, 33 bytes)")
    c.dead(edit(c.msg(), "payer.ispb", "6074694"), "payer.ispb", "invalid_ispb", "payer ISPB of 7 digits")
    c.dead(edit(c.msg(), "payer.ispb", "607469480"), "payer.ispb", "invalid_ispb", "payer ISPB of 9 digits")
    c.dead(edit(c.msg(), "payee.ispb", "1823612O"), "payee.ispb", "invalid_ispb", "payee ISPB with a letter O")
    c.dead(edit(c.msg(), "payee.ispb", " 18236120"), "payee.ispb", "invalid_ispb", "payee ISPB with a space")
    c.dead(edit(c.msg(), "payee.ispb", ""), "payee.ispb", "empty", "payee ISPB empty")
    c.dead(edit(c.msg(), "initiation", "manu"), "initiation", "unknown_initiation", "initiation in lower case")
    c.dead(edit(c.msg(), "initiation", "PIX"), "initiation", "unknown_initiation", "initiation PIX")
    c.dead(edit(c.msg(), "payer.account", ""), "payer.account", "empty", "payer account empty")
    c.scored(c.msg(), "valid, last line")
    return c


def timestamps():
    c = Corpus("timestamps.jsonl", "TIME", "Event times: years 1 and 9999, leap seconds, bad offsets, other forms. "
               "Input config: time_format auto, zone America/Sao_Paulo, max_future 1d, max_past 400d.")

    def at(text, note, rule=None, event_time=None, field="event_time", **extra):
        m = c.msg()
        if rule is None:
            c.scored(edit(m, "event_time", text), note, event_time=event_time, **extra)
        else:
            c.dead(edit(m, "event_time", text), field, rule, note)

    first = c.msg()
    c.scored(first, "valid: 2025-11-24T10:00:00-03:00 anchors the range checks", event_time=utc_ms(T0))
    at("0001-01-01T00:00:00Z", "year 1", "invalid_timestamp")
    at("9999-12-31T23:59:59Z", "year 9999", "invalid_timestamp")
    at("0000-01-01T00:00:00Z", "year 0", "invalid_timestamp")
    at("1969-12-31T23:59:59Z", "one second before the Unix epoch", "invalid_timestamp")
    at("2200-01-01T00:00:00Z", "year 2200 (beyond 2199-12-31)", "invalid_timestamp")
    at("2025-11-24T10:05:60-03:00", "a leap second: the last microsecond of its minute",
       event_time="2025-11-24T13:05:59.999Z")
    at("2025-11-24T10:06:61-03:00", "second 61", "invalid_timestamp")
    at("2025-11-24T24:00:00-03:00", "hour 24", "invalid_timestamp")
    at("2025-02-29T10:00:00-03:00", "2025-02-29 (not a leap year)", "invalid_timestamp")
    at("2025-11-31T10:00:00-03:00", "November 31", "invalid_timestamp")
    at("2025-13-01T10:00:00-03:00", "month 13", "invalid_timestamp")
    at("2025-11-24T10:07:00+25:00", "offset +25:00", "invalid_timestamp")
    at("2025-11-24T10:07:00-03:60", "offset minutes 60", "invalid_timestamp")
    at("2025-11-24T10:07:00-03", "offset without minutes", "invalid_timestamp")
    at("2025-11-24T10:07:00-0300", "offset without a colon", "invalid_timestamp")
    at("2025-11-24T10:07:00 -03:00", "a space before the offset", "invalid_timestamp")
    at("2025-11-24T10:07:00-03:00 ", "a trailing space", "invalid_timestamp")
    at(" 2025-11-24T10:07:00-03:00", "a leading space", "invalid_timestamp")
    at("2025-11-24T10:07:00 UTC", "a zone name instead of an offset", "invalid_timestamp")
    at("2025-11-24T10:07:00.1234567890-03:00", "10 fraction digits", "invalid_timestamp")
    at("2025-11-24T10:07:00.-03:00", "a dot without fraction digits", "invalid_timestamp")
    at("2025-11-24", "a date without a time", "invalid_timestamp")
    at("24/11/2025 10:07:00", "day/month/year", "invalid_timestamp")
    at("2025-11-24T10:07", "no seconds", "invalid_timestamp")
    at("\uff12\uff10\uff12\uff15-11-24T10:07:00-03:00", "full-width digits", "invalid_timestamp")
    at("", "empty", "invalid_timestamp")
    at("-1", "epoch -1", "invalid_timestamp")
    at("1e9", "epoch in exponent form", "invalid_timestamp")
    at("2026-11-24T10:00:00-03:00", "a year ahead of the others", "too_far_in_future")
    at("2024-10-01T10:00:00-03:00", "419 days behind the latest event", "too_far_in_past")
    at("2025-11-24T10:08:00.123456789-03:00", "9 fraction digits, truncated to microseconds",
       event_time="2025-11-24T13:08:00.123Z")
    at("2025-11-24t13:09:00z", "lower-case t and z", event_time="2025-11-24T13:09:00.000Z")
    at("2025-11-24 10:10:00", "no offset: Sao Paulo wall-clock time (auto)", event_time="2025-11-24T13:10:00.000Z")
    at("2025-11-24T13:11:00+00:00", "offset +00:00", event_time="2025-11-24T13:11:00.000Z")
    at("2025-11-25T12:41:00+23:30", "offset +23:30", event_time="2025-11-24T13:11:00.000Z")
    at("2025-11-23T13:42:00-23:59", "offset -23:59", event_time="2025-11-24T13:41:00.000Z")
    m = c.msg()
    c.scored(edit(m, "event_time", "1763990000"), "epoch seconds as a string", event_time="2025-11-24T13:13:20.000Z")
    m = c.msg()
    c.scored(edit(m, "event_time", 1763990001000), "epoch milliseconds as a number",
             event_time="2025-11-24T13:13:21.000Z")
    m = c.msg()
    c.scored(edit(m, "event_time", 1763990002.5), "epoch seconds with a fraction", event_time="2025-11-24T13:13:22.500Z")
    at("2025-06-01T10:00:00-03:00", "176 days behind: accepted, late", event_time="2025-06-01T13:00:00.000Z", late=True)
    c.scored(c.msg(), "valid, last line")
    return c


def empty_and_whitespace():
    c = Corpus("empty_and_whitespace.jsonl", "EMPT",
               "Empty and blank lines (each is a message: an empty_message dead letter), whitespace around messages, "
               "CRLF line ends, a byte-order mark. The file ends with blank lines.")
    c.dead("", None, "empty_message", "an empty first line")
    c.scored(c.msg(), "valid")
    c.dead("", None, "empty_message", "an empty line")
    c.dead("    ", None, "empty_message", "spaces only")
    c.dead("\t\t", None, "empty_message", "tabs only")
    c.dead("\r", None, "empty_message", "an empty CRLF line", )
    m = c.msg()
    c.scored(m, "a message ending in CR (CRLF line end)", line=dumps(m) + "\r")
    m = c.msg()
    c.scored(m, "leading spaces and a tab", line="  \t" + dumps(m))
    m = c.msg()
    c.scored(m, "trailing spaces", line=dumps(m) + "   ")
    m = c.msg()
    c.scored(m, "spaces between tokens", line=dumps(m).replace('":"', '" : "').replace('","', '" , "'))
    m = c.msg()
    c.scored(m, "a UTF-8 byte-order mark before the object", line="\ufeff" + dumps(m))
    c.dead("\ufeff", None, "empty_message", "a byte-order mark alone")
    c.dead("\f", None, "not_an_object", "a form feed (not JSON whitespace)")
    c.dead("\x00", None, "not_an_object", "a NUL byte")
    m = c.msg()
    c.dead("\u00a0" + dumps(m), None, "not_an_object", "a no-break space before the object (not JSON whitespace)")
    m = c.msg()
    c.dead(dumps(m) + "\v", None, "malformed_json", "a vertical tab after the object")
    c.scored(c.msg(), "valid")
    c.dead("", None, "empty_message", "an empty line")
    c.dead("", None, "empty_message", "another empty line")
    c.scored(c.msg(), "valid, before the trailing blank lines")
    c.dead("", None, "empty_message", "a trailing empty line")
    c.dead(" ", None, "empty_message", "a trailing line with one space and no newline", end=b"")
    return c


def duplicates():
    c = Corpus("duplicates.jsonl", "DUPL", "Re-sent end-to-end ids. The first valid message with an id is scored; later "
               "valid ones within dedupe.horizon (24h of event time behind the watermark) are duplicates; invalid "
               "messages never take part in deduplication.")
    a = c.msg()
    c.scored(a, "A")
    c.duplicate(dumps(a), a, "A again, byte for byte")
    b = c.msg()
    c.scored(b, "B")
    c.duplicate(edit(b, "amount", "999.99"), b, "B again with another amount: still a duplicate (the first wins)")
    cc = c.msg()
    c.dead(edit(cc, "payer.document", bump(cc["payer"]["document"], 10)), "payer.document", "invalid_cpf",
           "C with a bad CPF: rejected before dedupe")
    c.scored(cc, "C valid after its rejected version: scored")
    d = c.msg()
    c.scored(d, "D")
    c.dead(edit(d, "amount", "-1.00"), "amount", "not_positive", "D again with a negative amount: a dead letter, not a "
           "duplicate (validation comes first)")
    e = c.msg()
    c.scored(e, "E")
    reordered = dict(reversed(list(e.items())))
    c.duplicate(json.dumps(reordered, ensure_ascii=False, indent=None), e, "E again, keys reversed and spaced")
    f = edit(c.msg(), "end_to_end_id", e["end_to_end_id"][:-1] + "Z")
    c.scored(f, "F: E's id with the last character changed is another id")
    c.dead(edit(f, "end_to_end_id", f["end_to_end_id"].lower()), "end_to_end_id", "invalid_end_to_end_id",
           "F's id in lower case")
    c.duplicate(dumps(a), a, "A a third time, later")
    g_time = c.t + STEP
    g = c.msg(at=g_time)
    c.scored(g, "G")
    g2 = edit(g, "event_time", rfc3339(g_time + dt.timedelta(minutes=30)))
    c.duplicate(g2, g, "G re-sent with a later event time (same id): duplicate")
    h1 = c.msg(at=g_time + dt.timedelta(hours=20))
    c.scored(h1, "H1: 20 hours after G")
    h2 = c.msg(at=g_time + dt.timedelta(hours=40))
    c.scored(h2, "H2: 40 hours after G: G's id is now beyond dedupe.horizon")
    c.scored(g, "G re-sent after dedupe.horizon: no longer recognised, scored again (documented trade-off), late",
             late=True)
    c.duplicate(dumps(g), g, "G a third time: remembered again since its re-send")
    i = c.msg(at=g_time + dt.timedelta(hours=40, minutes=1))
    c.scored(i, "I")
    c.duplicate(dumps(i), i, "I again")
    c.duplicate(dumps(i), i, "I a third time")
    return c


def out_of_order():
    c = Corpus("out_of_order.jsonl", "OOOR", "Events far out of order, both directions. max_future 1d and max_past 400d "
               "are measured from the latest accepted event time; the watermark trails it by 5m (late = older).")
    d = T0

    def ev(t, note, rule=None, late=False):
        m = c.msg(at=t)
        if rule is None:
            c.scored(m, note, late=late, event_time=utc_ms(t))
        else:
            c.dead(m, "event_time", rule, note)

    ev(d, "D (latest = D)")
    ev(d + dt.timedelta(seconds=60), "D+60s (latest = D+60s)")
    ev(d - dt.timedelta(days=3), "3 days back: accepted, late", late=True)
    ev(d + dt.timedelta(days=2), "2 days ahead of the latest", "too_far_in_future")
    ev(d + dt.timedelta(hours=23), "23 hours ahead (latest = D+23h)")
    ev(d + dt.timedelta(hours=1), "22 hours behind the latest: late", late=True)
    ev(d + dt.timedelta(hours=47), "exactly 1 day ahead of the latest: accepted (latest = D+47h)")
    ev(d + dt.timedelta(hours=71, seconds=1), "1 day and 1 second ahead", "too_far_in_future")
    ev(d + dt.timedelta(hours=47) - dt.timedelta(days=399), "399 days back: accepted, late", late=True)
    ev(d + dt.timedelta(hours=47) - dt.timedelta(days=400, seconds=1), "400 days and 1 second back",
       "too_far_in_past")
    ev(d + dt.timedelta(hours=47) - dt.timedelta(days=400), "exactly 400 days back: accepted, late", late=True)
    ev(d + dt.timedelta(hours=47) - dt.timedelta(days=3650), "10 years back", "too_far_in_past")
    ev(d + dt.timedelta(hours=47) + dt.timedelta(days=3650), "10 years ahead", "too_far_in_future")
    ev(d + dt.timedelta(hours=47, minutes=-10), "10 minutes behind the latest: late (lateness 5m)", late=True)
    ev(d + dt.timedelta(hours=47, minutes=-4), "4 minutes behind the latest: not late")
    ev(d + dt.timedelta(hours=47, minutes=1), "after the latest (latest = D+47h+1m)")
    ev(d + dt.timedelta(hours=46), "1 hour behind: late", late=True)
    ev(d + dt.timedelta(hours=48), "in order again")
    return c


# ---- CSV: the Pix fields as columns (mapping in csv_input.yaml).

CSV_COLUMNS = [("END_TO_END_ID", "end_to_end_id"), ("EVENT_TIME", "event_time"), ("AMOUNT", "amount"),
               ("PAYER_ACCOUNT", "payer.account"), ("PAYER_ISPB", "payer.ispb"), ("PAYER_DOCUMENT", "payer.document"),
               ("PAYEE_KEY", "payee.key"), ("PAYEE_KEY_TYPE", "payee.key_type"), ("PAYEE_ACCOUNT", "payee.account"),
               ("PAYEE_ISPB", "payee.ispb"), ("PAYEE_DOCUMENT", "payee.document"), ("INITIATION", "initiation"),
               ("CHANNEL", "channel"), ("DEVICE_ID", "device_id"), ("DESCRIPTION", "description"), ("LABEL", "label")]
CSV_HEADER = ",".join(name for name, _ in CSV_COLUMNS)
CSV_CONFIG = {"input": "csv_input.yaml"}


def csv_input_yaml():
    fields = "\n".join(f"    {field}: {name}" for name, field in CSV_COLUMNS)
    return ("# The `input` section for the CSV corpus files: Pix fields as upper-case columns.\n"
            "# bad_input_test.py puts it in place of the shipped config's `input` section.\n"
            "input:\n  fields:\n" + fields + "\n  pix_rules: true\n  time_format: auto\n"
            "  time_zone: America/Sao_Paulo\n  max_future: 1d\n  max_past: 400d\n")


def cells(m):
    out = []
    for _, field in CSV_COLUMNS:
        node = m
        for p in field.split("."):
            node = node.get(p, "") if isinstance(node, dict) else ""
        out.append("" if node is None else str(node))
    return out


def quote(cell):
    return '"' + cell.replace('"', '""') + '"'


def row(m, quote_all=False):
    cs = cells(m)
    return ",".join(quote(x) if quote_all or any(ch in x for ch in ',"\r\n') else x for x in cs)


def csv_columns():
    c = Corpus("csv_columns.csv", "CSVC", "CSV records with the wrong number of columns, empty cells, other delimiters.",
               CSV_CONFIG)
    c.header = (CSV_HEADER + "\n").encode()
    m = c.msg(template=EVP)
    c.scored(m, "valid", line=row(m))
    m = c.msg(template=EVP)
    c.dead(row(m).rsplit(",", 1)[0], None, "column_count", "the last column missing")
    m = c.msg(template=EVP)
    c.dead(row(m) + ",extra", None, "column_count", "one column too many")
    m = c.msg(template=EVP)
    c.dead(row(m) + ",", None, "column_count", "a trailing delimiter (an empty 17th column)")
    c.dead("," * 15, "end_to_end_id", "missing", "16 empty cells")
    c.dead("E607469482025112413008CSVC0000099", None, "column_count", "a single column")
    m = edit(edit(c.msg(template=EVP), "device_id", ""), "channel", "")
    c.scored(m, "empty optional cells (channel, device_id, description)", line=row(m))
    m = c.msg(template=EVP)
    c.dead(row(edit(m, "payer.ispb", "")), "payer.ispb", "missing", "an empty required cell is missing")
    m = c.msg(template=EVP)
    cs = cells(m)
    cs[8] = '""'
    c.dead(",".join(cs), "payee.account", "empty", "a quoted empty required cell is present but empty")
    m = c.msg(template=EVP)
    c.dead(row(m).replace(",", ";"), None, "column_count", "semicolon-delimited (one column)")
    m = c.msg(template=EVP)
    c.dead(row(m).replace(",", "\t"), None, "column_count", "tab-delimited (one column)")
    m = c.msg(template=EVP)
    cs = cells(m)
    cs[2] = "1.234,56"
    c.dead(",".join(cs), None, "column_count", "an unquoted decimal comma splits the amount")
    m = c.msg(template=EVP)
    c.dead(row(edit(m, "amount", "1.234,56")), "amount", "invalid_amount", "a quoted decimal comma")
    c.dead("", None, "empty_message", "an empty line")
    m = c.msg(template=EVP)
    c.scored(m, "valid, last line, without a final newline", line=row(m), end=b"")
    return c


def csv_quoting():
    c = Corpus("csv_quoting.csv", "CSVQ", "CSV quoting errors; each physical line is one record, so a bad quote never "
               "swallows the lines after it.", CSV_CONFIG)
    c.header = (CSV_HEADER + "\n").encode()
    m = c.msg(template=EVP)
    c.scored(m, "valid", line=row(m))
    m = c.msg(template=EVP)
    c.scored(m, "every cell quoted", line=row(m, quote_all=True))
    m = edit(c.msg(template=EVP), "description", 'pagamento "aluguel", nov')
    c.scored(m, "escaped quotes and a comma inside a quoted cell", line=row(m))
    m = edit(c.msg(template=EVP), "description", '"')
    c.scored(m, "a cell holding just an escaped quote", line=row(m))
    m = edit(c.msg(template=EVP), "description", "aluguel")
    c.dead(row(m).replace(",aluguel,", ',"aluguel,'), None, "csv_quoting", "an opening quote never closed")
    m = edit(c.msg(template=EVP), "description", "alu")
    c.dead(row(m).replace(",alu,", ',al"u,'), None, "csv_quoting", "a quote inside an unquoted cell")
    m = edit(c.msg(template=EVP), "description", "alu")
    c.dead(row(m).replace(",alu,", ',"alu"guel,'), None, "csv_quoting", "text after a closing quote")
    m = edit(c.msg(template=EVP), "description", "alu")
    c.dead(row(m).replace(",alu,", ', "alu",'), None, "csv_quoting", "a space before the opening quote")
    m = edit(c.msg(template=EVP), "description", "Feliz\nNatal")
    first, second = row(m).split("\n")
    c.dead(first, None, "csv_quoting", "a newline inside quotes: the first half is unterminated")
    c.dead(second, None, "csv_quoting", "... and the second half has a stray quote")
    m = c.msg(template=EVP)
    c.scored(m, "valid, right after the broken record", line=row(m))
    c.dead('"', None, "csv_quoting", "a lone quote")
    c.dead('""', None, "column_count", "one quoted empty cell")
    m = c.msg(template=EVP)
    c.dead(row(edit(m, "device_id", "dev-\udcff")).encode("utf-8", "surrogateescape"), None, "invalid_utf8",
           "an invalid byte in a cell")
    m = c.msg(template=EVP)
    c.scored(m, "valid, last line", line=row(m))
    return c


def csv_crlf_bom():
    c = Corpus("csv_crlf_bom.csv", "CSVB", "A CSV with a UTF-8 byte-order mark and CRLF line ends (as Excel writes it).",
               CSV_CONFIG)
    c.header = ("\ufeff" + CSV_HEADER + "\r\n").encode()
    for _ in range(2):
        m = c.msg(template=EVP)
        c.scored(m, "valid, CRLF", line=row(m) + "\r")
    m = c.msg(template=EVP)
    c.dead(row(edit(m, "amount", "0.00")) + "\r", "amount", "not_positive", "zero amount, CRLF (raw keeps the CR)")
    c.dead("\r", None, "empty_message", "an empty CRLF line")
    m = c.msg(template=EVP)
    c.dead("\ufeff" + row(m) + "\r", "end_to_end_id", "invalid_end_to_end_id",
           "a second byte-order mark, in the middle of the file, before the id")
    m = edit(c.msg(template=EVP), "device_id", "dev-1\r2")
    c.scored(m, "a bare CR inside an unquoted cell is kept (device_id is free text)", line=row(m).replace('"', "") + "\r")
    m = c.msg(template=EVP)
    c.scored(m, "valid, last line, no line end", line=row(m), end=b"")
    return c


def csv_header_only():
    c = Corpus("csv_header_only.csv", "CSVH", "A CSV with its header and nothing else: no messages.", CSV_CONFIG)
    c.header = (CSV_HEADER + "\n").encode()
    return c


def empty_file():
    return Corpus("empty_file.jsonl", "EMTF", "A JSON-lines file of 0 bytes: no messages.")


THEMES = [truncated_json, wrong_types, numbers, invalid_utf8, pix_ids, timestamps, empty_and_whitespace, duplicates,
          out_of_order, csv_columns, csv_quoting, csv_crlf_bom, csv_header_only, empty_file]


def outputs():
    files = {"csv_input.yaml": csv_input_yaml().encode()}
    for theme in THEMES:
        c = theme()
        files[c.name] = c.content()
        files[c.name + ".expect.json"] = c.expectations().encode()
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--dir", default=os.path.dirname(os.path.abspath(__file__)))
    a = ap.parse_args()
    stale = []
    for name, data in outputs().items():
        path = os.path.join(a.dir, name)
        if a.check:
            try:
                with open(path, "rb") as f:
                    same = f.read() == data
            except OSError:
                same = False
            if not same:
                stale.append(name)
        else:
            with open(path, "wb") as f:
                f.write(data)
    if stale:
        print("FAIL: committed corpus files differ from make_corpus.py's output (run tests/bad_input/make_corpus.py "
              "and commit): " + ", ".join(stale), file=sys.stderr)
        sys.exit(1)
    if a.check:
        print("ok: corpus up to date")


if __name__ == "__main__":
    main()
