// SurgeDesk console queue: keep the "waiting" column ticking between live pushes.

function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

function tick() {
  for (const el of document.querySelectorAll("time.since[datetime]")) {
    el.textContent = ago(el.getAttribute("datetime"));
  }
}

function setLive(live) {
  const status = document.getElementById("live-status");
  status.textContent = live ? "live" : "reconnecting…";
  document.body.dataset.live = String(live);
}

document.addEventListener("htmx:wsOpen", () => setLive(true));
document.addEventListener("htmx:wsClose", () => setLive(false));
document.addEventListener("htmx:afterSettle", tick);
document.addEventListener("htmx:wsAfterMessage", tick);
setInterval(tick, 1000);
tick();
