#!/usr/bin/env python3
"""Generates HMAC key rings for the local stack (docs/protocol.md, "Key files").

Each producer gets its own random 32-byte key, bound to the subjects it may
publish. A service's ring names its own key as the signing key and holds only
the keys of the producers it consumes from (HMAC verifiers can also sign, so
holding fewer secrets limits what a compromised service could forge). The
ledger verifies every stream and holds every key.

    tools/make_keys.py OUT_DIR [--strategy NAME ...]

Writes OUT_DIR/<producer>.key (hex secret, mode 0600) and
OUT_DIR/<producer>.json (the ring, referring to the .key files). Existing
keys are kept, so rings can be regenerated without breaking running services.
"""
import json
import os
import secrets
import sys

PRODUCERS = {
    "ingester": ["md.>", "dlq.>"],
    "regime": ["regime.>", "ctl.model", "dlq.>"],
    "paramctl": ["params.choice.>", "dlq.>"],
    "signal": ["sig.>", "dlq.>"],
    "decision": ["orders.>", "dlq.>"],
    "execsim": ["exec.>", "params.outcome.>", "dlq.>"],
    "ledger": ["dlq.>"],
    "tradectl": ["ctl.>"],
}


# Which producers' messages each service consumes (docs/pipeline.md).
VERIFIES = {
    "ingester": [],
    "regime": ["ingester", "tradectl"],
    "paramctl": ["regime", "execsim"],
    "signal": ["ingester", "paramctl"],
    "decision": ["signal", "regime", "execsim", "tradectl", "strategy-*"],
    "execsim": ["ingester", "decision"],
    "ledger": ["*"],
    "tradectl": [],
}


def verified_by(service, producers):
    wanted = VERIFIES.get(service, [])
    out = []
    for p in producers:
        if p == service or "*" in wanted or p in wanted:
            out.append(p)
        elif p.startswith("strategy-") and "strategy-*" in wanted:
            out.append(p)
    return out


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[1]
    producers = dict(PRODUCERS)
    args = argv[2:]
    while args:
        if args[0] == "--strategy" and len(args) > 1:
            name = args[1]
            producers["strategy-" + name] = ["sig.%s.>" % name]
            args = args[2:]
        else:
            print("make_keys: unknown argument %r" % args[0], file=sys.stderr)
            return 2
    os.makedirs(out, exist_ok=True)
    for producer in producers:
        path = os.path.join(out, producer + ".key")
        if not os.path.exists(path):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
    keys = [
        {
            "id": producer + "-1",
            "producer": producer,
            "secret_file": producer + ".key",
            "subjects": subjects,
            "status": "active",
        }
        for producer, subjects in producers.items()
    ]
    by_producer = {k["producer"]: k for k in keys}
    for producer in producers:
        ring = {"signing_key": producer + "-1",
                "keys": [by_producer[p] for p in verified_by(producer, producers)]}
        with open(os.path.join(out, producer + ".json"), "w") as f:
            json.dump(ring, f, indent=2)
            f.write("\n")
    print("make_keys: %d key rings in %s" % (len(producers), out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
