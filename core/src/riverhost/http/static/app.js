// riverhost dashboard: relative times, confirmed actions, list refresh, live progress.
"use strict";

function relative(iso) {
  const then = new Date(iso), now = new Date();
  if (isNaN(then)) return iso;
  const s = Math.round((then - now) / 1000), a = Math.abs(s);
  const [n, unit] = a < 60 ? [a, "s"] : a < 3600 ? [Math.round(a / 60), "min"] :
    a < 86400 ? [Math.round(a / 3600), "h"] : [Math.round(a / 86400), "d"];
  return s <= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

function showTimes(root) {
  for (const t of root.querySelectorAll("time[datetime]")) {
    t.textContent = relative(t.getAttribute("datetime"));
    t.title = new Date(t.getAttribute("datetime")).toLocaleString();
  }
}

async function act(button) {
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  button.disabled = true;
  const answer = await fetch(button.dataset.action, { method: "POST", credentials: "same-origin" });
  if (!answer.ok) {
    const body = await answer.json().catch(() => ({}));
    window.alert(`${answer.status}: ${body.detail || answer.statusText}`);
    button.disabled = false;
    return;
  }
  if (button.dataset.then) window.location = button.dataset.then; else window.location.reload();
}

function refreshEvery(main) {
  const seconds = Number(main.dataset.refresh);
  if (!seconds) return;
  setInterval(async () => {
    if (document.hidden || document.activeElement?.closest("form")) return;
    const page = await fetch(window.location.href, { credentials: "same-origin" });
    if (!page.ok) return;
    const fresh = new DOMParser().parseFromString(await page.text(), "text/html").getElementById("main");
    if (fresh) { main.innerHTML = fresh.innerHTML; showTimes(main); }
  }, seconds * 1000);
}

function followProgress(section) {
  if (!section || section.dataset.live !== "yes") return;
  const id = section.dataset.job;
  const stream = new EventSource(`/api/v1/admin/events?job=${id}`);
  stream.addEventListener("progress", (message) => {
    const p = JSON.parse(message.data).progress;
    section.hidden = false;
    document.getElementById("progress-bar").style.width = `${p.percent}%`;
    document.getElementById("progress-text").textContent =
      `${p.phase} ${p.current}/${p.total} (${p.percent}%) ${p.message}`;
  });
  stream.addEventListener("job", () => { stream.close(); window.location.reload(); });
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (button) { event.preventDefault(); act(button); }
});

document.addEventListener("DOMContentLoaded", () => {
  showTimes(document);
  refreshEvery(document.getElementById("main"));
  followProgress(document.getElementById("progress"));
});
