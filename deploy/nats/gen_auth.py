#!/usr/bin/env python3
"""Generates deploy/nats/auth.conf: one NATS user per producer, allowed to
publish only the subjects its HMAC key may sign (tools/make_keys.py,
PRODUCERS), and to consume only the streams it verifies (VERIFIES), through
its own durable consumers.

    deploy/nats/gen_auth.py [--strategy NAME ...] [--check] [OUT]

OUT defaults to deploy/nats/auth.conf. --check compares instead of writing
and exits 1 if the file is stale (tests/deploy runs it). Passwords are not in
the file: each user's password is the environment variable
NATS_PASSWORD_<USER> (upper case, '-' -> '_') of the nats-server process,
filled from the secret files by deploy/nats/entrypoint.sh.

Key rings sign for subjects (application level); these permissions stop a
service's NATS credentials from even storing a message outside its own
subjects (transport level). Dead letters are narrower than the key rings'
"dlq.>": a consumer may only publish dlq.<stream>.<its own durable>.
"""
import importlib.util
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# libs/runtime/src/topology.cc
STREAMS = ["MD", "REGIME", "PARAMS", "SIG", "ORDERS", "EXEC", "CTL", "DLQ"]

# Durable consumers per service (the services' add_input calls;
# docs/pipeline.md). tests/deploy checks every name against the sources.
CONSUMERS = {
    "regime": [("MD", "regime-bars"), ("CTL", "regime-control")],
    "paramctl": [("REGIME", "paramctl-regime"), ("PARAMS", "paramctl-outcomes"),
                 ("EXEC", "paramctl-positions")],
    "signal": [("MD", "signal-bars"), ("PARAMS", "signal-params")],
    "decision": [("SIG", "decision-signals"), ("REGIME", "decision-regime"),
                 ("EXEC", "decision-positions"), ("CTL", "decision-control")],
    "execsim": [("MD", "execsim-bars"), ("ORDERS", "execsim-orders")],
    "ledger": [(s, "ledger-" + s) for s in STREAMS],
}

# Which clients create or update streams at start-up (every service declares
# the whole topology; tradectl and `regime promote` only CTL).
STREAM_ADMIN = {"tradectl": ["CTL"]}

# External strategies that get NATS users by default (docs/operations.md).
DEFAULT_STRATEGIES = ["ema-cross"]

# Which stream stores a subject pattern (first token).
STREAM_OF_PREFIX = {"md": "MD", "regime": "REGIME", "params": "PARAMS", "sig": "SIG",
                    "orders": "ORDERS", "exec": "EXEC", "ctl": "CTL", "dlq": "DLQ"}


def load_make_keys():
    path = os.path.join(ROOT, "tools", "make_keys.py")
    spec = importlib.util.spec_from_file_location("make_keys", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def password_var(user):
    return "NATS_PASSWORD_" + user.upper().replace("-", "_").replace(".", "_")


def producers_with_strategies(mk, strategies):
    producers = dict(mk.PRODUCERS)
    for name in strategies:
        producers["strategy-" + name] = ["sig.%s.>" % name]
    return producers


def user_permissions(mk, user, producers):
    """(publish allow list, subscribe allow list) of one user."""
    publish = []
    for subject in producers[user]:
        if subject == "dlq.>":
            continue  # narrowed to the user's own durables below
        publish.append(subject)
    consumers = CONSUMERS.get(user, [])
    for stream, durable in consumers:
        publish.append("dlq.%s.%s" % (stream, durable))
    is_strategy = user.startswith("strategy-")
    if not is_strategy:
        publish.append("$JS.API.INFO")
        for stream in STREAM_ADMIN.get(user, STREAMS):
            publish += ["$JS.API.STREAM.CREATE." + stream, "$JS.API.STREAM.UPDATE." + stream,
                        "$JS.API.STREAM.INFO." + stream]
    for stream, durable in consumers:
        api = "$JS.API.CONSUMER."
        publish += [api + "CREATE.%s.%s" % (stream, durable),
                    api + "CREATE.%s.%s.>" % (stream, durable),
                    api + "DURABLE.CREATE.%s.%s" % (stream, durable),
                    api + "INFO.%s.%s" % (stream, durable),
                    api + "DELETE.%s.%s" % (stream, durable),
                    api + "MSG.NEXT.%s.%s" % (stream, durable),
                    "$JS.ACK.%s.%s.>" % (stream, durable)]
    # Replies (pub-acks, API responses, fetched messages) come to the inbox.
    subscribe = ["_INBOX.>"]
    return publish, subscribe


def check_consistency(mk, producers):
    """Every consumed stream holds messages of a producer the user verifies."""
    problems = []
    for user, consumers in CONSUMERS.items():
        if user not in producers:
            problems.append("%s consumes but is not a producer in make_keys.py" % user)
            continue
        verified = set(mk.verified_by(user, producers))
        for stream, _ in consumers:
            if stream == "DLQ":
                continue  # dead letters wrap other producers' messages
            writers = {p for p, subjects in producers.items()
                       for s in subjects if STREAM_OF_PREFIX.get(s.split(".")[0]) == stream}
            if not writers & verified:
                problems.append("%s consumes %s but verifies none of its producers %s"
                                % (user, stream, sorted(writers)))
    return problems


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(mk, strategies):
    producers = producers_with_strategies(mk, strategies)
    problems = check_consistency(mk, producers)
    if problems:
        raise SystemExit("gen_auth: " + "; ".join(problems))
    lines = [
        "# GENERATED by deploy/nats/gen_auth.py from tools/make_keys.py (PRODUCERS,",
        "# VERIFIES); do not edit: change those and run deploy/nats/gen_auth.py.",
        "# One user per producer. publish: its own subjects (the subjects its HMAC key",
        "# may sign), dead letters of its own durables, and the JetStream API calls of",
        "# its own consumers. subscribe: only its inbox (pull-consumer deliveries,",
        "# pub-acks and API replies arrive there). Everything else is denied.",
        "# Passwords: environment variables of nats-server (deploy/nats/entrypoint.sh).",
        "authorization {",
        "  timeout: 2",
        "  users: [",
    ]
    for user in producers:
        publish, subscribe = user_permissions(mk, user, producers)
        lines.append("    {")
        lines.append("      user: %s" % quote(user))
        lines.append("      password: $%s" % password_var(user))
        lines.append("      permissions: {")
        lines.append("        publish: { allow: [")
        for s in publish:
            lines.append("          %s" % quote(s))
        lines.append("        ] }")
        lines.append("        subscribe: { allow: [%s] }" % ", ".join(quote(s) for s in subscribe))
        lines.append("      }")
        lines.append("    }")
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


def main(argv):
    strategies = []
    check = False
    out = os.path.join(ROOT, "deploy", "nats", "auth.conf")
    args = argv[1:]
    explicit_strategies = False
    while args:
        if args[0] == "--strategy" and len(args) > 1:
            strategies.append(args[1])
            explicit_strategies = True
            args = args[2:]
        elif args[0] == "--check":
            check = True
            args = args[1:]
        elif args[0] == "--list-users":
            mk = load_make_keys()
            for user in producers_with_strategies(mk, DEFAULT_STRATEGIES):
                print(user, password_var(user))
            return 0
        elif not args[0].startswith("--"):
            out = args[0]
            args = args[1:]
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if not explicit_strategies:
        strategies = list(DEFAULT_STRATEGIES)
    text = render(load_make_keys(), strategies)
    if check:
        try:
            with open(out) as f:
                current = f.read()
        except OSError:
            current = None
        if current != text:
            print("gen_auth: %s is stale; run deploy/nats/gen_auth.py" % out, file=sys.stderr)
            return 1
        print("gen_auth: %s is up to date" % out)
        return 0
    with open(out, "w") as f:
        f.write(text)
    print("gen_auth: wrote %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
