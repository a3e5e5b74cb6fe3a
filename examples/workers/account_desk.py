#!/usr/bin/env python3
"""AccountDesk worker of examples/ticket_triage.flow.

Stands for: the account service's admin command line, which resets
passwords, unlocks accounts and changes e-mail addresses, authenticated by
`ACCOUNT_ADMIN_TOKEN`.

What it does here: decides which of those actions the ticket asks for from
the words of its subject and body, and writes the reply the customer gets
and an internal note naming the action. It changes nothing anywhere: there
is no account service behind it. It refuses to act (exit 1) without a token
or when `--ticket` does not match the ticket it was given, like the real
tool would; a ticket that asks for none of the actions is a failure too, so
that the workflow escalates it to a person.

Input (stdin): {"ticket": Ticket}   Arguments: --ticket ID
Output (stdout): {"message", "refund_cents": null, "internal_note"}
"""

import json
import os
import sys

ACTIONS = [
    (("password", "reset", "log in", "login", "sign in"), "password-reset",
     "We have sent a link to reset your password to the address on your account; it is valid for one hour."),
    (("locked", "unlock", "blocked", "suspended"), "unlock",
     "Your account is unlocked; you can sign in again now."),
    (("e-mail", "email", "address"), "email-change",
     "We have sent a confirmation link to your new e-mail address; the change takes effect once you follow it."),
]


def main():
    args = sys.argv[1:]
    wanted = args[args.index("--ticket") + 1] if "--ticket" in args[:-1] else None
    if not os.environ.get("ACCOUNT_ADMIN_TOKEN"):
        print("account_desk: ACCOUNT_ADMIN_TOKEN is not set; the admin tool needs it", file=sys.stderr)
        return 1
    try:
        ticket = json.load(sys.stdin)["ticket"]
        text = (ticket["subject"] + " " + ticket["body"]).lower()
    except (ValueError, KeyError, TypeError) as e:
        print("account_desk: the input is not {\"ticket\": Ticket}: %s" % e, file=sys.stderr)
        return 1
    if wanted != ticket.get("id"):
        print("account_desk: --ticket %s does not match ticket %s" % (wanted, ticket.get("id")), file=sys.stderr)
        return 1
    for words, action, message in ACTIONS:
        if any(w in text for w in words):
            out = {
                "message": "Hello %s, %s" % (ticket["customer"], message[0].lower() + message[1:]),
                "refund_cents": None,
                "internal_note": "account_desk: %s for ticket %s" % (action, ticket["id"]),
            }
            json.dump(out, sys.stdout)
            return 0
    print("account_desk: ticket %s asks for no action this tool can take" % ticket["id"], file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
