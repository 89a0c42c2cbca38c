// SurgeDesk console, one conversation: live transcript, Enter-to-send, typing pings, canned
// responses. Rows arrive rendered (and escaped) by Django templates; streaming deltas are
// appended with textContent, so model output never becomes markup.

const main = document.getElementById("conversation");
const liveStatus = document.getElementById("live-status");
const TYPING_EVERY_MS = 3000;
let retryMs = 500;
let opened = false;
let lastTypingPing = 0;

const cpLength = (s) => [...s].length;
const cpSlice = (s, start) => [...s].slice(start).join("");
const transcript = () => document.getElementById("transcript");

function fromHtml(html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  return template.content.firstElementChild;
}

// Rows go in message order: events published apart (a notice and the staff event beside
// it) may arrive in either order.
function insertInOrder(fresh, parent) {
  const id = Number(fresh.dataset.messageId);
  const later = [...parent.children].find((el) => Number(el.dataset.messageId) > id);
  parent.insertBefore(fresh, later ?? null);
}

function replaceOrInsert(id, html, parent) {
  const fresh = fromHtml(html);
  const current = document.getElementById(id);
  if (current) current.replaceWith(fresh);
  else if (parent) insertInOrder(fresh, parent);
  else return;
  window.htmx?.process(fresh);
  return fresh;
}

function scrollDown() {
  const log = transcript();
  log.scrollTop = log.scrollHeight;
}

function textOf(messageId) {
  return document.querySelector(`#msg-${messageId} .msg__text`);
}

const handlers = {
  row(f) {
    replaceOrInsert(`msg-${f.message_id}`, f.html, transcript());
    scrollDown();
  },
  delta(f) {
    const el = textOf(f.message_id);
    if (!el) return; // the row arrives with reply.start; reply.end carries the full text
    const held = cpLength(el.textContent);
    const start = f.seq - cpLength(f.delta);
    if (f.seq <= held || start > held) return; // a duplicate, or a gap reply.end will fix
    el.textContent += cpSlice(f.delta, held - start);
    scrollDown();
  },
  restart(f) {
    const el = textOf(f.message_id);
    if (el) el.textContent = "";
  },
  panel(f) {
    replaceOrInsert(f.id, f.html, null);
  },
  resync() {
    resync();
  },
};

function resync() {
  // Missed pushes while the socket was down: Postgres has them, so reload the transcript.
  window.htmx?.ajax("GET", main.dataset.transcriptUrl, { target: "#transcript", swap: "outerHTML" });
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}${main.dataset.wsPath}`);
  socket.addEventListener("open", () => {
    retryMs = 500;
    liveStatus.textContent = "live";
    main.dataset.live = "true";
    if (opened) resync();
    opened = true;
  });
  socket.addEventListener("message", (msg) => {
    let frame;
    try {
      frame = JSON.parse(msg.data);
    } catch {
      return;
    }
    handlers[frame.type]?.(frame);
  });
  socket.addEventListener("close", (ev) => {
    main.dataset.live = "false";
    if (ev.code === 4403 || ev.code === 4404) {
      liveStatus.textContent = "not allowed";
      return;
    }
    liveStatus.textContent = "reconnecting…";
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 8000);
  });
}

function pingTyping(textarea) {
  const now = Date.now();
  if (now - lastTypingPing < TYPING_EVERY_MS || !textarea.value.trim()) return;
  lastTypingPing = now;
  window.htmx?.ajax("POST", textarea.dataset.typingUrl, { swap: "none", source: textarea });
}

// Delegated: the reply form is swapped after each send.
document.addEventListener("keydown", (ev) => {
  if (ev.target.id !== "reply-text") return;
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    ev.target.form.requestSubmit();
  }
});

document.addEventListener("input", (ev) => {
  if (ev.target.id === "reply-text") pingTyping(ev.target);
});

document.addEventListener("click", (ev) => {
  const button = ev.target.closest(".canned__insert");
  if (!button) return;
  const textarea = document.getElementById("reply-text");
  const sep = textarea.value && !textarea.value.endsWith(" ") ? " " : "";
  textarea.value += sep + button.dataset.text;
  textarea.focus();
});

scrollDown();
connect();
