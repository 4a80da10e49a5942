"""Who decides the next actions (native, planned, scripted, rules, replay). Built by the
agent issue; nothing here yet."""
