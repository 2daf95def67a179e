#!/usr/bin/env python3
"""Reference signer and verifier for the TP-HMAC-SHA256 message protocol.

An independent implementation of docs/protocol.md in Python 3 with the
standard library only (hmac, hashlib, json). It shares no code with the C++
library (libs/signing); both check tests/vectors/signing.json, so the two
implementations must agree byte for byte.

Usage:
  signing_reference.py generate [PATH]      write the conformance vectors
                                            (stdout when PATH is omitted)
  signing_reference.py check PATH           verify every vector, and that PATH
                                            is exactly what `generate` writes
  signing_reference.py sign --key-file F --key-id K --subject S
        --message-id M --type T --producer P [--correlation-id C]
        [--timestamp-ns N] [--nonce HEX] (--payload-file PATH | --payload-hex HEX)
                                            print the NATS headers as JSON

Exit status: 0 on success, 1 when a check fails, 2 on a usage error.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import time

PREFIX = "TP-HMAC-SHA256"
VERSION = "1"

H_VERSION = "Tp-Version"
H_MESSAGE_ID = "Nats-Msg-Id"
H_TYPE = "Tp-Type"
H_PRODUCER = "Tp-Producer"
H_KEY_ID = "Tp-Key-Id"
H_TIMESTAMP = "Tp-Timestamp"
H_NONCE = "Tp-Nonce"
H_CORRELATION_ID = "Tp-Correlation-Id"
H_SIGNATURE = "Tp-Signature"

# Presence is checked in this order (Tp-Correlation-Id is optional).
REQUIRED_HEADERS = [H_VERSION, H_MESSAGE_ID, H_TYPE, H_PRODUCER, H_KEY_ID,
                    H_TIMESTAMP, H_NONCE, H_SIGNATURE]

INT64_MAX = 2**63 - 1
MIN_SECRET_BYTES = 32

NONCE_RE = re.compile(r"^[0-9a-f]{32}$")
SIGNATURE_RE = re.compile(r"^[0-9a-f]{64}$")
TIMESTAMP_RE = re.compile(r"^[1-9][0-9]*$")
ID_RE = re.compile(r"^[A-Za-z0-9._-]+$")


class Reject(Exception):
    """A verification failure with its protocol reason label."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason
        self.message = message


# ---------------------------------------------------------------- encoding

def text_ok(value, required):
    """Printable ASCII (0x20-0x7e), no leading/trailing space."""
    if value == "":
        return not required
    if any(ord(c) < 0x20 or ord(c) > 0x7e for c in value):
        return False
    return value[0] != " " and value[-1] != " "


def subject_ok(subject):
    if not text_ok(subject, True) or " " in subject:
        return False
    return all(tok not in ("", "*", ">") for tok in subject.split("."))


def payload_digest_hex(payload):
    return hashlib.sha256(payload).hexdigest()


def canonical_string(env, payload):
    """The eleven lines the HMAC covers, joined by LF, no trailing LF."""
    lines = [PREFIX, VERSION, env["subject"], env["message_id"],
             env["message_type"], env["producer"], env["key_id"],
             str(env["timestamp_ns"]), env["nonce"], env["correlation_id"],
             payload_digest_hex(payload)]
    return "\n".join(lines)


def signature_hex(secret, env, payload):
    canonical = canonical_string(env, payload).encode("ascii")
    return hmac.new(secret, canonical, hashlib.sha256).hexdigest()


def to_headers(env):
    headers = {
        H_VERSION: VERSION,
        H_MESSAGE_ID: env["message_id"],
        H_TYPE: env["message_type"],
        H_PRODUCER: env["producer"],
        H_KEY_ID: env["key_id"],
        H_TIMESTAMP: str(env["timestamp_ns"]),
        H_NONCE: env["nonce"],
        H_SIGNATURE: env["signature"],
    }
    if env["correlation_id"]:
        headers[H_CORRELATION_ID] = env["correlation_id"]
    return headers


def subject_matches(pattern, subject):
    """NATS wildcards: '*' is one token, '>' (last) is one or more tokens."""
    p = pattern.split(".")
    s = subject.split(".")
    for i, tok in enumerate(p):
        if tok == ">":
            return i == len(p) - 1 and len(s) > i
        if i >= len(s) or tok == "" or s[i] == "":
            return False
        if tok != "*" and tok != s[i]:
            return False
    return len(p) == len(s)


def key_allows(key, subject):
    return not key["subjects"] or any(subject_matches(p, subject) for p in key["subjects"])


# ---------------------------------------------------------------- verify

def parse_headers(subject, headers):
    for name in REQUIRED_HEADERS:
        if name not in headers:
            raise Reject("missing_header", "missing header " + name)
    if not subject_ok(subject):
        raise Reject("malformed_header", "malformed subject")
    env = {
        "subject": subject,
        "message_id": headers[H_MESSAGE_ID],
        "message_type": headers[H_TYPE],
        "producer": headers[H_PRODUCER],
        "key_id": headers[H_KEY_ID],
        "nonce": headers[H_NONCE],
        "correlation_id": headers.get(H_CORRELATION_ID, ""),
        "signature": headers[H_SIGNATURE],
    }
    if not text_ok(headers[H_VERSION], True):
        raise Reject("malformed_header", "malformed header " + H_VERSION)
    for name, field in ((H_MESSAGE_ID, "message_id"), (H_TYPE, "message_type"),
                        (H_PRODUCER, "producer"), (H_KEY_ID, "key_id")):
        if not text_ok(env[field], True):
            raise Reject("malformed_header", "malformed header " + name)
    ts = headers[H_TIMESTAMP]
    if not TIMESTAMP_RE.match(ts) or int(ts) > INT64_MAX:
        raise Reject("malformed_header", "malformed header " + H_TIMESTAMP)
    env["timestamp_ns"] = int(ts)
    if not NONCE_RE.match(env["nonce"]):
        raise Reject("malformed_header", "malformed header " + H_NONCE)
    if not text_ok(env["correlation_id"], False):
        raise Reject("malformed_header", "malformed header " + H_CORRELATION_ID)
    if not SIGNATURE_RE.match(env["signature"]):
        raise Reject("malformed_header", "malformed header " + H_SIGNATURE)
    if headers[H_VERSION] != VERSION:
        raise Reject("unsupported_version", "unsupported protocol version")
    return env


def verify(keys, window, subject, headers, payload, reference_ns):
    """Returns the envelope or raises Reject, checking in protocol order."""
    env = parse_headers(subject, headers)
    key = keys.get(env["key_id"])
    if key is None or key["status"] != "active":
        raise Reject("unknown_key", "unknown or retired key " + env["key_id"])
    if key["producer"] != env["producer"]:
        raise Reject("producer_mismatch", "key belongs to " + key["producer"])
    if not key_allows(key, subject):
        raise Reject("subject_not_allowed", "subject not allowed for key")
    expected = signature_hex(key["secret"], env, payload)
    if not hmac.compare_digest(expected, env["signature"]):
        raise Reject("bad_signature", "bad signature")
    if env["timestamp_ns"] < reference_ns - window["max_age_ns"]:
        raise Reject("stale", "stale")
    if env["timestamp_ns"] > reference_ns + window["max_future_ns"]:
        raise Reject("future", "future")
    return env


# ---------------------------------------------------------------- key files

def load_key_ring(doc, base_dir="."):
    """Key file (docs/protocol.md, "Key files") -> {id: key}. Raises ValueError."""
    problems = []
    if not isinstance(doc, dict):
        raise ValueError("key file: must be a JSON object")
    for name in doc:
        if name not in ("keys", "signing_key"):
            problems.append(name + ": unknown field")
    keys = {}
    for i, item in enumerate(doc.get("keys", [])):
        at = "keys[%d]" % i
        if not isinstance(item, dict):
            problems.append(at + ": must be an object")
            continue
        for name in item:
            if name not in ("id", "producer", "secret_hex", "secret_file",
                            "secret_env", "subjects", "status"):
                problems.append("%s.%s: unknown field" % (at, name))
        sources = [s for s in ("secret_hex", "secret_file", "secret_env") if s in item]
        if len(sources) != 1:
            problems.append(at + ": exactly one of secret_hex, secret_file, secret_env")
            continue
        raw = item[sources[0]]
        if sources[0] == "secret_file":
            with open(os.path.join(base_dir, raw), encoding="ascii") as f:
                raw = f.read().strip()
        elif sources[0] == "secret_env":
            raw = os.environ.get(raw, "").strip()
        try:
            secret = bytes.fromhex(raw)
        except ValueError:
            problems.append("%s.%s: invalid hex" % (at, sources[0]))
            continue
        if len(secret) < MIN_SECRET_BYTES:
            problems.append("%s.%s: must be at least %d bytes, got %d"
                            % (at, sources[0], MIN_SECRET_BYTES, len(secret)))
        key_id = item.get("id", "")
        if not ID_RE.match(key_id) or not ID_RE.match(item.get("producer", "")):
            problems.append(at + ": id and producer must match [A-Za-z0-9._-]+")
        if key_id in keys:
            problems.append(at + ".id: duplicate")
        status = item.get("status", "active")
        if status not in ("active", "retired"):
            problems.append(at + ".status: must be active or retired")
        keys[key_id] = {"id": key_id, "producer": item.get("producer", ""),
                        "secret": secret, "subjects": list(item.get("subjects", [])),
                        "status": status}
    if problems:
        raise ValueError("\n".join(problems))
    return keys


# ---------------------------------------------------------------- vectors

MAX_AGE_NS = 120 * 10**9
MAX_FUTURE_NS = 5 * 10**9
T0 = 1767225660000000000  # 2026-01-01T00:01:00Z


def vector_secret(key_id, length=32):
    """Deterministic, obviously-not-real secrets for the vectors."""
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(("tp-signing-vectors/%s/%d" % (key_id, counter)).encode()).digest()
        counter += 1
    return out[:length]


VECTOR_KEYS = [
    # id, producer, subjects, status, secret length
    ("ingester-2026-01", "ingester", ["md.>"], "active", 32),
    ("ingester-2026-02", "ingester", ["md.>"], "active", 32),
    ("ingester-2025-12", "ingester", ["md.>"], "retired", 32),
    ("ema-cross-1", "ema-cross", ["sig.ema-cross.*"], "active", 32),
    ("decision-1", "decision", ["orders.intent.*", "orders.reject.*", "orders.cancel.*"],
     "active", 48),
    ("execsim-1", "execsim", ["exec.>", "params.outcome.>"], "active", 32),
    ("regime-1", "regime", [], "active", 100),  # longer than the SHA-256 block
]


def vector_key_ring():
    return {"keys": [{"id": k, "producer": p, "secret_hex": vector_secret(k, n).hex(),
                      "subjects": s, "status": st}
                     for (k, p, s, st, n) in VECTOR_KEYS]}


def payload_field(payload, encoding):
    if encoding == "base64":
        return {"payload_base64": base64.b64encode(payload).decode("ascii")}
    return {"payload_hex": payload.hex()}


def payload_of(vector):
    if "payload_hex" in vector:
        return bytes.fromhex(vector["payload_hex"])
    return base64.b64decode(vector["payload_base64"], validate=True)


BAR_PAYLOAD = bytes.fromhex(
    "0a180a0a62696e616e63652d7573120742544355534454120231"
    "6d1880d0b4e8a0f1c6d31820c0e8d3e0a7fb02280a")
SIGNAL_PAYLOAD = b"\x0a\x09ema-cross\x12\x07BTCUSDT\x18\x01\x21\x00\x00\x00\x00\x00\x00\xe0\x3f"


def generate():
    ring_doc = vector_key_ring()
    keys = load_key_ring(ring_doc)
    window = {"max_age_ns": MAX_AGE_NS, "max_future_ns": MAX_FUTURE_NS}

    def envelope(subject, key_id, producer=None, message_id="bar.binance-us.BTCUSDT.1m.1767225600000000000",
                 message_type="trading.v1.Bar", timestamp_ns=T0,
                 nonce="000102030405060708090a0b0c0d0e0f", correlation_id=""):
        return {"subject": subject, "message_id": message_id, "message_type": message_type,
                "producer": producer if producer is not None else keys[key_id]["producer"],
                "key_id": key_id, "timestamp_ns": timestamp_ns, "nonce": nonce,
                "correlation_id": correlation_id}

    def signed(env, payload, secret_of=None):
        env = dict(env)
        env["signature"] = signature_hex(keys[secret_of or env["key_id"]]["secret"], env, payload)
        return env

    valid = []

    def add_valid(name, description, env, payload, reference_ns, encoding="hex"):
        env = signed(env, payload)
        vector = {"name": name, "description": description,
                  "envelope": {k: (str(v) if k == "timestamp_ns" else v)
                               for k, v in env.items() if k != "signature"}}
        vector.update(payload_field(payload, encoding))
        vector.update({"reference_ns": str(reference_ns),
                       "payload_sha256": payload_digest_hex(payload),
                       "canonical": canonical_string(env, payload),
                       "signature": env["signature"],
                       "headers": to_headers(env)})
        valid.append(vector)

    bar = envelope("md.bar.binance-us.BTCUSDT.1m", "ingester-2026-01")
    add_valid("bar_basic", "A 1m bar from the ingester; empty correlation id is an empty line.",
              bar, BAR_PAYLOAD, T0 + 250 * 10**6)
    add_valid("signal_with_correlation",
              "A strategy signal that carries the bar's id as correlation id; base64 payload.",
              envelope("sig.ema-cross.BTCUSDT", "ema-cross-1",
                       message_id="sig.ema-cross.BTCUSDT.1767225600000000000",
                       message_type="trading.v1.Signal",
                       nonce="ffeeddccbbaa99887766554433221100",
                       correlation_id="bar.binance-us.BTCUSDT.1m.1767225600000000000"),
              SIGNAL_PAYLOAD, T0 + 10**9, encoding="base64")
    add_valid("empty_payload", "A zero-length body: the digest is SHA-256 of nothing.",
              envelope("regime.binance-us.ETHUSDT.1h", "regime-1",
                       message_id="regime.binance-us.ETHUSDT.1h.1767222000000000000",
                       message_type="trading.v1.RegimePosterior"),
              b"", T0)
    add_valid("binary_payload_with_newlines",
              "Payload bytes are never part of the canonical string, only their digest.",
              envelope("orders.intent.BTCUSDT", "decision-1", message_id="intent-42",
                       message_type="trading.v1.OrderIntent", correlation_id="corr-42"),
              b"\x00\n\r\n\xff\x00line\nbreak\x00", T0)
    add_valid("rotated_key", "The same bar signed with the next ingester key.",
              envelope("md.bar.binance-us.BTCUSDT.1m", "ingester-2026-02"), BAR_PAYLOAD, T0)
    add_valid("long_secret", "A 100-byte secret (longer than the SHA-256 block) on any subject.",
              envelope("regime.binance-us.BTCUSDT.1h", "regime-1",
                       message_id="regime.binance-us.BTCUSDT.1h.1767222000000000000",
                       message_type="trading.v1.RegimePosterior"),
              b"\x08\x01\x11\x9a\x99\x99\x99\x99\x99\xe9\x3f", T0)
    add_valid("printable_punctuation",
              "Any printable ASCII is allowed inside a field, including inner spaces.",
              envelope("exec.report.BTCUSDT", "execsim-1",
                       message_id="exec:report/BTCUSDT#7?x=1&y=[2]",
                       message_type="trading.v1.ExecutionReport",
                       correlation_id="corr 1 ~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./"),
              b"report", T0)
    add_valid("oldest_accepted", "timestamp == reference - max_age: still fresh.",
              envelope("md.bar.binance-us.ETHUSDT.1m", "ingester-2026-01",
                       message_id="bar.binance-us.ETHUSDT.1m.1767225600000000000"),
              BAR_PAYLOAD, T0 + MAX_AGE_NS)
    add_valid("furthest_future_accepted", "timestamp == reference + max_future: still fresh.",
              envelope("md.bar.binance-us.ETHUSDT.1m", "ingester-2026-01",
                       message_id="bar.binance-us.ETHUSDT.1m.1767225660000000000"),
              BAR_PAYLOAD, T0 - MAX_FUTURE_NS)
    add_valid("int64_max_timestamp",
              "The largest timestamp: decimal without precision loss (JSON carries it as a string).",
              envelope("params.outcome.ema-cross.BTCUSDT", "execsim-1", message_id="outcome-1",
                       message_type="trading.v1.Outcome", timestamp_ns=INT64_MAX),
              b"\x01", INT64_MAX)

    invalid = []

    def add_invalid(name, description, reason, subject, headers, payload, reference_ns=T0,
                    encoding="hex"):
        vector = {"name": name, "description": description, "reason": reason,
                  "subject": subject, "headers": headers}
        vector.update(payload_field(payload, encoding))
        vector["reference_ns"] = str(reference_ns)
        invalid.append(vector)

    good = signed(bar, BAR_PAYLOAD)
    good_headers = to_headers(good)
    subject = bar["subject"]

    def with_header(name, value):
        h = dict(good_headers)
        if value is None:
            del h[name]
        else:
            h[name] = value
        return h

    for name in (H_SIGNATURE, H_MESSAGE_ID, H_VERSION, H_TIMESTAMP):
        add_invalid("missing_" + name.lower().replace("-", "_"), "Header %s is absent." % name,
                    "missing_header", subject, with_header(name, None), BAR_PAYLOAD)
    h = with_header(H_SIGNATURE, None)
    h["tp-signature"] = good["signature"]
    add_invalid("header_names_are_case_sensitive", "tp-signature is not Tp-Signature.",
                "missing_header", subject, h, BAR_PAYLOAD)
    malformed = [
        ("uppercase_signature", H_SIGNATURE, good["signature"].upper()),
        ("short_signature", H_SIGNATURE, good["signature"][:-1]),
        ("timestamp_leading_zero", H_TIMESTAMP, "0" + str(T0)),
        ("timestamp_negative", H_TIMESTAMP, "-" + str(T0)),
        ("timestamp_plus_sign", H_TIMESTAMP, "+" + str(T0)),
        ("timestamp_overflow", H_TIMESTAMP, str(INT64_MAX + 1)),
        ("timestamp_not_decimal", H_TIMESTAMP, "1.767225660e18"),
        ("short_nonce", H_NONCE, good["nonce"][:-1]),
        ("uppercase_nonce", H_NONCE, good["nonce"].upper()),
        ("empty_producer", H_PRODUCER, ""),
        ("producer_trailing_space", H_PRODUCER, "ingester "),
        ("newline_in_type", H_TYPE, "trading.v1.Bar\ningester"),
        ("control_char_in_correlation", H_CORRELATION_ID, "corr\x01"),
        ("non_ascii_message_id", H_MESSAGE_ID, "bar-\u00e9"),
    ]
    for name, header, value in malformed:
        add_invalid(name, "%s is %r." % (header, value), "malformed_header", subject,
                    with_header(header, value), BAR_PAYLOAD)
    add_invalid("wildcard_subject", "A published subject has no wildcards.", "malformed_header",
                "md.bar.*.BTCUSDT.1m", good_headers, BAR_PAYLOAD)
    add_invalid("malformed_before_version", "A malformed header is reported before the version.",
                "malformed_header", subject,
                dict(with_header(H_VERSION, "2"), **{H_NONCE: "x"}), BAR_PAYLOAD)
    add_invalid("version_2", "Only protocol version 1 exists.", "unsupported_version", subject,
                with_header(H_VERSION, "2"), BAR_PAYLOAD)

    add_invalid("unknown_key", "The key id is not in the ring.", "unknown_key", subject,
                with_header(H_KEY_ID, "ingester-2099-01"), BAR_PAYLOAD)
    retired = signed(dict(bar, key_id="ingester-2025-12"), BAR_PAYLOAD)
    add_invalid("retired_key", "Correctly signed with a retired key.", "unknown_key", subject,
                to_headers(retired), BAR_PAYLOAD)
    leaked = signed(dict(bar, key_id="ema-cross-1"), BAR_PAYLOAD)
    add_invalid("producer_mismatch",
                "The strategy's key signs a bar claiming to be the ingester.",
                "producer_mismatch", subject, to_headers(leaked), BAR_PAYLOAD)
    forged_exec = signed(envelope("exec.report.BTCUSDT", "ema-cross-1",
                                  message_type="trading.v1.ExecutionReport"), b"fill")
    add_invalid("subject_not_allowed",
                "The strategy's own key cannot sign execution reports.",
                "subject_not_allowed", "exec.report.BTCUSDT", to_headers(forged_exec), b"fill")
    wrong_subject = signed(dict(bar, subject="orders.intent.BTCUSDT"), BAR_PAYLOAD)
    add_invalid("ingester_key_on_orders", "The ingester key is limited to md.>.",
                "subject_not_allowed", "orders.intent.BTCUSDT", to_headers(wrong_subject),
                BAR_PAYLOAD)

    add_invalid("changed_payload", "One payload bit flipped.", "bad_signature", subject,
                good_headers, bytes([BAR_PAYLOAD[0] ^ 1]) + BAR_PAYLOAD[1:])
    add_invalid("changed_payload_base64", "Payload truncated (base64 encoded vector).",
                "bad_signature", subject, good_headers, BAR_PAYLOAD[:-1], encoding="base64")
    add_invalid("changed_subject", "Re-published on another symbol's subject.", "bad_signature",
                "md.bar.binance-us.ETHUSDT.1m", good_headers, BAR_PAYLOAD)
    for name, header, value in [
            ("changed_message_id", H_MESSAGE_ID, "bar.binance-us.BTCUSDT.1m.1767225660000000000"),
            ("changed_type", H_TYPE, "trading.v1.Signal"),
            ("changed_timestamp", H_TIMESTAMP, str(T0 + 1)),
            ("changed_nonce", H_NONCE, "000102030405060708090a0b0c0d0e0e"),
            ("added_correlation_id", H_CORRELATION_ID, "corr-1"),
            ("switched_key_same_producer", H_KEY_ID, "ingester-2026-02"),
            ("changed_signature", H_SIGNATURE, good["signature"][:-1] +
             ("0" if good["signature"][-1] != "0" else "1"))]:
        add_invalid(name, "%s changed to %r." % (header, value), "bad_signature", subject,
                    with_header(header, value), BAR_PAYLOAD)
    sig_env = signed(envelope("sig.ema-cross.BTCUSDT", "ema-cross-1",
                              message_type="trading.v1.Signal", correlation_id="corr-1"),
                     SIGNAL_PAYLOAD)
    h = to_headers(sig_env)
    del h[H_CORRELATION_ID]
    add_invalid("removed_correlation_id", "Stripping the correlation id changes the signed text.",
                "bad_signature", "sig.ema-cross.BTCUSDT", h, SIGNAL_PAYLOAD)

    stale = signed(dict(bar, timestamp_ns=T0 - MAX_AGE_NS - 1), BAR_PAYLOAD)
    add_invalid("stale", "One nanosecond older than max_age before the broker store time.",
                "stale", subject, to_headers(stale), BAR_PAYLOAD)
    future = signed(dict(bar, timestamp_ns=T0 + MAX_FUTURE_NS + 1), BAR_PAYLOAD)
    add_invalid("future", "One nanosecond beyond max_future after the broker store time.",
                "future", subject, to_headers(future), BAR_PAYLOAD)
    add_invalid("bad_signature_before_stale", "A forged old message is a bad signature.",
                "bad_signature", subject, with_header(H_NONCE, "f" * 32), BAR_PAYLOAD,
                reference_ns=T0 + 3600 * 10**9)
    retired_forged = dict(to_headers(retired), **{H_SIGNATURE: "0" * 64})
    add_invalid("key_before_signature", "A retired key is reported before the signature.",
                "unknown_key", subject, retired_forged, BAR_PAYLOAD)
    mismatch_and_subject = signed(envelope("exec.report.BTCUSDT", "ema-cross-1",
                                           producer="execsim"), b"x")
    add_invalid("producer_before_subject", "Producer mismatch is reported before the subject.",
                "producer_mismatch", "exec.report.BTCUSDT", to_headers(mismatch_and_subject),
                b"x")

    return {
        "description": "Conformance vectors for the TP-HMAC-SHA256 message signing protocol "
                       "(docs/protocol.md). Generated by tools/signing_reference.py; do not edit.",
        "protocol": PREFIX,
        "version": VERSION,
        "freshness": {"max_age_ns": str(MAX_AGE_NS), "max_future_ns": str(MAX_FUTURE_NS)},
        "key_ring": ring_doc,
        "valid": valid,
        "invalid": invalid,
    }


def render(doc):
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"


def check(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    doc = json.loads(text)
    failures = []
    keys = load_key_ring(doc["key_ring"])
    window = {"max_age_ns": int(doc["freshness"]["max_age_ns"]),
              "max_future_ns": int(doc["freshness"]["max_future_ns"])}
    for v in doc["valid"]:
        name = "valid/" + v["name"]
        payload = payload_of(v)
        env = dict(v["envelope"])
        env["timestamp_ns"] = int(env["timestamp_ns"])
        key = keys[env["key_id"]]
        env["signature"] = signature_hex(key["secret"], env, payload)
        if payload_digest_hex(payload) != v["payload_sha256"]:
            failures.append(name + ": payload_sha256 differs")
        if canonical_string(env, payload) != v["canonical"]:
            failures.append(name + ": canonical string differs")
        if env["signature"] != v["signature"]:
            failures.append(name + ": signature differs")
        if to_headers(env) != v["headers"]:
            failures.append(name + ": headers differ")
        try:
            got = verify(keys, window, env["subject"], v["headers"], payload,
                         int(v["reference_ns"]))
            if got != env:
                failures.append(name + ": verified envelope differs")
        except Reject as r:
            failures.append("%s: rejected (%s: %s)" % (name, r.reason, r.message))
    for v in doc["invalid"]:
        name = "invalid/" + v["name"]
        try:
            verify(keys, window, v["subject"], v["headers"], payload_of(v),
                   int(v["reference_ns"]))
            failures.append(name + ": accepted, expected " + v["reason"])
        except Reject as r:
            if r.reason != v["reason"]:
                failures.append("%s: rejected as %s, expected %s" % (name, r.reason, v["reason"]))
    if text != render(generate()):
        failures.append(path + ": differs from `signing_reference.py generate`; regenerate it")
    for f in failures:
        print("FAIL " + f, file=sys.stderr)
    print("%d valid and %d invalid vectors, %d failures"
          % (len(doc["valid"]), len(doc["invalid"]), len(failures)))
    return 1 if failures else 0


def sign_command(args):
    with open(args.key_file, encoding="utf-8") as f:
        keys = load_key_ring(json.load(f), os.path.dirname(os.path.abspath(args.key_file)))
    key = keys.get(args.key_id)
    if key is None or key["status"] != "active":
        print("no active key " + args.key_id, file=sys.stderr)
        return 2
    if key["producer"] != args.producer or not key_allows(key, args.subject):
        print("key %s (producer %s, subjects %s) may not sign for producer %s on %s"
              % (key["id"], key["producer"], key["subjects"] or "any", args.producer,
                 args.subject), file=sys.stderr)
        return 2
    if args.payload_file is not None:
        with open(args.payload_file, "rb") as f:
            payload = f.read()
    else:
        payload = bytes.fromhex(args.payload_hex)
    env = {"subject": args.subject, "message_id": args.message_id, "message_type": args.type,
           "producer": args.producer, "key_id": args.key_id,
           "timestamp_ns": args.timestamp_ns if args.timestamp_ns is not None else time.time_ns(),
           "nonce": args.nonce if args.nonce is not None else secrets.token_hex(16),
           "correlation_id": args.correlation_id}
    fields_ok = (subject_ok(env["subject"]) and NONCE_RE.match(env["nonce"])
                 and 0 < env["timestamp_ns"] <= INT64_MAX
                 and text_ok(env["correlation_id"], False)
                 and all(text_ok(env[k], True)
                         for k in ("message_id", "message_type", "producer", "key_id")))
    if not fields_ok:
        print("invalid envelope field (see docs/protocol.md, Field rules)", file=sys.stderr)
        return 2
    env["signature"] = signature_hex(key["secret"], env, payload)
    print(json.dumps(to_headers(env), indent=2))
    return 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write the conformance vectors")
    gen.add_argument("path", nargs="?")
    chk = sub.add_parser("check", help="check a vectors file")
    chk.add_argument("path")
    sgn = sub.add_parser("sign", help="sign one message and print its headers")
    sgn.add_argument("--key-file", required=True)
    sgn.add_argument("--key-id", required=True)
    sgn.add_argument("--subject", required=True)
    sgn.add_argument("--message-id", required=True)
    sgn.add_argument("--type", required=True)
    sgn.add_argument("--producer", required=True)
    sgn.add_argument("--correlation-id", default="")
    sgn.add_argument("--timestamp-ns", type=int)
    sgn.add_argument("--nonce")
    payload = sgn.add_mutually_exclusive_group(required=True)
    payload.add_argument("--payload-file")
    payload.add_argument("--payload-hex")
    args = parser.parse_args(argv)

    if args.command == "generate":
        text = render(generate())
        if args.path:
            with open(args.path, "w", encoding="utf-8") as f:
                f.write(text)
        else:
            sys.stdout.write(text)
        return 0
    if args.command == "check":
        return check(args.path)
    return sign_command(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
