"""What happens to the unit's mail: one message's path and its failure boundary (`pipeline`),
the timers and the digest (`timekeeper`), mail no message decided (`notices`), the
coordinators' alerts and the health they watch (`alerts`, `health`), and where status lines go
(`signals`).

These compose the pure core and the shells for one message or one timer; they neither start
threads nor own the process (that is `mailbot/daemon/`).
"""
