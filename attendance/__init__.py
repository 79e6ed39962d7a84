"""Attendance of class sessions, attendance rates, and the early warning for students at risk.

The definitions, the same on every page, report, CSV and API answer:

- **Roll** of a session: the students whose enrollment in the session's batch had started by
  the session's start (``enrollment_date``) and was still active then (active now, or left —
  cancelled, completed, on hold, expired — only after the session started, by
  ``status_changed_at``). A student who joined later or left earlier is not on it.
- **Attended**: marked *present* or *late* (late counts as attended).
- **Counted**: marked present, late or absent. *Excused* is left out of the denominator;
  a session that is cancelled never counts (it cannot be marked, and marks taken before a
  cancellation stop counting). An unmarked student counts for nothing.
- **Attendance rate** = attended / counted; no rate when nothing is counted.
- **At risk** (per student and batch): the rate over the student's last
  ``AT_RISK_LAST_N`` counted sessions in the batch (all of them while fewer, once at least
  ``AT_RISK_ABSENCES_IN_A_ROW`` are counted) is below ``AT_RISK_RATE``, or the last
  ``AT_RISK_ABSENCES_IN_A_ROW`` counted marks are all
  absent. An episode opens when the student becomes at risk and closes when neither holds.
"""
