// M2MSec console (issue 20, docs/decisions/032): the live view's event stream. No framework, no build step. Values from the
// server are set as text (textContent), never as markup.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const table = document.getElementById("live-events");
  if (!table) return;
  const status = document.getElementById("live-status");
  const body = table.querySelector("tbody");
  const source = new EventSource("/live/events");
  const set = (id, text) => { const e = document.getElementById(id); if (e) e.textContent = text; };
  source.onopen = () => { status.textContent = "connected"; status.dataset.state = "connected"; };
  source.onerror = () => { status.textContent = "disconnected (retrying)"; status.dataset.state = "disconnected"; };
  source.addEventListener("summary", (event) => {
    const s = JSON.parse(event.data);
    set("live-devices", String(s.devices));
    set("live-provisioned", String(s.provisioned));
    set("live-failed", String(s.failed));
    set("live-dm", `${s.dm_done} / ${s.dm_queued}`);
    set("live-at", s.at);
  });
  source.addEventListener("audit", (event) => {
    const a = JSON.parse(event.data);
    const row = document.createElement("tr");
    row.className = "live-event";
    for (const value of [a.at, a.where, a.actor, a.action, a.subject, a.detail ?? ""]) {
      const cell = document.createElement("td");
      cell.textContent = value;
      row.appendChild(cell);
    }
    body.insertBefore(row, body.firstChild);
    while (body.rows.length > 500) body.deleteRow(body.rows.length - 1);
  });
});
