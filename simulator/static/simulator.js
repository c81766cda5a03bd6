// The development chat simulator's page: a LINE-like chat that drives the bot through its real
// webhook. Plain JS, no build step. The server (simulator/web.py) turns every user action into
// a signed webhook event posted to /callback; this page polls the conversation (the user's own
// actions, the bot's messages as LINE message JSON, notices) and renders it the way LINE would.
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("sim-config").textContent);
  const API = config.api;
  const POLL_MS = 400;
  const TYPING_TIMEOUT_MS = 15000;
  const STORAGE_KEY = "isehara-simulator-user";

  const $ = (id) => document.getElementById(id);
  const chat = $("chat");
  const input = $("input");
  const sendButton = $("send");
  const quick = $("quick-replies");
  const userSelect = $("user-select");

  const state = {
    users: [],
    user: null, // the selected user {id, name, friend}
    next: 0, // transcript index to poll from
    entries: [], // entries rendered for the selected user
    generation: 0, // bumped on user switch: late answers for the previous user are dropped
    polling: false,
    waitingSince: 0, // when the user last acted (for the typing indicator)
    lastRendered: null,
  };

  // ------------------------------------------------------------------ small helpers

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  async function api(path, options = {}) {
    const init = { headers: { Accept: "application/json" }, ...options };
    if (options.json !== undefined) {
      init.method = init.method || "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.json);
    }
    const response = await fetch(API + path, init);
    let body = {};
    try {
      body = await response.json();
    } catch (e) {
      body = {};
    }
    if (!response.ok && response.status !== 502) {
      const error = new Error(body.message || `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  let toastTimer = 0;
  function toast(message) {
    const node = $("toast");
    node.textContent = message;
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (node.hidden = true), 2500);
  }

  const pad = (n) => String(n).padStart(2, "0");
  const clock = (ms) => {
    const d = new Date(ms);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  };
  const WEEKDAYS = "日月火水木金土";
  const dayKey = (ms) => new Date(ms).toDateString();
  function dayLabel(ms) {
    const d = new Date(ms);
    if (dayKey(ms) === dayKey(Date.now())) return "今日";
    return `${d.getFullYear()}/${d.getMonth() + 1}/${d.getDate()}(${WEEKDAYS[d.getDay()]})`;
  }

  // Text with line breaks, URLs as links (built as DOM nodes: never innerHTML).
  function richText(node, text) {
    const parts = String(text).split(/(https?:\/\/[^\s<>"']+)/g);
    parts.forEach((part, i) => {
      if (i % 2 === 1) {
        const a = el("a", "link", part);
        a.href = part;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        node.appendChild(a);
      } else if (part) {
        node.appendChild(document.createTextNode(part));
      }
    });
    return node;
  }

  // ------------------------------------------------------------------ actions

  // What tapping something does, as on LINE: message → the user says it; postback → an event
  // with the display text as the user's bubble; uri → a new tab.
  function runAction(action) {
    if (!action || !state.user) return;
    switch (action.type) {
      case "message":
        sendPayload({ text: action.text || action.label || "" });
        break;
      case "postback":
        sendPayload({
          postback: action.data,
          displayText: action.displayText || action.text || "",
        });
        break;
      case "uri": {
        const uri = action.uri || (action.altUri && action.altUri.desktop);
        if (uri) window.open(uri, "_blank", "noopener");
        break;
      }
      case "clipboard":
        if (navigator.clipboard) navigator.clipboard.writeText(action.clipboardText || "");
        toast("コピーしました");
        break;
      default:
        toast(`「${action.type}」アクションはシミュレーターでは未対応です`);
    }
  }

  function makeTappable(node, action) {
    if (!action) return node;
    node.classList.add("tappable");
    node.tabIndex = 0;
    node.setAttribute("role", "button");
    if (action.label) node.setAttribute("aria-label", action.label);
    node.addEventListener("click", (event) => {
      event.stopPropagation();
      runAction(action);
    });
    node.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        runAction(action);
      }
    });
    return node;
  }

  // ------------------------------------------------------------------ Flex messages

  // Values from the Flex Message reference (https://developers.line.biz/en/docs/messaging-api/).
  const TEXT_SIZE = { xxs: 11, xs: 13, sm: 14, md: 16, lg: 19, xl: 22, xxl: 29,
    "3xl": 35, "4xl": 48, "5xl": 74 };
  const SPACING = { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
  const SPACER = { xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
  const RADIUS = { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
  const BORDER = { none: 0, light: 0.5, normal: 1, medium: 2, "semi-bold": 3, bold: 4 };
  const BUBBLE_WIDTH = { nano: 120, micro: 160, deca: 220, hecto: 241, kilo: 260, mega: 300,
    giga: 386 };
  const IMAGE_SIZE = { xxs: 40, xs: 60, sm: 80, md: 100, lg: 120, xl: 140, xxl: 160,
    "3xl": 180, "4xl": 200, "5xl": 240 };
  const GRAVITY = { top: "flex-start", center: "center", bottom: "flex-end" };
  const ALIGN = { start: "flex-start", center: "center", end: "flex-end" };
  const JUSTIFY = { "flex-start": "flex-start", center: "center", "flex-end": "flex-end",
    "space-between": "space-between", "space-around": "space-around",
    "space-evenly": "space-evenly" };

  function length(value, table) {
    if (value === undefined || value === null) return null;
    if (table && Object.prototype.hasOwnProperty.call(table, value)) return `${table[value]}px`;
    if (/^-?\d+(\.\d+)?(px|%)$/.test(String(value))) return String(value);
    return null;
  }

  function applyBoxModel(node, c) {
    const s = node.style;
    const set = (prop, value, table) => {
      const v = length(value, table);
      if (v !== null) s[prop] = v;
    };
    set("padding", c.paddingAll, SPACING);
    set("paddingTop", c.paddingTop, SPACING);
    set("paddingBottom", c.paddingBottom, SPACING);
    set("paddingInlineStart", c.paddingStart, SPACING);
    set("paddingInlineEnd", c.paddingEnd, SPACING);
    set("width", c.width);
    set("maxWidth", c.maxWidth);
    set("height", c.height);
    set("maxHeight", c.maxHeight);
    if (c.position === "absolute") {
      s.position = "absolute";
      set("top", c.offsetTop, SPACING);
      set("bottom", c.offsetBottom, SPACING);
      set("insetInlineStart", c.offsetStart, SPACING);
      set("insetInlineEnd", c.offsetEnd, SPACING);
    } else if (c.offsetTop || c.offsetBottom || c.offsetStart || c.offsetEnd) {
      s.position = "relative";
      set("top", c.offsetTop, SPACING);
      set("bottom", c.offsetBottom, SPACING);
      set("insetInlineStart", c.offsetStart, SPACING);
      set("insetInlineEnd", c.offsetEnd, SPACING);
    }
  }

  // Flex's `flex`, `margin`/`spacing` and `gravity` depend on the parent's layout.
  function placeInParent(node, c, parent, index) {
    const horizontal = parent.layout !== "vertical";
    const flex = c.flex !== undefined ? c.flex : horizontal ? 1 : 0;
    if (c.type !== "filler" && c.type !== "spacer") {
      node.style.flex = flex > 0 ? `${flex} ${horizontal ? 1 : 0} 0%` : "0 1 auto";
      if (!horizontal && flex > 0) node.style.flexBasis = "auto";
    }
    const gap = length(c.margin !== undefined ? c.margin : index > 0 ? parent.spacing : null,
      SPACING);
    if (gap && c.position !== "absolute") {
      node.style[horizontal ? "marginInlineStart" : "marginTop"] = gap;
    }
    if (horizontal && c.gravity && parent.layout === "horizontal") {
      node.style.alignSelf = GRAVITY[c.gravity] || "";
    }
    if (!horizontal && c.align && c.type !== "text") {
      node.style.alignSelf = ALIGN[c.align] || "";
    }
  }

  function renderComponent(c, parent, index) {
    const render = {
      box: renderBox,
      text: renderText,
      button: renderButton,
      image: renderImage,
      icon: renderIcon,
      separator: renderSeparator,
      spacer: renderSpacer,
      filler: renderFiller,
      span: renderSpan,
      video: renderVideo,
    }[c.type];
    const node = render ? render(c, parent) : el("div", "fx-unknown", `[${c.type}]`);
    if (parent) placeInParent(node, c, parent, index);
    return node;
  }

  function renderBox(c) {
    const layout = c.layout || "vertical";
    const node = el("div", `fx-box fx-${layout}`);
    const s = node.style;
    if (c.backgroundColor) s.backgroundColor = c.backgroundColor;
    const bg = c.background;
    if (bg && bg.type === "linearGradient") {
      const stops = [bg.startColor, bg.centerColor, bg.endColor].filter(Boolean).join(", ");
      s.backgroundImage = `linear-gradient(${bg.angle || "0deg"}, ${stops})`;
    }
    if (c.borderColor) s.borderColor = c.borderColor;
    const border = length(c.borderWidth, BORDER);
    if (border) {
      s.borderStyle = "solid";
      s.borderWidth = border;
      if (!c.borderColor) s.borderColor = "#000";
    }
    const radius = length(c.cornerRadius, RADIUS);
    if (radius) s.borderRadius = radius;
    if (c.justifyContent) s.justifyContent = JUSTIFY[c.justifyContent] || "";
    if (c.alignItems) s.alignItems = JUSTIFY[c.alignItems] || "";
    applyBoxModel(node, c);
    (c.contents || []).forEach((child, i) => {
      node.appendChild(renderComponent(child, { layout, spacing: c.spacing }, i));
    });
    return makeTappable(node, c.action);
  }

  function textStyle(node, c, inherited) {
    const s = node.style;
    const size = length(c.size, TEXT_SIZE) || (inherited ? null : "16px");
    if (size) s.fontSize = size;
    if (c.weight === "bold") s.fontWeight = "700";
    if (c.color) s.color = c.color;
    if (c.style === "italic") s.fontStyle = "italic";
    if (c.decoration === "underline") s.textDecoration = "underline";
    if (c.decoration === "line-through") s.textDecoration = "line-through";
  }

  function renderText(c, parent) {
    const node = el("div", "fx-text");
    textStyle(node, c, false);
    if (c.contents && c.contents.length) {
      c.contents.forEach((span) => node.appendChild(renderSpan(span)));
    } else {
      node.textContent = c.text || "";
    }
    if (c.wrap) {
      node.classList.add("fx-wrap");
      if (c.maxLines) {
        node.classList.add("fx-clamp");
        node.style.webkitLineClamp = String(c.maxLines);
      }
    }
    if (c.align) node.style.textAlign = c.align === "end" ? "end" : c.align;
    if (c.lineSpacing) {
      const extra = length(c.lineSpacing);
      if (extra) node.style.lineHeight = `calc(1.4em + ${extra})`;
    }
    if (c.gravity && parent && parent.layout === "vertical") {
      node.style.alignSelf = "stretch";
    }
    applyBoxModel(node, c);
    return makeTappable(node, c.action);
  }

  function renderSpan(c) {
    const node = el("span", "fx-span", c.text || "");
    textStyle(node, c, true);
    return node;
  }

  function renderButton(c) {
    const style = c.style || "link";
    const node = el("button", `fx-button fx-button-${style} fx-button-${c.height || "md"}`);
    node.type = "button";
    node.textContent = (c.action && c.action.label) || "";
    if (style === "link") {
      if (c.color) node.style.color = c.color;
    } else if (c.color) {
      node.style.backgroundColor = c.color;
    }
    applyBoxModel(node, c);
    if (c.action) {
      node.addEventListener("click", (event) => {
        event.stopPropagation();
        runAction(c.action);
      });
    }
    return node;
  }

  function renderImage(c, parent) {
    const frame = el("div", "fx-image");
    const img = el("img");
    img.src = c.url;
    img.alt = "";
    img.loading = "lazy";
    const ratio = (c.aspectRatio || "1:1").split(":").map(Number);
    if (ratio.length === 2 && ratio[0] > 0 && ratio[1] > 0) {
      img.style.aspectRatio = `${ratio[0]} / ${ratio[1]}`;
    }
    img.style.objectFit = c.aspectMode === "cover" ? "cover" : "contain";
    if (c.backgroundColor) img.style.backgroundColor = c.backgroundColor;
    const size = c.size || "md";
    img.style.width = size === "full" ? "100%" : length(size, IMAGE_SIZE) || "100px";
    img.style.maxWidth = "100%";
    frame.style.justifyContent = ALIGN[c.align || "center"];
    if (parent && parent.layout === "horizontal" && c.gravity) {
      frame.style.alignItems = GRAVITY[c.gravity];
    }
    frame.appendChild(img);
    applyBoxModel(frame, c);
    return makeTappable(frame, c.action);
  }

  function renderIcon(c) {
    const img = el("img", "fx-icon");
    img.src = c.url;
    img.alt = "";
    const size = length(c.size, TEXT_SIZE) || "16px";
    img.style.width = size;
    img.style.height = size;
    return img;
  }

  function renderSeparator(c, parent) {
    const node = el("div", `fx-separator ${parent && parent.layout !== "vertical" ? "fx-vsep" : ""}`);
    if (c.color) node.style.borderColor = c.color;
    return node;
  }

  function renderSpacer(c) {
    const node = el("div", "fx-spacer");
    node.style.flex = `0 0 ${length(c.size, SPACER) || "8px"}`;
    return node;
  }

  function renderFiller(c) {
    const node = el("div", "fx-filler");
    node.style.flex = `${c.flex !== undefined ? c.flex : 1} 0 0%`;
    return node;
  }

  function renderVideo(c) {
    const node = el("div", "fx-video", "▶ 動画");
    if (c.altContent) node.appendChild(renderComponent(c.altContent, null, 0));
    return node;
  }

  const BLOCK_PADDING = { header: "20px", hero: "0", body: "20px", footer: "10px" };

  function renderBubble(bubble) {
    const node = el("div", "fx-bubble");
    const width = BUBBLE_WIDTH[bubble.size || "mega"] || 300;
    node.style.width = `${width}px`;
    if (bubble.direction === "rtl") node.dir = "rtl";
    const styles = bubble.styles || {};
    let first = true;
    ["header", "hero", "body", "footer"].forEach((name) => {
      const content = bubble[name];
      if (!content) return;
      const block = el("div", `fx-block fx-block-${name}`);
      const style = styles[name] || {};
      if (style.backgroundColor) block.style.backgroundColor = style.backgroundColor;
      if (style.separator && !first) {
        block.style.borderTop = `1px solid ${style.separatorColor || "#e5e5e5"}`;
      }
      const root = renderComponent(content, null, 0);
      if (content.type === "box") {
        const hasPadding = ["paddingAll", "paddingTop", "paddingBottom", "paddingStart",
          "paddingEnd"].some((k) => content[k] !== undefined);
        if (!hasPadding) root.style.padding = BLOCK_PADDING[name];
        else if (content.paddingAll === undefined) {
          // Unset sides keep the block's default padding.
          ["Top", "Bottom"].forEach((side) => {
            if (content[`padding${side}`] === undefined) {
              root.style[`padding${side}`] = BLOCK_PADDING[name];
            }
          });
          if (content.paddingStart === undefined) {
            root.style.paddingInlineStart = BLOCK_PADDING[name];
          }
          if (content.paddingEnd === undefined) root.style.paddingInlineEnd = BLOCK_PADDING[name];
        }
        root.style.flex = "1 1 auto";
      } else if (content.type === "image") {
        content.size = content.size || "full";
      }
      block.appendChild(root);
      if (name === "body") block.classList.add("fx-grow");
      node.appendChild(block);
      first = false;
    });
    return makeTappable(node, bubble.action);
  }

  function renderFlex(contents) {
    if (contents.type === "carousel") {
      const row = el("div", "fx-carousel");
      (contents.contents || []).forEach((bubble) => row.appendChild(renderBubble(bubble)));
      return row;
    }
    return renderBubble(contents);
  }

  // ------------------------------------------------------------------ template messages

  function renderTemplate(t) {
    const card = (column, withText) => {
      const node = el("div", "tpl-card");
      if (column.thumbnailImageUrl) {
        const img = el("img", "tpl-thumb");
        img.src = column.thumbnailImageUrl;
        img.alt = "";
        node.appendChild(img);
      }
      const body = el("div", "tpl-body");
      if (column.title) body.appendChild(el("div", "tpl-title", column.title));
      if (withText) body.appendChild(richText(el("div", "tpl-text"), column.text || ""));
      node.appendChild(body);
      const actions = el("div", t.type === "confirm" ? "tpl-actions tpl-confirm" : "tpl-actions");
      (column.actions || []).forEach((a) => {
        const b = el("button", "tpl-action", a.label || "");
        b.type = "button";
        b.addEventListener("click", () => runAction(a));
        actions.appendChild(b);
      });
      node.appendChild(actions);
      return node;
    };
    if (t.type === "carousel") {
      const row = el("div", "fx-carousel");
      (t.columns || []).forEach((c) => row.appendChild(card(c, true)));
      return row;
    }
    if (t.type === "image_carousel") {
      const row = el("div", "fx-carousel");
      (t.columns || []).forEach((c) => {
        const img = el("img", "tpl-image");
        img.src = c.imageUrl;
        img.alt = "";
        row.appendChild(makeTappable(img, c.action));
      });
      return row;
    }
    return card(t, true);
  }

  // ------------------------------------------------------------------ message rendering

  function renderMessage(message) {
    switch (message.type) {
      case "text":
      case "textV2": {
        const bubble = el("div", "bubble bubble-text");
        richText(bubble, message.text || "");
        return bubble;
      }
      case "flex": {
        const node = renderFlex(message.contents || {});
        node.title = message.altText || "";
        return node;
      }
      case "template":
        return renderTemplate(message.template || {});
      case "image": {
        const img = el("img", "bubble-image");
        img.src = message.previewImageUrl || message.originalContentUrl;
        img.alt = "画像";
        return img;
      }
      case "sticker":
        return el("div", "bubble-sticker", "🐻");
      case "location": {
        const bubble = el("div", "bubble bubble-text bubble-location");
        bubble.appendChild(el("strong", null, `📍 ${message.title || "位置情報"}`));
        bubble.appendChild(document.createElement("br"));
        const a = el("a", "link", message.address || "地図を開く");
        a.href = `https://www.google.com/maps?q=${message.latitude},${message.longitude}`;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        bubble.appendChild(a);
        return bubble;
      }
      default:
        return el("div", "bubble bubble-text bubble-muted", `[${message.type} メッセージ]`);
    }
  }

  function showJson(value) {
    $("json-text").textContent = JSON.stringify(value, null, 2);
    $("json-dialog").showModal();
  }

  function renderEntry(entry) {
    const previous = state.lastRendered;
    if (!previous || dayKey(previous.time) !== dayKey(entry.time)) {
      chat.appendChild(el("div", "day", dayLabel(entry.time)));
    }
    const time = el("time", "time", clock(entry.time));
    if (entry.from === "system") {
      chat.appendChild(el("div", `notice notice-${entry.type || "info"}`, entry.text));
    } else if (entry.from === "user") {
      if (entry.type === "postback" && !entry.text) {
        // LINE shows nothing for a postback without displayText; the developer sees the data.
        chat.appendChild(el("div", "notice notice-postback", `postback: ${entry.data}`));
      } else {
        const row = el("div", "msg user");
        row.dataset.index = entry.index;
        const bubble = richText(el("div", "bubble bubble-text"), entry.text);
        if (entry.type === "postback") bubble.title = `postback: ${entry.data}`;
        const meta = el("div", "meta");
        meta.appendChild(el("span", "read", "既読"));
        meta.appendChild(time);
        row.append(meta, bubble);
        chat.appendChild(row);
      }
    } else {
      chat.querySelectorAll(".msg.user .read:not(.on)").forEach((n) => n.classList.add("on"));
      const first = !previous || previous.from !== "bot" ||
        dayKey(previous.time) !== dayKey(entry.time);
      const row = el("div", `msg bot${first ? " first" : ""}`);
      row.dataset.index = entry.index;
      row.dataset.type = entry.message.type;
      const avatar = el("span", first ? "avatar" : "avatar avatar-blank");
      avatar.setAttribute("aria-hidden", "true");
      const column = el("div", "msg-column");
      if (first) column.appendChild(el("div", "sender", config.botName));
      const line = el("div", "msg-line");
      const content = renderMessage(entry.message);
      content.addEventListener("dblclick", () => showJson(entry.message));
      line.append(content, time);
      column.appendChild(line);
      row.append(avatar, column);
      chat.appendChild(row);
    }
    state.lastRendered = entry;
  }

  // Quick replies belong to the newest message and vanish once the user does anything.
  function renderQuickReplies() {
    quick.replaceChildren();
    const last = state.entries[state.entries.length - 1];
    const items = last && last.from === "bot" && last.message.quickReply
      ? last.message.quickReply.items || []
      : [];
    items.forEach((item) => {
      const action = item.action || {};
      const chip = el("button", "chip");
      chip.type = "button";
      if (item.imageUrl) {
        const icon = el("img", "chip-icon");
        icon.src = item.imageUrl;
        icon.alt = "";
        chip.appendChild(icon);
      }
      chip.appendChild(document.createTextNode(action.label || action.text || ""));
      chip.addEventListener("click", () => runAction(action));
      quick.appendChild(chip);
    });
    quick.hidden = items.length === 0 || !canSend();
  }

  function addEntries(entries) {
    if (!entries.length) return;
    const nearBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 160;
    entries.forEach((entry) => {
      state.entries.push(entry);
      renderEntry(entry);
      if (entry.from === "bot") state.waitingSince = 0;
    });
    renderQuickReplies();
    updateTyping();
    const mine = entries.some((e) => e.from === "user" || e.from === "system");
    if (nearBottom || mine) chat.scrollTop = chat.scrollHeight;
  }

  function updateTyping() {
    const waiting = state.waitingSince && Date.now() - state.waitingSince < TYPING_TIMEOUT_MS;
    $("typing").hidden = !waiting;
  }

  // ------------------------------------------------------------------ polling

  async function poll() {
    if (state.polling || !state.user) return;
    state.polling = true;
    const generation = state.generation;
    try {
      const user = encodeURIComponent(state.user.id);
      const data = await api(`/conversation?user=${user}&after=${state.next}`);
      if (generation !== state.generation) return;
      state.next = data.next;
      updateUser(data.user);
      addEntries(data.entries);
    } catch (e) {
      if (generation === state.generation) {
        console.warn("poll failed", e);
        // The dev server reloads on every code change and forgets its simulated users.
        if (e.status === 400) setTimeout(loadUsers, 0);
      }
    } finally {
      state.polling = false;
      updateTyping();
    }
  }

  // ------------------------------------------------------------------ users

  function canSend() {
    return Boolean(state.user) && state.user.friend !== "blocked";
  }

  function updateUser(user) {
    if (!user) return;
    const known = state.users.find((u) => u.id === user.id);
    if (known) Object.assign(known, user);
    if (state.user && state.user.id === user.id) Object.assign(state.user, user);
    renderUserControls();
  }

  function renderUserControls() {
    const selected = state.user && state.user.id;
    userSelect.replaceChildren(...state.users.map((u) => {
      const option = el("option", null, u.friend === "blocked" ? `${u.name}（ブロック中）` : u.name);
      option.value = u.id;
      option.selected = u.id === selected;
      return option;
    }));
    const user = state.user;
    $("user-id").textContent = user ? user.id : "";
    $("follow").hidden = !user || user.friend === "friend";
    $("follow").textContent = user && user.friend === "blocked" ? "ブロック解除" : "友だち追加";
    $("block").hidden = !user || user.friend !== "friend";
    const blocked = Boolean(user) && user.friend === "blocked";
    $("composer").classList.toggle("disabled", blocked);
    input.disabled = blocked;
    $("blocked-notice").hidden = !blocked;
    updateSendButton();
  }

  function selectUser(id) {
    const user = state.users.find((u) => u.id === id);
    if (!user) return;
    state.generation += 1;
    state.user = user;
    state.next = 0;
    state.entries = [];
    state.lastRendered = null;
    state.waitingSince = 0;
    state.polling = false;
    chat.replaceChildren();
    renderQuickReplies();
    updateTyping();
    localStorage.setItem(STORAGE_KEY, id);
    renderUserControls();
    poll();
  }

  async function addUser() {
    const button = $("add-user");
    button.disabled = true;
    try {
      const data = await api("/users", { json: { follow: true } });
      state.users.push(data.user);
      selectUser(data.user.id);
      toast(`${data.user.name} さんを追加しました`);
    } catch (e) {
      toast(`ユーザーを追加できませんでした: ${e.message}`);
    } finally {
      button.disabled = false;
    }
  }

  // The server's users; after a dev-server restart there are none, so start a new one.
  let loading = false;
  async function loadUsers() {
    if (loading) return;
    loading = true;
    try {
      const data = await api("/users");
      state.users = data.users;
      if (!state.users.length) {
        if (state.user) toast("サーバーが再起動したので、新しいユーザーで始めます");
        await addUser();
      } else {
        const stored = localStorage.getItem(STORAGE_KEY);
        const found = state.users.find((u) => u.id === stored);
        selectUser(found ? found.id : state.users[0].id);
      }
    } catch (e) {
      toast(`シミュレーターに接続できません: ${e.message}`);
    } finally {
      loading = false;
    }
  }

  // ------------------------------------------------------------------ sending

  async function sendPayload(payload) {
    // Following is allowed while blocked: that is how one unblocks.
    if (!state.user || (!canSend() && !payload.event)) return;
    state.waitingSince = payload.event === "unfollow" ? 0 : Date.now();
    quick.hidden = true;
    updateTyping();
    try {
      const data = await api("/send", { json: { user: state.user.id, ...payload } });
      updateUser(data.user);
      if (data.status !== 200) state.waitingSince = 0;
    } catch (e) {
      state.waitingSince = 0;
      toast(`送信できませんでした: ${e.message}`);
    }
    poll();
  }

  function updateSendButton() {
    sendButton.disabled = !canSend() || input.value.trim() === "";
  }

  function autosize() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
  }

  function submit() {
    const text = input.value;
    if (!text.trim() || !canSend()) return;
    input.value = "";
    autosize();
    updateSendButton();
    sendPayload({ text });
  }

  // ------------------------------------------------------------------ rich menu

  const narrow = () => window.matchMedia("(max-width: 600px)").matches;

  function setupRichMenu() {
    const menu = config.richMenu;
    if (!menu) return;
    const bar = $("chatbar");
    const dock = $("richmenu-dock");
    const panel = $("richmenu");
    $("chatbar-text").textContent = menu.chatBarText;
    bar.hidden = false;
    const { width, height } = menu.size;
    panel.style.aspectRatio = `${width} / ${height}`;
    // Full width, unless that would leave the chat too little room on a short screen.
    panel.style.width = `min(100%, calc(42vh * ${width / height}))`;
    menu.areas.forEach((area) => {
      const b = area.bounds;
      const button = el("button", "richmenu-area");
      button.type = "button";
      button.setAttribute("aria-label", area.label);
      button.title = area.label;
      button.style.left = `${(b.x / width) * 100}%`;
      button.style.top = `${(b.y / height) * 100}%`;
      button.style.width = `${(b.width / width) * 100}%`;
      button.style.height = `${(b.height / height) * 100}%`;
      button.addEventListener("click", () => runAction(area.action));
      panel.appendChild(button);
    });
    const toggle = (open) => {
      dock.hidden = !open;
      bar.setAttribute("aria-expanded", String(open));
      bar.classList.toggle("open", open);
    };
    bar.addEventListener("click", () => toggle(dock.hidden));
    input.addEventListener("focus", () => {
      // On a phone, LINE folds the menu away while typing.
      if (narrow()) toggle(false);
    });
    toggle(menu.selected);
  }

  // ------------------------------------------------------------------ start

  async function start() {
    sendButton.addEventListener("click", (event) => {
      event.preventDefault();
      submit();
    });
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      submit();
    });
    input.addEventListener("input", () => {
      autosize();
      updateSendButton();
    });
    input.addEventListener("keydown", (event) => {
      // Enter sends, Shift+Enter is a new line; Enter that confirms an IME conversion is not.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing &&
          event.keyCode !== 229) {
        event.preventDefault();
        submit();
      }
    });
    userSelect.addEventListener("change", () => selectUser(userSelect.value));
    $("add-user").addEventListener("click", addUser);
    $("follow").addEventListener("click", () => {
      if (state.user) sendPayload({ event: "follow" });
    });
    $("block").addEventListener("click", () => {
      if (window.confirm(`${state.user.name} として ${config.botName} をブロックしますか？`)) {
        sendPayload({ event: "unfollow" });
      }
    });
    setupRichMenu();

    await loadUsers();
    setInterval(poll, POLL_MS);
    // Not on a phone: focusing would fold the rich menu the newcomer should see first.
    if (!narrow()) input.focus();
  }

  start();
})();
