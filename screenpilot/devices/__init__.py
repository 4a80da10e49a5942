"""One module per kind of device, the only place that imports a hardware library. The desktop
and Android issues add `desktop` and `android`; nothing here yet."""
