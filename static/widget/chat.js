// SurgeDesk customer widget: speaks websocket protocol v1 (docs/ in the README).
// Every piece of server text is inserted with textContent, so model output stays inert.

const root = document.getElementById("chat");
const log = document.getElementById("chat-log");
const form = document.getElementById("chat-form");
const input = document.getElementById("chat-input");
const statusLine = document.getElementById("chat-status");
const thinking = document.getElementById("chat-thinking");
const handoffButton = document.getElementById("chat-handoff");
const csatForm = document.getElementById("chat-csat");
const csatQuestion = document.getElementById("chat-csat-question");
const csatComment = document.getElementById("chat-csat-comment");

const FINAL = new Set(["done", "failed", "cancelled"]);
const replies = new Map(); // message_id -> { el, text, done }
const outbox = new Map(); // client_msg_id -> text, until the server accepts it
let socket = null;
let retryMs = 500;
let latestReplyId = null;
let lastEventAt = Date.now();
// The customer's place in line: one notice, updated as the line moves, gone at the reply.
let queueNotice = null;

// Close code 1012: the server is restarting (a deploy); another instance takes us at once.
const CLOSE_SERVICE_RESTART = 1012;
// Close code 4429: too many sockets from this address; the error before it says how long.
const CLOSE_RATE_LIMITED = 4429;
let rateLimitedUntil = 0;
const MAX_RETRY_MS = 5000;
// Live events are best effort. An unfinished reply we have heard nothing of for this long
// is resumed from the server's copy.
const STALL_MS = 8000;
const jitter = (ms) => ms / 2 + Math.random() * (ms / 2);

// Python counts characters in code points, so seq does too.
const cpLength = (s) => [...s].length;
const cpSlice = (s, start) => [...s].slice(start).join("");

function uuid4() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function bubble(role, text, attrs = {}) {
  const li = document.createElement("li");
  li.className = `msg msg--${role}`;
  li.dataset.role = role;
  for (const [k, v] of Object.entries(attrs)) li.dataset[k] = v;
  li.textContent = text;
  log.append(li);
  log.scrollTop = log.scrollHeight;
  return li;
}

function leaveLine() {
  if (queueNotice) queueNotice.remove();
  queueNotice = null;
}

function replyEntry(id) {
  let entry = replies.get(id);
  if (!entry) {
    const el = bubble("assistant", "", { messageId: id, status: "streaming" });
    entry = { el, text: "", done: false };
    replies.set(id, entry);
  }
  if (latestReplyId === null || id > latestReplyId) latestReplyId = id;
  return entry;
}

function setText(entry, text) {
  entry.text = text;
  entry.el.textContent = text;
  log.scrollTop = log.scrollHeight;
}

const handlers = {
  "message.accepted"(e) {
    outbox.delete(e.client_msg_id);
    thinking.hidden = false;
  },
  "reply.start"(e) {
    replyEntry(e.message_id);
    leaveLine();
    thinking.hidden = false;
  },
  "reply.delta"(e) {
    const entry = replyEntry(e.message_id);
    leaveLine(); // a place told while a busy model was slow to start
    if (entry.done) return;
    const held = cpLength(entry.text);
    const start = e.seq - cpLength(e.delta);
    if (e.seq <= held) return; // already have it (a replay overlapping live deltas)
    if (start > held) {
      // A gap: something was dropped in transit. Postgres has it; ask for a replay.
      send({ type: "resume", last_seq: held, message_id: e.message_id });
      return;
    }
    thinking.hidden = true;
    setText(entry, entry.text + cpSlice(e.delta, held - start));
  },
  "reply.restart"(e) {
    // The route writing this reply failed midway; another route writes it afresh.
    setText(replyEntry(e.message_id), "");
    thinking.hidden = false;
  },
  "reply.end"(e) {
    const entry = replyEntry(e.message_id);
    leaveLine();
    entry.done = true;
    entry.el.dataset.status = "done";
    entry.el.dataset.route = e.route;
    setText(entry, e.text);
    thinking.hidden = true;
  },
  "agent.message"(e) {
    if (!log.querySelector(`[data-message-id="${e.message_id}"]`)) {
      bubble("agent", e.text, { messageId: e.message_id });
    }
    stopTyping();
  },
  "agent.typing"(e) {
    showTyping(e.agent);
  },
  notice(e) {
    if (e.kind !== "queued") {
      bubble("notice", e.text, { kind: e.kind });
    } else if (queueNotice) {
      queueNotice.textContent = e.text;
      queueNotice.dataset.place = e.place;
    } else {
      queueNotice = bubble("notice", e.text, { kind: e.kind, place: e.place });
    }
  },
  "csat.request"(e) {
    // Asked once per conversation; a socket that reconnects is sent the same request.
    csatQuestion.textContent = e.text;
    csatComment.maxLength = e.comment_max;
    csatForm.dataset.reason = e.reason;
    csatForm.hidden = false;
    log.scrollTop = log.scrollHeight;
  },
  "csat.accepted"(e) {
    csatForm.hidden = true;
    csatForm.reset();
    bubble("notice", e.text, { kind: "csat_thanks", rating: e.rating });
  },
  error(e) {
    if (e.code === "csat_already_given" || e.code === "csat_not_requested") csatForm.hidden = true;
    if (e.code === "rate_limited") rateLimitedUntil = Date.now() + e.retry_after * 1000;
    if (e.code === "unavailable" && outbox.has(e.client_msg_id)) {
      // Nothing was stored; the desk is briefly unreachable. Send it again shortly.
      statusLine.textContent = root.dataset.textRetrying;
      const text = outbox.get(e.client_msg_id);
      setTimeout(() => send({ type: "message", client_msg_id: e.client_msg_id, text }), jitter(2000));
      return;
    }
    bubble("error", e.detail, { code: e.code });
    thinking.hidden = true;
  },
};

// "<agent> is typing…" borrows the thinking line for a few seconds, then gives it back.
const THINKING_TEXT = thinking.textContent;
const TYPING_SHOWN_MS = 4000;
let typingTimer = null;

function showTyping(agent) {
  clearTimeout(typingTimer);
  thinking.textContent = root.dataset.textTyping.replace("{agent}", agent);
  thinking.dataset.typing = "true";
  thinking.hidden = false;
  typingTimer = setTimeout(stopTyping, TYPING_SHOWN_MS);
}

function stopTyping() {
  clearTimeout(typingTimer);
  thinking.textContent = THINKING_TEXT;
  delete thinking.dataset.typing;
  thinking.hidden = true;
}

function send(event) {
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify(event));
    return true;
  }
  return false;
}

function resumeState() {
  if (latestReplyId === null) return { type: "resume", last_seq: 0 };
  const entry = replies.get(latestReplyId);
  return { type: "resume", last_seq: cpLength(entry.text), message_id: latestReplyId };
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}${root.dataset.wsPath}`);
  statusLine.textContent = root.dataset.textConnecting;
  socket.addEventListener("open", () => {
    retryMs = 500;
    statusLine.textContent = root.dataset.textOnline;
    send(resumeState());
    for (const [id, text] of outbox) send({ type: "message", client_msg_id: id, text });
  });
  socket.addEventListener("message", (msg) => {
    lastEventAt = Date.now();
    let event;
    try {
      event = JSON.parse(msg.data);
    } catch {
      return;
    }
    const handler = handlers[event.type];
    if (handler) handler(event);
  });
  socket.addEventListener("close", (ev) => {
    statusLine.textContent = root.dataset.textReconnecting;
    const delay = ev.code === CLOSE_SERVICE_RESTART ? 250 : retryMs;
    const refusedMs = ev.code === CLOSE_RATE_LIMITED ? Math.max(0, rateLimitedUntil - Date.now()) : 0;
    setTimeout(connect, refusedMs + jitter(delay));
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  });
}

function resumeIfStalled() {
  const entry = latestReplyId === null ? null : replies.get(latestReplyId);
  if (!entry || entry.done || Date.now() - lastEventAt < STALL_MS) return;
  lastEventAt = Date.now();
  send(resumeState());
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  const id = uuid4();
  outbox.set(id, text);
  bubble("customer", text, { clientMsgId: id });
  input.value = "";
  send({ type: "message", client_msg_id: id, text });
});

input.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    form.requestSubmit();
  }
});

handoffButton.addEventListener("click", () => send({ type: "handoff" }));

csatForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const rating = Number(new FormData(csatForm).get("rating"));
  send({ type: "csat.submit", rating, comment: csatComment.value });
});

// Replies already on the page (a reload mid-conversation) join the resume state.
for (const el of log.querySelectorAll('[data-role="assistant"]')) {
  const id = Number(el.dataset.messageId);
  replies.set(id, { el, text: el.textContent, done: FINAL.has(el.dataset.status) });
  latestReplyId = id;
}

connect();
setInterval(resumeIfStalled, 1000);
