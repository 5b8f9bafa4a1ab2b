"""The window (`mailbot web`, SPEC 13): a read-only view of the desk in a browser, a process
of its own beside the daemon. Everyone still acts by mail; `serve.py` says why Starlette
and uvicorn, `app.py` lists the pages."""
