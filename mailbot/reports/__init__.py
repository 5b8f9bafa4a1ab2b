"""Monthly reports for the head of unit: the recap and the summary (SPEC section 10).

* `rekap`: "Rekap Penanganan Permasalahan" (seed 003), one row per ticket opened in a
  month, as CSV or XLSX.
* the summary: volumes, SOP compliance per timed step, escalations, ratings and charts,
  as a self-contained HTML page or a mail to heads and coordinators, which the daemon
  also sends by itself on the first working day of each month (`monthly`).

The layers: `queries` (the only store reads) -> frozen `model` values -> pure
`rekap` and `figures` -> rendering (`rekap` writers, `charts`, `present`, templates)
-> the shell (`service`, `monthly`). Nothing heavy is imported here: matplotlib and
XlsxWriter load only when a report is made.
"""
