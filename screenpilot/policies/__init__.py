"""Who decides the next actions: `rules` (plain instructions, no model - the default, over
the grammar in `instructions`, `clauses`, `verbs` and their neighbours), `scripted` (YAML
task files; their format in `task_file`, read with line numbers by `documents`),
`model_policies` (native and planned Qwen3-VL) and `replay` (a recorded run again). They share
the protocol in `base`."""
