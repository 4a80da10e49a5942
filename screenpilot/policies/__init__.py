"""Who decides the next actions: `rules` (plain instructions, no model - the default),
`scripted` (YAML task files), `model_policies` (native and planned Qwen3-VL, and replay of a
recorded run). They share the protocol in `base`."""
