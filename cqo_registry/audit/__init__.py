"""The audit trail (issue 14 §1, MLPS 2.0 level 3 安全审计): sign-ins, sign-outs, failed
sign-ins and lockouts, and who saw a full ID number, opened a private file or exported personal
data. Rows are only ever added; bureau admins search and export them at /audit/."""
