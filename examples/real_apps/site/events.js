// Reports a page event (a cookie choice, a closed dialog) to the local server.
function tell(fields) {
  fetch("/event", { method: "POST", body: new URLSearchParams(fields) });
}
