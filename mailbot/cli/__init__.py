"""The command line: `mailbot COMMAND`, each command's work grouped by what it serves (SPEC 10).

`main.py` reads the command line and is the one place an error becomes an exit status (their
names: `mailbot/exit_codes.py`); the modules beside it do what each command does: `running`
(run, sweep, replay), `checks` (check), `store_care` (migrate, backup, restore, audit),
`reading` (tickets, ticket, report, web), `oauth_login` (oauth login).

Each imports what only its commands use inside them: `mailbot --help` and a usage error
answer without loading the IMAP, SMTP, SQLite and logging libraries.
"""
