// The collection page, edited in place (the page works without this file: every control is
// a form). Each note saves on its own, shortly after typing stops, and says so (已保存 /
// 保存中 / 未保存); leaving with unsaved text asks first. Moving an item is one request for the
// whole new order, with no reload; 移出 can be undone (撤销) — the item comes back with its
// note at its place. Writes go to the JSON API, which needs no form token: its bodies are
// application/json, which another site cannot send.
(function () {
  "use strict";
  var list = document.querySelector("ol.items[data-order-url]");
  if (!list || !window.fetch) { return; }
  var status = document.querySelector(".list-status");
  var undoButton = status.querySelector("button.undo");
  var removed = null;  // the last item taken out: {item, node}

  function send(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (b) { return { ok: r.ok, body: b }; },
        function () { return { ok: false, body: {} }; });
    });
  }
  function problem(res) {
    return (res.body && res.body.error && res.body.error.message) || "操作失败，请刷新页面后重试";
  }
  function say(text, canUndo) {
    status.querySelector(".msg").textContent = text;
    undoButton.hidden = !canUndo;
  }
  // Writes to the list go one after another, each naming the version the last one left.
  var queue = Promise.resolve();
  function inTurn(task) { queue = queue.then(task, task); return queue; }
  function setVersion(v) {
    list.setAttribute("data-version", String(v));
    document.querySelectorAll("input.col-version").forEach(function (i) { i.value = String(v); });
  }
  function items() { return Array.prototype.slice.call(list.querySelectorAll(":scope > li.item")); }
  function renumber() {
    var all = items();
    all.forEach(function (li, i) {
      li.querySelector(".num").textContent = String(i + 1);
      var up = li.querySelector("button.up"), down = li.querySelector("button.down");
      if (up) { up.disabled = i === 0; }
      if (down) { down.disabled = i === all.length - 1; }
      var to = li.querySelector(".move-to input[name=position]");
      if (to) { to.value = String(i + 1); to.max = String(all.length); }
    });
  }

  // -- order -------------------------------------------------------------------------------
  function saveOrder() {
    var ids = items().map(function (li) { return parseInt(li.getAttribute("data-item"), 10); });
    return inTurn(function () {
      say("正在保存顺序…", false);
      return send("POST", list.getAttribute("data-order-url"),
        { items: ids, version: parseInt(list.getAttribute("data-version"), 10) })
        .then(function (res) {
          if (res.ok) { setVersion(res.body.version); say("顺序已保存", false); }
          else { say(problem(res), false); }
        });
    });
  }
  function moveTo(li, index) {
    var others = items().filter(function (x) { return x !== li; });
    index = Math.max(0, Math.min(index, others.length));
    list.insertBefore(li, others[index] || null);
    renumber();
    li.scrollIntoView({ block: "nearest" });
    return saveOrder();
  }
  list.addEventListener("submit", function (e) {
    var form = e.target, li = form.closest("li.item");
    if (form.matches("form.move")) {
      e.preventDefault();
      var step = form.querySelector("input[name=direction]").value === "up" ? -1 : 1;
      moveTo(li, items().indexOf(li) + step);
      var button = form.querySelector("button");
      if (!button.disabled) { button.focus(); }
    } else if (form.matches("form.move-to")) {
      e.preventDefault();
      moveTo(li, parseInt(form.querySelector("input[name=position]").value, 10) - 1);
    } else if (form.matches("form.remove-form")) {
      e.preventDefault();
      removeItem(li, form);
    } else if (form.matches("form.note-form")) {
      e.preventDefault();
      saveNote(form);
    }
  });

  // -- 移出 and 撤销 -------------------------------------------------------------------------
  function removeItem(li, form) {
    var version = parseInt(form.querySelector("input.item-version").value, 10);
    inTurn(function () {
      return send("DELETE", li.getAttribute("data-url"), { version: version }).then(function (res) {
        if (!res.ok) { say(problem(res), false); return; }
        var org = li.querySelector(".hit-meta .org");
        removed = { item: res.body.removed, node: li };
        li.parentNode.removeChild(li);
        setVersion(res.body.version);
        renumber();
        say("已移出第 " + (res.body.removed.position + 1) + " 条" +
          (org ? "（" + org.textContent + "）" : "") + "。", true);
        undoButton.focus();
      });
    });
  }
  undoButton.addEventListener("click", function () {
    if (!removed) { return; }
    var back = removed;
    removed = null;
    undoButton.hidden = true;
    inTurn(function () {
      return send("POST", list.getAttribute("data-restore-url"),
        { item: back.item, version: parseInt(list.getAttribute("data-version"), 10) })
        .then(function (res) {
          if (!res.ok) { say(problem(res), false); return; }
          var item = res.body.restored, li = back.node, old = String(back.item.id);
          // The item comes back under a new id (ids are never reused): re-point its forms.
          var pattern = new RegExp("/items/" + old + "(?=/|$)");
          li.querySelectorAll("form").forEach(function (f) {
            f.setAttribute("action", f.getAttribute("action").replace(pattern, "/items/" + item.id));
          });
          li.setAttribute("data-url", li.getAttribute("data-url").replace(pattern, "/items/" + item.id));
          li.setAttribute("data-item", String(item.id));
          li.id = "item-" + item.id;
          li.querySelectorAll("input.item-version").forEach(function (i) { i.value = String(item.version); });
          list.insertBefore(li, items()[item.position] || null);
          setVersion(res.body.version);
          renumber();
          say("已撤销移出。", false);
        });
    });
  });

  // -- notes ---------------------------------------------------------------------------------
  var AUTOSAVE_MS = 800;
  function noteState(form, text, kind) {
    var s = form.querySelector(".note-state");
    s.textContent = text;
    s.setAttribute("data-state", kind);
  }
  function dirty(form) {
    return form.querySelector("textarea[name=note]").value !== form.getAttribute("data-saved");
  }
  function saveNote(form) {
    window.clearTimeout(form.noteTimer);
    if (form.saving) { form.again = true; return; }
    if (!dirty(form)) { noteState(form, "已保存", "saved"); return; }
    var li = form.closest("li.item"), text = form.querySelector("textarea[name=note]").value;
    var version = form.querySelector("input.item-version");
    form.saving = true;
    noteState(form, "保存中…", "saving");
    send("PATCH", li.getAttribute("data-url"), { note: text, version: parseInt(version.value, 10) })
      .then(function (res) {
        form.saving = false;
        if (res.ok) {
          form.setAttribute("data-saved", text);
          li.querySelectorAll("input.item-version").forEach(function (i) { i.value = String(res.body.version); });
        }
        if (!res.ok) { noteState(form, "未保存：" + problem(res), "unsaved"); }
        else if (dirty(form) || form.again) { form.again = false; saveNote(form); }
        else { noteState(form, "已保存", "saved"); }
      }, function () {
        form.saving = false;
        noteState(form, "未保存：连不上服务器", "unsaved");
      });
  }
  list.querySelectorAll("form.note-form").forEach(function (form) {
    var area = form.querySelector("textarea[name=note]");
    form.setAttribute("data-saved", area.value);
    noteState(form, "已保存", "saved");
    area.addEventListener("input", function () {
      noteState(form, "未保存", "unsaved");
      window.clearTimeout(form.noteTimer);
      form.noteTimer = window.setTimeout(function () { saveNote(form); }, AUTOSAVE_MS);
    });
  });
  window.addEventListener("beforeunload", function (e) {
    var unsaved = Array.prototype.some.call(list.querySelectorAll("form.note-form"), dirty);
    if (unsaved) { e.preventDefault(); e.returnValue = ""; }
  });
})();
