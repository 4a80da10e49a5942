"""Recording: a person shows a task once and screenpilot writes the task file that replays it.

Every input source (the X server's RECORD extension on a desktop, `getevent` on a phone, a
model reading a screen recording) turns what happened into the same typed `events` and
`Snapshot`s of the screen; `collapse` turns them into task steps whose targets are in words
(`naming`), and `task_writer` writes the task file that `screenpilot script` runs.
"""

#: Stops a desktop recording. Three modifiers: no common desktop program binds this chord,
#: so grabbing it for the recording takes nothing away from the program being recorded.
DEFAULT_STOP_KEY = "ctrl+alt+shift+x"
