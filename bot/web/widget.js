/*
 * Plan advisor chat widget: plain JavaScript, no build step, no dependencies.
 *
 * Embed with one tag (the assistant serves this file):
 *   <script src="https://ASSISTANT/webhooks/intranet/widget.js"
 *           data-token-url="/intranet/advisor-token" async></script>
 *
 *   data-token-url  where the page gets the signed-in employee's token (JSON {"token": "..."}
 *                   or the bare token as text); fetched again when the token expires
 *   data-token      a static token instead (tests, a page rendered per user)
 *   data-lang       "pl" | "en"; otherwise the page's <html lang>, then the token's `lang`
 *   data-open       "true" to start opened
 *
 * Safety: every piece of user or bot text becomes DOM text nodes (textContent); nothing the
 * server or the user sends is ever parsed as HTML. Links in answers are kept only for http,
 * https and mailto addresses.
 */
(() => {
  "use strict";

  const script =
    document.currentScript || document.querySelector('script[src*="/webhooks/intranet/widget.js"]');
  if (!script || window.PlanAdvisor) return; // one widget per page

  const BASE = new URL(".", script.src); // .../webhooks/intranet/
  const OPEN_KEY = `plan-advisor:open:${BASE.href}`;
  const LANGS = ["pl", "en"];

  const STRINGS = {
    pl: {
      title: "Doradca planów",
      subtitle: "Plany sprzedaży i marketingu",
      openLabel: "Otwórz czat z doradcą planów",
      closeLabel: "Zamknij czat",
      logLabel: "Rozmowa z doradcą planów",
      inputLabel: "Twoja wiadomość",
      placeholder: "Napisz pytanie…",
      send: "Wyślij",
      you: "Ty:",
      bot: "Doradca:",
      typing: "Doradca pisze…",
      repliesLabel: "Proponowane odpowiedzi",
      hint: "Zapytaj, czym różni się plan sprzedaży od planu marketingowego, albo opisz swoje cele.",
      retry: "Spróbuj ponownie",
      notSent: "nie wysłano",
      unreachable: "Nie można połączyć się z doradcą. Sprawdź połączenie i spróbuj ponownie.",
      tokenNeeded:
        "Do rozmowy potrzebny jest token logowania z intranetu, a tej stronie nie udało się go pobrać.",
      expired: "Twoja sesja wygasła. Odśwież stronę, aby kontynuować.",
      authFailed: "Nie udało się potwierdzić, kim jesteś. Odśwież stronę; jeśli to nie pomoże, zgłoś to administratorowi intranetu.",
      forbidden: "Ta strona nie ma dostępu do doradcy.",
      notConfigured: "Czat nie jest jeszcze skonfigurowany na serwerze.",
      tooLong: "Wiadomość jest za długa (najwyżej {n} znaków).",
      serverError: "Doradca nie mógł teraz odpowiedzieć. Spróbuj ponownie.",
      sourcePrefix: "Źródło: ",
      sourceSection: "sekcja {n} przewodnika",
      sourceSections: "sekcje {n} przewodnika",
      sourceIntro: "wstęp przewodnika",
      sourceFaq: "FAQ przewodnika",
      sourceFaqN: "FAQ przewodnika, pytanie {n}",
      sourceOther: "przewodnik, {n}",
    },
    en: {
      title: "Plan advisor",
      subtitle: "Sales and marketing plans",
      openLabel: "Open the plan advisor chat",
      closeLabel: "Close the chat",
      logLabel: "Conversation with the plan advisor",
      inputLabel: "Your message",
      placeholder: "Type a question…",
      send: "Send",
      you: "You:",
      bot: "Advisor:",
      typing: "The advisor is typing…",
      repliesLabel: "Suggested replies",
      hint: "Ask how a sales plan differs from a marketing plan, or describe your goals.",
      retry: "Try again",
      notSent: "not sent",
      unreachable: "Cannot reach the advisor. Check your connection and try again.",
      tokenNeeded: "Chatting needs a sign-in token from the intranet, and this page could not get one.",
      expired: "Your session has expired. Reload the page to continue.",
      authFailed: "Your sign-in could not be confirmed. Reload the page; if that does not help, tell the intranet's administrator.",
      forbidden: "This page is not allowed to use the advisor.",
      notConfigured: "The chat is not configured on the server yet.",
      tooLong: "The message is too long (at most {n} characters).",
      serverError: "The advisor could not answer just now. Please try again.",
      sourcePrefix: "Source: ",
      sourceSection: "section {n} of the guide",
      sourceSections: "sections {n} of the guide",
      sourceIntro: "the guide's introduction",
      sourceFaq: "the guide's FAQ",
      sourceFaqN: "the guide's FAQ, question {n}",
      sourceOther: "the guide, {n}",
    },
  };

  // ---------------------------------------------------------------- small helpers

  const normaliseLang = (value) => {
    const primary = String(value || "").trim().toLowerCase().split(/[-_]/)[0];
    return LANGS.includes(primary) ? primary : null;
  };

  const format = (template, n) => template.replace("{n}", String(n));

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  const svg = (pathData) => {
    const ns = "http://www.w3.org/2000/svg";
    const icon = document.createElementNS(ns, "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    icon.setAttribute("focusable", "false");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", pathData);
    icon.append(path);
    return icon;
  };

  const tokenClaims = (token) => {
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const padded = part.padEnd(Math.ceil(part.length / 4) * 4, "=");
      const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
      return JSON.parse(new TextDecoder().decode(bytes)) || {};
    } catch {
      return {};
    }
  };

  class WidgetError extends Error {
    constructor(kind, detail) {
      super(kind);
      this.kind = kind; // a key of STRINGS
      this.detail = detail || {};
    }
  }

  // ---------------------------------------------------------------- safe Markdown

  // Block level: paragraphs (single newlines become line breaks), "-"/"*"/"•" lists,
  // numbered lists, "#" headings (shown as bold paragraphs).
  const BULLET = /^\s*[-*•]\s+(.*)$/;
  const NUMBERED = /^\s*(\d+)[.)]\s+(.*)$/;
  const HEADING = /^\s*#{1,6}\s+(.*)$/;
  const isBlockStart = (line) => BULLET.test(line) || NUMBERED.test(line) || HEADING.test(line);

  function renderMarkdown(text, container) {
    const lines = String(text).replace(/\r\n?/g, "\n").split("\n");
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      let match;
      if (!line.trim()) {
        i += 1;
      } else if ((match = HEADING.exec(line))) {
        const heading = el("p", "pa-md-heading");
        renderInline(match[1], heading);
        container.append(heading);
        i += 1;
      } else if (BULLET.test(line) || NUMBERED.test(line)) {
        const numbered = !BULLET.test(line);
        const pattern = numbered ? NUMBERED : BULLET;
        const list = el(numbered ? "ol" : "ul");
        if (numbered) list.start = Number(NUMBERED.exec(line)[1]) || 1;
        while (i < lines.length && (match = pattern.exec(lines[i]))) {
          const item = el("li");
          renderInline(numbered ? match[2] : match[1], item);
          list.append(item);
          i += 1;
        }
        container.append(list);
      } else {
        const paragraph = el("p");
        let first = true;
        while (i < lines.length && lines[i].trim() && (first || !isBlockStart(lines[i]))) {
          if (!first) paragraph.append(el("br"));
          renderInline(lines[i].trim(), paragraph);
          first = false;
          i += 1;
        }
        container.append(paragraph);
      }
    }
  }

  // Inline: `code`, **bold**, __bold__, *italic*, _italic_, [label](url), bare http(s) URLs.
  const INLINE = new RegExp(
    [
      "`([^`]+)`",
      "\\*\\*(.+?)\\*\\*",
      "__(.+?)__",
      "\\*(?!\\s)(.+?)\\*",
      "(?<![\\w])_(?!\\s)(.+?)_(?![\\w])",
      "\\[([^\\]]+)\\]\\(([^)\\s]+)\\)",
      "(https?:\\/\\/[^\\s<>()]*[^\\s<>().,;:!?'\"])",
    ].join("|"),
    "g",
  );

  function safeUrl(raw) {
    try {
      const url = new URL(raw, document.baseURI);
      return ["http:", "https:", "mailto:"].includes(url.protocol) ? url.href : null;
    } catch {
      return null;
    }
  }

  function link(label, href, parent) {
    const url = safeUrl(href);
    if (!url) {
      renderInline(label, parent);
      return;
    }
    const anchor = el("a");
    anchor.href = url;
    anchor.target = "_blank";
    anchor.rel = "noopener noreferrer";
    renderInline(label, anchor);
    parent.append(anchor);
  }

  function renderInline(text, parent) {
    let last = 0;
    const matches = [...String(text).matchAll(INLINE)];
    for (const match of matches) {
      if (match.index > last) parent.append(document.createTextNode(text.slice(last, match.index)));
      const [, code, bold1, bold2, em1, em2, label, href, bare] = match;
      if (code !== undefined) {
        parent.append(el("code", null, code));
      } else if (bold1 !== undefined || bold2 !== undefined) {
        const strong = el("strong");
        renderInline(bold1 ?? bold2, strong);
        parent.append(strong);
      } else if (em1 !== undefined || em2 !== undefined) {
        const em = el("em");
        renderInline(em1 ?? em2, em);
        parent.append(em);
      } else if (label !== undefined) {
        link(label, href, parent);
      } else if (bare !== undefined) {
        link(bare, bare, parent);
      }
      last = match.index + match[0].length;
    }
    if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
  }

  // ---------------------------------------------------------------- the widget

  const tokenUrl = script.dataset.tokenUrl ? new URL(script.dataset.tokenUrl, document.baseURI) : null;
  const pageLang = normaliseLang(script.dataset.lang) || normaliseLang(document.documentElement.lang);
  let token = script.dataset.token || null;
  let lang = pageLang || normaliseLang(token && tokenClaims(token).lang) || normaliseLang(navigator.language) || "en";
  let started = null; // the promise of the first token + history load
  let busy = false;
  let maxChars = null;

  const t = (key) => STRINGS[lang][key];

  // Shadow DOM keeps the intranet's styles out of the widget and the widget's out of the page.
  const host = document.createElement("div");
  host.id = "plan-advisor-widget";
  host.style.display = "none"; // shown once the stylesheet has loaded
  const root = host.attachShadow({ mode: "open" });
  const stylesheet = document.createElement("link");
  stylesheet.rel = "stylesheet";
  stylesheet.href = new URL("widget.css", BASE).href;
  const reveal = () => {
    host.style.display = "";
  };
  stylesheet.addEventListener("load", reveal);
  stylesheet.addEventListener("error", reveal);

  const wrapper = el("div", "pa-root");

  const launcher = el("button", "pa-launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-controls", "pa-panel");
  const chatIcon = svg("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
  const closedIcon = svg("M6 9l6 6 6-6");
  closedIcon.classList.add("pa-icon-stroke");
  launcher.append(chatIcon);

  const panel = el("section", "pa-panel");
  panel.id = "pa-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-modal", "false");
  panel.setAttribute("aria-labelledby", "pa-title");

  const header = el("header", "pa-header");
  const titles = el("div", "pa-titles");
  const title = el("h2", "pa-title");
  title.id = "pa-title";
  const subtitle = el("p", "pa-subtitle");
  titles.append(title, subtitle);
  const closeButton = el("button", "pa-close");
  closeButton.type = "button";
  closeButton.append(svg("M6 6l12 12M18 6L6 18"));
  header.append(titles, closeButton);

  const log = el("div", "pa-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  log.tabIndex = 0; // scrollable by keyboard
  const hint = el("p", "pa-hint");
  log.append(hint);

  const typing = el("div", "pa-typing");
  typing.setAttribute("role", "status");
  typing.hidden = true;
  const typingText = el("span", "pa-sr-only");
  const dots = el("span", "pa-dots");
  dots.setAttribute("aria-hidden", "true");
  dots.append(el("span"), el("span"), el("span"));
  typing.append(dots, typingText);

  const alertBox = el("div", "pa-alert");
  alertBox.setAttribute("role", "alert");
  alertBox.hidden = true;

  const form = el("form", "pa-form");
  const inputLabel = el("label", "pa-sr-only");
  inputLabel.htmlFor = "pa-input";
  const input = el("textarea", "pa-input");
  input.id = "pa-input";
  input.rows = 1;
  input.autocomplete = "off";
  const sendButton = el("button", "pa-send");
  sendButton.type = "submit";
  form.append(inputLabel, input, sendButton);

  panel.append(header, log, typing, alertBox, form);
  wrapper.append(panel, launcher);
  root.append(stylesheet, wrapper);

  function applyLauncher() {
    const isOpen = !panel.hidden;
    launcher.setAttribute("aria-expanded", String(isOpen));
    launcher.setAttribute("aria-label", t(isOpen ? "closeLabel" : "openLabel"));
    launcher.title = t(isOpen ? "closeLabel" : "openLabel");
    launcher.replaceChildren(isOpen ? closedIcon : chatIcon);
  }

  function applyStrings() {
    wrapper.lang = lang;
    applyLauncher();
    title.textContent = t("title");
    subtitle.textContent = t("subtitle");
    closeButton.setAttribute("aria-label", t("closeLabel"));
    closeButton.title = t("closeLabel");
    log.setAttribute("aria-label", t("logLabel"));
    hint.textContent = t("hint");
    typingText.textContent = t("typing");
    inputLabel.textContent = t("inputLabel");
    input.placeholder = t("placeholder");
    sendButton.textContent = t("send");
  }

  // ---------------------------------------------------------------- talking to the assistant

  async function fetchToken() {
    if (!tokenUrl) {
      if (token) return token;
      throw new WidgetError("tokenNeeded");
    }
    let reply;
    try {
      reply = await fetch(tokenUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    } catch {
      throw new WidgetError("tokenNeeded");
    }
    if (!reply.ok) throw new WidgetError("tokenNeeded");
    const body = (await reply.text()).trim();
    let fresh = body;
    if ((reply.headers.get("content-type") || "").includes("json")) {
      try {
        const parsed = JSON.parse(body);
        fresh = parsed.token || parsed.access_token || "";
      } catch {
        fresh = "";
      }
    }
    if (!fresh) throw new WidgetError("tokenNeeded");
    token = fresh;
    return token;
  }

  const errorKind = (status, code) => {
    if (status === 401) return code === "token_expired" ? "expired" : "authFailed";
    if (status === 403) return "forbidden";
    if (status === 413) return "tooLong";
    if (status === 503 && code === "not_configured") return "notConfigured";
    return "serverError";
  };

  async function api(path, init = {}, retried = false) {
    const current = token || (await fetchToken());
    let reply;
    try {
      reply = await fetch(new URL(path, BASE), {
        ...init,
        mode: "cors",
        credentials: "omit",
        headers: { ...(init.headers || {}), Accept: "application/json", Authorization: `Bearer ${current}` },
      });
    } catch {
      throw new WidgetError("unreachable");
    }
    if (reply.status === 401 && tokenUrl && !retried) {
      token = null; // expired or replaced: ask the intranet for a fresh one, once
      await fetchToken();
      return api(path, init, true);
    }
    let body = null;
    try {
      body = await reply.json();
    } catch {
      body = null;
    }
    if (!reply.ok) throw new WidgetError(errorKind(reply.status, body && body.error), body || {});
    return body;
  }

  // ---------------------------------------------------------------- rendering

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function messageRow(role) {
    const row = el("div", `pa-msg pa-msg--${role}`);
    row.append(el("span", "pa-sr-only", role === "user" ? t("you") : t("bot")));
    hint.hidden = true;
    log.append(row);
    return row;
  }

  function addUserMessage(text) {
    const row = messageRow("user");
    row.append(el("div", "pa-bubble", text));
    scrollToEnd();
    return row;
  }

  function addBotText(text) {
    const row = messageRow("bot");
    const bubble = el("div", "pa-bubble");
    renderMarkdown(text, bubble);
    row.append(bubble);
    return row;
  }

  function sectionLabel(section, L) {
    const raw = Array.isArray(section) ? section.join(", ") : String(section).trim();
    const key = raw.toLowerCase();
    if (/^\d+$/.test(key)) return format(L.sourceSection, key);
    if (/^(intro|introduction|wst[eę]p)$/.test(key)) return L.sourceIntro;
    const faq = /^faq[\s_-]*(\d*)$/.exec(key);
    if (faq) return faq[1] ? format(L.sourceFaqN, faq[1]) : L.sourceFaq;
    const numbers = key.split(/\s*[,;]\s*|\s+(?:i|and|&)\s+/).filter(Boolean);
    if (numbers.length > 1 && numbers.every((n) => /^\d+$/.test(n))) {
      return format(L.sourceSections, numbers.join(", "));
    }
    return format(L.sourceOther, raw);
  }

  function addSource(custom, row) {
    const source = custom.source;
    if (!source || typeof source !== "object" || source.section == null || source.section === "") return;
    const L = STRINGS[normaliseLang(custom.language) || lang];
    const line = el("p", "pa-source", L.sourcePrefix + sectionLabel(source.section, L));
    if (source.id) line.dataset.sourceId = String(source.id);
    (row || messageRow("bot")).append(line);
  }

  function removeReplies() {
    for (const group of log.querySelectorAll(".pa-replies")) group.remove();
  }

  function addReplies(buttons, row) {
    const group = el("div", "pa-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("repliesLabel"));
    for (const button of buttons) {
      if (!button || (button.payload == null && button.title == null)) continue;
      const label = String(button.title ?? button.payload);
      const payload = String(button.payload ?? button.title);
      const choice = el("button", "pa-reply", label);
      choice.type = "button";
      choice.addEventListener("click", () => send(payload, label));
      group.append(choice);
    }
    if (group.childElementCount) (row || messageRow("bot")).append(group);
  }

  // ---------------------------------------------------------------- votes on answers

  // Every answer from the knowledge base (custom JSON with a `source`) gets 👍 / 👎. A vote is
  // an ordinary message in Rasa's payload convention, `/feedback{"source": <answer id>,
  // "value": "up"|"down"[, "comment": ...]}` (bot/domain/feedback.yml); it shows no user bubble
  // (the history leaves "/..." messages out too), only the assistant's thanks.
  const FEEDBACK_STRINGS = {
    pl: {
      group: "Oceń tę odpowiedź",
      up: "Pomocna odpowiedź",
      down: "Niepomocna odpowiedź",
      commentLabel: "Czego zabrakło? (opcjonalnie)",
      commentPlaceholder: "Czego zabrakło?",
      commentSend: "Wyślij ocenę",
    },
    en: {
      group: "Rate this answer",
      up: "Helpful answer",
      down: "Not helpful",
      commentLabel: "What was missing? (optional)",
      commentPlaceholder: "What was missing?",
      commentSend: "Send rating",
    },
  };
  const FEEDBACK_COMMENT_MAX = 500;
  // Feather's thumbs-up / thumbs-down (MIT licence)
  const THUMB_UP =
    "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3";
  const THUMB_DOWN =
    "M10 15v4a3 3 0 0 0 3 3l4-9V2H5.72a2 2 0 0 0-2 1.7l-1.38 9a2 2 0 0 0 2 2.3zm7-13h2.67A2.31 2.31 0 0 1 22 4v7a2.31 2.31 0 0 1-2.33 2H17";

  function feedbackPayload(sourceId, value, comment) {
    const entities = { source: sourceId, value };
    if (comment) entities.comment = comment;
    return `/feedback${JSON.stringify(entities)}`;
  }

  async function sendFeedback(sourceId, value, comment, group) {
    const controls = group.querySelectorAll("button, input");
    controls.forEach((control) => {
      control.disabled = true;
    });
    clearAlert();
    try {
      await start();
      const body = { message: feedbackPayload(sourceId, value, comment) };
      if (pageLang) body.lang = pageLang;
      const reply = await api("webhook", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      group.dataset.voted = value;
      const form = group.querySelector(".pa-feedback-comment");
      if (form) form.remove();
      renderBotMessages(reply);
    } catch (error) {
      controls.forEach((control) => {
        control.disabled = false;
      });
      showAlert(error, () => sendFeedback(sourceId, value, comment, group));
    }
  }

  function openFeedbackComment(sourceId, group, F) {
    if (group.querySelector(".pa-feedback-comment")) return;
    const form = el("form", "pa-feedback-comment");
    const id = `pa-feedback-${Math.random().toString(36).slice(2, 10)}`;
    const label = el("label", "pa-feedback-label", F.commentLabel);
    label.htmlFor = id;
    const field = el("input", "pa-feedback-input");
    field.id = id;
    field.type = "text";
    field.maxLength = FEEDBACK_COMMENT_MAX;
    field.placeholder = F.commentPlaceholder;
    const submit = el("button", "pa-feedback-send", F.commentSend);
    submit.type = "submit";
    form.append(label, field, submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      sendFeedback(sourceId, "down", field.value.trim().slice(0, FEEDBACK_COMMENT_MAX), group);
    });
    group.append(form);
    field.focus();
  }

  function addFeedback(custom, row) {
    const source = custom && custom.source;
    if (!source || typeof source !== "object" || !source.id) return;
    // From the history the custom JSON is a message of its own: addSource has just put its
    // line in the last bot row, and the buttons go under it.
    const bots = log.querySelectorAll(".pa-msg--bot");
    const target = row || bots[bots.length - 1];
    if (!target) return;
    const F = FEEDBACK_STRINGS[normaliseLang(custom.language) || lang];
    const sourceId = String(source.id);
    const group = el("div", "pa-feedback");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", F.group);
    group.dataset.sourceId = sourceId;
    for (const [value, icon, name] of [["up", THUMB_UP, F.up], ["down", THUMB_DOWN, F.down]]) {
      const button = el("button", `pa-vote pa-vote--${value}`);
      button.append(svg(icon)); // 👍 / 👎 drawn, so they show without an emoji font
      button.type = "button";
      button.setAttribute("aria-label", name);
      button.title = name;
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", () => {
        for (const other of group.querySelectorAll(".pa-vote")) other.setAttribute("aria-pressed", String(other === button));
        if (value === "up") sendFeedback(sourceId, "up", "", group);
        else openFeedbackComment(sourceId, group, F);
      });
      group.append(button);
    }
    target.append(group);
  }

  // ---------------------------------------------------------------- plan export download

  // "Export my plan" sends the Markdown as chat text and `{"export": {"format": "md",
  // "filename", "content"}, "language"}` (docs/contracts/export.schema.json): a link downloads
  // `content` as `filename` from a Blob URL, nothing is fetched again.
  const EXPORT_STRINGS = {
    pl: { label: "Pobierz plan (.md)", aria: "Pobierz plan jako plik Markdown {n}" },
    en: { label: "Download the plan (.md)", aria: "Download the plan as the Markdown file {n}" },
  };

  function addExport(custom, row) {
    const doc = custom && custom.export;
    if (!doc || typeof doc !== "object" || doc.format !== "md" || typeof doc.content !== "string") return;
    const bots = log.querySelectorAll(".pa-msg--bot");
    const target = row || bots[bots.length - 1] || messageRow("bot");
    const E = EXPORT_STRINGS[normaliseLang(custom.language) || lang];
    const filename = /^[\w.-]+\.md$/.test(String(doc.filename)) ? String(doc.filename) : "plan.md";
    const link = el("a", "pa-export", E.label);
    link.href = URL.createObjectURL(new Blob([doc.content], { type: "text/markdown;charset=utf-8" }));
    link.download = filename;
    link.setAttribute("aria-label", format(E.aria, filename));
    target.append(link);
  }

  // One reply (or one stored bot message) may carry text, buttons and custom JSON; a source
  // line belongs under the text that came before it.
  function renderBotMessages(messages, { withButtons = true } = {}) {
    let row = null;
    for (const message of messages || []) {
      if (!message || typeof message !== "object") continue;
      if (typeof message.text === "string" && message.text.trim()) row = addBotText(message.text);
      if (withButtons && Array.isArray(message.buttons) && message.buttons.length) addReplies(message.buttons, row);
      if (message.custom && typeof message.custom === "object") {
        addSource(message.custom, row);
        addFeedback(message.custom, row);
        addExport(message.custom, row);
      }
    }
    scrollToEnd();
  }

  function renderHistory(messages) {
    const lastUser = messages.map((m) => m.role).lastIndexOf("user");
    messages.forEach((message, index) => {
      if (message.role === "user") {
        if (typeof message.text === "string") addUserMessage(message.text);
      } else if (message.role === "bot") {
        renderBotMessages([message], { withButtons: index > lastUser });
      }
    });
    scrollToEnd();
  }

  function showAlert(error, retry) {
    alertBox.replaceChildren();
    const kind = error instanceof WidgetError ? error.kind : "serverError";
    const text = kind === "tooLong" ? format(t("tooLong"), maxChars || "?") : t(kind) || t("serverError");
    alertBox.append(el("span", null, text));
    if (retry && !["tokenNeeded", "authFailed", "forbidden", "notConfigured", "tooLong", "expired"].includes(kind)) {
      const again = el("button", "pa-retry", t("retry"));
      again.type = "button";
      again.addEventListener("click", retry);
      alertBox.append(" ", again);
    }
    alertBox.hidden = false;
  }

  function clearAlert() {
    alertBox.hidden = true;
    alertBox.replaceChildren();
  }

  // ---------------------------------------------------------------- behaviour

  function start() {
    if (!started) {
      started = (async () => {
        await (token ? Promise.resolve(token) : fetchToken());
        if (!pageLang) {
          lang = normaliseLang(tokenClaims(token).lang) || lang;
          applyStrings();
        }
        const history = await api("history");
        if (history && history.max_message_chars) {
          maxChars = history.max_message_chars;
          input.maxLength = maxChars;
        }
        renderHistory((history && history.messages) || []);
      })().catch((error) => {
        started = null; // try again on the next open or send
        showAlert(error);
        throw error;
      });
    }
    return started;
  }

  async function send(text, displayText) {
    const message = String(text).trim();
    if (!message || busy) return;
    busy = true;
    sendButton.disabled = true;
    clearAlert();
    removeReplies();
    const row = addUserMessage(displayText || message);
    typing.hidden = false;
    scrollToEnd();
    try {
      await start();
      const body = { message };
      if (pageLang) body.lang = pageLang;
      if (displayText) body.display_text = displayText;
      const reply = await api("webhook", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      renderBotMessages(reply);
    } catch (error) {
      row.classList.add("pa-msg--failed");
      row.append(el("span", "pa-failed-note", t("notSent")));
      showAlert(error, () => {
        row.remove();
        send(message, displayText);
      });
    } finally {
      typing.hidden = true;
      busy = false;
      sendButton.disabled = false;
    }
  }

  function open({ focus = true } = {}) {
    panel.hidden = false;
    wrapper.classList.add("pa-open");
    applyLauncher();
    try {
      sessionStorage.setItem(OPEN_KEY, "1");
    } catch {
      /* storage may be disabled */
    }
    if (focus) input.focus();
    start().catch(() => {});
  }

  function close() {
    panel.hidden = true;
    wrapper.classList.remove("pa-open");
    applyLauncher();
    try {
      sessionStorage.removeItem(OPEN_KEY);
    } catch {
      /* storage may be disabled */
    }
    launcher.focus();
  }

  launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (busy || !input.value.trim()) return;
    const text = input.value;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  applyStrings();
  const mount = () => {
    document.body.append(host);
    let wasOpen = false;
    try {
      wasOpen = sessionStorage.getItem(OPEN_KEY) === "1";
    } catch {
      wasOpen = false;
    }
    if (wasOpen || script.dataset.open === "true") open({ focus: false });
  };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });

  window.PlanAdvisor = Object.freeze({ open: () => open(), close });
})();
