// New broadcast form: live recipient count (POST /api/broadcasts/preview with the session
// and CSRF header), LINE-like preview, timing fields, and the test send.
(function () {
  const form = document.getElementById("broadcast-form");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const text = document.getElementById("text");
  const chars = document.getElementById("chars");
  const preview = document.getElementById("preview-text");
  const recipients = document.getElementById("recipients");
  const testResult = document.getElementById("test-result");

  function segment() {
    const seg = {};
    form.querySelectorAll('input[type=checkbox][name^="seg-"]:checked').forEach((box) => {
      const key = box.name.slice(4);
      (seg[key] = seg[key] || []).push(box.value);
    });
    return seg;
  }

  async function post(url, body) {
    const res = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
    return { ok: res.ok, body: await res.json() };
  }

  let pending = 0;
  async function refreshCount() {
    const mine = ++pending;
    const { ok, body } = await post("/api/broadcasts/preview", { segment: segment() });
    if (mine !== pending) return;
    recipients.textContent = ok ? body.recipients.toLocaleString("ja-JP") : "—";
  }

  function refreshPreview() {
    // LINE counts UTF-16 units, as String.length does.
    chars.textContent = text.value.length.toLocaleString("ja-JP");
    preview.textContent = text.value || "（本文を入力するとここに表示されます）";
  }

  function refreshTiming() {
    const kind = form.querySelector('input[name="timing"]:checked').value;
    document.getElementById("when-once").hidden = kind !== "once";
    document.getElementById("when-weekly").hidden = kind !== "weekly";
    document.getElementById("when-monthly").hidden = kind !== "monthly";
    document.getElementById("when-time").hidden = !(kind === "weekly" || kind === "monthly");
    document.getElementById("submit").textContent = kind === "now" ? "今すぐ配信" : "配信を予約";
  }

  document.getElementById("test-send").addEventListener("click", async () => {
    testResult.textContent = "送信中…";
    const { body } = await post("/api/broadcasts/test", { text: text.value });
    testResult.textContent = body.message || body.error;
  });

  form.addEventListener("change", (e) => {
    if (e.target.name && e.target.name.startsWith("seg-")) refreshCount();
    if (e.target.name === "timing") refreshTiming();
  });
  text.addEventListener("input", refreshPreview);
  refreshPreview();
  refreshTiming();
  refreshCount();
})();
