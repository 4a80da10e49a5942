"""A run as data: the typed records of a run (`records`), secrets masked out of them
(`redaction`), and the run folder they are written to and read back from (`store`:
`trajectory.jsonl`, one record per line, and the screenshots beside it).

It sits below the policies and the agent: the agent writes records, the replay policy, the
report, the console and the CLI read them back as `Trajectory`.
"""
