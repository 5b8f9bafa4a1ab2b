"""`mailbot COMMAND`: each command's work, grouped by what it serves (SPEC 10).

`cli.py` reads the command line and is the one place an error becomes an exit code; the
modules here do what each command does: `running` (run, sweep, replay), `checks` (check),
`store_care` (migrate, backup, restore, audit), `reading` (tickets, ticket, report, web),
`oauth_login` (oauth login). `exit_codes` names the statuses they return.

Each imports what only its commands use inside them: `mailbot --help` and a usage error
answer without loading the IMAP, SMTP, SQLite and logging libraries.
"""
