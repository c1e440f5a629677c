// Drawing the chat: every piece of text goes in through textContent, never as HTML.

const $ = (id) => document.getElementById(id);

/** Makes an element with a class and optional text. */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const time = (ts) => new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

export class ChatView {
  #shown = new Set();
  #blobUrls = [];
  #typing = new Map();

  /** Empties the message list (switching rooms). */
  clear() {
    for (const url of this.#blobUrls) URL.revokeObjectURL(url);
    this.#blobUrls = [];
    this.#shown.clear();
    this.#typing.clear();
    $("messages").replaceChildren();
    this.#drawTyping();
  }

  /** Adds an entry (text, image placeholder from history, or notice) unless already shown. */
  add(entry, me) {
    if (entry.id && this.#shown.has(entry.id)) return;
    if (entry.id) this.#shown.add(entry.id);
    if (entry.kind === "notice") return this.#append(element("li", "entry notice", entry.text));
    const item = this.#message(entry, me);
    if (entry.kind === "text") item.append(element("p", "text", entry.text));
    else item.append(element("p", "text muted", "shared an image (history keeps no images)"));
    this.#append(item);
    if (entry.nick) this.typing(entry.nick, false);
  }

  /** Adds a shared image from its bytes. */
  image(image, me) {
    if (this.#shown.has(image.id)) return;
    this.#shown.add(image.id);
    const url = URL.createObjectURL(new Blob([image.data], { type: image.type }));
    this.#blobUrls.push(url);
    const item = this.#message(image, me);
    const img = element("img", "shared");
    img.alt = `image from ${image.nick}`;
    img.src = url;
    img.addEventListener("load", () => this.#scroll(true), { once: true });
    item.append(img);
    this.#append(item);
  }

  /** A line only this page sees (reconnected, errors of the connection). */
  local(text) {
    this.#append(element("li", "entry notice local", text));
  }

  /** Marks someone as typing or not; the mark fades on its own after a few seconds. */
  typing(nick, on) {
    clearTimeout(this.#typing.get(nick));
    this.#typing.delete(nick);
    if (on) this.#typing.set(nick, setTimeout(() => this.typing(nick, false), 4000));
    this.#drawTyping();
  }

  rooms(rooms, current, onPick) {
    $("rooms").replaceChildren(...rooms.map(({ name, count }) => {
      const button = element("button", "room", `#${name}`);
      button.type = "button";
      button.append(element("span", "count", String(count)));
      if (name === current) button.setAttribute("aria-current", "true");
      button.addEventListener("click", () => onPick(name));
      const item = element("li");
      item.append(button);
      return item;
    }));
  }

  members(room, members, me) {
    $("members-room").textContent = `in #${room}`;
    $("members").replaceChildren(
      ...members.map((nick) => element("li", nick === me ? "me" : "", nick)),
    );
  }

  status(state, text) {
    const status = $("status");
    status.dataset.state = state;
    status.textContent = text;
  }

  #message(entry, me) {
    const item = element("li", `entry ${entry.kind}${entry.nick === me ? " mine" : ""}`);
    const meta = element("p", "meta");
    meta.append(element("b", "nick", entry.nick), " ", element("time", "", time(entry.ts)));
    item.append(meta);
    return item;
  }

  #drawTyping() {
    const names = [...this.#typing.keys()];
    $("typing").textContent = names.length === 0
      ? ""
      : names.length === 1
      ? `${names[0]} is typing…`
      : names.length === 2
      ? `${names[0]} and ${names[1]} are typing…`
      : "Several people are typing…";
  }

  #append(item) {
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    list.append(item);
    this.#scroll(atBottom);
  }

  #scroll(force) {
    const list = $("messages");
    if (force) list.scrollTop = list.scrollHeight;
  }
}
